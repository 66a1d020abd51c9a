"""``tick(now)``: the one publishing step that the daemon, cron and workers all call.

1. sweep: release claims of dead processes, mark abandoned sends ``unknown``;
2. materialize the timetable's horizon into the ledger (insert if absent);
3. sweep again: rows past their grace become ``missed``; reconcile ``unknown`` rows with
   channels whose lookup can tell;
4. claim due rows atomically, a batch at a time, and hand them to a :class:`Dispatcher`
   (in-process by default; a worker queue can replace it) until nothing is due.

The function is idempotent: running it twice at the same ``now`` publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError, ContentError, StorycastError
from ..ledger import Row, RowFilter, open_ledger
from ..ledger.store import Ledger
from .holds import Holds
from .materialize import HORIZON, MANUAL_PREFIX, Materialized, materialize, units_of
from .publisher import Checkpoint, ItemResult, Publisher

if TYPE_CHECKING:
    from ..context import Context
    from ..project import Project
    from ..timetable.table import Timetable

BATCH = 8
MAX_ROUNDS = 100_000  # a hard bound on one tick's claim loop


class Dispatcher(Protocol):
    """Where claimed rows go. In-process by default; a queue (procrastinate) can defer them instead.

    ``within_claim`` (or None) runs inside the claim's transaction with the claimed rows: a queue
    defers its jobs there, so the claim and the hand-over commit together (outbox).
    """

    within_claim: Callable[[Any, list[Row]], None] | None

    def dispatch(self, rows: Sequence[Row], publisher: Publisher) -> list[ItemResult]:
        """Publish (or durably hand over) claimed rows; return what happened to each."""
        ...


class InlineDispatcher:
    """Publish in this process, now."""

    within_claim: Callable[[Any, list[Row]], None] | None = None

    def dispatch(self, rows: Sequence[Row], publisher: Publisher) -> list[ItemResult]:
        return publisher.publish_rows(rows)


@dataclass
class TickOptions:
    """Knobs of one tick. Defaults suit cron and the daemon."""

    horizon: timedelta = HORIZON
    batch: int = BATCH
    force: bool = False  # publish despite guard errors (recorded in the attempt log)
    only_entry: str | None = None  # claim only this entry's rows (publish STORY --channel)
    materialize: bool = True
    reconcile: bool = True  # ask channels that can tell about unknown rows (at most every 10 min each)
    after_tick: bool = True  # run the plugins' after_tick hooks (engage: metrics of posts about to expire)
    should_stop: Callable[[], bool] = lambda: False
    checkpoint: Checkpoint | None = (
        None  # test hook: called at before_claim/after_claim/before_send/after_send
    )


@dataclass
class TickReport:
    """What one tick did; ``storycast publish --due --json`` prints it."""

    now: datetime
    items: list[ItemResult] = field(default_factory=list)
    materialized: Materialized | None = None
    released: int = 0
    became_unknown: int = 0
    missed: int = 0
    reconciled: int = 0
    steps: dict[str, int] = field(default_factory=dict)  # counts from after_tick hooks ({"insights": 2})
    next_due: datetime | None = None
    # Problems that hold rows back (a broken story, schedule, template or channel), each once.
    errors: list[StorycastError] = field(default_factory=list)
    waiting: int = 0  # due rows held back by those problems (planned, "waiting for a fix: …")
    notes: list[str] = field(default_factory=list)  # why nothing happened, in words for the user
    held: RowFilter = field(default_factory=RowFilter)  # the rows this tick held back
    held_back: bool = True  # False: the rows the errors concern were failed (a manual publish)

    @property
    def insights(self) -> int:
        """Posts whose metrics were captured in this tick (the engage after_tick step)."""
        return self.steps.get("insights", 0)

    def count(self, outcome: str) -> int:
        return sum(1 for i in self.items if i.outcome == outcome)

    @property
    def failed(self) -> int:
        """Rows failed in this tick, with the later frames each failure took along (as status counts)."""
        return sum(1 + i.blocked for i in self.items if i.outcome == "failed")

    @property
    def problems(self) -> int:
        """Items that failed or ended unknown in this tick, and rows newly missed."""
        return self.count("failed") + self.count("unknown") + self.became_unknown + self.missed

    def error(self) -> StorycastError | None:
        """One error for the command to raise when problems held rows back (it lists them all)."""
        from .holds import HeldBack

        return HeldBack(self.errors, held=self.held_back) if self.errors else None

    def to_json(self) -> dict[str, Any]:
        m = self.materialized
        return {
            "now": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "published": self.count("published"),
            "queued": self.count("queued"),
            "handed_off": self.count("handed_off"),
            "failed": self.failed,
            "waiting": self.waiting,
            "retry": self.count("retry"),
            "unknown": self.count("unknown") + self.became_unknown,
            "missed": self.missed,
            "released": self.released,
            "reconciled": self.reconciled,
            "planned": m.inserted if m else 0,
            "cancelled": m.cancelled if m else 0,
            "next_due": self.next_due.strftime("%Y-%m-%dT%H:%M:%SZ") if self.next_due else None,
            "items": [i.to_json() for i in self.items],
            "errors": [str(e) for e in self.errors],
            "notes": list(self.notes),
        }


def _load_timetable(project: Project) -> Timetable:
    from ..timetable.table import load_timetable

    return load_timetable(project, tolerant=True)


def tick(
    project: Project,
    context: Context,
    now: datetime | None = None,
    *,
    ledger: Ledger | None = None,
    timetable: Timetable | None = None,
    options: TickOptions | None = None,
    dispatcher: Dispatcher | None = None,
) -> TickReport:
    """Publish everything due at ``now`` (default: the context clock) exactly once."""
    opts = options or TickOptions()
    now = now or context.now()
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        report = TickReport(now)
        swept = led.sweep(now)
        report.released, report.became_unknown = swept["released"], swept["unknown"]
        # A broken file holds back only its own rows; everything else is planned and published.
        holds = Holds(project.root)
        holds.add_content(project.refresh_content())
        if opts.materialize:
            try:
                tt = timetable if timetable is not None else _load_timetable(project)
            except (ContentError, ConfigError) as exc:
                # Nothing tells which rows this is about: plan nothing new, publish what is planned.
                holds.errors.append(exc)
            else:
                holds.add_schedules(tt)
                report.materialized = materialize(project, led, tt, now, opts.horizon, holds)
        _mark_waiting(led, holds, now)
        report.missed = swept["missed"] + led.sweep(now)["missed"]
        if opts.reconcile:
            from .reconcile import reconcile

            settled = reconcile(project, context, led, now, automatic=True)
            report.reconciled = len(settled.published) + len(settled.replanned)
        _claim_loop(project, context, led, now, opts, dispatcher or InlineDispatcher(), report, holds)
        if opts.after_tick:
            from .. import plugins

            report.steps = plugins.run_after_tick(
                project=project, context=context, ledger=led, now=now, report=report
            )
        report.errors = list(holds.errors)
        report.held = holds.held
        report.waiting = led.count_waiting(now)
        report.next_due = led.next_due(now, exclude=holds.excluded)
        return report
    finally:
        if own:
            led.close()


def _mark_waiting(ledger: Ledger, holds: Holds, now: datetime) -> None:
    """Rows of files fixed since the last tick lose their old reason; held ones get theirs."""
    ledger.clear_waiting(holds.held)
    for rows, reason in holds.items:
        ledger.mark_waiting(rows, reason, now)


def _claim_loop(
    project: Project,
    context: Context,
    ledger: Ledger,
    now: datetime,
    opts: TickOptions,
    dispatcher: Dispatcher,
    report: TickReport,
    holds: Holds,
) -> None:
    publisher = Publisher(
        project, context, ledger, now, opts.force, opts.checkpoint, opts.should_stop, holds=holds
    )
    try:
        limits = publisher.limits()
        for _ in range(MAX_ROUNDS):
            if opts.should_stop():
                break
            if opts.checkpoint is not None:
                opts.checkpoint("before_claim", None)  # type: ignore[arg-type]
            rows = ledger.claim(
                now,
                opts.batch,
                limits,
                only_entry=opts.only_entry,
                within=dispatcher.within_claim,
                exclude=holds.excluded,  # grows as rows are held (a template, a channel)
            )
            if not rows:
                break
            report.items.extend(dispatcher.dispatch(rows, publisher))
    finally:
        publisher.close()


def publish_now(
    project: Project,
    context: Context,
    story: str,
    channel: str,
    langs: Sequence[str] | None = None,
    now: datetime | None = None,
    *,
    force: bool = False,
    ledger: Ledger | None = None,
) -> TickReport:
    """``storycast publish STORY --channel NAME``: plan an ad-hoc occurrence due now and publish it."""
    from ..timetable.model import Occurrence

    now = now or context.now()
    s = project.refresh_content().story(story)  # another story's broken file is not this one's problem
    if channel not in project.config.channels:
        from ..channels.registry import open_channel

        open_channel(project, channel, context)  # raises the helpful "no channel named" error
    chosen = tuple(langs) if langs else tuple(s.languages)
    for lang in chosen:
        if lang not in s.languages:
            from ..errors import ContentError

            raise ContentError(
                f"story {story!r} has no {lang!r} version",
                hint=f"its languages are {', '.join(s.languages)}",
                file=s.source,
            )
    section = project.config.channels.get(channel)
    if section is not None and section.languages is not None:
        # The channel takes only its own languages: say so rather than plan nothing.
        refused = [lang for lang in chosen if not section.takes(lang)]
        if refused and (langs or len(refused) == len(chosen)):
            raise ConfigError(
                f"channel {channel!r} takes only {', '.join(section.languages)}, not {', '.join(refused)}",
                hint=f"publish {story} in {', '.join(section.languages)} (--lang), to another channel, "
                f"or add the language to [channels.{channel}] languages in storycast.toml",
                file=project.config_path,
            )
    local = now.replace(microsecond=0)
    occ = Occurrence(
        entry_key=f"{MANUAL_PREFIX}{story}",
        occurrence_key=local.strftime("%Y-%m-%dT%H:%M:%S"),
        due_utc=local,
        local=local,
        tz="UTC",
        kind="story",
        ref=story,
        channels=(channel,),
        languages=chosen,
        grace=timedelta(minutes=15),
        label=f"manual: {story}",
        source="storycast publish",
    )
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        inserted = led.insert_units(units_of(project, occ), now)
        opts = TickOptions(force=force, only_entry=occ.entry_key, materialize=False)
        report = TickReport(now)
        holds = Holds(project.root, hold=False)  # fail, don't hold: see Holds.hold
        _claim_loop(project, context, led, now, opts, InlineDispatcher(), report, holds)
        report.errors = list(holds.errors)
        report.held_back = False
        if not inserted and not report.items:
            # The ad-hoc occurrence is keyed by the second: a second run within it is the same post.
            report.notes.append(
                f"nothing sent: {story} to {channel} was already handled at "
                f"{local:%Y-%m-%d %H:%M:%S} UTC (runs within one second are one post); "
                "run it again a second later to post it again, or see `storycast status --story "
                f"{story}`"
            )
        return report
    finally:
        if own:
            led.close()
