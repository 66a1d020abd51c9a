"""Start-up: what `storycast --help`, `status` and `render` load before they answer.

Each check runs the console entry in a fresh interpreter and reads what it imported; none is
timed (bench/startup.py measures the time).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from storycast.cli._argv import first_word

# Runs `storycast ARGS`, then prints (to stderr) the exit code and the top-level packages loaded.
SHIM = (
    "import sys\n"
    "from storycast.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "mods = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich', 'sqlalchemy'))\n"
    "print(repr((code, mods)), file=sys.stderr)\n"
)


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYCAST_", "_STORYCAST"))}
    return {**env, "XDG_CACHE_HOME": str(cache), "COLUMNS": "100", **extra}


def _run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[str, int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", SHIM, *args], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )
    code, mods = ast.literal_eval(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, code, mods


def test_first_word_is_the_command():
    assert first_word(["render", "x"]) == "render"
    assert first_word(["-P", "render", "lint"]) == "lint"  # render is -P's value
    assert first_word(["--project", "p", "--traceback", "render", "-l", "en"]) == "render"
    assert first_word(["--help"]) is None
    assert first_word(["--", "render"]) is None
    assert first_word([]) is None


def test_importing_the_cli_loads_no_framework():
    code = (
        "import sys\nimport storycast.cli\n"
        "print(sorted(m for m in sys.modules if m.startswith(('typer', 'rich'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_root_help_is_kept_and_printed_again_exactly(tmp_path):
    env = _env(tmp_path / "cache")
    first, code, mods = _run(["--help"], env)
    assert code == 0 and first.startswith("Usage: storycast [OPTIONS] COMMAND")
    assert not [m for m in mods if m.startswith("rich")]  # Typer's rich help is off
    assert "typer" in mods  # built the usual way the first time
    assert (tmp_path / "cache" / "storycast" / "root-help.txt").is_file()
    again, code, mods = _run(["--help"], env)
    assert (again, code, mods) == (first, 0, [])  # the same bytes, with no framework loaded
    short, code, _ = _run(["-h"], env)
    assert (short, code) == (first, 0)
    # Without a usable cache folder (a file stands where the folder would be): the same text.
    (tmp_path / "blocked").write_text("", encoding="utf-8")
    plain, code, mods = _run(["--help"], _env(tmp_path / "blocked"))
    assert (plain, code) == (first, 0) and "typer" in mods
    for name in ("init", "render", "status", "publish", "kb", "serve"):
        assert f"\n  {name} " in first
    assert "Examples:" in first


def test_kept_help_of_another_width_or_code_is_not_used(tmp_path):
    cache = tmp_path / "cache"
    wide, _, _ = _run(["--help"], _env(cache))
    narrow, code, mods = _run(["--help"], _env(cache, COLUMNS="60"))
    assert code == 0 and narrow != wide and "typer" in mods  # built again for 60 columns
    kept = cache / "storycast" / "root-help.txt"
    key, _, _ = kept.read_text(encoding="utf-8").partition("\n")
    kept.write_text(key.replace("\t60\t", "\t61\t") + "\nstale text\n", encoding="utf-8")
    fresh, code, mods = _run(["--help"], _env(cache, COLUMNS="60"))
    assert (fresh, code) == (narrow, 0) and "typer" in mods
    assert kept.read_text(encoding="utf-8").partition("\n")[0] == key  # written again


def test_an_unknown_option_is_not_answered_from_the_cache(tmp_path):
    env = _env(tmp_path / "cache")
    _run(["--help"], env)
    out, code, mods = _run(["--helpp"], env)
    assert code == 2 and "typer" in mods and out == ""


def test_shell_completion_still_answers(tmp_path):
    completion = {"_STORYCAST_COMPLETE": "complete_bash", "COMP_WORDS": "storycast sta", "COMP_CWORD": "1"}
    env = _env(tmp_path / "cache", **completion)
    _run(["--help"], _env(tmp_path / "cache"))
    out, code, _ = _run([], env)
    assert code == 0 and "status" in out.split()


def test_status_loads_neither_sqlalchemy_nor_the_framework(tmp_path):
    from tests.conftest import MINIMAL_TOML

    (tmp_path / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    env = _env(tmp_path / "cache", STORYCAST_DB=f"sqlite:///{tmp_path / 'state.db'}")
    out, code, mods = _run(["-P", str(tmp_path), "status"], env)  # creates the ledger (alembic)
    assert code == 0, out
    assert "sqlalchemy" in mods and not [m for m in mods if m.startswith("sqlalchemy.orm")]
    out, code, mods = _run(["-P", str(tmp_path), "status"], env)
    assert code == 0, out
    assert mods == []  # an up-to-date ledger is read over sqlite3, before Typer and Rich load


def test_render_asks_the_fast_path_before_the_framework_loads(tmp_path):
    env = _env(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", SHIM, "render", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    names = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    assert "storycast.render.uptodate" in names and "typer" in names
    assert names.index("storycast.render.uptodate") < names.index("typer")
    # Other commands never load it.
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", SHIM, "plan", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "storycast.render.uptodate" not in proc.stderr
