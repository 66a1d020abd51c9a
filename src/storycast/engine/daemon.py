"""``storycast run``: the embedded daemon around :func:`~storycast.engine.tick.tick`.

APScheduler 3 drives one job, ``tick``, from an in-memory job store (never a shared one: the
ledger is the source of truth, see docs/engine.md). The job runs on an interval of at most
:data:`MAX_SLEEP` and is pulled forward to the next due time after every tick, so the daemon
sleeps until something is due. ``misfire_grace_time=None`` and ``coalesce=True``: a late wake
still runs, once; the ledger's grace windows, not APScheduler, decide what is too late.

An OS file lock (``.storycast/daemon.lock``) makes a second daemon for the same project exit.
SIGTERM/SIGINT finish the row being sent, give the rest of the batch back, and stop.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..context import OffsetClock
from ..errors import StorycastError
from .tick import TickOptions, TickReport, tick

if TYPE_CHECKING:
    from ..context import Context
    from ..ledger import Ledger
    from ..project import Project
    from ..timetable.table import Timetable

log = logging.getLogger("storycast.daemon")

MAX_SLEEP = timedelta(minutes=5)
ERROR_BACKOFF = timedelta(seconds=30)


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ts, level, event, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        body.update(getattr(record, "fields", {}) or {})
        return json.dumps(body, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """``2026-12-01T09:30:00Z info published key=value ...``"""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = getattr(record, "fields", {}) or {}
        extra = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return f"{ts} {record.levelname.lower():<7} {record.getMessage()} {extra}".rstrip()


def _log(level: int, event: str, **fields: Any) -> None:
    log.log(level, event, extra={"fields": fields})


@dataclass
class DaemonStats:
    """What the daemon did; the benchmark reads ``lateness``."""

    ticks: int = 0
    items: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds between planned and actual wake
    reports: list[TickReport] = field(default_factory=list)
    errors: list[StorycastError] = field(default_factory=list)  # what held rows back in the last tick


class Daemon:
    """One project's publishing loop. ``run()`` blocks until stopped (or one tick with ``once``)."""

    def __init__(
        self,
        project: Project,
        context: Context,
        *,
        once: bool = False,
        watch: bool = True,
        max_sleep: timedelta = MAX_SLEEP,
        options: TickOptions | None = None,
        keep_reports: bool = False,
    ) -> None:
        self.project = project
        self.context = context
        self.once = once
        self.watch = watch
        self.max_sleep = max_sleep
        self.options = options or TickOptions()
        self.options.should_stop = self.stopping
        self.keep_reports = keep_reports
        self.stats = DaemonStats()
        self._stop = threading.Event()
        self._busy = threading.Lock()
        self._reload = threading.Event()
        self._planned_wake: datetime | None = None
        self._scheduler: Any = None
        self.ledger: Ledger | None = None
        self.timetable: Timetable | None = None

    # -- control --------------------------------------------------------------------------

    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self, *_: Any) -> None:
        """Finish the row in flight, then stop (signal handler and tests)."""
        if self._stop.is_set():
            return
        self._stop.set()
        _log(logging.INFO, "stopping", reason="signal")
        sched = self._scheduler
        if sched is not None and sched.running:
            sched.shutdown(wait=False)

    def _lock_path(self) -> Path:
        return self.project.state_dir / "daemon.lock"

    def run(self) -> DaemonStats:
        """Take the lock, catch up, then tick whenever something is due until stopped."""
        from filelock import FileLock, Timeout

        from ..ledger import open_ledger

        self.project.state_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self._lock_path()))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise StorycastError(
                f"another storycast daemon is already running for {self.project.root}",
                hint=f"stop it first (its lock is {self._lock_path()}); one daemon per project is enough",
            ) from None
        try:
            from ..channels.registry import channel_types

            channel_types()  # plugins first: they may register entry kinds the timetable needs
            self.ledger = open_ledger(self.project)
            self.timetable = self._load_timetable(initial=True)
            _log(logging.INFO, "started", project=str(self.project.root), now=self.context.now().isoformat())
            if self.once:
                self._tick_job()
                return self.stats
            self._serve()
            return self.stats
        finally:
            if self.ledger is not None:
                self.ledger.close()
            lock.release()

    def _load_timetable(self, initial: bool = False) -> Timetable | None:
        from ..timetable.table import load_timetable

        try:
            # Tolerant: a broken schedule file is left out (its rows wait; each tick reports it),
            # the others load. Only a problem with no file to blame keeps the previous timetable.
            return load_timetable(self.project, tolerant=True)
        except StorycastError as exc:
            if initial:
                raise
            _log(logging.ERROR, "schedule-invalid", error=str(exc), kept="the previous timetable")
            return self.timetable

    def _serve(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        sched = BlockingScheduler(
            timezone=UTC,
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler = sched
        sched.add_job(
            self._tick_job,
            "interval",
            seconds=self.max_sleep.total_seconds(),
            id="tick",
            next_run_time=self.context.clock.wall(),  # catch up at once on start
            replace_existing=True,
        )
        old = {s: signal.signal(s, self.stop) for s in (signal.SIGTERM, signal.SIGINT)}
        watcher = threading.Thread(target=self._watch, name="storycast-watch", daemon=True)
        if self.watch:
            watcher.start()
        try:
            sched.start()  # blocks until stop()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            self._stop.set()
            # Wait for the tick in flight: it finishes its current row and gives the rest back.
            if self._busy.acquire(timeout=600):
                self._busy.release()
            _log(logging.INFO, "stopped", ticks=self.stats.ticks, items=self.stats.items)

    def _watch(self) -> None:
        from watchfiles import watch

        paths = [
            p
            for p in (self.project.schedules_dir, self.project.stories_dir, self.project.config_path)
            if p.exists()
        ]
        for _changes in watch(*paths, stop_event=self._stop, debounce=300, raise_interrupt=False):
            _log(logging.INFO, "reload", reason="schedule, story or config files changed")
            self._reload.set()
            self._wake_at(self.context.now())

    # -- the job --------------------------------------------------------------------------

    def _wake_at(self, when: datetime) -> None:
        """Pull the tick job forward to ``when`` (in the context clock's time)."""
        self._planned_wake = when
        sched = self._scheduler
        if sched is None or not sched.running:
            return
        delay = max((when - self.context.now()).total_seconds(), 0.0)
        try:
            sched.modify_job("tick", next_run_time=self.context.clock.wall() + timedelta(seconds=delay))
        except Exception:  # the scheduler is shutting down
            pass

    def _reload_project(self) -> None:
        from ..project import Project

        try:
            self.project = Project.load(self.project.root, self.project.environ)
        except StorycastError as exc:
            _log(logging.ERROR, "config-invalid", error=str(exc), kept="the previous configuration")
        self.timetable = self._load_timetable()

    def _tick_job(self) -> None:
        if self._stop.is_set():
            return
        with self._busy:
            now = self.context.now()
            if self._planned_wake is not None:
                self.stats.lateness.append(max((now - self._planned_wake).total_seconds(), 0.0))
            if self._reload.is_set():
                self._reload.clear()
                self._reload_project()
            wake = now + self.max_sleep
            try:
                report = tick(
                    self.project,
                    self.context,
                    now,
                    ledger=self.ledger,
                    timetable=self.timetable,
                    options=self.options,
                )
            except StorycastError as exc:
                _log(logging.ERROR, "tick-failed", error=str(exc))
                wake = now + ERROR_BACKOFF
            else:
                self._log_report(report)
                self.stats.errors = list(report.errors)
                for err in report.errors:
                    _log(logging.ERROR, "waiting", error=str(err), rows="held until it is fixed")
                if report.next_due is not None:
                    wake = min(wake, max(report.next_due, now))
                mat = report.materialized
                if mat is not None:
                    wake = min(wake, mat.end - (self.options.horizon / 2))
            self.stats.ticks += 1
        if not self.once and not self._stop.is_set():
            self._wake_at(max(wake, now + timedelta(milliseconds=10)))

    def _log_report(self, report: TickReport) -> None:
        self.stats.items += len(report.items)
        if self.keep_reports:
            self.stats.reports.append(report)
        for item in report.items:
            level = (
                logging.INFO if item.outcome in ("published", "handed_off", "released") else logging.WARNING
            )
            _log(
                level,
                item.outcome,
                id=item.id,
                story=item.ref,
                lang=item.lang,
                frame=item.frame,
                channel=item.channel,
                reason=item.reason,
                remote_id=item.remote_id,
            )
        if report.missed or report.became_unknown:
            _log(logging.WARNING, "attention", missed=report.missed, unknown=report.became_unknown)


# ``storycast run --now`` starts the daemon's clock there; cli/daemon.py still uses this name.
offset_clock = OffsetClock
