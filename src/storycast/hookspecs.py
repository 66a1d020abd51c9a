"""The hooks a storycast plugin may implement (entry point group ``storycast``).

A plugin is a module (or any object) with functions decorated by :data:`hookimpl` whose names
are the hooks below. Built-ins implement the same hooks as third-party plugins; see
docs/plugins.md. Every ``register_*`` hook is called once per process and must be cheap: import
heavy modules inside the hook body, not at the top of the plugin module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .channels.base import Channel
    from .content.kinds import ContentKind
    from .context import Context
    from .engine.frames import KindSource
    from .guard.registry import Rule
    from .ledger import Ledger
    from .project import Project
    from .timetable.kinds import EntryKind

hookspec = pluggy.HookspecMarker("storycast")
hookimpl = pluggy.HookimplMarker("storycast")


@hookspec
def register_channel_types() -> Sequence[type[Channel]]:
    """Channel classes to offer as ``[channels.NAME] type = "..."`` (their ``type_name``)."""
    raise NotImplementedError


@hookspec
def register_content_kinds() -> Sequence[ContentKind]:
    """Content kinds that files under stories/ may declare with ``kind: NAME``."""
    raise NotImplementedError


@hookspec
def register_entry_kinds() -> Sequence[EntryKind]:
    """Schedule entry kinds (``- NAME: ref`` in a schedule file)."""
    raise NotImplementedError


@hookspec
def register_kind_sources() -> Mapping[str, KindSource]:
    """How the engine counts and renders the frames of each entry kind, by kind name."""
    raise NotImplementedError


@hookspec
def register_lint_rules() -> Sequence[Rule]:
    """Lint rules; a rule with a ``check`` runs on every item ``storycast lint`` checks."""
    raise NotImplementedError


@hookspec
def after_tick(
    project: Project, context: Context, ledger: Ledger, now: datetime, report: Any
) -> Mapping[str, int] | None:
    """Work done at the end of every tick (``report`` is the tick's TickReport).

    Return counts to add to ``report.steps`` (``{"insights": 3}``). An exception is logged and
    never fails the tick.
    """
    raise NotImplementedError


@hookspec
def register_commands(app: Any) -> None:
    """Add commands to the ``storycast`` Typer app (``app.command("name")(function)``)."""
    raise NotImplementedError
