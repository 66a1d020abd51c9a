"""The command line fits the hand: completion, JSON everywhere, one list convention, readable help."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from storycast.errors import ExitStatus


def _complete(words: str, cword: int, tmp_path) -> list[str]:
    env = {
        **os.environ,
        "_STORYCAST_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
        "HOME": str(tmp_path),
    }
    code = "import sys; sys.argv = ['storycast']; from storycast.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_completion_offers_commands_subcommands_and_options(tmp_path):
    assert _complete("storycast ren", 1, tmp_path) == ["render"]
    assert set(_complete("storycast db ", 2, tmp_path)) >= {"upgrade", "current", "migrate-to"}
    assert "--lang" in _complete("storycast render --la", 2, tmp_path)


def test_show_and_install_completion(run_cli, tmp_path):
    code, out, _ = run_cli("--show-completion", "bash")
    assert code == 0 and "_STORYCAST_COMPLETE=complete_bash" in out
    code, out, _ = run_cli("--install-completion", "bash", env={"HOME": str(tmp_path), "SHELL": "/bin/bash"})
    assert code == 0, out
    script = tmp_path / ".bash_completions" / "storycast.sh"
    assert script.is_file() and "_STORYCAST_COMPLETE" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()


def test_root_help_lists_what_the_full_app_lists(run_cli):
    """The root help is built from stand-ins (fast); it must read exactly like the full app's."""
    from storycast.cli import app

    code, fast, _ = run_cli("--help")
    assert code == 0
    buf = io.StringIO()
    with redirect_stdout(buf), pytest.raises(SystemExit):
        app(args=["--help"], prog_name="storycast")
    assert fast == buf.getvalue()
    assert "--install-completion" in fast
    code, out, err = run_cli()  # no command: the same listing, as a usage error
    assert code == ExitStatus.USAGE and "Commands:" in out + err
