"""libyaml's fast path for YAML storycast reads often (frame specs, strings.yaml), when it is safe.

libyaml composes nested collections recursively in C: tens of thousands of ``[`` crash the
process, and aliases of aliases expand exponentially once validated. Short texts without anchors
cannot do either, and are what templates and strings files are; anything else goes through
:mod:`storycast.yamlsrc`, which checks depth and alias expansion before building anything.
"""

from __future__ import annotations

from typing import Any

import yaml

FAST_MAX_CHARS = 8192
"""Longest text the fast path takes: its nesting cannot be deeper than its length."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[assignment]


def fast_ok(text: str) -> bool:
    """Whether ``text`` may be parsed by :func:`fast_load`."""
    return len(text) <= FAST_MAX_CHARS and "&" not in text


def fast_load(text: str) -> Any:
    """Parse with libyaml, no positions (call only when :func:`fast_ok`)."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader (libyaml's when installed)
