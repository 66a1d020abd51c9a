"""The procrastinate App: a periodic ``tick`` (queue ``control``), ``render`` and ``publish`` jobs.

Built per project (its ``[engine]`` section sets the tick's cron and the worker's heartbeat), so
every worker process of a deployment calls :func:`make_app` on the same storycast.toml::

    scale = make_app(project, context)
    scale.run_worker(queues=["publish"], concurrency=8)   # blocks; SIGTERM drains and returns

procrastinate defers the periodic tick once per period whatever the number of workers
(``periodic_id="tick"``, plus ``queueing_lock="tick"`` so a backlog never holds two).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .runtime import PUBLISH, RENDER, TICK, Runtime

if TYPE_CHECKING:
    from procrastinate import App, JobContext

    from ...context import Context
    from ...project import Project

log = logging.getLogger("storycast.worker")


@dataclass
class ScaleOut:
    """The App, the job bodies it runs, and the project they belong to."""

    app: App
    runtime: Runtime
    project: Project

    def run_worker(self, queues: list[str] | None = None, concurrency: int | None = None) -> None:
        """Run a worker until SIGTERM/SIGINT: it stops taking jobs, finishes those running, returns."""
        from .schema import ensure_schema

        cfg = self.project.config.engine
        if concurrency is None:
            concurrency = cfg.render_concurrency if queues == ["render"] else cfg.publish_concurrency
        ensure_schema(self.runtime.urls.conninfo)
        # Sync job bodies run on the event loop's default executor, whose stock size is
        # min(32, CPUs + 4) threads: on a small machine that, not --concurrency, would cap the
        # jobs running at once. Size it (and the ledger's pool) to the concurrency, plus the tick.
        self.runtime.threads = concurrency + 2
        if queues is None or "publish" in queues:
            # Open the ledger and its connections now, while the worker waits for work: its first
            # publish jobs would otherwise each open one (a new server process) before posting.
            self.runtime.warm(concurrency + 1)
            # Publish jobs are threads that mostly wait on the database and the platform; one
            # whose answer came waits for the interpreter lock until the running thread yields
            # it, every 5 ms by default. 1 ms: 1,000 posts on 25 accounts over 3 workers took
            # 7.0 instead of 8.4 s (medians of 8 interleaved runs each, 7 pairs of 8 faster;
            # load 9 to 15), for the same CPU.
            sys.setswitchinterval(0.001)

        async def serve() -> None:
            loop = asyncio.get_running_loop()
            executor = ThreadPoolExecutor(max_workers=concurrency + 2, thread_name_prefix="storycast-job")
            loop.set_default_executor(executor)
            async with self.app.open_async():
                options: dict[str, Any] = {"queues": queues}  # None: every queue
                await self.app.run_worker_async(
                    **options,
                    concurrency=concurrency,
                    update_heartbeat_interval=cfg.heartbeat_seconds,
                    stalled_worker_timeout=cfg.stalled_after_seconds,
                    fetch_job_polling_interval=cfg.poll_seconds,
                    # Finished jobs are kept an hour (see tick_task), not deleted at once: deleting
                    # a periodic job leaves its defer record without a job, which a restarted
                    # worker may trip over in the same period (procrastinate#1495).
                    install_signal_handlers=True,
                )

        try:
            asyncio.run(serve())
        finally:
            self.runtime.close()

    async def recover_stalled(self) -> dict[str, int]:
        """Jobs of workers whose heartbeat stopped: reconcile their rows, then run them again.

        Not a blind retry: a publish job's row that was ``sending`` is made ``unknown`` first (the
        post may be out), so the retried job is a no-op and reconcile asks the channel. A row that
        never reached ``sending`` is published by the retried job through the same CAS.
        """
        from procrastinate.jobs import Status

        jm = self.app.job_manager
        cfg = self.project.config.engine
        counts = {"retried": 0, "unknown": 0, "dropped": 0}
        stalled = await jm.get_stalled_jobs(seconds_since_heartbeat=cfg.stalled_after_seconds)
        for job in list(stalled)[:1000]:  # bounded: the rest wait for the next tick
            if job.task_name == TICK:
                # The next periodic tick sweeps everything anyway; do not hold a second one.
                await jm.finish_job(job, status=Status.FAILED, delete_job=False)
                counts["dropped"] += 1
                continue
            if job.task_name == PUBLISH:
                ids = job.task_kwargs.get("row_ids") or []
                for row_id in ids if isinstance(ids, list) else []:
                    if await asyncio.to_thread(self.runtime.abandon, int(row_id)) == "unknown":  # type: ignore[arg-type]
                        counts["unknown"] += 1
            await jm.retry_job(job)
            counts["retried"] += 1
        # Forget the silent workers once their jobs are handled (status counts the live ones).
        await jm.prune_stalled_workers(cfg.stalled_after_seconds)
        if any(counts.values()):
            log.warning("recovered stalled jobs: %s", counts)
        return counts


def make_app(project: Project, context: Context | None = None) -> ScaleOut:
    """The procrastinate App of ``project`` (ConfigError unless its ledger is PostgreSQL)."""
    from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
    from procrastinate.manager import JobManager
    from procrastinate.tasks import configure_task

    from ...context import Context
    from ...ledger.urls import project_pg_urls
    from . import jobtable

    ctx = context or Context()
    urls = project_pg_urls(project)
    cfg = project.config.engine
    app = App(connector=PsycopgConnector(conninfo=urls.conninfo))
    # Deferring inside the ledger's transaction uses a sync connector on *that* connection; it
    # never opens a pool of its own.
    outbox = JobManager(SyncPsycopgConnector(conninfo=urls.conninfo))

    def defer(task: str, conn: Any, options: dict[str, Any], kwargs_list: list[dict[str, Any]]) -> None:
        lock = options.get("lock")
        if task == PUBLISH and lock:
            # A channel's job that is running takes the rows itself: no job waits behind its lock.
            kwargs_list = [kw for kw in kwargs_list if not jobtable.hand_to_running(conn, task, lock, kw)]
        if kwargs_list:
            configured = configure_task(name=task, job_manager=outbox, connection=conn, **options)
            configured.batch_defer(*kwargs_list)

    def defer_publish(conn: Any, jobs: list[tuple[str, dict[str, Any]]]) -> None:
        # What defer does for publish jobs of many channels (one lock each) in two statements
        # whatever their number: the running jobs take their channels' rows in one (a tick
        # claiming for 25 accounts whose jobs run no longer asks 25 times), then the rest are
        # deferred together.
        handed = jobtable.hand_many(conn, PUBLISH, jobs)
        todo = [(lock, kw) for lock, kw in jobs if lock not in handed]
        if todo:
            made = [
                configure_task(
                    name=PUBLISH, job_manager=outbox, connection=conn, queue="publish", lock=lock
                ).make_new_job(**kw)
                for lock, kw in todo
            ]
            outbox.batch_defer_jobs(made, connection=conn)

    runtime = Runtime(project, ctx, defer, defer_publish)
    scale = ScaleOut(app, runtime, project)

    @app.periodic(cron=cfg.tick_cron, periodic_id="tick")
    @app.task(name=TICK, queue="control", queueing_lock="tick")
    async def tick_task(timestamp: int) -> dict[str, Any]:
        recovered = await scale.recover_stalled()
        await app.job_manager.delete_old_jobs(nb_hours=1)  # succeeded jobs older than an hour
        report = await asyncio.to_thread(runtime.tick_if_idle)
        if report is None:
            return {"skipped": "another tick is running", **recovered}
        out = {"queued": report.count("queued"), "missed": report.missed, **recovered}
        log.info("tick %s: %s", timestamp, out)
        return out

    @app.task(name=PUBLISH, queue="publish", pass_context=True)
    def publish_task(context: JobContext, row_ids: list[int], force: bool = False) -> list[str]:
        # The job id: the job records the rows it goes on with in its own row_ids.
        return runtime.publish_rows(row_ids, force=force, job_id=context.job.id)

    @app.task(name=RENDER, queue="render")
    def render_task(
        kind: str,
        ref: str,
        langs: list[str] | None = None,
        lang: str | None = None,
        video: bool = False,
        channels: list[str] | None = None,
    ) -> int:
        return runtime.render_langs(
            kind, ref, [*(langs or []), *([lang] if lang else [])], video=video, channels=channels or ()
        )

    return scale
