"""What a worker process does for each job: the same ledger protocol as the embedded engine.

* :meth:`Runtime.tick_once` runs :func:`storycast.engine.tick` with a :class:`QueueDispatcher`:
  due rows are claimed and, in the claim's own transaction, handed to the ``publish`` queue as
  one job per channel (transactional outbox: the claim and the jobs commit together or not at all).
* :meth:`Runtime.publish_rows` is what a publish job runs: :meth:`Publisher.publish_rows` on its
  rows, i.e. CAS ``claimed -> sending`` with the attempt committed *before* the platform call. A
  re-delivered job finds its rows past ``claimed`` and does nothing. The job then goes on with
  its channel's next rows, recording each in its own ``row_ids`` as it claims it.
* :meth:`Runtime.abandon` is how a dead worker's job is reconciled: a row it was sending becomes
  ``unknown`` (reconcile asks the channel); a row it had not started stays claimed for the retry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...ledger import ChannelLimits, Row, RowFilter, RowQuery, State, timeout_from
from ...ledger.store import Ledger
from ...ledger.urls import project_pg_urls
from ..frames import VIDEO_KIND
from ..publisher import ItemResult, Publisher
from ..tick import TickOptions, TickReport, tick

if TYPE_CHECKING:
    from ...context import Context
    from ...ledger.outbox import OutboxTx
    from ...project import Project

log = logging.getLogger("storycast.worker")

PUBLISH = "storycast.publish"
RENDER = "storycast.render"
TICK = "storycast.tick"
QUEUES = ("control", "render", "publish")
CLAIM_BATCH = 2000  # rows per claim transaction; handed to the queue in the same transaction
# A tick plans the timetable again (reading back every planned row of its window) unless the
# last plan was made from the same schedule, content and configuration files less than this long
# ago; ticks further apart than this (the default is every minute) always plan.
REPLAN_SECONDS = 30.0
PLANNED_FROM = "scaleout_planned_from"  # ledger meta: the files the last clean plan was made from
# How long a publish job goes on with its channel's next rows before handing them to a new job:
# long enough for a busy account's chain, short enough for a worker's stop (it waits for its jobs).
CARRY_ON_SECONDS = 20.0

# Outcomes after which a publish job claims its channel's next due rows (see Runtime._queue_next).
# Not "retry": the platform asked to slow down; the next periodic tick claims what is due.
_FREES_THE_CHANNEL = frozenset({State.PUBLISHED.value, State.HANDED_OFF.value, State.FAILED.value})

# Deferring needs (task name, psycopg connection, job options, kwargs list); the App provides it.
Defer = Callable[[str, Any, dict[str, Any], list[dict[str, Any]]], None]
# Publish jobs of several channels at once: (psycopg connection, [(lock, kwargs), ...]).
DeferPublish = Callable[[Any, list[tuple[str, dict[str, Any]]]], None]


def queue_owner() -> str:
    """``claimed_by`` of rows handed to the queue. Not ``host:pid``: the ledger's sweep must not
    treat them as owned by the (live or dead) process that claimed them; the queue owns them."""
    return f"queue@{socket.gethostname()}/{os.getpid()}"


class _NotRunning(Exception):
    """The job is no longer running on this worker (taken for dead and retried elsewhere)."""


class QueueDispatcher:
    """A :class:`~storycast.engine.tick.Dispatcher` that defers the claimed rows as publish jobs."""

    def __init__(
        self,
        defer: Defer,
        now: datetime,
        lease: timedelta,
        *,
        force: bool = False,
        defer_publish: DeferPublish | None = None,
    ) -> None:
        self.defer = defer
        self.defer_publish = defer_publish  # None: one defer call per channel
        self.force = force  # publish past lint errors (`publish --due --force`): carried by the job
        self.now = now
        self.lease = lease
        self.deferred = 0
        # An attribute, as the Dispatcher protocol has it (None would mean "publish in-process").
        self.within_claim: Callable[[OutboxTx, list[Row]], None] | None = self._within_claim

    def _within_claim(self, tx: OutboxTx, rows: list[Row]) -> None:
        """Inside the claim transaction: mark the rows queue-owned and defer their publish jobs."""
        tx.hand_to_queue(rows, queue_owner(), self.now + self.lease)
        raw = tx.driver_connection  # the psycopg connection of this very transaction
        by_channel: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            by_channel[r.channel].append(r)
        jobs: list[tuple[str, dict[str, Any]]] = []
        for channel, group in sorted(by_channel.items()):
            # One lock per channel (account): its jobs run one at a time, across every machine.
            # One job per channel per claim: procrastinate picks up a lock-blocked job only when
            # it next polls, so a job per row would pace a busy channel at one post per poll.
            job: dict[str, Any] = {"row_ids": [r.id for r in group]}
            if self.force:
                job["force"] = True
            jobs.append((f"account:{channel}", job))
        if self.defer_publish is not None:
            self.defer_publish(raw, jobs)  # every channel's job in one go
        else:
            for lock, job in jobs:
                self.defer(PUBLISH, raw, {"queue": "publish", "lock": lock}, [job])
        self.deferred += len(rows)

    def dispatch(self, rows: Sequence[Row], publisher: Publisher) -> list[ItemResult]:
        """The rows are already on the queue (deferred in the claim transaction)."""
        return [
            ItemResult(
                r.id, r.ref, r.channel, r.lang, r.frame, r.frame_total, r.occurrence_key, "queued", None
            )
            for r in rows
        ]


class Runtime:
    """One worker process's view of the project: its ledger connection pool and job bodies."""

    def __init__(
        self, project: Project, context: Context, defer: Defer, defer_publish: DeferPublish | None = None
    ) -> None:
        self.project = project
        self.context = context
        self.defer = defer
        self.defer_publish = defer_publish
        self.cfg = project.config.engine
        self.urls = project_pg_urls(project)
        self.threads = 1  # threads using the ledger at once (the worker sets its concurrency)
        self._ledger: Ledger | None = None
        self._ledger_lock = threading.Lock()
        # Load channel plugins (and the content kinds they register) now, in one thread: jobs
        # run in several threads, and the registry's first, lazy load is not thread-safe.
        from ...channels.registry import channel_types

        channel_types()

    @property
    def ledger(self) -> Ledger:
        # Opened once per process: a worker's first jobs start in several threads at once, and
        # each opening its own ledger cost a connection pool and a migration check apiece.
        if self._ledger is None:
            with self._ledger_lock:
                if self._ledger is None:
                    self._ledger = Ledger.open(
                        self.urls.sqlalchemy, timeout_from(self.project.environ), threads=self.threads
                    )
        return self._ledger

    def warm(self, connections: int) -> None:
        """Open the ledger and ``connections`` pooled connections to it, then give them back.

        A worker does this at start: its first jobs, all starting at once, then find open
        connections instead of each opening one (a new server process) before its first post,
        and the project's content read and its entry kinds' frame sources loaded.
        """
        opened = [self.ledger.engine.connect() for _ in range(connections)]
        for conn in opened:
            conn.close()
        # Read the content now too: every publish job's Publisher refreshes it, and the first
        # jobs of a worker start together; each found none read yet and read it all itself.
        self.project.refresh_content()
        # And the entry kinds' frame sources (importing their plugins' modules, one job at a
        # time under the plugins' lock): the first post of every chain waited for that.
        from ..frames import kind_sources

        kind_sources()
        # And the modules a worker's first tick and first publish job import: the plugins with
        # after-tick steps, reconcile (with the ledger's admin part), albums. One worker runs
        # each tick: each of the others imported them at its first, in the middle of the work.
        from ... import plugins
        from ..albums import group_albums  # noqa: F401
        from ..reconcile import reconcile  # noqa: F401

        plugins.manager()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    # -- tick ---------------------------------------------------------------------------------

    def dispatcher(self, now: datetime, *, force: bool = False) -> QueueDispatcher:
        lease = timedelta(minutes=self.cfg.queue_lease_minutes)
        return QueueDispatcher(self.defer, now, lease, force=force, defer_publish=self.defer_publish)

    def tick_once(self, now: datetime | None = None, *, force: bool = False) -> TickReport:
        """Sweep, materialize, reconcile, then claim due rows onto the publish queue.

        ``force``: the queued jobs publish past lint errors (``publish --due --force``).
        """
        now = now or self.context.now()
        inputs, recorded, fresh = self._plan_state(now)
        report = tick(
            self.project,
            self.context,
            now,
            ledger=self.ledger,
            options=TickOptions(batch=CLAIM_BATCH, force=force, materialize=not fresh),
            dispatcher=self.dispatcher(now, force=force),
        )
        if not fresh:
            # Only a plan made without a problem may be relied on: a held row, a broken file or
            # schedule makes the next tick plan again (and the tick holds what it must).
            clean = report.materialized is not None and not report.errors and not report.held
            planned_from = inputs if clean else ""
            if planned_from != recorded:
                self.ledger.set_meta(PLANNED_FROM, planned_from)
        self.defer_renders(now, exclude=report.held)
        return report

    def _plan_state(self, now: datetime) -> tuple[str, str, bool]:
        """(the planning files' stamp now, the stamp the last clean plan was made from, whether
        that plan may stand for this tick).

        It may when it was made from the same files (names, sizes, modification times of the
        schedules, the content and storycast.toml), by any worker, less than
        :data:`REPLAN_SECONDS` ago (the plan's watermark tells when). Nothing it planned can be
        missing then; a row due at the far end of the one-hour horizon is planned at most that
        much later, and a frame count that changed without a file changing (a plugin's source)
        is corrected then too (a row whose count is wrong is given back, never sent).
        """
        import hashlib

        from ...content.loader import content_stamp
        from ...timetable.loader import schedule_files
        from ..materialize import HORIZON, WATERMARK

        files = [*schedule_files(self.project), self.project.config_path]
        stamp: list[object] = [content_stamp(self.project)]
        for f in files:
            try:
                st = f.stat()
            except OSError:
                stamp.append((str(f), None))
                continue
            stamp.append((str(f), st.st_size, st.st_mtime_ns))
        inputs = hashlib.sha256(repr(stamp).encode("utf-8")).hexdigest()
        recorded = self.ledger.get_meta(PLANNED_FROM) or ""
        mark = self.ledger.get_meta(WATERMARK)
        if recorded != inputs or mark is None:
            return inputs, recorded, False
        age = now + HORIZON - datetime.fromisoformat(mark)
        return inputs, recorded, timedelta(0) <= age < timedelta(seconds=REPLAN_SECONDS)

    def tick_if_idle(self, now: datetime | None = None) -> TickReport | None:
        """:meth:`tick_once` unless a tick is running on some worker already (then None).

        Overlapping ticks are safe (claims are atomic) but waste a worker's time: a periodic tick
        that finds the last one still busy (a big materialization) steps aside. The lock is a
        PostgreSQL session lock, so a worker that dies mid-tick releases it with its connection.
        """
        with self.ledger.session_lock("storycast-tick") as mine:
            return self.tick_once(now) if mine else None

    def defer_renders(self, now: datetime, exclude: RowFilter | None = None) -> int:
        """Queue a render job for each (kind, ref, lang) due within the lead time (at most one waiting).

        ``exclude``: rows held back by a broken file (rendering them would only fail again).
        """
        if self.cfg.render_lead_minutes <= 0:
            return 0

        def queue(
            tx: OutboxTx, wanted: dict[tuple[str, str], list[str]], channels: dict[tuple[str, str], list[str]]
        ) -> int:
            # One job per story with all its languages: a render process reuses the story's
            # language-independent tiles (images, cards) across its languages.
            raw = tx.driver_connection
            n = 0
            for (kind, ref), langs in sorted(wanted.items()):
                key = f"render:{kind}:{ref}"
                # A savepoint each: an AlreadyEnqueued (same render waiting) must not abort the rest.
                try:
                    with tx.savepoint():
                        self.defer(
                            RENDER,
                            raw,
                            {"queue": "render", "queueing_lock": key},
                            [
                                {
                                    "kind": kind,
                                    "ref": ref,
                                    "langs": sorted(langs),
                                    **_targets(kind, channels[(kind, ref)]),
                                }
                            ],
                        )
                        n += 1
                except Exception as exc:
                    if type(exc).__name__ != "AlreadyEnqueued":
                        raise
            return n

        def _targets(kind: str, chans: list[str]) -> dict[str, Any]:
            # A story's video is encoded per channel variant (H.264, Telegram's H.265...): the
            # job renders the variants of the channels it goes to, not only the default one.
            return {"channels": sorted(chans)} if kind == VIDEO_KIND else {}

        until = now + timedelta(minutes=self.cfg.render_lead_minutes)
        return self.ledger.hand_render_jobs(now, until, queue, exclude, with_channels=True)

    # -- publish ------------------------------------------------------------------------------

    def publish_rows(
        self, row_ids: Sequence[int], *, force: bool = False, job_id: int | None = None
    ) -> list[str]:
        """What a publish job runs: its rows (one channel's), in order, through one Publisher.

        The rows are read in one query and marked ``rendering`` in one transaction; each is then
        sent with its own compare-and-set (:meth:`Publisher.publish_rows`). Rows no longer
        ``claimed``/``rendering`` (a re-delivered job) are skipped: the job is then a no-op.

        Once a row settles, the channel's next rows may go (the story's next frame or language,
        another entry's post). Job ``job_id`` claims them and goes on publishing them itself,
        and then takes over the jobs waiting behind its lock, for up to :data:`CARRY_ON_SECONDS`:
        a chain of posts on one account runs without a hand-over through the queue. Every row it
        takes is added to its ``row_ids`` in the same transaction (the recovery of a dead worker
        reads them there); a tick adds the channel's rows it claims there too, and the job closes
        the list before it ends (:mod:`.jobtable`). Without a job id, or after that time, the
        next rows go to a new job.
        """
        now = self.context.now()
        ids = [int(r) for r in row_ids]
        known = set(ids)  # every row this job has taken (its row_ids as it knows them)
        outcomes: dict[int, str] = {}
        ready = self._ready(ids, now, outcomes)
        publisher: Publisher | None = None
        channel = ready[0].channel if ready else ""
        until = time.monotonic() + CARRY_ON_SECONDS
        limits: dict[str, ChannelLimits] | None = None
        hand_over = False  # the channel's next rows go to a new job (no job id, forced, time)
        try:
            while True:
                while ready:
                    hand_over = False  # decided by this round's outcomes
                    if publisher is None:
                        publisher = Publisher(
                            self.project, self.context, self.ledger, now, force=force, settle_with_next=True
                        )
                    settled = False
                    for row, result in zip(ready, publisher.publish_rows(ready), strict=False):
                        outcomes[row.id] = result.outcome
                        settled = settled or result.outcome in _FREES_THE_CHANNEL
                    ready = []
                    if not settled:
                        break
                    now = self.context.now()
                    limits = limits if limits is not None else publisher.limits()
                    if job_id is None or force or time.monotonic() > until:
                        hand_over = True
                        break
                    # The publisher goes on at the new time (attempts, deadlines, due rows).
                    publisher.now = publisher.renders.now = now
                    assert publisher.holds is not None
                    excluded = publisher.holds.excluded  # held or given back: not again in this job
                    ready = self._carry_on(channel, now, limits, job_id, known, outcomes, excluded)
                if job_id is None:
                    break
                # Rows a tick handed to this job meanwhile are published by it; then no more.
                added = self._close(job_id, known)
                if not added:
                    break
                known.update(added)
                now = self.context.now()
                if publisher is not None:
                    publisher.now = publisher.renders.now = now
                ready = self._ready(added, now, outcomes)
                channel = channel or (ready[0].channel if ready else "")
            if hand_over and limits is not None:
                self._queue_next(channel, now, limits)
        except BaseException:
            # A bug or a stop mid-job: give back every row this job had not started sending
            # (a compare-and-set: sent and sending rows are untouched), so the next tick
            # claims them again instead of leaving them queue-owned until their lease ends.
            self.ledger.release(ready, now)
            if job_id is not None:
                self._close_and_give_back(job_id, known, now)
            raise
        finally:
            if publisher is not None:
                publisher.close()
        return [outcomes.get(rid, "released") for rid in ids]

    def _close_and_give_back(self, job_id: int, known: set[int], now: datetime) -> None:
        """On a failing job's way out: close its list, and give back what a tick added to it."""
        try:
            while added := self._close(job_id, known):
                known.update(added)
                self.ledger.release(self.ledger.find(RowQuery(ids=added)), now)
        except Exception:  # the job's own error is the one to report; the lease still ends
            log.warning("publish job %s: could not close its rows", job_id, exc_info=True)

    def _close(self, job_id: int, known: set[int]) -> list[int]:
        """Close job ``job_id``'s list of rows; the ids added to it meanwhile, [] when closed."""
        from . import jobtable

        raw = self.ledger.engine.raw_connection()
        try:
            added = jobtable.close(raw.driver_connection, job_id, sorted(known))
            raw.commit()
        finally:
            raw.close()
        return added or []

    def _ready(self, ids: Sequence[int], now: datetime, outcomes: dict[int, str]) -> list[Row]:
        """The rows of ``ids`` still to publish, in order; an outcome for each of the others."""
        found = {r.id: r for r in self.ledger.find(RowQuery(ids=list(ids)))}
        ready: list[Row] = []
        for rid in ids:
            row = found.get(rid)
            if row is None:
                outcomes[rid] = "gone"
            elif row.state not in (State.CLAIMED.value, State.RENDERING.value):
                outcomes[rid] = f"noop:{row.state}"
            elif row.deadline_utc < now:
                # Queued too long (workers were down): back to planned; the sweep records it missed.
                self.ledger.release([row], now)
                outcomes[rid] = "late"
            else:
                ready.append(row)
        return ready

    def publish_one(self, row_id: int) -> str:
        """Publish one queued row through the embedded engine's protocol; return its outcome."""
        return self.publish_rows([row_id])[0]

    def _carry_on(
        self,
        channel: str,
        now: datetime,
        limits: dict[str, ChannelLimits],
        job_id: int,
        known: set[int],
        outcomes: dict[int, str],
        exclude: RowFilter,
    ) -> list[Row]:
        """The channel's next rows for job ``job_id`` to publish: claimed now, else those of the
        jobs waiting behind its lock (a tick claimed them meanwhile). [] when there are none.
        Every id added to the job's ``row_ids`` is added to ``known`` too."""
        from . import jobtable

        def take(tx: OutboxTx, rows: list[Row]) -> None:
            tx.hand_to_queue(rows, queue_owner(), now + timedelta(minutes=self.cfg.queue_lease_minutes))
            if not jobtable.extend(tx.driver_connection, job_id, [r.id for r in rows]):
                raise _NotRunning  # rolls the claim back: the rows stay planned

        try:
            rows = self.ledger.claim(
                now, CLAIM_BATCH, limits, only_channel=channel, within=take, exclude=exclude or None
            )
        except _NotRunning:
            return []
        known.update(r.id for r in rows)
        if rows:
            return rows
        while True:
            raw = self.ledger.engine.raw_connection()
            try:
                ids = jobtable.adopt(raw.driver_connection, job_id, PUBLISH, f"account:{channel}", False)
                raw.commit()
            finally:
                raw.close()
            if ids is None:
                return []
            known.update(ids)
            ready = self._ready(ids, now, outcomes)
            if ready:
                return ready

    def _queue_next(self, channel: str, now: datetime, limits: dict[str, ChannelLimits]) -> None:
        # What this job settled may let the channel's next rows go: the story's next frame, its
        # next language, or another entry's post that the channel's concurrency held back at the
        # tick. Claim them now (one job's rows are one channel's) rather than at the next tick.
        self.ledger.claim(
            now,
            CLAIM_BATCH,
            limits,
            only_channel=channel,
            within=self.dispatcher(now).within_claim,
        )

    # -- render -------------------------------------------------------------------------------

    def render_langs(
        self,
        kind: str,
        ref: str,
        langs: Sequence[str],
        *,
        video: bool = False,
        channels: Sequence[str] = (),
    ) -> int:
        """What a render job runs: one story in each of its languages, in this process.

        ``channels``: render what each of these channels needs (a story video's variant)."""
        return sum(self.render_one(kind, ref, lang, video=video, channels=channels) for lang in langs)

    def render_one(
        self, kind: str, ref: str, lang: str, *, video: bool = False, channels: Sequence[str] = ()
    ) -> int:
        """Render the frames a publish job will need (content-addressed, so repeats are cheap)."""
        from ..frames import FrameCache

        out = self.project.state_dir / "renders" / kind / ref / lang
        remove_stale_temps(out, now_s=self.context.clock.wall().timestamp())
        cache = FrameCache(self.project)
        frames = [f for ch in channels for f in cache.frames(kind, ref, lang, ch)] or cache.frames(
            kind, ref, lang
        )
        if video and kind == "story":
            from ...render.pipeline import render_story
            from ...render.videos import render_result_video

            render_result_video(render_story(self.project, ref, lang, out_dir=out))
        return len(frames)

    # -- recovery -----------------------------------------------------------------------------

    def abandon(self, row_id: int, now: datetime | None = None) -> str:
        """Reconcile a row whose publish job's worker died: ``sending`` becomes ``unknown``.

        Rows still ``claimed``/``rendering`` are left as they are: nothing reached the platform,
        and the retried job publishes them through the same compare-and-set.
        """
        hit = self.ledger.abandon_sending(row_id, now or self.context.now())
        return "unknown" if hit else "untouched"


def remove_stale_temps(folder: Any, *, now_s: float, older_than_s: float = 3600.0) -> int:
    """Delete temp files (``.*.tmp*``) a killed render left behind; return how many.

    A killed render never leaves a partial file under a final name (every write goes to a temp
    file, then ``os.replace``); this clears its temp files. A name that carries a process id is
    removed once no such process is alive; a random one (``mkstemp``) once it is an hour old.
    The check is per machine: keep the renders folder local, not on a shared volume.
    """
    from pathlib import Path

    path = Path(folder)
    if not path.is_dir():
        return 0
    removed = 0
    for f in path.rglob(".*.tmp*"):  # the folder and its video segment cache
        pids = [int(x) for x in f.name.split(".") if x.isdigit() and 1 < int(x) <= 4_194_304]
        if pids:
            stale = not any(pid == os.getpid() or _alive(pid) for pid in pids)
        else:
            try:
                stale = now_s - f.stat().st_mtime > older_than_s
            except FileNotFoundError:
                continue
        if stale:
            f.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
