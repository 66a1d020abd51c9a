"""The checks a ``kb build`` makes instead of render's own: they must see every change render's would.

``kb.collect._files_current`` answers ``render.buildrec.files_current`` with plain ``os``
calls; it is compared with it here, build by build, as files change under the builds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as sax_escape
from xml.sax.saxutils import quoteattr as sax_quoteattr

import pytest
from PIL import Image

from storycast.kb import build_site
from storycast.kb.collect import _files_current, _resolved
from storycast.kb.sitemap import escape, quoteattr
from storycast.project import Project
from storycast.render import buildrec
from storycast.render import cache as cache_mod
from storycast.render.prepare import asset_roots
from storycast.render.results import FRAME_FILE
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree
from tests.test_kb_incremental import _build, _same_site

PICTURED = MINIMAL_STORY.replace(
    "      es: Espera diez segundos.\n",
    "      es: Espera diez segundos.\n    image: assets/samples/modem.png\n",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    files = {"storycast.toml": MINIMAL_TOML, "stories/sample.yaml": PICTURED}
    root = build_file_tree(tmp_path / "proj", files)
    (root / "assets" / "samples").mkdir(parents=True)
    Image.new("RGB", (64, 48), (200, 30, 30)).save(root / "assets" / "samples" / "modem.png")
    return root


def _both(root: Path, *, render: bool = True) -> list[tuple[str | None, str | None]]:
    """(render's answer, kb's answer) for every build of the project."""
    project = Project.load(root)
    roots = asset_roots(project)
    records = str(buildrec._record_path(project, project.build_dir).parent)
    out = []
    with cache_mod.call_memo():
        for lang in ("en", "es"):
            folder = project.build_dir / "sample" / lang
            render_says = buildrec.files_current(project, folder, roots, FRAME_FILE) if render else None
            kb_says = _files_current(os.path.realpath(folder), records, roots, FRAME_FILE, {})
            out.append((render_says, kb_says))
    return out


def test_the_frame_check_agrees_with_the_build_record(project: Path, tmp_path: Path) -> None:
    build_site(Project.load(project), tmp_path / "site")
    built = _both(project)
    assert all(a is not None and a == b for a, b in built), built

    frame = project / "build" / "sample" / "en" / "02.jpg"
    st = frame.stat()
    os.utime(frame, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # a frame touched
    assert _both(project)[0] == (None, None)
    os.utime(frame, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _both(project) == built

    stray = project / "build" / "sample" / "es" / "09.jpg"  # a frame file the build did not write
    stray.write_bytes(b"x")
    assert _both(project)[1] == (None, None)
    stray.unlink()
    (project / "build" / "sample" / "es" / "notes.txt").write_text("kept", encoding="utf-8")
    assert _both(project) == built  # not a frame file: render keeps it too

    picture = project / "assets" / "samples" / "modem.png"
    st = picture.stat()
    os.utime(picture, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # a picture the frames show
    assert _both(project) == [(None, None), (None, None)]
    os.utime(picture, ns=(st.st_atime_ns, st.st_mtime_ns))

    record = buildrec._record_path(Project.load(project), project / "build" / "sample" / "en")
    text = record.read_bytes()
    record.write_bytes(text[:-10])  # a damaged record
    assert _both(project)[0] == (None, None)
    record.write_bytes(b'{"fingerprint": "x", "tokens": 5, "outputs": [[1]]}')
    assert _both(project, render=False)[0] == (None, None)  # kb's: not current, no exception
    record.unlink()
    assert _both(project)[0] == (None, None)


def test_a_frame_changed_by_hand_is_drawn_again(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    frame = project / "build" / "sample" / "en" / "02.jpg"
    drawn = frame.read_bytes()
    frame.write_bytes(drawn[:100])
    _build(project, site)
    assert frame.read_bytes() == drawn
    _same_site(project, site, colds)


@pytest.mark.parametrize("text", ["a&b<c>d", 'x"y', "x'y", "x\"y'z", "l\nm\rn\to", "", '&amp;"<'])
def test_sitemap_escapes_as_saxutils(text: str) -> None:
    assert escape(text) == sax_escape(text)
    assert quoteattr(text) == sax_quoteattr(text)


def test_a_build_folder_is_resolved_as_realpath_resolves_it(tmp_path: Path) -> None:
    base = tmp_path / "build"
    (base / "plain" / "en").mkdir(parents=True)
    (tmp_path / "elsewhere" / "en").mkdir(parents=True)
    (base / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "other-es").mkdir()
    (base / "plain" / "es").symlink_to(tmp_path / "other-es")
    link = tmp_path / "base-link"
    link.symlink_to(base)
    for root in (base, link):
        real = os.path.realpath(root)
        for story, lang in [("plain", "en"), ("plain", "es"), ("linked", "en"), ("none", "en"), ("..", "x")]:
            assert _resolved(root, real, story, lang) == os.path.realpath(root / story / lang)


def test_a_search_index_is_built_again_only_when_its_language_changed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storycast.kb import site as site_mod

    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    built: list[str] = []
    real = site_mod.build_index

    def counting(docs: Any, lang: str, words: Any = None) -> Any:
        built.append(lang)
        return real(docs, lang, words)

    monkeypatch.setattr(site_mod, "build_index", counting)
    _build(project, site)
    assert built == []
    story = project / "stories" / "sample.yaml"
    story.write_text(PICTURED.replace("Wait ten seconds.", "Wait twenty seconds."), encoding="utf-8")
    _build(project, site)
    assert built == ["en"]
    (site / "search" / "es.json").write_text("{}", encoding="utf-8")  # damaged by hand
    _build(project, site)
    assert built == ["en", "es"]
    monkeypatch.undo()
    files = _same_site(project, site, colds)
    assert b"twenty" in files["search/en.json"]


def test_compiled_page_templates_are_kept_and_a_damaged_one_is_compiled_again(
    project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    colds = tmp_path / "colds"
    colds.mkdir()
    _build(project, site)
    kept = sorted((project / ".storycast" / "cache").glob("jinja-kb-*/*.cache"))
    assert kept
    for file in kept:
        file.write_bytes(file.read_bytes()[:40])  # cut short
    (project / "stories" / "sample.yaml").write_text(
        PICTURED.replace("Unplug it", "Unplug the modem"), encoding="utf-8"
    )
    _build(project, site)
    files = _same_site(project, site, colds)
    assert "Unplug the modem" in files["en/sample/index.html"].decode()
