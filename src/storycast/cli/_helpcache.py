"""The root help (``storycast --help``) kept on disk, so printing it does not load the framework.

Importing Typer and its Click costs more than the rest of ``storycast --help`` together. The
root help is a function of the command-line modules, the framework's files and the terminal
width only (no project, no plugin, no colour: markup is off), so the text is kept under a key
made of all three in the user's cache folder (``$XDG_CACHE_HOME/storycast`` or
``~/.cache/storycast``): a changed command module, an upgraded Typer or a narrower terminal
makes a new key, and the help is built the usual way. A cache that cannot be read or written
only means the usual way too.
"""

from __future__ import annotations

import os
import shutil
import sys

from .. import __version__
from ._argv import COMPLETE_VAR

# The arguments whose whole output is the root help on stdout (exit 0).
ROOT_HELP_ARGS = (["--help"], ["-h"])
FILE_NAME = "root-help.txt"


def folder() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "storycast")


def _key() -> str | None:
    """One line naming this code and this terminal width, or None when it cannot be told.

    Every module of the command line and of the framework by path, modification time and size
    (a few dozen stat calls: far cheaper than hashing, and exact).
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("typer")
        if spec is None or not spec.origin:
            return None
        framework = os.path.dirname(spec.origin)
        parts = [__version__, sys.version.replace("\n", " "), str(shutil.get_terminal_size().columns)]
        for where in (os.path.dirname(__file__), framework, os.path.join(framework, "_click")):
            with os.scandir(where) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.name.endswith(".py"):
                        st = entry.stat()
                        parts.append(f"{entry.path}:{st.st_mtime_ns}:{st.st_size}")
    except (OSError, ValueError, ImportError):
        return None
    return "\t".join(parts)


def cached(args: list[str]) -> str | None:
    """The kept root help when ``args`` ask for it and it was written by this code at this width."""
    if args not in ROOT_HELP_ARGS or COMPLETE_VAR in os.environ:  # completion answers instead
        return None
    key = _key()
    if key is None:
        return None
    try:
        with open(os.path.join(folder(), FILE_NAME), encoding="utf-8") as fh:
            kept_key, _, text = fh.read().partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return text if kept_key == key and text else None


def keep(text: str) -> None:
    """Keep ``text`` as the root help of this code at this width (replacing what was kept)."""
    key = _key()
    if key is None:
        return
    from pathlib import Path

    from ..files import replace_atomically

    try:
        replace_atomically(Path(folder(), FILE_NAME), f"{key}\n{text}".encode(), prefix=".root-help-")
    except OSError:
        pass  # a read-only or full cache folder: the help was printed anyway
