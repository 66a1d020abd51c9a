"""Font discovery, coverage and caching.

``FontLibrary`` indexes the font files of a list of folders (a project's ``assets/fonts`` first,
then the packaged defaults), by family name and weight read with fontTools. It answers which
file covers a grapheme cluster for a requested family and weight, falling back per script to
the packaged Noto faces, and hands out cached Pillow ``FreeTypeFont`` objects per (file, size).
Fonts are not looked up on the system, so renders are the same on every machine, with one
exception: Chinese, Japanese and Korean fonts are too large to ship, so when the project has
none, the installed one fontconfig knows is used (``fonts_system``).
"""

from __future__ import annotations

import difflib
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from storycast.errors import RenderError
from storycast.render.text.fonts_system import CJK_SCRIPTS, cjk_font_files, cjk_region, is_cjk_symbol
from storycast.render.text.fonts_system import families as cjk_families

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")

WEIGHTS: dict[str, int] = {
    "thin": 100,
    "extralight": 200,
    "light": 300,
    "regular": 400,
    "normal": 400,
    "book": 400,
    "medium": 500,
    "semibold": 600,
    "demibold": 600,
    "bold": 700,
    "extrabold": 800,
    "black": 900,
    "heavy": 900,
}

# Families tried, in order, for clusters the requested family does not cover.
SCRIPT_FALLBACKS: dict[str, tuple[str, ...]] = {
    "Latin": ("Noto Sans",),
    "Cyrillic": ("Noto Sans",),
    "Greek": ("Noto Sans",),
    "Thai": ("Noto Sans Thai", "Noto Sans Thai Looped"),
    "Devanagari": ("Noto Sans Devanagari",),
    "Arabic": ("Noto Sans Arabic", "Noto Naskh Arabic"),
    "Hebrew": ("Noto Sans Hebrew",),
    "Bengali": ("Noto Sans Bengali",),
    "Tamil": ("Noto Sans Tamil",),
    "Khmer": ("Noto Sans Khmer",),
    "Lao": ("Noto Sans Lao",),
    "Myanmar": ("Noto Sans Myanmar",),
    "Emoji": ("Noto Color Emoji", "Noto Emoji", "Noto Sans Symbols2", "Noto Sans Symbols"),
}
GENERIC_FALLBACKS: tuple[str, ...] = ("Noto Sans", "Noto Sans Symbols2", "Noto Sans Symbols", "DejaVu Sans")

