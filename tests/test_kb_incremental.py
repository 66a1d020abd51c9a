"""An incremental ``kb build`` gives the site a cold build of the same project gives.

The builder keeps pages, search words and frame checks from the last build into a folder and
redoes only what changed (``kb/state.py``). These tests change the project between builds and
compare the incremental result, file by file, with a cold build into an empty folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from storycast.kb import build_site
from storycast.kb.search import search
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree
from tests.test_kb import THAI_STORY

URL = "https://help.example.org/"
SECOND = MINIMAL_STORY.replace("id: sample", "id: second").replace("Restart your modem", "Move your modem")


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _build(root: Path, out: Path) -> None:
    # A fresh project each time, as a fresh `storycast kb build` process loads it.
    build_site(Project.load(root), out, base_url=URL)


def _same_site(root: Path, incremental: Path, tmp: Path) -> dict[str, bytes]:
    cold = tmp / f"cold-{len(list(tmp.iterdir()))}"
    _build(root, cold)
    got, want = _files(incremental), _files(cold)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    return got


def _index(site: Path, lang: str) -> dict[str, object]:
    return json.loads((site / "search" / f"{lang}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def library(root: Path) -> Path:
    """A project of three stories (two Latin, one Thai) at ``root``."""
    return build_file_tree(
        root,
        {
            "storycast.toml": MINIMAL_TOML,
            "stories/sample.yaml": MINIMAL_STORY,
            "stories/second.yaml": SECOND,
            "stories/router-lights.yaml": THAI_STORY,
        },
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return library(tmp_path / "proj")


def test_one_story_changed_then_deleted_gives_the_cold_build(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    kept = site / "en" / "sample" / "index.html"
    kept_mtime = kept.stat().st_mtime_ns
    assert search(_index(site, "th"), "ลูกโลก")  # the Thai step text, by a word inside it

    story = project / "stories" / "router-lights.yaml"
    story.write_text(
        THAI_STORY.replace("คือไฟรูปลูกโลกที่อยู่ด้านหน้าเครื่อง", "คือไฟรูปดาวที่อยู่ด้านบนเครื่อง").replace(
            "Green means online", "Blue means online"
        ),
        encoding="utf-8",
    )
    _build(project, site)
    files = _same_site(project, site, colds)
    assert "คือไฟรูปดาวที่อยู่ด้านบนเครื่อง" in files["th/router-lights/index.html"].decode()
    assert "Blue means online" in files["en/router-lights/index.html"].decode()
    assert search(_index(site, "th"), "ลูกโลก") == []
    assert [d["url"] for d in search(_index(site, "en"), "blue")] == ["en/router-lights/"]
    # The other stories' pages were kept, not written again.
    assert kept.stat().st_mtime_ns == kept_mtime

    story.unlink()
    _build(project, site)
    files = _same_site(project, site, colds)
    assert not any(name.startswith(("th/", "hi/")) for name in files)
    assert not (site / "en" / "router-lights").exists()
    assert not (site / "go" / "router-lights").exists()
    assert search(_index(site, "en"), "lights") == []
    assert all("router-lights" not in d["url"] for d in _index(site, "en")["docs"])  # type: ignore[attr-defined]


def test_nothing_changed_writes_nothing_and_a_damaged_site_is_repaired(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    _build(project, site)
    assert {p: p.stat().st_mtime_ns for p in before} == before

    # A page and an image removed by hand, a page edited by hand: the next build puts them back.
    (site / "es" / "sample" / "index.html").unlink()
    (site / "en" / "index.html").write_text("edited", encoding="utf-8")
    image = sorted((site / "img").glob("*.jpg"))[0]
    image.unlink()
    os.utime(site / "hi" / "router-lights" / "index.html", ns=(0, 0))
    _build(project, site)
    _same_site(project, site, colds)
    assert image.is_file()


def test_a_template_change_renders_every_page_again(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    # The interface strings are the project's catalogue: a new name is on every English page.
    build_file_tree(project, {"templates/strings.yaml": "help_centre:\n  en: Support desk\n"})
    _build(project, site)
    files = _same_site(project, site, colds)
    assert "Support desk" in files["en/sample/index.html"].decode()
    assert "Support desk" in files["en/c/connectivity/index.html"].decode()


def _rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The (story, language) builds the next builds hand to the render, in order."""
    from storycast.render import pipeline

    got: list[tuple[str, str]] = []
    real = pipeline.render_pairs

    def spy(project: Project, pairs: list[tuple[object, str, Path]], **kw: object) -> object:
        got.extend((story.id, lang) for story, lang, _ in pairs)  # type: ignore[attr-defined]
        return real(project, pairs, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "render_pairs", spy)
    return got


