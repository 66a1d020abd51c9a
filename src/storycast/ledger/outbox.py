"""The claim's transaction as a job queue sees it (transactional outbox).

A queue hands claimed rows over and defers their jobs on the same database connection, inside
the claim's transaction: the claim and the jobs commit together or not at all. :class:`OutboxTx`
is that transaction without its SQL: the queue gets the driver connection to defer on, and
savepoints; the ledger keeps the statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from .rows import Row, naive
from .states import State
from .tables import publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class OutboxTx:
    """One open ledger transaction, lent to a queue for the hand-over."""

    def __init__(self, conn: Connection, ids_in: Callable[[Any, Sequence[int]], Any]) -> None:
        self._conn = conn
        self._ids_in = ids_in

    @property
    def driver_connection(self) -> Any:
        """The database driver's connection of this very transaction (psycopg on PostgreSQL)."""
        return self._conn.connection.driver_connection

    def hand_to_queue(self, rows: Sequence[Row], owner: str, lease_until: datetime) -> int:
        """Mark claimed rows as owned by the queue until ``lease_until``; return how many."""
        p = publication
        return self._conn.execute(
            update(p)
            .where(self._ids_in(p.c.id, [r.id for r in rows]), p.c.state == State.CLAIMED.value)
            .values(claimed_by=owner, lease_until_utc=naive(lease_until))
        ).rowcount

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside rolls back only what it did, then propagates."""
        with self._conn.begin_nested():
            yield