# Characters that need no glyph of their own: HarfBuzz hides default-ignorables that a font
# lacks instead of drawing .notdef, and controls are never drawn.
_IGNORABLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def is_ignorable(ch: str) -> bool:
    """Whether *ch* needs no glyph (controls, format characters such as ZWJ/ZWSP, selectors)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in _IGNORABLE_CATEGORIES
        or 0xFE00 <= cp <= 0xFE0F
        or 0xE0000 <= cp <= 0xE0FFF
        or ch in "\n\r\t"
    )


def require_raqm(features: ModuleType | Any | None = None) -> None:
    """Raise RenderError unless Pillow can shape complex text (libraqm with FriBiDi).

    Pillow silently falls back to its BASIC layout without raqm, which draws Thai marks on top
    of each other, Devanagari matras on the wrong side and Arabic unjoined; storycast refuses
    to render rather than produce such frames. *features* defaults to ``PIL.features`` and
    can be replaced by any object with a ``check(name)`` method (tests do that).
    """
    if features is None:
        from PIL import features as pil_features

        features = pil_features
    raqm = bool(features.check("raqm"))
    try:
        fribidi = bool(features.check("fribidi"))
    except ValueError:  # an old Pillow without the fribidi feature flag
        fribidi = raqm
    if raqm and fribidi:
        return
    missing = "libraqm" if not raqm else "FriBiDi"
    raise RenderError(
        f"Pillow cannot shape complex text ({missing} is not available), so Thai, Hindi and "
        "Arabic would render wrongly.",
        hint="Install FriBiDi and raqm: `apt-get install libfribidi0 libraqm0` (Debian/Ubuntu), "
        "`apk add fribidi libraqm` (Alpine) or `brew install fribidi libraqm` (macOS), then "
        "check with `python -m PIL.report` that RAQM is supported.",
    )


_raqm_checked = False


def ensure_raqm() -> None:
    """``require_raqm()`` once per process (the answer cannot change while running)."""
    global _raqm_checked
    if not _raqm_checked:
        require_raqm()
        _raqm_checked = True


def weight_value(weight: str | int) -> int:
    """CSS-style weight number for a name ('regular', 'medium', 'semibold', 'bold', …) or number."""
    if isinstance(weight, int):
        return weight
    key = weight.strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    if key.isdigit():
        return int(key)
    if key not in WEIGHTS:
        raise RenderError(
            f"Unknown font weight {weight!r}.",
            hint="Use one of: regular, medium, semibold, bold (or a number such as 500).",
        )
    return WEIGHTS[key]


@dataclass(frozen=True)
class FontFace:
    """One font file, face of a collection or named instance of a variable font, as indexed."""

    path: Path
    index: int
    family: str
    weight: int
    italic: bool
    is_color: bool  # CBDT/sbix bitmaps: drawn at a fixed strike size and scaled
    bitmap_sizes: tuple[int, ...] = ()
    ascent: float = 0.8  # hhea ascender / unitsPerEm
    descent: float = 0.2  # -hhea descender / unitsPerEm
    axes: tuple[float, ...] = ()  # a variable font's named instance: coordinates in fvar order

    @property
    def key(self) -> str:
        inst = "@" + ",".join(f"{v:g}" for v in self.axes) if self.axes else ""
        return f"{self.path}#{self.index}{inst}"

    def covers(self, text: str) -> bool:
        """Whether every non-ignorable character of *text* has a glyph in this face."""
        cmap = _coverage(str(self.path), self.index)
        return all(ord(ch) in cmap or is_ignorable(ch) for ch in text)

    def missing(self, text: str) -> list[str]:
        """Characters of *text* (not ignorable) this face has no glyph for."""
        cmap = _coverage(str(self.path), self.index)
        return [ch for ch in text if ord(ch) not in cmap and not is_ignorable(ch)]


@lru_cache(maxsize=64)
def _coverage(path: str, index: int) -> frozenset[int]:
    key = _disk_key("cmap", Path(path), index)
    ranges = _disk.get(key) if key is not None else None
    if isinstance(ranges, list):
        return frozenset(cp for start, end in ranges for cp in range(start, end + 1))
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        cmap = font.getBestCmap() or {}
        covered = frozenset(cmap)
    finally:
        font.close()
    if key is not None:
        _disk_put(key, _ranges(covered))
    return covered


def _ranges(codepoints: Iterable[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in sorted(codepoints):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


# What fontTools reads from a font file (its faces, its character coverage) is remembered on
# disk per (file, size, mtime), in the project's .storycast/cache/: every render process would
# otherwise parse the name, OS/2 and cmap tables of every font again (about 0.1 s).
_DISK_VERSION = 1
_disk: dict[str, Any] = {}
_disk_file: Path | None = None
_disk_lock = threading.Lock()


def _disk_key(kind: str, path: Path, index: int = 0) -> str | None:
    if _disk_file is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{kind}:{path}#{index}:{st.st_size}:{st.st_mtime_ns}"


def _disk_open(folder: Path) -> None:
    """Use ``folder``/fonts.json as this process's font metadata cache (loaded once)."""
    global _disk_file
    import json

    target = folder / "fonts.json"
    with _disk_lock:
        if _disk_file == target:
            return
        _disk_file = target
        _disk.clear()
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == _DISK_VERSION:
            entries = data.get("entries")
            if isinstance(entries, dict):
                _disk.update(entries)


def _disk_put(key: str, value: Any) -> None:
    """Remember one entry and write the cache file (rare: only what was not known yet)."""
    import json

    from storycast.render.cache import atomic_write

    with _disk_lock:
        _disk[key] = value
        if _disk_file is None:
            return
        # Entries of replaced font files would pile up: keep only those of files still there.
        live = {k: v for k, v in _disk.items() if _still_current(k)}
        payload = json.dumps({"version": _DISK_VERSION, "entries": live}, sort_keys=True)
        try:
            atomic_write(_disk_file, payload.encode("utf-8"))
        except OSError:
            pass  # a read-only project: the metadata is read from the fonts again next time


def _still_current(key: str) -> bool:
    try:
        _, rest = key.split(":", 1)
        where, size, mtime = rest.rsplit(":", 2)
        st = Path(where.rsplit("#", 1)[0]).stat()
    except (OSError, ValueError):
        return False
    return str(st.st_size) == size and str(st.st_mtime_ns) == mtime


