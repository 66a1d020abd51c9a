"""Engagement: live Q&A series, support hours, polls, insights before expiry, replies and reports.

Importing this package registers the ``qa`` and ``poll`` content kinds (files in stories/), the
``qa:`` and ``poll:`` schedule entry kinds and the engine's frame sources for both. It imports
nothing heavy (no Pillow, SQLAlchemy or matplotlib at import time).

Public API::

    from storycast.engage import record_vote, tally, collect_due_insights, build_report

    record_vote(project, "csat-weekly", 5, source="local", voter=session_id, now=now)
    tally(project, "csat-weekly").to_json()
    collect_due_insights(project, context, now)        # the engine's insights step
    build_report(project, since=...)                   # numbers behind `storycast report`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..content.loader import CONTENT_KINDS, register_kind
from ..timetable import entry_kinds, register_entry_kind
from .polls import Poll, PollKind, Tally, load_poll, parse_reply_vote, record_vote, tally
from .qa import QaEvent, QaKind, load_event, parse_ref

if TYPE_CHECKING:
    from datetime import datetime

    from ..context import Context
    from ..project import Project


def _register() -> None:
    # Idempotent: tests and plugins may import this package more than once.
    if "qa" not in CONTENT_KINDS:
        register_kind("qa", load_event)
    if "poll" not in CONTENT_KINDS:
        register_kind("poll", load_poll)
    kinds = entry_kinds()
    if "qa" not in kinds:
        register_entry_kind(QaKind())
    if "poll" not in kinds:
        register_entry_kind(PollKind())
    # The engine's frame sources: registered now if the engine is loaded, else by the engine
    # itself the first time it meets a qa/poll row (importing it here would slow `--help`).
    import sys

    if "storycast.engine.frames" in sys.modules:
        from .frames import register_sources

        register_sources()


_register()


def collect_due_insights(project: Project, context: Context, now: datetime, **kw: Any) -> Any:
    """Capture metrics of posts about to expire (see :mod:`storycast.engage.insights`)."""
    from .insights import collect_due_insights as run

    return run(project, context, now, **kw)


def build_report(project: Project, **kw: Any) -> Any:
    """The report's numbers (see :func:`storycast.engage.report.build_report`)."""
    from .report import build_report as run

    return run(project, **kw)


__all__ = [
    "Poll",
    "QaEvent",
    "Tally",
    "build_report",
    "collect_due_insights",
    "parse_ref",
    "parse_reply_vote",
    "record_vote",
    "tally",
]
