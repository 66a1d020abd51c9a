"""Reading the ledger over the DB-API: what ``storycast status`` shows, without SQLAlchemy.

Opening the full :class:`~storycast.ledger.store.Ledger` for a few reads costs far more than the
reads: importing SQLAlchemy, an engine and its dialect, a schema check through its inspector, and
compiling every statement anew in a fresh process. Neither this module nor the package imports
SQLAlchemy. When the ledger is a SQLite file whose schema is this
storycast's newest, :class:`LedgerReader` answers the read methods status needs (:meth:`find`,
:meth:`counts`, :meth:`count_waiting`, :meth:`count_awaiting`, :meth:`delivery_report`,
:meth:`history`) with the standard library's ``sqlite3`` and the statements the Ledger builds,
and hands out the same values (:class:`~.rows.Row`; naive UTC in the file, aware UTC out).
Tests hold each method to the Ledger's answer.

Everything else goes the usual way: :func:`read_ledger` runs its function over the full Ledger
when the ledger is missing, older or newer than this storycast, not SQLite (PostgreSQL), or when
the reader meets any database error (locked, corrupt, unreadable); the full Ledger then migrates,
retries and reports exactly as every other command does. A read-only function may therefore
run twice; it must not write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .db import DEFAULT_TIMEOUT_S, file_head, timeout_from
from .rows import (
    AWAITING,
    WAITING,
    HistoryItem,
    Row,
    RowQuery,
    aware,
    delivery_counts_of,
    delivery_line_of,
    naive,
    newest_history,
)
from .states import State

if TYPE_CHECKING:
    from .store import Ledger

T = TypeVar("T")

ROW_COLUMNS = tuple(f.name for f in fields(Row))
# Columns stored as SQLAlchemy DateTime (text in SQLite) and Boolean (0/1), converted on the way out.
_TIMES = frozenset(name for name in ROW_COLUMNS if name.endswith("_utc"))
_BOOLS = frozenset({"retryable"})
_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


class Unreadable(Exception):
    """The reader met a database error; the full Ledger tells what it is (see :func:`read_ledger`)."""


def _stored(dt: datetime) -> str:
    """A time as SQLAlchemy's SQLite DateTime stores it (naive UTC, microseconds always)."""
    n = naive(dt)
    return f"{n:%Y-%m-%d %H:%M:%S}.{n.microsecond:06d}"


def _loaded(value: Any) -> datetime | None:
    # SQLAlchemy's SQLite DateTime reads with datetime.fromisoformat too.
    return None if value is None else aware(datetime.fromisoformat(value))


def _like_prefix(column: str, prefix: str) -> tuple[str, str]:
    """``column LIKE 'prefix%' ESCAPE '\\'`` and its parameter (as ``rows._like_prefix`` builds)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{column} LIKE ? ESCAPE '\\'", escaped + "%"


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything the reader leaves to SQLAlchemy
    (memory, query options, escapes, other databases)."""
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if not rest or rest == ":memory:" or "?" in rest or "%" in rest:
                return None
            return Path(rest)
    return None


