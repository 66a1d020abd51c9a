"""Reading the command line before any framework loads: which command the arguments run."""

from __future__ import annotations

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
