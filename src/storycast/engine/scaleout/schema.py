"""procrastinate's tables in the ledger's database, created once (safe with many workers starting)."""

from __future__ import annotations

SCHEMA_LOCK = 0x5C0A_0001  # pg advisory lock key: one process creates the tables, the others wait


def has_schema(conninfo: str) -> bool:
    """True when procrastinate's job table exists in this database (and search_path)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        return bool(row and row[0])


def ensure_schema(conninfo: str) -> bool:
    """Create procrastinate's schema unless present; True when this call created it."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            if row and row[0]:
                return False
            with conn.transaction():
                conn.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
