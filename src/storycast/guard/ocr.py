"""Text in pictures: Tesseract OCR through its command line, with word boxes and a disk cache.

Tesseract runs as ``tesseract IMAGE OUT -l PACKS --psm 11 txt tsv`` (sparse text: screenshots
are labels and fields, not paragraphs). The ``txt`` output has Tesseract's own spacing (Thai
has none between words, and TSV splits it into clusters); the ``tsv`` output has the word boxes.
:func:`read_text` lines the two up, so a detector's character span maps back to pixels.

Results are cached under ``.storycast/cache/ocr`` by image hash, language packs, engine
version and :data:`PREPARE_VERSION`, so a warm lint runs no OCR at all.

Language packs come from the system (Debian: ``tesseract-ocr-<pack>``). ``STORYCAST_TESSERACT``
names the binary when it is not ``tesseract`` on the PATH; ``TESSDATA_PREFIX`` is passed on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

# Bump when the image preparation or the text assembly changes: cached results are then stale.
PREPARE_VERSION = "1"
OCR_TIMEOUT = 120  # seconds for one image; a hung engine must not hang lint

# Language code (BCP 47 primary subtag) -> Tesseract packs that read it. Latin-script languages
# share one pass; every pass adds English, for brand names, e-mail addresses and URLs.
LANG_PACKS: dict[str, str] = {
    "en": "eng",
    "es": "spa",
    "fr": "fra",
    "de": "deu",
    "it": "ita",
    "pt": "por",
    "nl": "nld",
    "pl": "pol",
    "tr": "tur",
    "id": "ind",
    "vi": "vie",
    "th": "tha",
    "hi": "hin",
    "mr": "mar",
    "ne": "nep",
    "bn": "ben",
    "sr": "srp",
    "ru": "rus",
    "uk": "ukr",
    "bg": "bul",
    "ar": "ara",
    "fa": "fas",
    "ur": "urd",
    "he": "heb",
    "el": "ell",
    "ja": "jpn",
    "zh": "chi_sim",
    "ko": "kor",
}
_ENGLISH_FIRST = {"hin", "mar", "nep", "ben"}
_LATIN_PACKS = {"eng", "spa", "fra", "deu", "ita", "por", "nld", "pol", "tur", "ind", "vie"}


@dataclass(frozen=True)
class Word:
    """One recognised word: its text, box in image pixels, confidence, and offset in the text."""

    text: str
    x: int
    y: int
    w: int
    h: int
    conf: float
    start: int  # offset of the word in OcrResult.text
    end: int


@dataclass
class OcrResult:
    """The text Tesseract read (lines joined by newlines) and its words with their boxes."""

    text: str
    words: list[Word]
    packs: str

    def boxes(self, start: int, end: int) -> list[tuple[int, int, int, int]]:
        """Boxes (x, y, w, h) of the words that overlap the character span [start, end)."""
        return [(w.x, w.y, w.w, w.h) for w in self.words if w.start < end and start < w.end]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "packs": self.packs, "words": [asdict(w) for w in self.words]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OcrResult:
        return cls(str(data["text"]), [Word(**w) for w in data["words"]], str(data["packs"]))


class OcrUnavailable(Exception):
    """The engine is missing or failed; ``install`` says what to install."""

    def __init__(self, message: str, install: str) -> None:
        super().__init__(message)
        self.install = install


@dataclass(frozen=True)
class Engine:
    """An installed Tesseract: its binary, version line and language packs."""

    binary: str
    version: str
    packs: frozenset[str]
    env: tuple[tuple[str, str], ...]

    def missing(self, packs: Iterable[str]) -> list[str]:
        return sorted(p for p in set(packs) if p not in self.packs)

    def usable(self, packs: Iterable[str]) -> tuple[str, ...]:
        """The packs of ``packs`` this engine has (English alone when it has none of them)."""
        have = tuple(p for p in packs if p in self.packs)
        return have or (("eng",) if "eng" in self.packs else ())


def debian_package(pack: str) -> str:
    """The Debian/Ubuntu package of a Tesseract pack (``chi_sim`` -> tesseract-ocr-chi-sim)."""
    return "tesseract-ocr-" + pack.lower().replace("_", "-")


def install_hint(packs: Iterable[str]) -> str:
    names = " ".join(debian_package(p) for p in sorted(set(packs)))
    return f"apt-get install {names}"


def engine(environ: Mapping[str, str]) -> Engine:
    """The Tesseract the environment names, or :class:`OcrUnavailable` saying what to install."""
    binary = environ.get("STORYCAST_TESSERACT") or shutil.which("tesseract", path=environ.get("PATH"))
    if not binary:
        raise OcrUnavailable(
            "the Tesseract OCR engine is not installed",
            "apt-get install tesseract-ocr tesseract-ocr-eng (plus one tesseract-ocr-<pack> per "
            "language), or set STORYCAST_TESSERACT to its path",
        )
    env = tuple(sorted((k, v) for k, v in environ.items() if k in ("TESSDATA_PREFIX", "PATH", "HOME")))
    return _probe(binary, env)


@cache
def _probe(binary: str, env: tuple[tuple[str, str], ...]) -> Engine:
    run_env = {**dict(env), "OMP_THREAD_LIMIT": "1"}
    try:
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, env=run_env, check=True
        )
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, env=run_env, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OcrUnavailable(
            f"the Tesseract OCR engine at {binary} does not run ({type(exc).__name__})",
            "apt-get install --reinstall tesseract-ocr, or point STORYCAST_TESSERACT at a working binary",
        ) from None
    head = (version.stdout or version.stderr).strip().splitlines()
    packs = frozenset(
        line.strip() for line in listed.stdout.splitlines()[1:] if line.strip() and " " not in line.strip()
    )
    return Engine(binary, head[0] if head else "tesseract", packs, env)


def pass_packs(langs: Iterable[str]) -> list[tuple[str, ...]]:
    """The OCR passes that read ``langs``: one for all Latin-script languages, one per other script.

    Each pass is a tuple of packs, English included (brand names, addresses and URLs are Latin),
    so a story in Thai alone needs one pass, not two. A language storycast has no pack for is
    read by the Latin pass.
    """
    latin: list[str] = ["eng"]
    needs_latin = False
    others: list[tuple[str, ...]] = []
    for lang in langs:
        pack = LANG_PACKS.get(lang.split("-")[0].lower())
        if pack is None or pack in _LATIN_PACKS:
            needs_latin = True
            if pack and pack not in latin:
                latin.append(pack)
            continue
        # Which pack comes first matters: Tesseract tries it first on every word. Devanagari
        # reads Latin digits better with English first (hin alone takes 1 for 4); Thai must come
        # first or its words split into letters; Cyrillic first keeps labels Cyrillic.
        ordered = ("eng", pack) if pack in _ENGLISH_FIRST else (pack, "eng")
        if ordered not in others:
            others.append(ordered)
    return [tuple(latin), *others] if needs_latin or not others else others


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OcrCache:
    """OCR results on disk: one small JSON file per (image hash, packs, engine version)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.memo: dict[str, OcrResult] = {}
        self.json_memo: dict[str, Any] = {}

    def key(self, digest: str, packs: tuple[str, ...], eng: Engine) -> str:
        ident = "|".join((digest, "+".join(packs), eng.version, PREPARE_VERSION))
        return hashlib.sha256(ident.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> OcrResult | None:
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        try:
            hit = OcrResult.from_dict(json.loads(self._path(key).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.memo[key] = hit
        return hit

    def put(self, key: str, result: OcrResult) -> None:
        self.memo[key] = result
        self._write(key, result.to_dict())

    def get_json(self, key: str) -> Any:
        """Any other cached reading of an image (decoded codes), or None."""
        if key in self.json_memo:
            return self.json_memo[key]
        try:
            value = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        self.json_memo[key] = value
        return value

    def put_json(self, key: str, value: Any) -> None:
        self.json_memo[key] = value
        self._write(key, value)

    def _write(self, key: str, value: Any) -> None:
        from ..files import replace_atomically

        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, json.dumps(value, ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass  # a read-only project still lints, only without a warm cache


def prepare(image: Any) -> Any:
    """A greyscale copy with dark text on a light ground everywhere.

    Screenshots put white text on coloured bars, buttons and dark themes, which Tesseract
    often skips. Where the neighbourhood (a box blur about a twentieth of the picture wide) is
    dark, the pixels are inverted; elsewhere they are kept, strokes and anti-aliasing intact.
    """
    from PIL import Image, ImageFilter, ImageOps

    grey = image.convert("L") if image.mode != "L" else image
    if grey.width * grey.height > 24_000_000:  # far beyond any screen; keep memory bounded
        grey = grey.resize((grey.width // 2, grey.height // 2), Image.Resampling.BILINEAR)
    radius = max(12, min(grey.size) // 20)
    dark = grey.filter(ImageFilter.BoxBlur(radius)).point(lambda v: 255 if v < 128 else 0)
    return Image.composite(ImageOps.invert(grey), grey, dark)


def run_tesseract(eng: Engine, image: Any, packs: tuple[str, ...]) -> OcrResult:
    """OCR one (prepared) image with ``packs``; raises :class:`OcrUnavailable` on engine failure."""
    usable = eng.usable(packs)
    if not usable:
        raise OcrUnavailable(
            f"Tesseract has none of the language packs {', '.join(packs)}", install_hint(packs)
        )
    with tempfile.TemporaryDirectory(prefix="storycast-ocr-") as tmp:
        src = Path(tmp) / "in.png"
        image.save(src)
        base = Path(tmp) / "out"
        cmd = [eng.binary, str(src), str(base), "-l", "+".join(usable), "--psm", "11", "txt", "tsv"]
        env = {**dict(eng.env), "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=OCR_TIMEOUT, env=env)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OcrUnavailable(
                f"Tesseract failed ({type(exc).__name__})", "apt-get install --reinstall tesseract-ocr"
            ) from None
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise OcrUnavailable(
                f"Tesseract failed: {tail[0][:200]}", "apt-get install --reinstall tesseract-ocr"
            )
        txt = (base.with_suffix(".txt")).read_text(encoding="utf-8", errors="replace")
        tsv = (base.with_suffix(".tsv")).read_text(encoding="utf-8", errors="replace")
    return assemble(txt, tsv, "+".join(usable))


def assemble(txt: str, tsv: str, packs: str) -> OcrResult:
    """Join Tesseract's text lines and TSV word boxes into one text with word offsets."""
    lines: list[list[dict[str, Any]]] = []
    current: tuple[str, ...] | None = None
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        key = tuple(cols[1:5])
        if key != current:
            lines.append([])
            current = key
        lines[-1].append(
            {
                "text": cols[11].strip(),
                "x": int(cols[6]),
                "y": int(cols[7]),
                "w": int(cols[8]),
                "h": int(cols[9]),
                "conf": float(cols[10]),
            }
        )
    text_lines = [line for line in txt.splitlines() if line.strip()]
    out: list[str] = []
    words: list[Word] = []
    offset = 0
    for i, line_words in enumerate(lines):
        line = text_lines[i] if i < len(text_lines) else ""
        if not _aligns(line, line_words):
            line = " ".join(w["text"] for w in line_words)
        cursor = 0
        for w in line_words:
            pos = line.find(w["text"], cursor)
            if pos < 0:  # cannot happen after _aligns; keep the word without a place
                continue
            words.append(Word(start=offset + pos, end=offset + pos + len(w["text"]), **w))
            cursor = pos + len(w["text"])
        out.append(line)
        offset += len(line) + 1
        alt = _rtl_numbers(line, line_words)
        if alt is not None:  # a second reading of the same boxes, see _rtl_numbers
            cursor = 0
            for text, w in alt:
                pos = cursor
                words.append(Word(**{**w, "text": text}, start=offset + pos, end=offset + pos + len(text)))
                cursor = pos + len(text) + 1
            line = " ".join(text for text, _ in alt)
            out.append(line)
            offset += len(line) + 1
    return OcrResult("\n".join(out), words, packs)


def _is_rtl(text: str) -> bool:
    import unicodedata

    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _numberish(text: str) -> bool:
    return any(ch.isdecimal() for ch in text) and all(ch.isdecimal() or ch in "+-().,/" for ch in text)


def _rtl_numbers(line: str, line_words: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]] | None:
    """In a right-to-left line, a number written in groups ("+966 50 123 4567") is laid out
    with its groups in reverse and the plus sign on the right ("4567 123 50 966+"), and OCR
    reads it that way. This is the line again with such runs put back in reading order
    (None when there are none); both readings are scanned, since an app that isolates
    numbers left-to-right shows them in order."""
    if not _is_rtl(line):
        return None
    changed = False
    out: list[tuple[str, dict[str, Any]]] = []
    run: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal changed
        if len(run) > 1 or (run and run[-1]["text"].endswith("+")):
            changed = True
            for w in reversed(run):
                text = w["text"]
                out.append(("+" + text[:-1] if text.endswith("+") else text, w))
        else:
            out.extend((w["text"], w) for w in run)
        run.clear()

    for w in line_words:
        if _numberish(w["text"]):
            run.append(w)
            continue
        flush()
        out.append((w["text"], w))
    flush()
    return out if changed else None


def _aligns(line: str, line_words: list[dict[str, Any]]) -> bool:
    cursor = 0
    for w in line_words:
        pos = line.find(w["text"], cursor)
        if pos < 0 or line[cursor:pos].strip():
            return False
        cursor = pos + len(w["text"])
    return not line[cursor:].strip()


def image_digest(path: Path) -> str:
    return file_sha256(path)


def ocr_image(
    eng: Engine, store: OcrCache | None, digest: str, load: Any, packs: tuple[str, ...]
) -> OcrResult:
    """OCR of the image ``load()`` opens (a PIL image), through the cache when ``store`` is given."""
    # Keyed by the packs that actually read it: a reading made while a pack was missing must
    # not stand in for a full one once the pack is installed.
    key = store.key(digest, eng.usable(packs) or packs, eng) if store is not None else ""
    if store is not None:
        hit = store.get(key)
        if hit is not None:
            return hit
    result = run_tesseract(eng, prepare(load()), packs)
    if store is not None:
        store.put(key, result)
    return result


def workers() -> int:
    """Parallel OCR processes: one per core (each Tesseract runs single-threaded)."""
    return max(1, min(4, os.cpu_count() or 1))
