"""Engagement's built-ins: the ``qa`` and ``poll`` content and entry kinds, their publishing
sources, and two steps after every tick: insights, and the follow-up of unconfirmed hand-offs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from ..content.kinds import ContentKind
    from ..context import Context
    from ..engine.frames import KindSource
    from ..ledger import Ledger
    from ..project import Project
    from ..timetable.kinds import EntryKind


@hookimpl
def register_content_kinds() -> list[ContentKind]:
    from ..content.kinds import ContentKind
    from .polls import load_poll
    from .qa import load_event

    return [ContentKind("qa", load_event), ContentKind("poll", load_poll)]


@hookimpl
def register_entry_kinds() -> list[EntryKind]:
    from .polls import PollKind
    from .qa import QaKind

    return [QaKind(), PollKind()]


@hookimpl
def register_kind_sources() -> dict[str, KindSource]:
    from .frames import sources

    return sources()


@hookimpl
def after_tick(
    project: Project, context: Context, ledger: Ledger, now: datetime, report: Any
) -> dict[str, int]:
    """Capture the metrics of posts about to expire (T+23 h) and tally closed native polls."""
    from .insights import collect_due_insights

    return {"insights": len(collect_due_insights(project, context, now, ledger=ledger).captured)}


@hookimpl(specname="after_tick")
def follow_up_handoffs(project: Project, context: Context, ledger: Ledger, now: datetime) -> dict[str, int]:
    """Remind, then escalate, hand-off packs nobody confirmed (each message once per pack)."""
    from .handoff_followup import follow_up

    return {"handoff_followups": follow_up(project, context, ledger, now)}