def _build_files(root: Path, story: str, lang: str) -> dict[str, int]:
    folder = root / "build" / story / lang
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def test_an_edit_in_one_language_renders_that_language_only(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    rendered = _rendered(monkeypatch)
    story = project / "stories" / "sample.yaml"
    spanish = _build_files(project, "sample", "es")

    story.write_text(MINIMAL_STORY.replace("Wait ten seconds.", "Wait twenty seconds."), encoding="utf-8")
    _build(project, site)
    assert rendered == [("sample", "en")]
    assert _build_files(project, "sample", "es") == spanish  # not rendered, not even checked again
    files = _same_site(project, site, colds)
    assert "Wait twenty seconds." in files["en/sample/index.html"].decode()

    english = _build_files(project, "sample", "en")
    rendered.clear()
    story.write_text(
        MINIMAL_STORY.replace("Wait ten seconds.", "Wait twenty seconds.").replace(
            "Espera diez segundos.", "Espera veinte segundos."
        ),
        encoding="utf-8",
    )
    _build(project, site)
    assert rendered == [("sample", "es")]
    assert _build_files(project, "sample", "en") == english
    files = _same_site(project, site, colds)
    assert "Espera veinte segundos." in files["es/sample/index.html"].decode()

    # Only the file changed (a comment): nothing to render, the site as it was.
    rendered.clear()
    story.write_text(story.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    _build(project, site)
    assert rendered == []
    _same_site(project, site, colds)


@pytest.mark.parametrize(
    ("old", "new", "langs"),
    [
        ("category: connectivity", "category: modem-care", ["en", "es"]),  # on every cover
        ("template: tutorial\n", "template: tutorial\ntags: [modem]\n", ["en", "es"]),
        (
            "    text:\n      en: Wait ten",
            "    image: assets/modem.png\n    text:\n      en: Wait ten",
            ["en", "es"],
        ),
        ("      en: Unplug it\n", "      en: Unplug it\n      th: ถอดปลั๊ก\n", []),  # not one of its languages
    ],
)
def test_a_change_every_language_sees_renders_every_language(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, langs: list[str]
) -> None:
    from PIL import Image

    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    (project / "assets").mkdir()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(project / "assets" / "modem.png")
    _build(project, site)
    rendered = _rendered(monkeypatch)
    assert old in MINIMAL_STORY
    (project / "stories" / "sample.yaml").write_text(MINIMAL_STORY.replace(old, new), encoding="utf-8")
    _build(project, site)
    assert rendered == [("sample", lang) for lang in langs]
    _same_site(project, site, colds)


def test_a_story_that_gains_a_step_shows_its_new_image(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    extra = "  - title:\n      en: Check the light\n      es: Mira la luz\n"
    (project / "stories" / "sample.yaml").write_text(MINIMAL_STORY + extra, encoding="utf-8")
    _build(project, site)
    files = _same_site(project, site, colds)
    page = files["en/sample/index.html"].decode()
    assert "Check the light" in page
    assert page.count('src="../../img/') == 3  # every step's image, the new one's too


def test_the_state_is_written_when_it_changed_and_only_then(project: Path, tmp_path: Path) -> None:
    from storycast.kb.state import BuildState

    site = tmp_path / "site"
    _build(project, site)
    state = BuildState(Project.load(project), site).path
    written = state.stat().st_mtime_ns
    _build(project, site)
    assert state.stat().st_mtime_ns == written  # nothing changed: not written again

    # Only the story file changed (a comment): no page, image or build changed, but the state's
    # stamp of the file did, and is kept.
    story = project / "stories" / "sample.yaml"
    story.write_text(MINIMAL_STORY + "# reviewed\n", encoding="utf-8")
    _build(project, site)
    held = BuildState(Project.load(project), site).frames["stories"]["sample"]
    st = story.stat()
    assert held[0] == [st.st_size, st.st_mtime_ns]


def test_a_state_file_an_earlier_version_wrote_in_json_is_removed(project: Path, tmp_path: Path) -> None:
    from storycast.kb.state import BuildState

    site = tmp_path / "site"
    state = BuildState(Project.load(project), site).path
    old = state.with_suffix(".json")
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text('{"version": 3}', encoding="utf-8")
    _build(project, site)
    assert state.is_file() and not old.exists()


def test_pages_no_build_wrote_are_removed_with_the_folders_left_empty(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    build_file_tree(
        site,
        {
            "en/old/deeper/index.html": "a page of a story since deleted",
            "es/c/gone/index.html": "a category no tutorial has",
            "en/kept/notes.txt": "not a page",
            "en/kept/index.html": "a page in a folder holding other files",
        },
    )
    (site / "empty" / "nested").mkdir(parents=True)
    _build(project, site)
    assert not (site / "en" / "old").exists()
    assert not (site / "es" / "c" / "gone").exists()
    assert not (site / "empty").exists()
    assert not (site / "en" / "kept" / "index.html").exists()
    assert (site / "en" / "kept" / "notes.txt").is_file()
    (site / "en" / "kept" / "notes.txt").unlink()
    (site / "en" / "kept").rmdir()
    _same_site(project, site, colds)
