"""The shipped fonts as web fonts, for the feed, the knowledge base and the HTML report.

Browsers on a bare Linux (Debian's Chromium) have no Thai, Devanagari or Arabic system font, and
a stack that starts with ``system-ui`` draws those scripts as empty boxes. The pages therefore
name our own families first (``STACK``), each an ``@font-face`` per weight made from the font the
renderer uses for that script (the project's ``assets/fonts`` first, then the packaged Noto, found
through ``FontLibrary``), cut down to the script's ``unicode-range`` and compressed as WOFF2
(WOFF when brotli is missing). A browser fetches a face only when the page holds a character of
its range, so a Spanish page loads the Latin face and nothing else.

    faces = web_faces(project.root)                       # every script, both weights
    css = font_face_css(faces, lambda f: f"/fonts/{f.file}")
    data, fmt = face_bytes(faces[0])                      # the file behind one url
    inline = embedded_css(web_faces(root, scripts_in(page_text)), page_text)  # data: URLs

``face_bytes(face, text)`` keeps only the characters of ``text`` (and the glyphs their shaping
reaches), which is how report.html stays small and works offline as one file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Range = tuple[int, int]

# Joiners, the dotted circle (shown for a mark without a base) and the word joiner are part of
# every complex script: shaping needs them from the same font.
_SHARED: tuple[Range, ...] = ((0x200B, 0x200D), (0x2060, 0x2060), (0x25CC, 0x25CC))


@dataclass(frozen=True)
class WebScript:
    """One script's web face: its CSS family, the font family it is made from, its ranges."""

    key: str  # file names and ids: "thai"
    family: str  # the CSS family pages name: "Storycast Thai"
    source: str  # the FontLibrary family it is cut from: "Noto Sans Thai"
    ranges: tuple[Range, ...]

    def covers(self, ch: str) -> bool:
        cp = ord(ch)
        return any(lo <= cp <= hi for lo, hi in self.ranges)

    @property
    def unicode_range(self) -> str:
        """The CSS ``unicode-range`` value: ``U+0E00-0E7F, U+200B-200D``."""
        return ", ".join(f"U+{lo:04X}" if lo == hi else f"U+{lo:04X}-{hi:04X}" for lo, hi in self.ranges)


