"""Copying the ledger to another database, every row, verified (``storycast db migrate-to URL``).

The target is brought to the newest schema by the ledger's own migrations, must be empty, and is
filled in one transaction (all or nothing). Afterwards each table's row count and a checksum of
its rows (read back through the same typed columns on both sides) must match, and PostgreSQL's
id sequences continue after the copied ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import LedgerError

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

CHUNK = 1000


@dataclass
class TableCopy:
    """One table: rows copied and the checksum both sides agree on."""

    name: str
    rows: int
    checksum: str


@dataclass
class CopyReport:
    """What :func:`copy_ledger` copied (source and target shown without passwords)."""

    source: str
    target: str
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "total": self.total,
            "tables": [t.__dict__ for t in self.tables],
        }


def normalize_target(url: str) -> str:
    """A PostgreSQL URL gets the psycopg 3 driver (the one storycast installs); others pass."""
    if url.startswith(("postgresql:", "postgres:", "postgresql+")):
        from .urls import pg_urls

        return pg_urls(
            url.replace("postgres:", "postgresql:", 1) if url.startswith("postgres:") else url
        ).sqlalchemy
    return url


def _value(v: Any) -> str:
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat()
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(round(v, 9))
    return "\x00" if v is None else str(v)


def table_digest(conn: Connection, table: Table) -> tuple[int, str]:
    """Row count and sha256 of a table's rows in primary-key order."""
    from sqlalchemy import select

    h = hashlib.sha256()
    n = 0
    result = conn.execution_options(stream_results=True).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for row in result:
        h.update("\x1f".join(_value(v) for v in row).encode("utf-8"))
        h.update(b"\x1e")
        n += 1
    return n, h.hexdigest()


def copy_ledger(source_url: str, target_url: str, timeout_s: float = 15.0) -> CopyReport:
    """Copy every ledger table from ``source_url`` into the empty ``target_url``; verify; report."""
    from sqlalchemy import func, insert, inspect, select, text

    from .db import safe_url
    from .models import Base
    from .store import Ledger

    target_url = normalize_target(target_url)
    if safe_url(source_url) == safe_url(target_url):
        raise LedgerError(
            "the source and target of the migration are the same database",
            hint="name the new database: storycast db migrate-to postgresql+psycopg://user@host/db",
        )
    report = CopyReport(safe_url(source_url), safe_url(target_url))
    src = Ledger.open(source_url, timeout_s)
    dst = Ledger.open(target_url, timeout_s)
    try:
        tables = list(Base.metadata.sorted_tables)
        known = {t.name for t in tables} | {"alembic_version"}
        extra = sorted(set(inspect(src.engine).get_table_names()) - known)
        if extra:
            raise LedgerError(
                f"the source ledger has tables this storycast does not know: {', '.join(extra)}",
                hint="upgrade storycast to the version that wrote them, then migrate",
            )
        with dst.engine.connect() as d:
            busy = [t.name for t in tables if d.execute(select(func.count()).select_from(t)).scalar_one()]
            d.rollback()
        if busy:
            raise LedgerError(
                f"the target database {report.target} already has ledger rows (in {', '.join(busy)})",
                hint="migrate into a new, empty database; storycast never merges two ledgers",
            )
        with src.engine.connect().execution_options(storycast_read=True) as s, dst.engine.begin() as d:
            for t in tables:
                result = s.execution_options(stream_results=True).execute(
                    select(t).order_by(*t.primary_key.columns)
                )
                while chunk := result.fetchmany(CHUNK):
                    d.execute(insert(t), [dict(r._mapping) for r in chunk])
            if dst.dialect == "postgresql":
                for t in tables:
                    pk = list(t.primary_key.columns)
                    if len(pk) == 1 and pk[0].autoincrement is not False and pk[0].type.python_type is int:
                        col = pk[0].name
                        d.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{t.name}', '{col}'), "
                                f"COALESCE(MAX({col}), 1), MAX({col}) IS NOT NULL) FROM {t.name}"
                            )
                        )
            s.rollback()
        with src.engine.connect().execution_options(storycast_read=True) as s, dst.engine.connect() as d:
            for t in tables:
                want = table_digest(s, t)
                got = table_digest(d, t)
                if want != got:
                    raise LedgerError(
                        f"table {t.name} differs after the copy ({want[0]} rows in the source, "
                        f"{got[0]} in the target)",
                        hint="the source changed during the copy? stop every storycast process, "
                        "drop the target database and run the migration again",
                    )
                report.tables.append(TableCopy(t.name, want[0], want[1]))
            s.rollback()
            d.rollback()
        return report
    finally:
        src.close()
        dst.close()