def _face_dict(face: FontFace) -> dict[str, Any]:
    return {
        "index": face.index,
        "family": face.family,
        "weight": face.weight,
        "italic": face.italic,
        "is_color": face.is_color,
        "bitmap_sizes": list(face.bitmap_sizes),
        "ascent": face.ascent,
        "descent": face.descent,
        "axes": list(face.axes),
    }


def _cached_faces(path: Path) -> list[FontFace]:
    """``_read_faces(path)``, through the disk cache when one is open."""
    key = _disk_key("faces", path)
    known = _disk.get(key) if key is not None else None
    if isinstance(known, list):
        try:
            return [
                FontFace(
                    path=path,
                    index=int(d["index"]),
                    family=str(d["family"]),
                    weight=int(d["weight"]),
                    italic=bool(d["italic"]),
                    is_color=bool(d["is_color"]),
                    bitmap_sizes=tuple(int(v) for v in d["bitmap_sizes"]),
                    ascent=float(d["ascent"]),
                    descent=float(d["descent"]),
                    axes=tuple(float(v) for v in d["axes"]),
                )
                for d in known
            ]
        except (KeyError, TypeError, ValueError):
            pass  # an entry in an unexpected shape: read the font again
    faces = _read_faces(path)
    if key is not None:
        _disk_put(key, [_face_dict(f) for f in faces])
    return faces


def _read_faces(path: Path) -> list[FontFace]:
    from fontTools.ttLib import TTCollection, TTFont

    faces: list[FontFace] = []
    count = len(TTCollection(str(path), lazy=True).fonts) if path.suffix.lower() in (".ttc", ".otc") else 1
    for index in range(count):
        font = TTFont(str(path), fontNumber=index, lazy=True)
        try:
            name = font["name"]
            family = (name.getDebugName(16) or name.getDebugName(1) or path.stem.split("-")[0]).strip()
            sub = (name.getDebugName(17) or name.getDebugName(2) or "Regular").lower()
            os2 = font.get("OS/2", None)
            weight = int(os2.usWeightClass) if os2 is not None else (700 if "bold" in sub else 400)
            italic = "italic" in sub or "oblique" in sub
            upem = font["head"].unitsPerEm or 1000
            hhea = font["hhea"]
            sizes: tuple[int, ...] = ()
            color = False
            if "CBLC" in font:
                color = True
                sizes = tuple(sorted({int(s.bitmapSizeTable.ppemY) for s in font["CBLC"].strikes}))
            elif "sbix" in font:
                color = True
                sizes = tuple(sorted(int(s) for s in font["sbix"].strikes))
            elif "COLR" in font:
                color = True
            base = FontFace(
                path=path,
                index=index,
                family=family,
                weight=weight,
                italic=italic,
                is_color=color,
                bitmap_sizes=sizes,
                ascent=hhea.ascent / upem,
                descent=-hhea.descent / upem,
            )
            faces.extend(_instances(font, base) or [base])
        finally:
            font.close()
    return faces


def _instances(font: Any, base: FontFace) -> list[FontFace]:
    """One face per named instance of a variable font (Regular, Medium, SemiBold, Bold, …)."""
    if "fvar" not in font:
        return []
    fvar = font["fvar"]
    tags = [axis.axisTag for axis in fvar.axes]
    out: list[FontFace] = []
    for inst in fvar.instances:
        coords = inst.coordinates
        sub = (font["name"].getDebugName(inst.subfamilyNameID) or "").lower()
        italic = (
            "italic" in sub or "oblique" in sub or coords.get("ital", 0) >= 1 or coords.get("slnt", 0) < 0
        )
        out.append(
            replace(
                base,
                weight=round(coords.get("wght", base.weight)),
                italic=italic,
                axes=tuple(float(coords.get(tag, 0.0)) for tag in tags),
            )
        )
    return out