class LedgerReader:
    """The read methods of :class:`~storycast.ledger.store.Ledger` that ``status`` uses, over sqlite3."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def connect(cls, url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> LedgerReader | None:
        """A reader of the SQLite file at ``url`` when it exists and its schema is the newest this
        storycast knows; None otherwise (the full Ledger then creates, migrates or refuses it)."""
        path = sqlite_path(url)
        head = file_head()
        if path is None or head is None or not path.is_file():
            return None
        # A lock is the full Ledger's to wait out and report (it retries for STORYCAST_DB_TIMEOUT).
        busy_s = min(max(timeout_s / 3, 0.2), 1.0)
        try:
            conn = sqlite3.connect(path, timeout=busy_s, isolation_level=None)
        except sqlite3.Error:
            return None
        reader = cls(conn)
        try:
            current = reader._one("SELECT version_num FROM alembic_version")
        except Unreadable:
            current = None
        if current != head:
            reader.close()
            return None
        return reader

    def close(self) -> None:
        self._conn.close()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            cur = self._conn.execute(sql, tuple(params))
            cur.row_factory = sqlite3.Row
            return cur.fetchall()
        except sqlite3.Error as exc:
            raise Unreadable(str(exc)) from exc

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        got = self._all(sql, params)
        return got[0][0] if got else None

    # -- the Ledger's read methods --------------------------------------------------------

    def find(self, query: RowQuery | None = None) -> list[Row]:
        """As :meth:`Ledger.find`: rows matching ``query``, due time order by default."""
        q = query or RowQuery()
        where: list[str] = []
        params: list[Any] = []
        if q.ids is not None:
            ids = list(q.ids)
            where.append(f"id IN ({', '.join('?' * len(ids))})" if ids else "1 != 1")
            params += ids
        if q.states is not None:
            states = list(q.states)
            where.append(f"state IN ({', '.join('?' * len(states))})" if states else "1 != 1")
            params += [str(s) for s in states]
        if q.ref is not None:
            where.append("ref = ?")
            params.append(q.ref)
        if q.due_from is not None:
            where.append("due_utc >= ?")
            params.append(_stored(q.due_from))
        if q.due_to is not None:
            where.append("due_utc <= ?")
            params.append(_stored(q.due_to))
        if q.checked_before is not None:
            where.append("(checked_utc IS NULL OR checked_utc < ?)")
            params.append(_stored(q.checked_before))
        sql = f"SELECT {', '.join(ROW_COLUMNS)} FROM publication"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY due_utc, id" if q.order == "due" else " ORDER BY id"
        if q.limit is not None:
            sql += " LIMIT ?"
            params.append(q.limit)
        return [self._row(r) for r in self._all(sql, params)]

    @staticmethod
    def _row(r: sqlite3.Row) -> Row:
        values: dict[str, Any] = {}
        for name in ROW_COLUMNS:
            v = r[name]
            if name in _TIMES:
                v = _loaded(v)
            elif name in _BOOLS and v is not None:
                v = bool(v)
            values[name] = v
        return Row(**values)

    def counts(self) -> dict[str, int]:
        """As :meth:`Ledger.counts`: rows per state."""
        return {s: n for s, n in self._all("SELECT state, count(*) FROM publication GROUP BY state")}

    def _count_due_planned(self, now: datetime, reason_prefix: str) -> int:
        like, pattern = _like_prefix("reason", reason_prefix)
        n = _stored(now)
        sql = (
            "SELECT count(*) FROM publication "
            f"WHERE state = ? AND due_utc <= ? AND deadline_utc >= ? AND {like}"
        )
        return int(self._one(sql, (State.PLANNED.value, n, n, pattern)))

    def count_waiting(self, now: datetime) -> int:
        """As :meth:`Ledger.count_waiting`: due planned rows that wait for a fix."""
        return self._count_due_planned(now, WAITING)

    def count_awaiting(self, now: datetime) -> int:
        """As :meth:`Ledger.count_awaiting`: due planned rows that wait for approval."""
        return self._count_due_planned(now, AWAITING)

    def delivery_report(self) -> list[dict[str, Any]]:
        """As :meth:`Ledger.delivery_report`: delivery counts per row, oldest row first."""
        counts = delivery_counts_of(self._all("SELECT * FROM delivery ORDER BY id"))
        if not counts:
            return []
        ids = sorted(counts)
        sql = (
            "SELECT id, channel, kind, ref, lang, frame, due_utc FROM publication "
            f"WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY due_utc, id"
        )
        return [
            delivery_line_of({**dict(r), "due_utc": datetime.fromisoformat(r["due_utc"])}, counts)
            for r in self._all(sql, ids)
        ]

    def history(self, limit: int, publication_id: int) -> list[HistoryItem]:
        """As :func:`storycast.ledger.admin.history` for one existing row: newest first."""
        attempts = self._all(
            "SELECT attempt.*, publication.ref, publication.channel, publication.lang, publication.frame "
            "FROM attempt JOIN publication ON publication.id = attempt.publication_id "
            "WHERE attempt.publication_id = ? ORDER BY attempt.started_utc DESC, attempt.id DESC LIMIT ?",
            (publication_id, limit),
        )
        events = self._all(
            "SELECT * FROM event WHERE publication_id = ? ORDER BY at_utc DESC, id DESC LIMIT ?",
            (publication_id, limit),
        )
        return newest_history(
            [_times(r, "started_utc", "finished_utc") for r in attempts],
            [_times(r, "at_utc") for r in events],
            limit,
        )


def _times(r: sqlite3.Row, *names: str) -> dict[str, Any]:
    out = dict(r)
    for name in names:
        out[name] = None if out[name] is None else datetime.fromisoformat(out[name])
    return out


class LedgerPlace(Protocol):
    """Where a ledger is: a :class:`~storycast.project.Project`, or what ``status`` kept of one."""

    @property
    def environ(self) -> dict[str, str]: ...
    @property
    def db_url(self) -> str: ...


def read_ledger(project: LedgerPlace, fn: Callable[[LedgerReader | Ledger], T]) -> T:
    """``fn(ledger)`` over a :class:`LedgerReader` when it can be used, else over the full Ledger.

    ``fn`` only reads. When the reader meets a database error, ``fn`` runs again over the full
    Ledger, which opens, migrates, retries and reports errors as every command does.
    """
    timeout_s = timeout_from(project.environ)
    reader = LedgerReader.connect(project.db_url, timeout_s)
    if reader is not None:
        try:
            return fn(reader)
        except Unreadable:
            pass  # the full Ledger below says what is wrong, as it always has
        finally:
            reader.close()
    from .store import Ledger

    ledger = Ledger.open(project.db_url, timeout_s)  # as open_ledger(project)
    try:
        return fn(ledger)
    finally:
        ledger.close()
