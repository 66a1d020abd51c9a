"""A running publish job's hold on its rows, kept in procrastinate's job table.

A publish job that goes on with its channel's next rows (see :meth:`Runtime.publish_rows`)
records them in its own ``row_ids``, in the transaction that claims them: when its worker dies,
the stalled-job recovery reads that list, makes the rows it was sending ``unknown`` and retries
the job over all of them, exactly as for the rows it was deferred with.

A tick that claims rows of a channel whose job is running hands them to that job the same way
(:func:`hand_to_running`) rather than queueing a job that would wait behind its lock. The job
ends by closing its list (:func:`close`): a row added before that is published by it, and after
it no row is added (the tick defers a new job). Both take the job's row lock, so one of the two
orders holds.

Every function takes a psycopg connection inside an open transaction and leaves the commit to it.
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

# The oldest publish job waiting behind this one's lock (same force flag), removed and its rows
# returned (removed, not cancelled: procrastinate never deletes cancelled jobs); FOR UPDATE SKIP
# LOCKED, so a worker fetching it at that moment keeps it.
_ADOPT = (
    "DELETE FROM procrastinate_jobs"
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
    """Take over the next job waiting for ``lock`` behind ``job_id``: remove it and add its rows
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


_APPEND = (
    "UPDATE procrastinate_jobs"
    " SET args = jsonb_set(args, '{row_ids}', coalesce(args->'row_ids', '[]'::jsonb) || %s::jsonb)"
    " WHERE id = (SELECT id FROM procrastinate_jobs"
    "  WHERE lock = %s AND status = 'doing' AND task_name = %s AND NOT args ? 'closed'"
    "  AND coalesce((args->>'force')::boolean, false) = %s LIMIT 1)"
    # Again on the row as it is once locked: the job may have closed its list meanwhile.
    " AND status = 'doing' AND NOT args ? 'closed'"
    " RETURNING id"
)

_CLOSE = (
    "UPDATE procrastinate_jobs SET args = args || '{\"closed\": true}'::jsonb"
    " WHERE id = %s AND status = 'doing' AND coalesce(args->'row_ids', '[]'::jsonb) <@ %s::jsonb"
    " RETURNING id"
)


_OPEN = (
    "SELECT DISTINCT lock FROM procrastinate_jobs"
    " WHERE task_name = %s AND status = 'doing' AND lock = ANY(%s) AND NOT args ? 'closed'"
)


def open_locks(conn: Any, task: str, locks: set[str]) -> set[str]:
    """Which of ``locks`` have a running ``task`` job whose list of rows is open: the only ones
    :func:`hand_to_running` can add rows to (it checks again, on the job's locked row)."""
    if not locks:
        return set()
    return {r[0] for r in conn.execute(_OPEN, (task, sorted(locks))).fetchall()}


def hand_to_running(conn: Any, task: str, lock: str, kwargs: dict[str, Any]) -> bool:
    """Add a job's rows to the running job of ``lock`` (same force flag) if one takes more;
    False when none does (defer the job then)."""
    ids = [int(r) for r in kwargs.get("row_ids") or []]
    force = bool(kwargs.get("force"))
    return conn.execute(_APPEND, (json.dumps(ids), lock, task, force)).fetchone() is not None


# What _APPEND does for many locks in one statement: each lock's rows (and force flag) as one
# JSON record; the running job of each takes them, checked again on its locked row.
_APPEND_MANY = (
    "UPDATE procrastinate_jobs AS j"
    " SET args = jsonb_set(j.args, '{row_ids}', coalesce(j.args->'row_ids', '[]'::jsonb) || v.ids)"
    " FROM (SELECT DISTINCT ON (w.lock) r.id, w.lock, w.ids"
    "  FROM jsonb_to_recordset(%s::jsonb) AS w(lock text, ids jsonb, force boolean)"
    "  JOIN procrastinate_jobs AS r ON r.lock = w.lock AND r.status = 'doing' AND r.task_name = %s"
    "   AND NOT r.args ? 'closed' AND coalesce((r.args->>'force')::boolean, false) = w.force"
    "  ORDER BY w.lock, r.id) AS v"
    " WHERE j.id = v.id AND j.status = 'doing' AND NOT j.args ? 'closed'"
    " RETURNING v.lock"
)


def hand_many(conn: Any, task: str, jobs: Sequence[tuple[str, dict[str, Any]]]) -> set[str]:
    """:func:`hand_to_running` for jobs of many locks (one job each) in one statement; the locks
    whose running job took the rows (defer the others' jobs)."""
    if not jobs:
        return set()
    records = [
        {"lock": lock, "ids": [int(r) for r in kw.get("row_ids") or []], "force": bool(kw.get("force"))}
        for lock, kw in jobs
    ]
    return {r[0] for r in conn.execute(_APPEND_MANY, (json.dumps(records), task)).fetchall()}


def close(conn: Any, job_id: int, known: Sequence[int]) -> list[int] | None:
    """End job ``job_id``'s list of rows unless rows it does not know of were added to it.

    Returns None when the list is closed (or the job no longer runs here), else the added ids.
    """
    if conn.execute(_CLOSE, (job_id, json.dumps(sorted(known)))).fetchone() is not None:
        return None
    row = conn.execute(
        "SELECT status::text, args->'row_ids' FROM procrastinate_jobs WHERE id = %s", (job_id,)
    ).fetchone()
    if row is None or row[0] != "doing":
        return None
    seen = set(known)
    return [int(r) for r in row[1] or [] if int(r) not in seen]
