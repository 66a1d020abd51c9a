"""A running publish job's hold on its rows, kept in procrastinate's job table.

A publish job that goes on with its channel's next rows (see :meth:`Runtime.publish_rows`)
records them in its own ``row_ids``, in the transaction that claims them: when its worker dies,
the stalled-job recovery reads that list, makes the rows it was sending ``unknown`` and retries
the job over all of them, exactly as for the rows it was deferred with.

Both functions take a psycopg connection inside an open transaction and leave the commit to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

_EXTEND = (
    "UPDATE procrastinate_jobs"
    " SET args = jsonb_set(args, '{row_ids}', coalesce(args->'row_ids', '[]'::jsonb) || %s::jsonb)"
    " WHERE id = %s AND status = 'doing'"
)

# The oldest publish job waiting behind this one's lock (same force flag), cancelled and its rows
# returned; FOR UPDATE SKIP LOCKED, so a worker fetching it at that moment keeps it.
_ADOPT = (
    "UPDATE procrastinate_jobs SET status = 'cancelled'"
    " WHERE id = (SELECT id FROM procrastinate_jobs"
    "  WHERE lock = %s AND status = 'todo' AND task_name = %s AND id <> %s"
    "  AND coalesce((args->>'force')::boolean, false) = %s"
    "  ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " AND status = 'todo'"
    " RETURNING args->'row_ids'"
)


def extend(conn: Any, job_id: int, row_ids: Sequence[int]) -> bool:
    """Add ``row_ids`` to running job ``job_id``'s rows; False when it is no longer running here
    (its worker was taken for dead and the job retried): the caller must then roll back."""
    cur = conn.execute(_EXTEND, (json.dumps([int(r) for r in row_ids]), job_id))
    return cur.rowcount == 1


def adopt(conn: Any, job_id: int, task: str, lock: str, force: bool) -> list[int] | None:
    """Take over the next job waiting for ``lock`` behind ``job_id``: cancel it and add its rows
    to ``job_id``'s. Returns those rows' ids; None when no job waits or ``job_id`` stopped running."""
    mine = conn.execute(
        "SELECT 1 FROM procrastinate_jobs WHERE id = %s AND status = 'doing' FOR UPDATE", (job_id,)
    ).fetchone()
    if mine is None:
        return None
    got = conn.execute(_ADOPT, (lock, task, job_id, force)).fetchone()
    if got is None:
        return None
    ids = [int(r) for r in (got[0] if isinstance(got[0], list) else [])]
    extend(conn, job_id, ids)  # the job's row is locked above: it is still running
    return ids
