"""The built-in schedule entry kind: ``story:``."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .kinds import EntryKind, StoryKind


@hookimpl
def register_entry_kinds() -> list[EntryKind]:
    return [StoryKind()]
