"""The ledger's connection: opening and migrating, retries, transactions, and the meta table.

:class:`LedgerBase` is what every part of :class:`~storycast.ledger.store.Ledger` builds on:
``_write`` runs a function in one write transaction, ``_read`` in a read one, ``_write_one``
one self-contained statement in autocommit; each retries while the database is locked or
unreachable (``STORYCAST_DB_TIMEOUT``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import bindparam, insert, select, update

from . import db
from .tables import meta

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")


class LedgerBase:
    """The publication ledger over one database URL: connection, retries and transactions."""

    def __init__(self, url: str, timeout_s: float = db.DEFAULT_TIMEOUT_S, *, threads: int = 1) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.engine: Engine = db.make_engine(url, timeout_s, threads=threads)
        self.dialect = self.engine.dialect.name
        self._live_tokens: set[str] = set()

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls, url: str, timeout_s: float = db.DEFAULT_TIMEOUT_S, *, migrate: bool = True, threads: int = 1
    ) -> Self:
        """Connect, refuse a newer schema, and upgrade an older one (retrying while locked)."""
        ledger = cls(url, timeout_s, threads=threads)
        if migrate:
            ledger.retry(lambda: db.upgrade(ledger.engine, url))
        return ledger

    def close(self) -> None:
        self.engine.dispose()

    def retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` with bounded retries on a locked/unreachable database."""
        return db.retrying(fn, self.url, self.timeout_s)

    def _write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in one write transaction (retried as a whole while locked)."""

        def run() -> T:
            with db.transaction(self.engine) as conn:
                return fn(conn)

        return self.retry(run)

    def ids_in(self, column: Any, ids: Sequence[int]) -> Any:
        """``column IN ids``; on PostgreSQL ``= ANY(array)``: one statement text whatever the count,
        so neither the driver nor the server parses a new query for every batch size."""
        if self.dialect == "postgresql":
            from sqlalchemy import Integer, any_
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == any_(bindparam("ids_any", list(ids), type_=ARRAY(Integer)))
        return column.in_(list(ids))

    def _write_one(self, fn: Callable[[Connection], T]) -> T:
        """Run one self-contained statement in autocommit (PostgreSQL): no BEGIN/COMMIT round trips.

        Only for a single statement that is atomic on its own (its CTEs included); anything that
        needs two statements to agree goes through :meth:`_write`.
        """

        def run() -> T:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return fn(conn)

        return self.retry(run)

    @property
    def raw_pg(self) -> bool:
        """True when :meth:`_pg_one` may be used: PostgreSQL through psycopg 3."""
        return self.dialect == "postgresql" and self.engine.dialect.driver == "psycopg"

    def _pg_one(self, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run one self-contained SQL statement in autocommit on a pooled connection's psycopg
        connection; its first row (None when it returns none). Only when :attr:`raw_pg`.

        What :meth:`_write_one` does without SQLAlchemy's statement machinery (checkout of a
        Connection, compile cache, isolation switching, result wrapping): for the send path's
        statements, run once per published frame, that machinery cost more CPU than psycopg and
        the server together. The statement is written in PostgreSQL's SQL with psycopg's
        ``%(name)s`` parameters; driver errors come out as SQLAlchemy's (retried the same way).
        It is prepared on the connection at its first run, not its sixth (psycopg's default):
        planning one of these statements costs the server more than running it.
        """
        import psycopg
        from sqlalchemy.exc import DBAPIError

        def run() -> tuple[Any, ...] | None:
            raw = self.engine.raw_connection()
            try:
                pg: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
                try:
                    pg.autocommit = True
                    try:
                        return pg.execute(sql, params, prepare=True).fetchone()  # type: ignore[arg-type]
                    finally:
                        pg.autocommit = False
                except psycopg.Error as exc:
                    if pg.closed or pg.broken:
                        raw.invalidate(exc)  # a dropped connection must not go back to the pool
                    raise DBAPIError.instance(sql, dict(params), exc, psycopg.Error) from exc
            finally:
                raw.close()

        return self.retry(run)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in one read transaction."""

        def run() -> T:
            with db.transaction(self.engine, read=True) as conn:
                return fn(conn)

        return self.retry(run)

    # -- meta -----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return self._read(lambda c: c.execute(select(meta.c.value).where(meta.c.key == key)).scalar())

    def set_meta(self, key: str, value: str) -> None:
        def run(c: Connection) -> None:
            if c.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
                c.execute(self._insert_ignore(meta).values(key=key, value=value))

        self._write(run)

    # -- inserting ------------------------------------------------------------------------

    def _insert_ignore(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as lite_insert

            return lite_insert(table).on_conflict_do_nothing()
        return insert(table).prefix_with("IGNORE")
