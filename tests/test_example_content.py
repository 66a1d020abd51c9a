"""Checks on the example project's real content (stories/*.yaml and assets/ at the repository root).

These read the committed files, so a missing translation, a Latin word in Serbian Cyrillic or a
deleted image makes them fail.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from storycast.content.models import Story
from storycast.project import Project

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "es", "th", "hi", "sr", "ar")
# Latin words allowed inside non-Latin texts: brand and product names, and SMS in Thai/Hindi.
BRAND_WORDS = {"Lumen", "Wi-Fi", "Wi\u2011Fi"}
LATIN_OK = {
    "sr": BRAND_WORDS,
    "th": BRAND_WORDS | {"SMS"},
    "hi": BRAND_WORDS | {"SMS"},
    "ar": BRAND_WORDS,
}
LATIN_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F\-\u2011]*")
# Phone numbers, e-mail addresses and long digit runs (card numbers, codes) never belong in a story.
PERSONAL = re.compile(r"[\w.+-]+@[\w-]+\.\w+|\+?\d[\d \-]{6,}\d")


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(ROOT, environ={})


@pytest.fixture(scope="module")
def stories(project: Project) -> list[Story]:
    return list(project.content.stories.values())


def localized_fields(story: Story) -> Iterator[tuple[str, dict[str, str]]]:
    """Every localized field of a story with a readable name."""
    yield "title", story.title
    yield "summary", story.summary
    yield "cta", story.cta
    for i, step in enumerate(story.steps, 1):
        yield f"step {i} title", step.title
        yield f"step {i} text", step.text
        yield f"step {i} alt", step.alt


def texts(stories: list[Story], lang: str) -> Iterator[tuple[str, str]]:
    for story in stories:
        for name, value in localized_fields(story):
            yield f"{story.id} {name}", value.get(lang, "")


def letters(text: str) -> list[str]:
    """Letters and combining marks (Thai and Devanagari vowel signs are marks, not letters)."""
    return [c for c in text if unicodedata.category(c)[0] in "LM"]


def strip_allowed(text: str, lang: str) -> str:
    for word in sorted(LATIN_OK.get(lang, set()), key=len, reverse=True):
        text = text.replace(word, " ")
    return text


def test_there_are_at_least_three_tutorials(stories: list[Story]) -> None:
    tutorials = [s for s in stories if s.kind == "tutorial" and s.template == "tutorial"]
    assert len(tutorials) >= 3, [s.id for s in tutorials]


def test_each_tutorial_has_four_to_seven_steps(stories: list[Story]) -> None:
    bad = {s.id: len(s.steps) for s in stories if not 4 <= len(s.steps) <= 7}
    assert not bad


def test_every_story_declares_all_six_languages(stories: list[Story]) -> None:
    bad = {s.id: s.languages for s in stories if sorted(s.languages) != sorted(LANGS)}
    assert not bad


def test_every_localized_field_has_every_language(stories: list[Story]) -> None:
    missing = [
        f"{s.id} {name} [{lang}]"
        for s in stories
        for name, value in localized_fields(s)
        for lang in LANGS
        if not value.get(lang, "").strip()
    ]
    assert not missing


def test_no_field_is_left_in_english(stories: list[Story]) -> None:
    """A translation identical to the English text is a forgotten translation."""
    same = [
        f"{s.id} {name} [{lang}]"
        for s in stories
        for name, value in localized_fields(s)
        for lang in ("es", "th", "hi", "sr", "ar")
        if value.get(lang) == value.get("en")
    ]
    assert not same


def test_serbian_is_cyrillic(stories: list[Story]) -> None:
    bad = [(where, LATIN_WORD.findall(strip_allowed(t, "sr"))) for where, t in texts(stories, "sr")]
    assert not [b for b in bad if b[1]]


@pytest.mark.parametrize(("lang", "block"), [("th", "THAI"), ("hi", "DEVANAGARI"), ("ar", "ARABIC")])
def test_thai_hindi_and_arabic_use_their_script(stories: list[Story], lang: str, block: str) -> None:
    latin = [(where, LATIN_WORD.findall(strip_allowed(t, lang))) for where, t in texts(stories, lang)]
    assert not [b for b in latin if b[1]], "only brand words may stay in Latin letters"
    for where, t in texts(stories, lang):
        ls = letters(strip_allowed(t, lang))
        native = [c for c in ls if unicodedata.name(c, "").startswith(block)]
        assert len(native) >= 0.85 * len(ls), f"{where}: {t!r} is not mostly {block.title()}"


def test_arabic_writes_western_digits(stories: list[Story]) -> None:
    """CLDR's default numbering system for Arabic is Western digits (latn), as the interface
    strings and Babel's dates write them; a story mixing in Arabic-Indic digits reads unevenly."""
    mixed = [where for where, t in texts(stories, "ar") if re.search("[\u0660-\u0669\u06f0-\u06f9]", t)]
    assert not mixed


def test_thai_has_no_spaces_inside_short_phrases(stories: list[Story]) -> None:
    """Thai separates phrases, not words: a title of a few words has at most one space."""
    for story in stories:
        for i, step in enumerate(story.steps, 1):
            title = strip_allowed(step.title["th"], "th")
            assert title.count(" ") <= 2, f"{story.id} step {i} title: {step.title['th']!r}"


def test_english_steps_are_short(stories: list[Story]) -> None:
    for story in stories:
        for i, step in enumerate(story.steps, 1):
            assert 1 <= len(step.title["en"].split()) <= 6, f"{story.id} step {i} title"
            assert len(step.text["en"].split()) <= 25, f"{story.id} step {i} text"


def test_no_personal_data(stories: list[Story]) -> None:
    hits = [(where, t) for lang in LANGS for where, t in texts(stories, lang) if PERSONAL.search(t)]
    assert not hits


def test_every_step_has_an_existing_image_with_alt_text(project: Project, stories: list[Story]) -> None:
    for story in stories:
        with_image = [s for s in story.steps if s.image]
        assert len(with_image) >= len(story.steps) - 1, f"{story.id}: most steps should have an image"
        for step in with_image:
            assert step.image is not None
            path = project.resolve_path(step.image)
            assert path.is_file(), step.image
            assert step.alt, f"{story.id}: {step.image} has no alt text"


def test_sample_images_are_square_pngs_of_about_900px() -> None:
    files = sorted((ROOT / "assets" / "samples").glob("*.png"))
    assert len(files) >= 10
    for f in files:
        with Image.open(f) as im:
            assert im.format == "PNG"
            assert im.size == (900, 900), f.name
            assert im.mode == "RGBA", f.name


def test_logo_exists_with_transparent_corners(project: Project) -> None:
    logo = project.resolve_path(project.config.brand.logo or "assets/brand/logo.png")
    with Image.open(logo) as im:
        assert im.size == (512, 512)
        assert im.convert("RGBA").getpixel((0, 0))[3] == 0


def test_committed_samples_match_the_script(tmp_path: Path) -> None:
    """The PNGs in assets/ are what assets/make_samples.py draws (pixel for pixel)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "assets" / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = ("router-reset", "code-entry", "logo")
    written = module.build(names, out=tmp_path)
    assert len(written) == 4  # two samples + logo + logo-light
    for fresh in written:
        committed = ROOT / "assets" / fresh.relative_to(tmp_path)
        with Image.open(fresh) as a, Image.open(committed) as b:
            assert a.size == b.size
            assert a.tobytes() == b.tobytes(), f"{committed.name} is stale: run python assets/make_samples.py"
