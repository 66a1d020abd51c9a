"""Generate docs/cli.md from the commands' own --help text.

    python -m storycast.cli._docgen > docs/cli.md

A test regenerates it and fails when the checked-in file differs, so the reference can
never drift from the code.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from typing import Any

import typer

from ..errors import ExitStatus

_EXIT_MEANING = {
    ExitStatus.SUCCESS: "Success (for `publish --due`: nothing failed, including nothing due).",
    ExitStatus.ERROR: "The command ran and found problems (for example `lint` errors).",
    ExitStatus.USAGE: "Bad command-line usage: unknown command or option, invalid value.",
    ExitStatus.CONFIG: "`storycast.toml` is missing or invalid, or a channel is misconfigured.",
    ExitStatus.CONTENT: "A story, schedule, template or asset is invalid.",
    ExitStatus.CHANNEL: "A channel refused or failed (`channels check` found an error).",
    ExitStatus.DATABASE: "The state database is locked, unreachable or from a newer storycast.",
    ExitStatus.PARTIAL: "Some items of a batch failed or ended unknown (`publish --due`).",
    ExitStatus.INTERNAL: "An unexpected error: a bug. Rerun with `--traceback` and report it.",
    ExitStatus.INTERRUPTED: "Interrupted (Ctrl-C).",
}


_CONVENTIONS = [
    "## Conventions",
    "",
    "- **Languages**: every `--lang`/`-l` that takes several languages takes them repeated",
    "  (`-l th -l en`), comma-separated (`-l th,en`) or both; `all` means each story's own.",
    "- **Global options anywhere**: `-P/--project DIR` and `--traceback` may come before or after",
    "  the command (`storycast lint -P site` is `storycast -P site lint`).",
    "- **JSON**: with `--json` (or `--format json`) the result is JSON on stdout, and an error is one",
    "  JSON object on stderr: `error` (the sentence), `exit_code` and `exit_status` (as in the table",
    "  above), `kind`, `hint`, `file`, `line`, `column`, `problems` (one object per problem, when a",
    "  file has several) and, for usage errors, `usage`.",
    "- **Pipes**: piped into a file or another program, tables print whole (as wide as their cells,",
    "  no vertical rules, nothing wrapped or cut); on a terminal they fit the screen.",
    "- **Shell completion**: `storycast --install-completion` installs it for the shell it runs in",
    "  (bash, zsh, fish, PowerShell); `storycast --show-completion` prints that shell's script instead.",
]


def _help(args: list[str]) -> str:
    from . import app

    buf = io.StringIO()
    with redirect_stdout(buf):
        try:
            app(args=[*args, "--help"], prog_name="storycast", standalone_mode=False)
        except SystemExit:
            pass
    return buf.getvalue().rstrip()


def _walk(group: Any, path: list[str]) -> list[list[str]]:
    """Every command path under a Click group, depth first, sorted by name."""
    out: list[list[str]] = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        out.append([*path, name])
        if hasattr(cmd, "commands"):
            out.extend(_walk(cmd, [*path, name]))
    return out


def generate() -> str:
    from . import app

    os.environ["COLUMNS"] = "100"
    os.environ["TERMINAL_WIDTH"] = "100"
    root = typer.main.get_command(app)
    lines = [
        "# Command reference",
        "",
        "Generated from the commands' `--help` by `python -m storycast.cli._docgen > docs/cli.md`;",
        "a test fails when this file and the code disagree.",
        "",
        "## Exit codes",
        "",
        "| code | name | meaning |",
        "|---|---|---|",
    ]
    for status in ExitStatus:
        lines.append(f"| {int(status)} | `{status.name}` | {_EXIT_MEANING[status]} |")
    lines += ["", *_CONVENTIONS, "", "## storycast", "", "```", _help([]), "```", ""]
    for path in _walk(root, []):
        lines += [f"## storycast {' '.join(path)}", "", "```", _help(path), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(generate())
