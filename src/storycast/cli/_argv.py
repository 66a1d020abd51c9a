"""Reading the command line before any framework loads: which command the arguments run."""

from __future__ import annotations

from typing import Any

# Root options that take a value (the token after them is not the command).
ROOT_VALUE_OPTIONS = ("--project", "-P")
# Shell completion: `storycast --install-completion`, or the Click protocol through this variable.
COMPLETE_VAR = "_STORYCAST_COMPLETE"


def first_word(args: list[str]) -> str | None:
    """The first argument that is neither an option nor a root option's value, before any ``--``."""
    it = iter(args)
    for arg in it:
        if arg == "--":
            return None
        if arg in ROOT_VALUE_OPTIONS:
            next(it, None)
        elif not arg.startswith("-"):
            return arg
    return None


def read_plain(
    args: list[str],
    command: tuple[str, ...],
    flags: dict[str, tuple[str, Any]],
    valued: dict[str, str],
    positional: str | None = None,
) -> tuple[dict[str, Any], str | None, bool] | None:
    """(options, --project value, --traceback) of a plain command line of ``command``, or None.

    Plain: the command's words in order, root options anywhere, each of ``flags`` (option ->
    (key, value)) and ``valued`` (option -> key; ``--opt value`` or ``--opt=value``) at most
    once, and, with ``positional``, other words collected as a list under that key. Anything
    else (help, another option, ``--``, a repeated option, a missing value) gives None: the
    command-line framework then runs the command and says what is wrong.
    """
    opts: dict[str, Any] = {}
    project: str | None = None
    traceback = False
    seen = 0
    it = iter(args)
    for arg in it:
        name, eq, inline = arg.partition("=")
        if arg in ROOT_VALUE_OPTIONS or (eq and name == "--project"):
            value = inline if eq else next(it, None)
            if value is None or project is not None or (not eq and value.startswith("-")):
                return None
            project = value
        elif arg == "--traceback":
            traceback = True
        elif seen < len(command):
            if arg != command[seen]:
                return None
            seen += 1
        elif arg in flags:
            key, flag = flags[arg]
            if key in opts:
                return None
            opts[key] = flag
        elif name in valued:
            value = inline if eq else next(it, None)
            key = valued[name]
            if value is None or key in opts or (not eq and value.startswith("-")):
                return None
            opts[key] = value
        elif positional is not None and arg and not arg.startswith("-"):
            opts.setdefault(positional, []).append(arg)
        else:
            return None
    return (opts, project, traceback) if seen == len(command) else None
