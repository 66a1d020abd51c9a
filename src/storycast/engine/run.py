"""What ``storycast publish`` does, as one call: the choice between a dry run, one story now, and
everything due (through the embedded tick or the procrastinate queue, by ``[engine] kind``).

    outcome = publish(project, context, PublishRequest(due=True), now)
    outcome.report          # the TickReport (None on a dry run)
    outcome.error()         # the problem that decides the exit code, or None

Nothing here prints or exits; the command prints the outcome and turns ``error()`` and
``partial`` into its exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import StorycastError
from .holds import HeldBack
from .tick import TickOptions, TickReport, publish_now, tick

if TYPE_CHECKING:
    from ..context import Context
    from ..project import Project
    from .dryrun import DueItem


@dataclass(frozen=True)
class PublishRequest:
    """What to publish: ``story`` to ``channel`` now, or (``story`` None) everything due."""

    story: str | None = None
    channel: str | None = None
    langs: Sequence[str] | None = None
    force: bool = False
    dry_run: bool = False


@dataclass
class PublishOutcome:
    """The result of :func:`publish`: a dry run's due items, or the report of what was sent."""

    now: datetime
    report: TickReport | None = None
    due: list[DueItem] = field(default_factory=list)
    problems: list[StorycastError] = field(default_factory=list)  # a dry run's broken inputs

    @property
    def dry_run(self) -> bool:
        return self.report is None

    def error(self) -> StorycastError | None:
        """The problems that held posts back (their exit code is the most fundamental one's)."""
        if self.report is None:
            return HeldBack(self.problems, dry_run=True) if self.problems else None
        return self.report.error()

    @property
    def partial(self) -> bool:
        """Some items failed, ended unknown or were missed."""
        return bool(self.report is not None and self.report.problems)


def publish_due(project: Project, context: Context, now: datetime, *, force: bool = False) -> TickReport:
    """One tick: the embedded engine publishes; under procrastinate it queues for the workers."""
    if project.config.engine.kind == "procrastinate":
        # The workers publish: this tick claims what is due onto the publish queue, where the
        # per-account locks hold across machines. Nothing is sent from this process.
        from .scaleout import ensure_schema, make_app

        scale = make_app(project, context)
        try:
            ensure_schema(scale.runtime.urls.conninfo)
            return scale.runtime.tick_once(now, force=force)
        finally:
            scale.runtime.close()
    return tick(project, context, now, options=TickOptions(force=force))


def publish(project: Project, context: Context, request: PublishRequest, now: datetime) -> PublishOutcome:
    """``storycast publish``: a dry run of what is due, one story now, or everything due."""
    if request.dry_run:
        from .dryrun import due_now

        problems: list[StorycastError] = []
        items = due_now(project, now, problems=problems)
        return PublishOutcome(now, due=items, problems=problems)
    if request.story is not None:
        if request.channel is None:
            raise ValueError("publishing a story needs a channel")
        report = publish_now(
            project, context, request.story, request.channel, request.langs, now, force=request.force
        )
    else:
        report = publish_due(project, context, now, force=request.force)
    return PublishOutcome(now, report=report)


__all__ = ["PublishOutcome", "PublishRequest", "publish", "publish_due"]
