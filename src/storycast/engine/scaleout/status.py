"""What `storycast status` shows for the procrastinate engine: queues, workers, stuck jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...ledger.urls import project_pg_urls

if TYPE_CHECKING:
    from ...project import Project


@dataclass
class QueueStatus:
    """A snapshot of the job queue (read straight from procrastinate's tables)."""

    depth: dict[str, dict[str, int]] = field(default_factory=dict)  # queue -> status -> jobs
    workers_alive: int = 0
    workers_stalled: int = 0
    stuck: list[dict[str, Any]] = field(default_factory=list)  # running jobs of stalled workers
    schema: bool = True  # False: no worker has started yet (no procrastinate tables)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        """Plain-text summary for `storycast status`."""
        if not self.schema:
            return ["queue: no worker has started on this database yet (run `storycast worker`)"]
        out = []
        for queue in sorted(self.depth):
            counts = self.depth[queue]
            out.append(f"queue {queue}: " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        out.append(f"workers: {self.workers_alive} alive, {self.workers_stalled} silent")
        for job in self.stuck:
            out.append(
                f"stuck job #{job['id']} {job['task']} {job['args']} on a silent worker "
                "(recovered by the next tick)"
            )
        return out


def queue_status(project: Project) -> QueueStatus:
    """Queue depth per queue and status, live/silent workers, and jobs stuck on silent workers."""
    import psycopg

    from .schema import has_schema

    urls = project_pg_urls(project)
    stall = project.config.engine.stalled_after_seconds
    if not has_schema(urls.conninfo):
        return QueueStatus(schema=False)
    st = QueueStatus()
    with psycopg.connect(urls.conninfo, autocommit=True) as conn:
        for queue, status, n in conn.execute(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2"
        ):
            st.depth.setdefault(queue, {})[status] = n
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE last_heartbeat >= now() - make_interval(secs => %s)), "
            "count(*) FILTER (WHERE last_heartbeat < now() - make_interval(secs => %s)) "
            "FROM procrastinate_workers",
            (stall, stall),
        ).fetchone()
        st.workers_alive, st.workers_stalled = (int(row[0]), int(row[1])) if row else (0, 0)
        for jid, task, args in conn.execute(
            "SELECT j.id, j.task_name, j.args FROM procrastinate_jobs j "
            "LEFT JOIN procrastinate_workers w ON w.id = j.worker_id "
            "WHERE j.status = 'doing' AND (w.id IS NULL OR "
            "w.last_heartbeat < now() - make_interval(secs => %s)) ORDER BY j.id LIMIT 100",
            (stall,),
        ):
            st.stuck.append({"id": jid, "task": task, "args": args})
    return st
