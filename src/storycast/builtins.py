"""Deprecated: content and schedule kinds load through the plugin manager (storycast.plugins).

Kept only until ``web/app.py`` drops its ``ensure_loaded()`` call; then this module goes.
"""

from __future__ import annotations


def ensure_loaded() -> None:
    """Does nothing: the registries load the built-in plugins on first use."""
