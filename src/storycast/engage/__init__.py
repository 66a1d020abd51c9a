"""Engagement: live Q&A series, support hours, polls, insights before expiry, replies and reports.

The ``qa`` and ``poll`` content kinds (files in stories/), the ``qa:`` and ``poll:`` schedule
entry kinds, the engine's frame sources for both and the insights step after every tick are
registered through the plugin hooks in ``engage/plugin.py``. Importing this package imports
nothing heavy (no Pillow, SQLAlchemy or matplotlib).

Public API::

    from storycast.engage import record_vote, tally, collect_due_insights, build_report

    record_vote(project, "csat-weekly", 5, source="local", voter=session_id, now=now)
    tally(project, "csat-weekly").to_json()
    collect_due_insights(project, context, now)        # the engine's insights step
    build_report(project, since=...)                   # numbers behind `storycast report`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .polls import Poll, Tally, parse_reply_vote, record_vote, tally
from .qa import QaEvent, parse_ref

if TYPE_CHECKING:
    from datetime import datetime

    from ..context import Context
    from ..project import Project


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
