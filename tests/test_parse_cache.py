"""The parsed trees of content files kept between runs (``yamlsrc.ParseCache``).

A kept tree must be the tree a fresh parse gives (values, key order, every position), must
never be handed out twice (a loader may change what it gets), and must never stand in for a
file whose text changed; a damaged cache file costs a parse, never a different tree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from storycast import yamlsrc
from storycast.content.loader import parse_cache_path
from storycast.errors import ContentError
from storycast.project import Project

from .conftest import MINIMAL_STORY

MERGED = """\
defaults: &d
  a: 1
  b: [x, {y: 2.5}]
item:
  <<: *d
  b: own
  c: null
  d: true
  e: "2026-01-02"
  f: 12345678901234567890123
"""


def _shape(value: Any) -> Any:
    """A tree as plain data with every position, for comparing two trees exactly."""
    if isinstance(value, yamlsrc.PosDict):
        return [
            "m",
            repr(value.pos),
            [(k, repr(value.key_pos[k]), _shape(v)) for k, v in value.items()],
            list(value.key_pos),
        ]
    if isinstance(value, yamlsrc.PosList):
        items = zip(value.item_pos, value, strict=True)
        return ["s", repr(value.pos), [(repr(p), _shape(v)) for p, v in items]]
    return [type(value).__name__, value]


def _cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "parsed.json"


def test_a_kept_tree_equals_a_fresh_parse(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(MINIMAL_STORY, encoding="utf-8")
    merged = tmp_path / "merged.yaml"
    merged.write_text(MERGED.replace("  f: 12345678901234567890123\n", ""), encoding="utf-8")
    first = yamlsrc.ParseCache(_cache(tmp_path))
    for file in (story, merged):
        assert _shape(first.load(file)) == _shape(yamlsrc.load(file))
    first.save()
    second = yamlsrc.ParseCache(_cache(tmp_path))
    for file in (story, merged):
        kept = second.load(file)
        assert _shape(kept) == _shape(yamlsrc.load(file))
        assert isinstance(kept, yamlsrc.PosDict) and kept.where().file == file
    assert not second._changed  # both came from the cache


def test_each_load_is_a_new_tree(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(MINIMAL_STORY, encoding="utf-8")
    cache = yamlsrc.ParseCache(_cache(tmp_path))
    cache.load(story)
    cache.save()
    cache = yamlsrc.ParseCache(_cache(tmp_path))
    got = cache.load(story)
    got["id"] = "changed"
    got["steps"][0]["title"]["en"] = "changed"
    got["steps"].append("more")
    again = cache.load(story)
    assert _shape(again) == _shape(yamlsrc.load(story))
    assert again is not got


def test_a_changed_text_is_parsed_again_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(MINIMAL_STORY, encoding="utf-8")
    st = story.stat()
    cache = yamlsrc.ParseCache(_cache(tmp_path))
    cache.load(story)
    cache.save()
    edited = MINIMAL_STORY.replace("Restart your modem", "Restart your MODEM")
    assert len(edited) == len(MINIMAL_STORY)
    story.write_text(edited, encoding="utf-8")
    os.utime(story, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert story.stat().st_size == st.st_size
    assert yamlsrc.ParseCache(_cache(tmp_path)).load(story)["title"]["en"] == "Restart your MODEM"


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'{"code": "other", "files": {}}',
        b"[" * 100_000,
    ],
)
def test_a_damaged_cache_file_is_ignored(tmp_path: Path, damage: bytes) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(MINIMAL_STORY, encoding="utf-8")
    _cache(tmp_path).parent.mkdir(parents=True)
    _cache(tmp_path).write_bytes(damage)
    cache = yamlsrc.ParseCache(_cache(tmp_path))
    assert _shape(cache.load(story)) == _shape(yamlsrc.load(story))
    cache.save()
    assert _shape(yamlsrc.ParseCache(_cache(tmp_path)).load(story)) == _shape(yamlsrc.load(story))


@pytest.mark.parametrize(
    "tree",
    [
        ["m", 1, 1, "id", 1, 5],  # an item cut short
        ["m", 1, 1, 7, 1, 5, "x"],  # a key that is not text
        ["m", "1", 1],  # a position that is not a number
        ["q", 1, 1],  # not a container
        {"id": "x"},  # not the cache's shape
        ["s", 1, 1, 1, 1],  # an item without its value
    ],
)
def test_a_damaged_entry_is_parsed_again(tmp_path: Path, tree: Any) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(MINIMAL_STORY, encoding="utf-8")
    cache = yamlsrc.ParseCache(_cache(tmp_path))
    cache.load(story)
    cache.save()
    data = json.loads(_cache(tmp_path).read_text(encoding="utf-8"))
    data["files"][str(story)][1] = tree
    _cache(tmp_path).write_text(json.dumps(data), encoding="utf-8")
    assert _shape(yamlsrc.ParseCache(_cache(tmp_path)).load(story)) == _shape(yamlsrc.load(story))


def test_aliases_huge_numbers_and_errors_are_not_kept(tmp_path: Path) -> None:
    aliased = tmp_path / "aliased.yaml"
    aliased.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    huge = tmp_path / "huge.yaml"
    huge.write_text(MERGED, encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1\n", encoding="utf-8")
    cache = yamlsrc.ParseCache(_cache(tmp_path))
    tree = cache.load(aliased)
    assert tree["a"] is tree["b"]  # as a fresh parse gives it
    assert _shape(cache.load(huge)) == _shape(yamlsrc.load(huge))
    with pytest.raises(ContentError, match="YAML syntax error"):
        cache.load(broken)
    cache.save()
    kept = json.loads(_cache(tmp_path).read_text(encoding="utf-8"))["files"]
    assert kept == {}
    again = yamlsrc.ParseCache(_cache(tmp_path))
    tree = again.load(aliased)
    assert tree["a"] is tree["b"]
    with pytest.raises(ContentError, match="YAML syntax error"):
        again.load(broken)


def test_content_is_the_same_from_the_cache_and_a_change_is_seen(make_project: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    first = Project.load(root).content
    assert parse_cache_path(Project.load(root)).is_file()
    kept = Project.load(root).content
    assert kept.stories["sample"].model_dump() == first.stories["sample"].model_dump()
    story = root / "stories" / "sample.yaml"
    story.write_text(MINIMAL_STORY.replace("Restart your modem", "Restart your router"), encoding="utf-8")
    assert Project.load(root).content.stories["sample"].title["en"] == "Restart your router"


def test_a_broken_file_still_reports_its_line_with_a_cache(make_project: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    _ = Project.load(root).content
    (root / "stories" / "sample.yaml").write_text(
        MINIMAL_STORY.replace("languages: [en, es]", "languages: [en, de]"), encoding="utf-8"
    )
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    (problem,) = info.value.problems
    assert "'de'" in problem.message and problem.line == 4 and problem.column == 17


def test_a_read_only_state_folder_only_costs_the_cache(make_project: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    (root / ".storycast").write_text("not a folder", encoding="utf-8")
    assert Project.load(root).content.stories["sample"].title["en"] == "Restart your modem"
