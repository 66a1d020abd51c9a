"""Read the example project's frames back with Tesseract: every language, Arabic included.

Each tutorial step frame of the example project is rendered in each of its six languages; the
title and body layers are cut out of the pixels (the box comes from the manifest, the text lines
from the ink), and each line goes through Tesseract with the language's pack. The reading is
compared with the text the layout drew (``lines`` in the manifest, hyphens included) by character
error rate: Levenshtein distance over the reference length, with white space and format
characters dropped on both sides (Tesseract spaces Thai as it likes and sprinkles bidi marks into
Arabic). The mean per language must stay at or under 5 %.

Tesseract's models read best at a certain glyph size, and the Arabic one is touchy about it: each
Arabic line is read at three sizes and the reading Tesseract itself is most confident in is kept
(the choice never looks at the reference); the other languages are read once, at 40 px. All
lines of a language go to one Tesseract call, so a language's model loads once.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from storycast.project import Project
from storycast.render.pipeline import render_many

ROOT = Path(__file__).resolve().parents[1]
PACKS = {"en": "eng", "es": "spa", "th": "tha+eng", "hi": "hin+eng", "sr": "srp+eng", "ar": "ara+eng"}
HEIGHTS = {"ar": (36, 40, 44)}  # glyph sizes (px) a line is read at; other languages: 40 px
MAX_CER = 0.05

if shutil.which("tesseract") is None:  # pragma: no cover - .ci/run installs it
    pytest.fail("tesseract is not installed (apt-get install tesseract-ocr)", pytrace=False)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project's tutorials rendered in every language into a temp folder."""
    root = tmp_path_factory.mktemp("example")
    for name in ("storycast.toml", "stories", "assets", "templates", "schedules"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        elif src.exists():
            shutil.copy2(src, root / name)
    project = Project.load(root, environ={})
    stories = list(project.content.stories)
    out = root / "build"
    render_many(project, stories, None, out=out, jobs=2)
    return out


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def _line_bands(block: Image.Image, size: int, count: int) -> list[tuple[int, int]]:
    """Row ranges of the ``count`` text lines in ``block`` (light text on a dark ground)."""
    ink = [y for y in range(block.height) if block.crop((0, y, block.width, y + 1)).getextrema()[1] > 150]
    bands: list[list[int]] = []
    for y in ink:
        if bands and y - bands[-1][1] <= size * 0.12:
            bands[-1][1] = y
        else:
            bands.append([y, y])
    bands = [b for b in bands if b[1] - b[0] > size * 0.3]
    if len(bands) == count:
        return [(a, b) for a, b in bands]
    # Marks above and below the lines of Arabic and Thai can touch: split the block evenly.
    top, bottom = bands[0][0], bands[-1][1]
    pitch = (bottom - top) / count
    return [(round(top + i * pitch), round(top + (i + 1) * pitch)) for i in range(count)]


def _layers(build: Path, lang: str) -> Iterator[tuple[str, int, str, list[Image.Image]]]:
    """(where, size, drawn text, one dark-on-light image per line) for each title and body."""
    for manifest in sorted(build.glob(f"*/{lang}/manifest.json")):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        for frame in data["frames"]:
            if frame["kind"] != "step":
                continue
            image = Image.open(manifest.parent / frame["file"]).convert("L")
            for layer in frame["texts"]:
                if layer["id"] not in ("title", "body"):
                    continue
                x, y, w, h = layer["box"]
                block = image.crop((x - 10, y - 30, x + w + 10, y + h + 30))
                pad = round(layer["size"] * 0.1)
                lines = [
                    ImageOps.invert(block.crop((0, max(0, a - pad), block.width, min(block.height, b + pad))))
                    for a, b in _line_bands(block, layer["size"], len(layer["lines"]))
                ]
                where = f"{manifest.parent.parent.name}/{frame['file']} {layer['id']}"
                yield where, layer["size"], "".join(layer["lines"]), lines


def _read(lines: list[tuple[Image.Image, int]], lang: str, tmp: Path) -> list[str]:
    """Tesseract's reading of each line: the most confident of its readings at ``heights``."""
    heights = HEIGHTS.get(lang, (40,))
    listing = []
    for n, (line, size) in enumerate(lines):
        for k, height in enumerate(heights):
            scale = height / size
            size_px = (round(line.width * scale), round(line.height * scale))
            img = line.resize(size_px, Image.Resampling.LANCZOS)
            img = ImageOps.expand(img, 20, fill=img.getpixel((0, 0)))
            path = tmp / f"{n:04d}-{k}.png"
            img.save(path)
            listing.append(path)
    (tmp / "pages.txt").write_text("".join(f"{p}\n" for p in listing), encoding="utf-8")
    tsv = subprocess.run(
        ["tesseract", str(tmp / "pages.txt"), "stdout", "-l", PACKS[lang], "--psm", "7", "tsv"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    words: dict[int, list[tuple[float, str]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row["level"] == "5" and float(row["conf"]) >= 0:
            words.setdefault(int(row["page_num"]) - 1, []).append((float(row["conf"]), row["text"] or ""))
    readings = []
    for n in range(len(lines)):
        best = ""
        best_conf = -1.0
        for k in range(len(heights)):
            got = words.get(n * len(heights) + k, [])
            conf = sum(c for c, _ in got) / len(got) if got else -1.0
            if conf > best_conf:
                best, best_conf = "".join(t for _, t in got), conf
        readings.append(best)
    return readings


@pytest.mark.parametrize("lang", list(PACKS))
def test_ocr_reads_back_what_was_drawn(build: Path, lang: str, tmp_path: Path) -> None:
    layers = list(_layers(build, lang))
    assert len(layers) >= 40, f"only {len(layers)} title and body layers in {lang}"
    lines = [(img, size) for _, size, _, imgs in layers for img in imgs]
    readings = iter(_read(lines, lang, tmp_path))
    errors = total = 0
    worst: list[tuple[float, str]] = []
    for where, _, text, imgs in layers:
        ref = _plain(text)
        got = _plain("".join(next(readings) for _ in imgs))
        dist = _levenshtein(ref, got)
        errors += dist
        total += len(ref)
        worst.append((dist / len(ref), where))
    cer = errors / total
    worst.sort(reverse=True)
    print(f"{lang}: mean character error {cer:.2%} over {len(layers)} layers, {total} characters")
    assert cer <= MAX_CER, f"{lang}: mean character error {cer:.2%}; worst: {worst[:5]}"
