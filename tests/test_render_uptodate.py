"""The warm render's fast path: a `storycast render` whose inputs and outputs are exactly as the
last identical run left them is answered from a stamp, with what the CLI would have printed;
any change, or any option the fast path does not understand, sends the command to the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from storycast.render import uptodate

from .conftest import MINIMAL_STORY

STORY_WITH_IMAGE = MINIMAL_STORY.replace(
    "    text:\n      en: Wait ten seconds.",
    "    image: assets/pic.png\n    text:\n      en: Wait ten seconds.",
)


@pytest.fixture
def root(make_project) -> Path:
    root = make_project({"stories/sample.yaml": STORY_WITH_IMAGE})
    (root / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (64, 48), (200, 40, 40)).save(root / "assets" / "pic.png")
    return root


def _fast(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int | None, str]:
    capsys.readouterr()
    code = uptodate.fast_path(list(argv), wall=time.time())
    return code, capsys.readouterr().out


def _timeless(text: str) -> str:
    """Output without the timings, which differ from run to run."""
    text = re.sub(r" in [0-9.]+ s ->", " in T s ->", text)
    text = re.sub(r"\b\d+\.\d\d$", "S", text, flags=re.M)
    return re.sub(r'"seconds": [0-9.]+', '"seconds": S', text)


def _age(path: Path, seconds: int = 60) -> None:
    """Move a file's time back, as if it had been written a while before the stamp."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def test_a_warm_render_is_answered_as_the_cli_answers_it(root: Path, run_cli, capsys) -> None:
    assert run_cli("-P", str(root), "render")[0] == 0
    code, warm, _ = run_cli("-P", str(root), "render")  # the CLI's own warm answer
    assert code == 0 and "(0 drawn, 8 cached)" in warm and "warning: sample [en]" in warm
    fast_code, fast = _fast(capsys, "render", "-P", str(root))
    assert fast_code == 0
    assert _timeless(fast) == _timeless(warm)


def test_json_is_answered_as_the_cli_answers_it(root: Path, run_cli, capsys) -> None:
    args = ("-P", str(root), "render", "sample", "-l", "es", "--json")
    assert run_cli(*args)[0] == 0
    code, warm, _ = run_cli(*args)
    assert code == 0
    fast_code, fast = _fast(capsys, *args)
    assert fast_code == 0
    assert json.loads(fast)["results"][0]["cached"] == 4
    assert _timeless(fast) == _timeless(warm)


def test_both_language_spellings_share_a_stamp(root: Path, run_cli, capsys) -> None:
    assert run_cli("-P", str(root), "render", "-l", "en,es")[0] == 0
    assert _fast(capsys, "-P", str(root), "render", "-l", "en", "-l", "es")[0] == 0
    assert _fast(capsys, "-P", str(root), "render", "-l", "es")[0] is None  # another command


def _edit_story(root: Path) -> None:
    path = root / "stories" / "sample.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Unplug it", "Unplug the modem"), encoding="utf-8")


def _new_template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "extra.j2").write_text("{# unused #}\n", encoding="utf-8")


def _repaint_picture(root: Path) -> None:
    Image.new("RGB", (64, 48), (20, 40, 200)).save(root / "assets" / "pic.png")


def _delete_frame(root: Path) -> None:
    (root / "build" / "sample" / "en" / "01.jpg").unlink()


def _stray_output(root: Path) -> None:
    (root / "build" / "sample" / "en" / "09.jpg").write_bytes(b"left over")


def _edit_config(root: Path) -> None:
    path = root / "storycast.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Test project", "Test project 2"), encoding="utf-8")


def _environment(root: Path) -> None:
    os.environ["STORYCAST_PROJECT_NOTE"] = "changed"  # the test's monkeypatch removes it


