"""Font metadata read with fontTools is remembered per (file, size, mtime) under .storycast/cache."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from storycast import resources
from storycast.render.text import fonts


def _fresh_process_state() -> None:
    # What a new process starts with: no metadata in memory, nothing memoized.
    fonts._disk.clear()
    fonts._disk_file = None
    fonts._coverage.cache_clear()
    fonts._cached_library.cache_clear()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "assets" / "fonts").mkdir(parents=True)
    src = resources.assets_dir() / "fonts" / "NotoSansThai-Regular.ttf"
    shutil.copy(src, tmp_path / "assets" / "fonts" / "Custom-Regular.ttf")
    _fresh_process_state()
    yield tmp_path
    _fresh_process_state()


def test_faces_and_coverage_come_back_the_same_from_the_cache(root: Path) -> None:
    lib = fonts.FontLibrary.for_project(root)
    first = list(lib.faces)
    covered = {f.key: f.covers("กข a") for f in first}
    cache = root / ".storycast" / "cache" / "fonts.json"
    entries = json.loads(cache.read_text())["entries"]
    assert any(k.startswith("faces:") and "Custom-Regular.ttf" in k for k in entries)
    assert any(k.startswith("cmap:") for k in entries)

    _fresh_process_state()
    again = fonts.FontLibrary.for_project(root)
    assert again.faces == first
    assert {f.key: f.covers("กข a") for f in again.faces} == covered
    from fontTools.ttLib import TTFont

    face = first[0]
    with TTFont(str(face.path), fontNumber=face.index, lazy=True) as font:
        truth = frozenset(font.getBestCmap() or {})
    face.covers("a")  # makes sure this face's coverage is in the cache file
    _fresh_process_state()
    fonts.FontLibrary.for_project(root)
    assert fonts._coverage(str(face.path), face.index) == truth


def test_a_replaced_font_file_is_read_again(root: Path) -> None:
    font = root / "assets" / "fonts" / "Custom-Regular.ttf"
    fonts.FontLibrary.for_project(root)
    shutil.copy(resources.assets_dir() / "fonts" / "NotoSans-Bold.ttf", font)
    st = font.stat()
    os.utime(font, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    (root / "assets" / "fonts").touch()  # the library cache is keyed by the folder's mtime
    _fresh_process_state()
    lib = fonts.FontLibrary.for_project(root)
    custom = [f for f in lib.faces if f.path == font]
    assert custom and custom[0].family == "Noto Sans" and custom[0].weight == 700
    entries = json.loads((root / ".storycast" / "cache" / "fonts.json").read_text())["entries"]
    assert sum(1 for k in entries if k.startswith("faces:") and "Custom-Regular.ttf" in k) == 1


def test_unreadable_cache_is_ignored(root: Path) -> None:
    cache = root / ".storycast" / "cache" / "fonts.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    lib = fonts.FontLibrary.for_project(root)
    assert lib.has_family("Noto Sans Thai")
