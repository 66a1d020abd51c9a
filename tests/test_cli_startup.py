"""CLI start-up: a command imports only the module that registers it, and help stays complete."""

from __future__ import annotations

import ast
import subprocess
import sys

import typer


def test_every_command_has_its_home_module():
    import storycast.cli as cli

    root = typer.main.get_command(cli.app)
    assert set(cli.COMMAND_HOMES) == set(root.commands)
    for name, home in cli.COMMAND_HOMES.items():
        commands, groups = cli._registered[home]
        assert name in {c.name for c in commands} | {g.name for g in groups}, (name, home)


def test_a_command_imports_only_its_own_module(tmp_path):
    code = (
        "import sys\n"
        "from storycast.cli import main\n"
        "try:\n"
        "    main(['render', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('storycast.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    # Shared helpers (private modules) may load; of the command modules, only render's.
    assert [m for m in loaded if not m.rsplit(".", 1)[1].startswith("_")] == ["storycast.cli.render"]
    assert "storycast.cli._common" in loaded


def test_unknown_or_no_command_still_lists_every_command():
    from storycast.cli import _command_name

    assert _command_name(["--project", "render", "lint"]) == "lint"
    assert _command_name(["-P", "x", "--traceback", "render"]) == "render"
    assert _command_name(["--help", "render"]) is None
    assert _command_name([]) is None


def test_the_ledger_head_is_read_from_the_migration_files():
    from storycast.ledger.db import file_head, head_revision

    assert file_head() == head_revision()


def test_status_on_an_up_to_date_ledger_does_not_load_alembic(tmp_path):
    from tests.conftest import MINIMAL_TOML

    (tmp_path / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    code = (
        "import sys\n"
        "from storycast.cli import main\n"
        "try:\n"
        f"    main(['-P', {str(tmp_path)!r}, 'status'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('alembic' in sys.modules)\n"
    )
    env = {"STORYCAST_DB": f"sqlite:///{tmp_path / 'state.db'}", "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.splitlines()[-1] == "True"  # a new database is created through alembic
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert again.stdout.splitlines()[-1] == "False", again.stdout + again.stderr


def test_read_plain_takes_plain_command_lines_only() -> None:
    from storycast.cli._argv import read_plain

    flags = {"--json": ("as_json", True), "--no-x": ("x", False)}
    valued = {"--limit": "limit", "-n": "limit"}
    assert read_plain(["-P", "p", "status", "--json", "--limit=5"], ("status",), flags, valued) == (
        {"as_json": True, "limit": "5"},
        "p",
        False,
    )
    assert read_plain(["status", "--traceback", "--project=q", "-n", "3"], ("status",), flags, valued) == (
        {"limit": "3"},
        "q",
        True,
    )
    assert read_plain(["kb", "build", "a", "b"], ("kb", "build"), flags, valued, positional="ids") == (
        {"ids": ["a", "b"]},
        None,
        False,
    )
    for args in (
        ["status", "--json", "--json"],  # repeated
        ["status", "--limit"],  # no value
        ["status", "--limit", "--json"],  # an option where the value should be
        ["status", "--help"],
        ["status", "stray"],  # no positional words
        ["status", "--"],
        ["kb", "build"],  # another command
        ["--json", "status"],  # an option before the command
        ["-P", "a", "-P", "b", "status"],
    ):
        assert read_plain(args, ("status",), flags, valued) is None, args
    assert read_plain(["kb"], ("kb", "build"), flags, valued) is None  # the command's words incomplete
