"""Pruning the render cache: by last use, then by size (LRU); safe for cron; storycast cache."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from storycast.render import prune as p
from storycast.render.cache import FrameCache
from storycast.units import parse_age, parse_size

from .conftest import MINIMAL_STORY, MINIMAL_TOML

DAY = 86400.0


def _age(path: Path, days: float) -> None:
    t = time.time() - days * DAY
    os.utime(path, (t, t))


def _frame(root: Path, key: str, days: float, size: int = 100) -> tuple[Path, Path]:
    """A cached frame (image + sidecar) last used ``days`` ago."""
    image = root / "frames" / key[:2] / f"{key}.jpg"
    side = image.with_suffix(".json")
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"x" * size)
    side.write_text(json.dumps({"key": key, "sha256": "-"}), encoding="utf-8")
    _age(image, days)
    _age(side, days)
    return image, side


def _files(root: Path) -> set[str]:
    return {str(f.relative_to(root)) for f in root.rglob("*") if f.is_file()}


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("800", 800),
        ("800B", 800),
        ("2GB", 2_000_000_000),
        ("500mb", 500_000_000),
        ("1.5GiB", 1610612736),
        ("2k", 2000),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("30d", 30 * DAY), ("12h", 43200), ("90m", 5400), ("2w", 14 * DAY), ("45s", 45)]
)
def test_parse_age(text: str, expected: float) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "2 GBs", "-1GB", "GB", "2XB"])
def test_bad_size_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"500MB, 2GB, 1\.5GiB"):
        parse_size(text)


@pytest.mark.parametrize("text", ["", "30", "3x", "-1d", "d", "1 month"])
def test_bad_duration_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="90m, 12h, 30d, 2w"):
        parse_age(text)


# --- the core ---------------------------------------------------------------------------------


def test_old_entries_are_removed_recent_ones_kept(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    old_img, old_side = _frame(root, "aa" + "0" * 62, days=40)
    new_img, new_side = _frame(root, "bb" + "0" * 62, days=2)
    build = root / "builds" / "x.json"
    build.parent.mkdir(parents=True)
    build.write_text("{}")
    _age(build, 45)
    expected_bytes = old_img.stat().st_size + old_side.stat().st_size + 2
    report = p.prune(root, max_age=30 * DAY, max_size=None)
    assert sorted((e.name, why) for e, why in report.removed) == [
        ("builds/x.json", "age"),
        ("frames/aa/aa" + "0" * 62, "age"),
    ]
    assert not old_img.exists() and not old_side.exists() and not build.exists()
    assert new_img.exists() and new_side.exists()
    assert report.removed_bytes == expected_bytes
    assert report.kept_bytes == new_img.stat().st_size + new_side.stat().st_size


def test_a_hit_refreshes_last_use_so_the_entry_survives(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    key = "cc" + "1" * 62
    image, side = _frame(root, key, days=90)
    image_mtime = image.stat().st_mtime_ns
    hit = FrameCache(root / "frames").get(key, "jpg")
    assert hit is not None and hit[0] == image
    assert time.time() - side.stat().st_mtime < 60  # the sidecar is touched...
    assert image.stat().st_mtime_ns == image_mtime  # ...never the image (maybe a link to an output)
    report = p.prune(root, max_age=30 * DAY, max_size=None)
    assert report.removed == [] and image.exists() and side.exists()


def test_size_limit_removes_least_recently_used_first(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    keys = {days: f"{days:02d}" + "2" * 62 for days in (5, 3, 9, 1)}
    for days, key in keys.items():
        _frame(root, key, days=days, size=1000)
    # Four entries of ~1.05 KB; 2.5 KB holds the two most recently used.
    report = p.prune(root, max_age=None, max_size=2500)
    assert [e.name for e, why in report.removed] == [f"frames/{keys[d][:2]}/{keys[d]}" for d in (9, 5)]
    assert {why for _, why in report.removed} == {"size"}
    left = {f.stem for f in root.rglob("*.jpg")}
    assert left == {keys[1], keys[3]}
    assert p.scan(root).size <= 2500


def test_age_then_size(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    _frame(root, "a1" + "3" * 62, days=100, size=10)
    _frame(root, "a2" + "3" * 62, days=20, size=5000)
    _frame(root, "a3" + "3" * 62, days=10, size=10)
    report = p.prune(root, max_age=60 * DAY, max_size=1000)
    assert [(e.name[-64:-62], why) for e, why in report.removed] == [("a1", "age"), ("a2", "size")]
    assert {f.stem[:2] for f in root.rglob("*.jpg")} == {"a3"}


def test_dry_run_removes_nothing(tmp_path: Path, run_cli, make_project) -> None:
    root = tmp_path / "cache"
    for i in range(3):
        _frame(root, f"d{i}" + "4" * 62, days=100)
    tmp = root / "frames" / "d0" / ".x.jpg.abc.tmp"
    tmp.write_bytes(b"partial")
    _age(tmp, 1)
    before = {f: f.stat().st_mtime_ns for f in root.rglob("*")}
    report = p.prune(root, max_age=DAY, max_size=0, dry_run=True)
    assert len(report.removed) == 3 and report.temps_removed == [tmp]
    assert {f: f.stat().st_mtime_ns for f in root.rglob("*")} == before
    assert not (root / p.MARKER).exists()


def test_writes_in_progress_and_recent_use_are_never_removed(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    young_tmp = root / "builds" / ".r.json.k3j2.tmp"
    old_tmp = root / "jinja-3-q1" / "__jinja2_ab.cacheXYZ.tmp"
    for f in (young_tmp, old_tmp):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"half")
    _age(young_tmp, 30 / (24 * 60))  # 30 minutes: maybe still being written
    _age(old_tmp, 2 / 24)  # 2 hours: a killed write
    # An image whose sidecar is not written yet (a frame being stored), and one killed long ago.
    half = root / "frames" / "e0" / ("e0" + "5" * 62 + ".jpg")
    dead = root / "frames" / "e1" / ("e1" + "5" * 62 + ".jpg")
    for f in (half, dead):
        f.parent.mkdir(parents=True)
        f.write_bytes(b"img")
    _age(dead, 3)
    in_use, _ = _frame(root, "e2" + "5" * 62, days=0)  # hit a moment ago
    report = p.prune(root, max_age=0, max_size=0)
    assert young_tmp.exists() and half.exists() and in_use.exists()
    assert not old_tmp.exists() and not dead.exists()
    assert [(e.name[-64:-62], why) for e, why in report.removed] == [("e1", "incomplete")]
    assert report.kept_in_use == 1
    assert (root / p.MARKER).exists()


def test_nothing_outside_the_cache_is_removed(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.json").write_text("{}")
    _age(outside / "keep.json", 400)
    root.mkdir()
    (root / "linked-dir").symlink_to(outside, target_is_directory=True)
    (root / "link.json").symlink_to(outside / "keep.json")
    os.utime(root / "link.json", (time.time() - 400 * DAY,) * 2, follow_symlinks=False)
    p.prune(root, max_age=DAY, max_size=0)
    assert (outside / "keep.json").read_text() == "{}"
    assert not (root / "link.json").is_symlink()  # the link itself was an old entry


def test_a_cache_folder_that_is_the_project_or_home_is_refused(tmp_path: Path) -> None:
    from storycast.errors import StorycastError

    project = tmp_path / "proj"
    (project / ".storycast").mkdir(parents=True)
    (project / "story.yaml").write_text("id: x")
    _age(project / "story.yaml", 400)
    (project / ".storycast" / "cache").symlink_to(project, target_is_directory=True)
    with pytest.raises(StorycastError, match="holds more than the cache"):
        p.prune(project / ".storycast" / "cache", max_age=DAY, max_size=0, project_root=project)
    assert (project / "story.yaml").exists()
    with pytest.raises(StorycastError):
        p.check_root(Path.home())


def test_missing_cache_folder_is_empty(tmp_path: Path) -> None:
    report = p.prune(tmp_path / "nope", max_age=DAY, max_size=0)
    assert report.removed == [] and not (tmp_path / "nope").exists()
    assert p.scan(tmp_path / "nope").entries == []


# --- the CLI and the render pipeline ------------------------------------------------------------


@pytest.fixture
def project(make_project) -> Path:
    return make_project({"stories/sample.yaml": MINIMAL_STORY})


def _cache(project: Path) -> Path:
    return project / ".storycast" / "cache"


def _age_cache(project: Path, days: float) -> None:
    for f in _cache(project).rglob("*"):
        if f.is_file() and f.name != p.MARKER:
            _age(f, days)


def _render(run_cli, project: Path, out: Path) -> dict:
    code, stdout, err = run_cli(
        "--project", str(project), "render", "--lang", "en", "--out", str(out), "--json"
    )
    assert code == 0, err
    return json.loads(stdout)


def test_prune_then_warm_render_redraws_what_was_pruned(project: Path, run_cli, tmp_path: Path) -> None:
    first = _render(run_cli, project, tmp_path / "out1")
    assert first["rendered"] == 4
    assert _render(run_cli, project, tmp_path / "out2")["cached"] == 4  # the store serves a new folder
    _age_cache(project, 45)
    code, out, err = run_cli("--project", str(project), "cache", "prune", "--older-than", "30d")
    assert code == 0, err
    assert not list((_cache(project) / "frames").rglob("*.json"))
    assert "not used within the age limit" in out
    # The pruned frames are drawn again, byte for byte; the existing output folder still works.
    again = _render(run_cli, project, tmp_path / "out3")
    assert again["rendered"] == 4 and again["cached"] == 0
    for name in ("01.jpg", "04.jpg"):
        a = tmp_path / "out1" / "sample" / "en" / name
        assert (tmp_path / "out3" / "sample" / "en" / name).read_bytes() == a.read_bytes()
    warm = _render(run_cli, project, tmp_path / "out1")
    assert warm["rendered"] == 0 and warm["cached"] == 4
    assert len(list((_cache(project) / "frames").rglob("*.json"))) == 4


def test_cli_dry_run_json_and_info(project: Path, run_cli, tmp_path: Path) -> None:
    _render(run_cli, project, tmp_path / "out")
    _age_cache(project, 3)
    before = _files(_cache(project))
    code, out, err = run_cli(
        "--project",
        str(project),
        "cache",
        "prune",
        "--max-size",
        "1KB",
        "--older-than",
        "30d",
        "--dry-run",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["dry_run"] is True and data["max_size_bytes"] == 1000
    assert data["removed_entries"] >= 4 and {r["reason"] for r in data["removed"]} == {"size"}
    assert _files(_cache(project)) == before
    code, out, err = run_cli("--project", str(project), "cache", "info", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["kinds"]["frames"]["entries"] == 4
    assert info["entries"] == sum(k["entries"] for k in info["kinds"].values())
    assert info["limits"] == {"max_size": "2GB", "max_age": "60d", "auto_prune": True}
    assert info["oldest_use"] is not None and info["oldest_use"] <= info["newest_use"]
    code, out, _ = run_cli("--project", str(project), "cache", "info")
    assert code == 0 and "frames" in out and "oldest use:" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--older-than", "30"],
            "Invalid value for --older-than: '30' is not a duration; write a number with a unit",
        ),
        (["--older-than", "soon"], "90m, 12h, 30d, 2w"),
        (["--max-size", "big"], "Invalid value for --max-size: 'big' is not a size"),
        (["--max-size", "-5MB"], "500MB, 2GB, 1.5GiB"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    project: Path, run_cli, args: list[str], expected: str
) -> None:
    code, out, err = run_cli("--project", str(project), "cache", "prune", *args)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err + out


def test_bad_cache_config_is_a_config_error(make_project, run_cli) -> None:
    root = make_project(
        {"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML + '\n[cache]\nmax_size = "huge"\n'
    )
    code, _, err = run_cli("--project", str(root), "cache", "info")
    assert code == 3
    assert "cache.max_size" in err and "not a size" in err


def test_render_prunes_automatically_at_most_once_a_day(make_project, run_cli, tmp_path: Path) -> None:
    root = make_project(
        {"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML + '\n[cache]\nmax_age = "7d"\n'
    )
    _render(run_cli, root, tmp_path / "out1")
    marker = _cache(root) / p.MARKER
    assert marker.exists()  # the first render pruned (nothing was old) and left the marker
    _age_cache(root, 10)
    _render(run_cli, root, tmp_path / "out1")  # pruned less than a day ago: nothing happens
    assert len(list((_cache(root) / "frames").rglob("*.json"))) == 4
    _age(marker, 2)
    code, _, err = run_cli("--project", str(root), "render", "--lang", "en", "--out", str(tmp_path / "out1"))
    assert code == 0, err
    assert "cache: removed" in err
    assert not list((_cache(root) / "frames").rglob("*.json"))
    assert time.time() - marker.stat().st_mtime < 60


def test_auto_prune_can_be_turned_off(make_project, run_cli, tmp_path: Path) -> None:
    toml = MINIMAL_TOML + '\n[cache]\nmax_age = "1d"\nauto_prune = false\n'
    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=toml)
    _render(run_cli, root, tmp_path / "out")
    _age_cache(root, 10)
    _render(run_cli, root, tmp_path / "out")
    assert not (_cache(root) / p.MARKER).exists()
    assert len(list((_cache(root) / "frames").rglob("*.json"))) == 4