@dataclass
class FontLibrary:
    """Fonts indexed from folders, earlier folders winning (project before packaged).

    >>> lib = FontLibrary.for_project(project_root)
    >>> lib.face("Noto Sans", "bold").path
    """

    folders: tuple[Path, ...]
    faces: list[FontFace] = field(default_factory=list)
    _by_family: dict[str, list[FontFace]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _fonts: dict[tuple[str, int], FreeTypeFont] = field(default_factory=dict, repr=False)
    _chain_cache: dict[tuple[str, int, str], tuple[FontFace, ...]] = field(default_factory=dict, repr=False)
    _face_cache: dict[tuple[str, str, str | int, str, bool, str | None], FontFace | None] = field(
        default_factory=dict, repr=False
    )
    _system: dict[str, list[FontFace]] | None = field(default=None, repr=False)

    @classmethod
    def from_folders(cls, folders: Iterable[Path | str], *, within: Sequence[Path] = ()) -> FontLibrary:
        """Index every font file found (recursively) in *folders*; missing folders are skipped.

        With ``within``, a font file (or folder) that resolves outside all of those folders (a
        symbolic link out of the project) is refused with a RenderError naming it.
        """
        from ..paths import inside

        paths = tuple(Path(f) for f in folders)
        lib = cls(folders=paths)
        seen: set[tuple[str, int, bool]] = set()
        for folder in paths:
            if not folder.is_dir():
                continue
            for file in sorted(folder.rglob("*")):
                if (
                    file.suffix.lower() not in FONT_SUFFIXES
                    or file.name.startswith(".")
                    or not file.is_file()
                ):
                    continue  # dot files include macOS "._Font.ttf" resource forks, not fonts
                if within and not inside(file, within):
                    raise RenderError(
                        f"the font file {file.name} is a link to a file outside the project",
                        hint="copy the font into the project's assets/fonts/ instead of linking to it",
                        file=file,
                    )
                try:
                    faces = _cached_faces(file)
                except Exception as exc:  # a broken font file must name itself
                    raise RenderError(
                        f"Cannot read font file {file.name}: {exc}.",
                        hint="Remove or replace the file; storycast reads TrueType/OpenType fonts.",
                        file=file,
                    ) from exc
                for face in faces:
                    ident = (face.family.casefold(), face.weight, face.italic)
                    if ident in seen:
                        continue  # an earlier folder (the project) already provides this face
                    seen.add(ident)
                    lib.faces.append(face)
                    lib._by_family.setdefault(face.family.casefold(), []).append(face)
        return lib

    @classmethod
    def for_project(cls, project_root: Path | str | None = None) -> FontLibrary:
        """The project's ``assets/fonts`` (if any) followed by the packaged fonts. Cached."""
        from storycast.resources import assets_dir, data_root

        folders: list[Path] = []
        within = [data_root()]
        if project_root is not None:
            folders.append(Path(project_root) / "assets" / "fonts")
            within.append(Path(project_root))
            _disk_open(Path(project_root) / ".storycast" / "cache")
        folders.append(assets_dir() / "fonts")
        return _cached_library(tuple(folders), _mtimes(tuple(folders)), tuple(within))

    # --- lookup ---------------------------------------------------------------------------

    def families(self) -> list[str]:
        """Family names known to the library, in indexing order."""
        out: list[str] = []
        for face in self.faces:
            if face.family not in out:
                out.append(face.family)
        return out

    def has_family(self, family: str) -> bool:
        return family.casefold() in self._by_family

    def face(self, family: str, weight: str | int = "regular", *, italic: bool = False) -> FontFace:
        """The face of *family* closest to *weight*; RenderError naming close matches if unknown."""
        faces = self._by_family.get(family.casefold())
        if not faces:
            names = self.families()
            close = difflib.get_close_matches(family, names, n=3, cutoff=0.5)
            if not close:
                close = [n for n in names if family.casefold() in n.casefold()][:3]
            hint = (
                (f"Did you mean {', '.join(repr(c) for c in close)}? " if close else "")
                + "Put the font files in the project's assets/fonts/ folder; known families: "
                + ", ".join(names)
            )
            raise RenderError(f"Unknown font family {family!r}.", hint=hint)
        target = weight_value(weight)
        return _nearest(faces, target, italic)

    def fallback_chain(self, family: str, weight: str | int, script: str) -> tuple[FontFace, ...]:
        """Faces to try, in order, for a cluster of *script* when *family* is requested."""
        target = weight_value(weight)
        key = (family.casefold(), target, script)
        chain = self._chain_cache.get(key)
        if chain is not None:
            return chain
        names: list[str] = []
        if script != "Emoji":
            names.append(family)
        names += list(SCRIPT_FALLBACKS.get(script, ()))
        names += list(GENERIC_FALLBACKS)
        if script == "Emoji":
            names.append(family)
        names += self.families()
        out: list[FontFace] = []
        for name in names:
            if name.casefold() in self._by_family:
                face = self.face(name, target)
                if face not in out:
                    out.append(face)
        chain = tuple(out)
        self._chain_cache[key] = chain
        return chain

    def system_faces(self) -> dict[str, list[FontFace]]:
        """Installed CJK faces by case-folded family (read once, only when CJK text needs them)."""
        if self._system is None:
            by_family: dict[str, list[FontFace]] = {}
            for file in cjk_font_files():
                try:
                    faces = _cached_faces(file)
                except Exception:  # a broken system font is skipped: not the project's to fix
                    continue
                for face in faces:
                    by_family.setdefault(face.family.casefold(), []).append(face)
            with self._lock:
                self._system = by_family
        return self._system

    def cjk_chain(self, family: str, weight: str | int, region: str) -> tuple[FontFace, ...]:
        """Faces to try for Chinese, Japanese or Korean of *region* (JP, SC, TC, HK, KR).

        The requested family, then the region's CJK families from the project and the package,
        then the same installed on the system, then any installed CJK face.
        """
        target = weight_value(weight)
        key = (family.casefold(), target, "CJK " + region)
        chain = self._chain_cache.get(key)
        if chain is not None:
            return chain
        names = (family, *cjk_families(region))
        system = self.system_faces()
        out: list[FontFace] = []
        for source in (self._by_family, system):
            for name in names:
                faces = source.get(name.casefold())
                if faces:
                    face = _nearest(faces, target, False)
                    if face not in out:
                        out.append(face)
        for faces in system.values():
            face = _nearest(faces, target, False)
            if face not in out:
                out.append(face)
        chain = tuple(out)
        self._chain_cache[key] = chain
        return chain

    def face_for(
        self,
        cluster: str,
        family: str,
        weight: str | int,
        script: str,
        *,
        color_emoji: bool = True,
        lang: str | None = None,
    ) -> FontFace | None:
        """First face of the fallback chain covering every character of *cluster*, or None.

        Han, kana, Hangul, Bopomofo and CJK punctuation take the CJK chain of the region
        *lang* is read in.
        """
        cjk = script in CJK_SCRIPTS or is_cjk_symbol(cluster[0])
        key = (cluster, family, weight, script, color_emoji, lang if cjk else None)
        if key in self._face_cache:
            return self._face_cache[key]
        found: FontFace | None = None
        chain = self.fallback_chain(family, weight, script)
        if cjk:
            chain = self.cjk_chain(family, weight, cjk_region(lang, script)) + chain
        for face in chain:
            if face.is_color and not color_emoji:
                continue
            if face.covers(cluster):
                found = face
                break
        if len(self._face_cache) > 50_000:
            self._face_cache.clear()
        self._face_cache[key] = found
        return found

    # --- Pillow fonts ---------------------------------------------------------------------

    def font(self, face: FontFace, size: int) -> FreeTypeFont:
        """A cached ``FreeTypeFont`` for *face* at *size* px (language is passed per call)."""
        from PIL import ImageFont

        if face.is_color and face.bitmap_sizes:
            size = strike_size(face)
        key = (face.key, size)
        font = self._fonts.get(key)
        if font is None:
            with self._lock:
                font = self._fonts.get(key)
                if font is None:
                    ensure_raqm()
                    try:
                        font = ImageFont.truetype(
                            str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.RAQM
                        )
                        if face.axes:
                            font.set_variation_by_axes(list(face.axes))
                    except OSError as exc:
                        raise RenderError(
                            f"Cannot load font {face.path.name} at {size} px: {exc}.",
                            hint="Replace the font file, or pick another family.",
                            file=face.path,
                        ) from exc
                    self._fonts[key] = font
        return font


def _nearest(faces: Sequence[FontFace], target: int, italic: bool) -> FontFace:
    """The face closest to weight *target*, upright or italic as asked when there is a choice."""
    upright = [f for f in faces if f.italic == italic] or list(faces)
    # Closest weight; on a tie prefer heavier for targets >= 500 (CSS font matching spirit).
    return min(upright, key=lambda f: (abs(f.weight - target), -f.weight if target >= 500 else f.weight))


def strike_size(face: FontFace) -> int:
    """Pixel size a bitmap colour font must be opened at (CBDT fonts only work at a strike size)."""
    if not face.bitmap_sizes:
        return 109
    return 109 if 109 in face.bitmap_sizes else max(face.bitmap_sizes)


def _mtimes(folders: Sequence[Path]) -> tuple[float, ...]:
    return tuple(f.stat().st_mtime if f.is_dir() else -1.0 for f in folders)


@lru_cache(maxsize=16)
def _cached_library(
    folders: tuple[Path, ...], mtimes: tuple[float, ...], within: tuple[Path, ...] = ()
) -> FontLibrary:
    # mtimes is part of the cache key so a font dropped into assets/fonts is picked up.
    return FontLibrary.from_folders(folders, within=within)
