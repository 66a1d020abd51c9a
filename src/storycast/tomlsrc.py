"""TOML as storycast reads it: one ConfigError for a syntax error, and where a key is.

tomllib keeps no positions, so :func:`position` finds a dotted key path in the text itself; every
``storycast.toml`` problem (the schema's, a channel type's, a lint rule id's) is reported with it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ConfigError


def loads(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML ``text`` read from ``path``; a ConfigError with line and column when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        raise ConfigError(
            f"TOML syntax error: {str(exc).split(' (at line')[0]}",
            hint='check quotes, brackets and "=" on that line; text values need quotes (name = "My '
            'project"), and a table or key may appear only once',
            file=path,
            line=int(m.group(1)) if m else None,
            column=int(m.group(2)) if m else None,
        ) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(
            "TOML nested too deeply to read (arrays or inline tables inside each other)",
            hint="no storycast key needs more than a few levels: flatten the value",
            file=path,
        ) from None


def position(text: str, loc: Sequence[str | int]) -> tuple[int | None, int | None]:
    """Best-effort line and column of a dotted key path in TOML text (tomllib keeps no positions)."""
    lines = text.splitlines()
    keys = [str(k) for k in loc]

    def key_at(rest: list[str], begin: int, stop_at_header: bool) -> tuple[int, int] | None:
        key_pat = re.compile(r"^(\s*)[\"']?" + re.escape(rest[0]) + r"[\"']?\s*[.=]")
        for j in range(begin, len(lines)):
            if stop_at_header and lines[j].lstrip().startswith("["):
                return None
            m = key_pat.match(lines[j])
            if m:
                return j + 1, len(m.group(1)) + 1
        return None

    # Find the deepest [table] header that is a prefix of loc, then the key inside it.
    for depth in range(len(keys), 0, -1):
        header = r"\s*\.\s*".join(r"[\"']?" + re.escape(k) + r"[\"']?" for k in keys[:depth])
        pat = re.compile(r"^\s*\[+\s*" + header + r"\s*\]+\s*(#.*)?$")
        for i, line in enumerate(lines):
            if pat.match(line):
                rest = keys[depth:]
                if not rest:
                    return i + 1, 1
                return key_at(rest, i + 1, True) or (i + 1, 1)
    # A table known only through its sub-tables ([chanels.x] for the unknown key chanels).
    header = r"\s*\.\s*".join(r"[\"']?" + re.escape(k) + r"[\"']?" for k in keys)
    sub = re.compile(r"^\s*\[+\s*" + header + r"\s*\.")
    for i, line in enumerate(lines):
        if keys and sub.match(line):
            return i + 1, 1
    if keys:
        found = key_at(keys[-1:], 0, False)
        if found:
            return found
    return None, None