CHANGES: dict[str, Callable[[Path], None]] = {
    "story text": _edit_story,
    "a new template": _new_template,
    "a referenced picture": _repaint_picture,
    "a deleted frame": _delete_frame,
    "a stray output file": _stray_output,
    "storycast.toml": _edit_config,
    "a STORYCAST_ variable": _environment,
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_change_goes_to_the_cli(change: str, root: Path, run_cli, capsys, monkeypatch) -> None:
    monkeypatch.setenv("STORYCAST_PROJECT_NOTE", "")
    monkeypatch.delenv("STORYCAST_PROJECT_NOTE")  # restored (removed) after the test
    assert run_cli("-P", str(root), "render")[0] == 0
    assert _fast(capsys, "-P", str(root), "render")[0] == 0
    CHANGES[change](root)
    assert _fast(capsys, "-P", str(root), "render")[0] is None
    # The CLI's run records the new state, and the next identical command is answered again.
    assert run_cli("-P", str(root), "render")[0] == 0
    assert _fast(capsys, "-P", str(root), "render")[0] == 0


def test_a_same_size_same_time_edit_of_a_young_file_is_caught(
    root: Path, run_cli, capsys, monkeypatch
) -> None:
    # Written just before the stamp, a file can change again within the file system's timestamp
    # granularity and keep its size and time: such files are also checked by their bytes. (The
    # window is widened here so that a slow machine's render cannot age the file out of it.)
    monkeypatch.setattr(uptodate, "RACY_NS", 3600 * 1_000_000_000)
    monkeypatch.setattr(uptodate, "RACY_FINE_NS", 3600 * 1_000_000_000)
    assert run_cli("-P", str(root), "render")[0] == 0
    path = root / "stories" / "sample.yaml"
    text = path.read_text(encoding="utf-8")
    assert run_cli("-P", str(root), "render")[0] == 0
    st = path.stat()
    path.write_text(text.replace("Unplug it", "Unplug IT"), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert _fast(capsys, "-P", str(root), "render")[0] is None


def test_old_files_are_checked_by_size_and_time_only(root: Path, run_cli, capsys) -> None:
    # The counterpart: files older than the granularity window are not read on every run.
    for path in [*root.rglob("*.yaml"), root / "assets" / "pic.png", root / "storycast.toml"]:
        _age(path)
    assert run_cli("-P", str(root), "render")[0] == 0
    for path in (root / "build").rglob("*"):
        if path.is_file():
            _age(path)
    assert run_cli("-P", str(root), "render")[0] == 0
    stamp_file = next((root / ".storycast" / "cache" / "warm").glob("*.json"))
    stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
    assert not [p for p in stamp["racy"] if p.startswith(str(root))]


@pytest.mark.parametrize(
    "extra",
    [
        ["--video"],
        ["--no-cache"],
        ["--progress"],
        ["--help"],
        ["--frobnicate"],
        ["-l", ","],
        ["--jobs", "0"],
        ["--format", "gif"],
        ["--", "sample"],
    ],
    ids=lambda e: " ".join(e),
)
def test_options_it_does_not_answer_go_to_the_cli(extra: list[str], root: Path, run_cli, capsys) -> None:
    assert run_cli("-P", str(root), "render")[0] == 0
    assert _fast(capsys, "-P", str(root), "render")[0] == 0
    assert _fast(capsys, "-P", str(root), "render", *extra)[0] is None


def test_other_commands_and_no_project_go_to_the_cli(root: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    assert _fast(capsys, "-P", str(root), "lint")[0] is None
    assert _fast(capsys, "--json", "render")[0] is None  # a render option before the command
    monkeypatch.chdir(tmp_path)
    assert _fast(capsys, "render")[0] is None  # no storycast.toml above


def test_the_console_script_answers_without_loading_the_cli(root: Path) -> None:
    exe = Path(sys.executable).with_name("storycast")
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    env.pop("STORYCAST_PROJECT", None)
    first = subprocess.run([str(exe), "-P", str(root), "render"], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "typer" in first.stderr  # the first run is the CLI's
    again = subprocess.run([str(exe), "-P", str(root), "render"], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "(0 drawn, 8 cached)" in again.stdout
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines() if "|" in line}
    assert "typer" not in imported and "PIL" not in imported and "storycast.project" not in imported
    assert _timeless(again.stdout).splitlines()[0].split() == [
        "story",
        "lang",
        "frames",
        "rendered",
        "cached",
        "warnings",
        "seconds",
    ]


def test_the_daily_prune_still_runs_when_every_render_is_warm(root: Path, run_cli, capsys) -> None:
    """A cron job whose renders all find nothing changed still has its cache pruned once a day:
    when the last prune is a day old, the command runs in full (and prunes)."""
    assert run_cli("-P", str(root), "render")[0] == 0
    marker = root / ".storycast" / "cache" / ".last-prune"
    assert marker.is_file()
    assert _fast(capsys, "render", "-P", str(root))[0] == 0
    day_old = marker.stat().st_mtime - 86400 - 60
    os.utime(marker, (day_old, day_old))
    assert _fast(capsys, "render", "-P", str(root))[0] is None  # the CLI runs, and prunes
    assert run_cli("-P", str(root), "render")[0] == 0
    assert marker.stat().st_mtime > day_old + 86400
    assert _fast(capsys, "render", "-P", str(root))[0] == 0
    marker.unlink()
    assert _fast(capsys, "render", "-P", str(root))[0] is None


def test_without_automatic_pruning_the_prune_is_never_due(make_project, run_cli, capsys) -> None:
    from tests.conftest import MINIMAL_TOML

    root = make_project(
        {"stories/sample.yaml": STORY_WITH_IMAGE}, toml=MINIMAL_TOML + "\n[cache]\nauto_prune = false\n"
    )
    (root / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (64, 48), (200, 40, 40)).save(root / "assets" / "pic.png")
    assert run_cli("-P", str(root), "render")[0] == 0
    assert not (root / ".storycast" / "cache" / ".last-prune").exists()
    assert _fast(capsys, "render", "-P", str(root))[0] == 0


def test_the_stamp_walks_the_packaged_templates_and_assets(root: Path, run_cli) -> None:
    # In a checkout the packaged templates and assets are the repository root's folders, which
    # the package folder's walk does not cover: the stamp walks them too.
    from storycast import resources

    assert run_cli("-P", str(root), "render")[0] == 0
    stamps = [json.loads(p.read_text(encoding="utf-8")) for p in (root / ".storycast").rglob("warm/*.json")]
    assert stamps
    for stamp in stamps:
        assert str(resources.templates_dir()) in stamp["walk"]
        assert str(resources.assets_dir()) in stamp["walk"]
