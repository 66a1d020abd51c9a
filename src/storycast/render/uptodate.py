"""The warm render's fast path: answer `storycast render` from a stamp, before the CLI loads.

``fast_path(argv)`` is called by the console entry before the command-line framework is
imported. It returns an exit status when it could answer the command itself (nothing the render
reads has changed since the stamp was written), or None to run the command normally.
"""

from __future__ import annotations


def fast_path(argv: list[str]) -> int | None:
    """The exit status if ``argv`` was answered from the stamp, else None (run the command)."""
    del argv
    return None
