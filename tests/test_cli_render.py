"""storycast render: exit codes, summary table, --json, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MINIMAL_STORY, MINIMAL_TOML


@pytest.fixture
def root(make_project) -> Path:
    return make_project({"stories/sample.yaml": MINIMAL_STORY})


def test_render_ok_prints_summary(root: Path, run_cli) -> None:
    code, out, err = run_cli("--project", str(root), "render", "sample", "--lang", "en")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["story", "lang", "frames", "rendered", "cached", "warnings", "seconds"]
    assert lines[1].split()[:6] == ["sample", "en", "4", "4", "0", "0"]
    assert "4 frames (4 drawn, 0 cached)" in out
    assert (root / "build" / "sample" / "en" / "04.jpg").is_file()
    assert not (root / "build" / "sample" / "es").exists()


def test_render_json_and_cache(root: Path, run_cli, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = run_cli(
        "--project", str(root), "render", "--out", str(out_dir), "--format", "png", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert [(r["story"], r["lang"]) for r in data["results"]] == [("sample", "en"), ("sample", "es")]
    assert data["frames"] == 8 and data["rendered"] == 8 and data["cached"] == 0
    first = data["results"][0]
    assert first["files"][0] == str(out_dir / "sample" / "en" / "01.png")
    assert Path(first["manifest"]).is_file() and Path(first["contact_sheet"]).is_file()
    code, out, _ = run_cli(
        "--project", str(root), "render", "--out", str(out_dir), "--format", "png", "--json"
    )
    assert code == 0
    assert json.loads(out)["cached"] == 8
    code, out, _ = run_cli(
        "--project", str(root), "render", "--out", str(out_dir), "--format", "png", "--json", "--no-cache"
    )
    assert json.loads(out)["rendered"] == 8


def test_jobs_option(root: Path, run_cli) -> None:
    code, out, err = run_cli("--project", str(root), "render", "--jobs", "2", "--json", "--lang", "es")
    assert code == 0, err
    assert json.loads(out)["rendered"] == 4


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "fr"],
        ["--format", "gif"],
        ["--jobs", "0"],
        ["--bogus"],
    ],
)
def test_usage_errors_exit_2(root: Path, run_cli, args: list[str]) -> None:
    code, _, _ = run_cli("--project", str(root), "render", *args)
    assert code == 2


def test_unknown_story_exits_4(root: Path, run_cli) -> None:
    code, _, err = run_cli("--project", str(root), "render", "sampel")
    assert code == 4
    assert "no story with id 'sampel'" in err
    assert "did you mean sample" in err


def test_template_error_exits_4_with_file_and_line(root: Path, run_cli) -> None:
    tpl = root / "templates" / "tutorial" / "cover.j2"
    tpl.parent.mkdir(parents=True)
    tpl.write_text("layers:\n  - type: text\n    text: {{ story.titel }}\n", encoding="utf-8")
    code, _, err = run_cli("--project", str(root), "render", "sample")
    assert code == 4
    assert "templates/tutorial/cover.j2:3" in err
    assert "story.titel" in err or "titel" in err
    assert not (root / "build").exists()


def test_language_the_story_lacks_exits_4(root: Path, run_cli) -> None:
    code, _, err = run_cli("--project", str(root), "render", "sample", "--lang", "th")
    assert code == 4
    assert "none of the chosen stories is written in th" in err


def test_no_stories_exits_4(make_project, run_cli) -> None:
    empty = make_project({}, toml=MINIMAL_TOML)
    code, _, err = run_cli("--project", str(empty), "render")
    assert code == 4
    assert "no stories" in err


@pytest.mark.slow
def test_video_option_encodes_story_mp4(root: Path, run_cli) -> None:
    code, out, err = run_cli("--project", str(root), "render", "sample", "--lang", "en", "--video", "--json")
    assert code == 0, err
    row = json.loads(out)["results"][0]
    videos = row["video"]
    assert videos and all(Path(v).is_file() and Path(v).suffix == ".mp4" for v in videos)
    from storycast.render.video import check_media

    by_target = row["videos"]
    assert set(by_target) == {"instagram", "telegram"}
    assert Path(by_target["instagram"][0]).name == "story.mp4"
    assert Path(by_target["telegram"][0]).name == "story.telegram.mp4"
    for target, parts in by_target.items():
        for part in parts:
            assert [v for v in check_media(Path(part), target) if v.severity == "error"] == [], (target, part)