# A script whose source family is in no font folder is left out (web_faces), so the table can
# name scripts a project may not ship fonts for. CJK is not here: its fonts are too big to serve.
# Latin and Cyrillic are one family ("Storycast Sans", from Noto Sans) in two faces, so a page
# without Cyrillic never downloads it. Ranges follow the split Google Fonts uses for Noto Sans.
SCRIPTS: tuple[WebScript, ...] = (
    WebScript(
        "latin",
        "Storycast Sans",
        "Noto Sans",
        (
            (0x0000, 0x024F), (0x0259, 0x0259), (0x02B0, 0x02FF), (0x0300, 0x036F), (0x1E00, 0x1EFF),
            (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2212, 0x2215),
            (0xFEFF, 0xFEFF), (0xFFFD, 0xFFFD),
        ),
    ),
    WebScript(
        "cyrillic",
        "Storycast Sans",
        "Noto Sans",
        ((0x0400, 0x052F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    ),
    WebScript("thai", "Storycast Thai", "Noto Sans Thai", ((0x0E00, 0x0E7F), *_SHARED)),
    WebScript(
        "devanagari",
        "Storycast Devanagari",
        "Noto Sans Devanagari",
        ((0x0900, 0x097F), (0x1CD0, 0x1CFF), (0x20B9, 0x20B9), (0xA830, 0xA839), (0xA8E0, 0xA8FF), *_SHARED),
    ),
    WebScript(
        "arabic",
        "Storycast Arabic",
        "Noto Sans Arabic",
        (
            (0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFE),
            (0x200B, 0x200F), (0x2060, 0x2060), (0x25CC, 0x25CC),
        ),
    ),
    WebScript(
        "hebrew", "Storycast Hebrew", "Noto Sans Hebrew",
        ((0x0590, 0x05FF), (0xFB1D, 0xFB4F), (0x200E, 0x200F), *_SHARED),
    ),
    WebScript("bengali", "Storycast Bengali", "Noto Sans Bengali", ((0x0980, 0x09FF), *_SHARED)),
    WebScript(
        "tamil", "Storycast Tamil", "Noto Sans Tamil", ((0x0B80, 0x0BFF), (0x11FC0, 0x11FFF), *_SHARED)
    ),
    WebScript("khmer", "Storycast Khmer", "Noto Sans Khmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF), *_SHARED)),
    WebScript("lao", "Storycast Lao", "Noto Sans Lao", ((0x0E80, 0x0EFF), *_SHARED)),
    WebScript(
        "myanmar", "Storycast Myanmar", "Noto Sans Myanmar",
        ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F), *_SHARED),
    ),
)  # fmt: skip
WEIGHTS = (400, 700)

# The family list every page uses: ours first, then whatever the system has for the rest.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(s.family for s in SCRIPTS))
STACK = ", ".join(f'"{f}"' for f in FAMILIES) + ', system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

MIME = {"woff2": "font/woff2", "woff": "font/woff"}


def flavor() -> str:
    """``woff2`` when brotli is importable (fontTools needs it to write WOFF2), else ``woff``."""
    try:
        import brotli  # noqa: F401
    except ImportError:  # pragma: no cover - brotli comes with fonttools[woff]
        return "woff"
    return "woff2"


@dataclass(frozen=True)
class WebFace:
    """One ``@font-face``: a script at a weight, cut from ``path``."""

    script: WebScript
    weight: int
    path: Path
    digest: str  # of the source file: part of the url, so a replaced font is fetched anew
    axes: tuple[float, ...] = ()  # a variable font's named instance (fvar order): pinned there

    @property
    def file(self) -> str:
        """The face's file name: ``thai-700.woff2``."""
        return f"{self.script.key}-{self.weight}.{flavor()}"

    @property
    def version(self) -> str:
        return self.digest[:12]


def scripts_in(text: str) -> list[WebScript]:
    """The scripts whose ranges hold a letter of ``text`` (Latin only for a Latin character).

    Spaces, digits and punctuation alone do not ask for a face; Latin is included whenever a
    Latin letter or other non-space character outside the other scripts appears."""
    found: list[WebScript] = []
    chars = {c for c in text if not c.isspace()}
    for script in SCRIPTS:
        if script.key == "latin":
            continue
        if any(script.covers(c) and (c.isalpha() or not SCRIPTS[0].covers(c)) for c in chars):
            found.append(script)
    if any(SCRIPTS[0].covers(c) and not any(s.covers(c) for s in found) for c in chars):
        found.insert(0, SCRIPTS[0])
    return found


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _DIGESTS[key] = digest
    return digest


def web_faces(project_root: Path | str | None, scripts: Iterable[WebScript] | None = None) -> list[WebFace]:
    """The faces of ``scripts`` (default: all) at each weight, from the project's fonts first.

    A script whose family is in neither the project's nor the packaged fonts is left out: the
    page then falls back to the system's fonts for it."""
    from storycast.render.text.fonts import FontLibrary

    library = FontLibrary.for_project(project_root)
    out: list[WebFace] = []
    for script in SCRIPTS if scripts is None else scripts:
        if not library.has_family(script.source):
            continue
        for weight in WEIGHTS:
            face = library.face(script.source, weight)
            if face.path.suffix.lower() in (".ttc", ".otc") or face.index or face.is_color:
                continue  # a collection member or a bitmap font is no web font
            path = Path(face.path)
            out.append(WebFace(script, weight, path, _digest(path), tuple(face.axes)))
    return out


def font_face_css(faces: Sequence[WebFace], url: Callable[[WebFace], str]) -> str:
    """``@font-face`` rules for ``faces``, each file at ``url(face)``."""
    rules = []
    for face in faces:
        rules.append(
            f'@font-face{{font-family:"{face.script.family}";font-style:normal;font-weight:{face.weight};'
            f'font-display:swap;src:url("{url(face)}") format("{flavor()}");'
            f"unicode-range:{face.script.unicode_range};}}"
        )
    return "\n".join(rules) + "\n"


_LOCK = threading.Lock()
_MEMO: dict[str, bytes] = {}


def _cut(path: Path, codepoints: frozenset[int], fmt: str, axes: tuple[float, ...] = ()) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = fmt
    options.layout_features = ["*"]  # joining forms, conjuncts, mark positioning: keep them all
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False  # smaller; browsers on every platform draw Noto well unhinted
    options.desubroutinize = True
    font = TTFont(str(path), lazy=False)
    if axes and "fvar" in font:
        from fontTools.varLib import instancer

        # One static instance per weight, as the renderer draws it.
        location = {a.axisTag: v for a, v in zip(font["fvar"].axes, axes, strict=False)}
        font = instancer.instantiateVariableFont(font, location)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    font.flavor = fmt
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def face_bytes(face: WebFace, text: str | None = None, *, cache_dir: Path | None = None) -> tuple[bytes, str]:
    """The face's font file and its format (``woff2``/``woff``).

    Without ``text`` the face keeps its script's whole range (what the feed and the knowledge
    base serve); with ``text`` only the characters of ``text`` in that range (the report).
    Results are kept in memory and, given ``cache_dir``, on disk: cutting Noto Sans takes a
    second."""
    fmt = flavor()
    wanted = {cp for lo, hi in face.script.ranges for cp in range(lo, hi + 1)}
    if text is not None:
        wanted &= {ord(c) for c in text}
    points = frozenset(wanted)
    key = hashlib.sha256(
        f"{face.digest}|{face.axes}|{fmt}|1|".encode() + ",".join(map(str, sorted(points))).encode()
    ).hexdigest()[:32]
    with _LOCK:
        data = _MEMO.get(key)
        if data is not None:
            return data, fmt
        cached = cache_dir / f"{face.script.key}-{face.weight}-{key}.{fmt}" if cache_dir else None
        if cached is not None and cached.is_file():
            data = cached.read_bytes()
        else:
            data = _cut(face.path, points, fmt, face.axes)
            if cached is not None:
                _store(cached, data)
        if len(_MEMO) > 64:
            _MEMO.clear()
        _MEMO[key] = data
    return data, fmt


def _store(path: Path, data: bytes) -> None:
    from storycast.files import replace_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, data)
    except OSError:
        pass  # a read-only project: the face is cut again next time


def embedded_css(faces: Sequence[WebFace], text: str) -> str:
    """``@font-face`` rules with each face inline as a ``data:`` URL, cut to ``text``."""
    rules = []
    for face in faces:
        data, fmt = face_bytes(face, text)
        uri = f"data:{MIME[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
        rules.append(font_face_css([face], lambda _f, uri=uri: uri).strip())  # type: ignore[misc]
    return "\n".join(rules) + "\n"


def text_direction(lang: str) -> str:
    """``rtl`` for a language written right to left (``ar``, ``fa``, ``he``, ``ur``), else ``ltr``."""
    from storycast.render.text.bidi import is_rtl_language

    return "rtl" if is_rtl_language(lang) else "ltr"
