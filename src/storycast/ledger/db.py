"""Opening the state database: engines, SQLite pragmas, migrations, bounded retries.

SQLite runs in WAL mode with a busy timeout; every write transaction starts with
``BEGIN IMMEDIATE`` so two processes never both read-then-write the same rows (that is what
makes claims atomic on SQLite). PostgreSQL claims use ``FOR UPDATE SKIP LOCKED`` instead
(see :mod:`.store`). A locked or unreachable database is retried a few times, then reported
as a :class:`~storycast.errors.LedgerError` (exit code 6) that never shows a password.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import LedgerError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")

MIGRATIONS = "storycast.ledger:migrations"
DEFAULT_TIMEOUT_S = 15.0  # total time a command waits for a locked/unreachable database


def timeout_from(environ: dict[str, str] | None = None) -> float:
    """Seconds to keep retrying a locked or unreachable database (STORYCAST_DB_TIMEOUT)."""
    env = os.environ if environ is None else environ
    try:
        value = float(env.get("STORYCAST_DB_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    # "nan" and "inf" parse as floats too; neither is a usable number of seconds.
    return max(value, 0.1) if math.isfinite(value) else DEFAULT_TIMEOUT_S


def safe_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages and logs."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + ":…"


def head_revision() -> str:
    """The newest migration this storycast knows."""
    return _script().get_current_head() or ""


def known_revisions() -> set[str]:
    return {rev.revision for rev in _script().walk_revisions()}


def _script() -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(cfg)


def make_engine(url: str, timeout_s: float = DEFAULT_TIMEOUT_S, *, threads: int = 1) -> Engine:
    """A SQLAlchemy engine for ``url`` with storycast's connection settings.

    ``threads``: how many threads of this process use it at once (a worker's concurrency); the
    server-database pool keeps that many connections, so no thread waits for another's.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = int(max(timeout_s / 3, 0.2) * 1000)
        engine = create_engine(url, connect_args={"timeout": busy_ms / 1000})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _rec: Any) -> None:
            # Autocommit at the driver level; SQLAlchemy's begin event issues BEGIN itself.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            mode = "DEFERRED" if conn.get_execution_options().get("storycast_read") else "IMMEDIATE"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(int(timeout_s / 3), 1)
    # No pre-ping: it costs a round trip per checkout (two per published frame). A pooled
    # connection the server dropped fails on its first statement, before anything is written;
    # SQLAlchemy then invalidates the pool and :func:`retrying` runs the work again.
    return create_engine(url, connect_args=connect_args, pool_size=max(5, threads + 1), max_overflow=10)


def is_transient(exc: BaseException) -> bool:
    """A locked, busy or unreachable database (worth retrying), as opposed to a bug."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "could not connect" in text


def describe(exc: BaseException, url: str) -> LedgerError:
    """Turn a driver error into a LedgerError with a sentence and a hint."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    where = safe_url(url)
    if "locked" in text.lower() or "busy" in text.lower():
        return LedgerError(
            f"the state database {where} is locked by another process and stayed locked",
            hint="another storycast (or a tool holding the file open) is writing; wait and rerun, "
            "or raise STORYCAST_DB_TIMEOUT (seconds)",
        )
    return LedgerError(
        f"cannot use the state database {where}: {text}",
        hint="check that the database server is running and reachable, and the URL in STORYCAST_DB or "
        "[state] db in storycast.toml",
    )


def retrying(fn: Callable[[], T], url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> T:
    """Run ``fn`` again after transient database errors, for at most about ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return fn()
        except LedgerError:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise describe(exc, url) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def current_revision(conn: Connection) -> str | None:
    """The revision stamped in the database, or None for an empty database."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def file_head() -> str | None:
    """The newest revision, read from the migration files' ``revision =`` lines without alembic.

    Every command opens the ledger, and an up-to-date schema is the usual case: telling that from
    these lines costs ~1 ms where alembic's script directory costs ~150 ms. None when the chain is
    not one straight line (alembic then decides).
    """
    import re

    folder = Path(__file__).parent / "migrations" / "versions"
    revisions: dict[str, str | None] = {}
    for file in folder.glob("*.py"):
        text = file.read_text(encoding="utf-8")
        rev = re.search(r'^revision = "([^"]+)"', text, re.M)
        down = re.search(r'^down_revision = (?:None|"([^"]+)")\s*$', text, re.M)
        if rev is None or down is None:
            return None
        revisions[rev.group(1)] = down.group(1)
    heads = set(revisions) - set(revisions.values())
    return heads.pop() if len(heads) == 1 else None


_UPGRADE_LOCK = threading.Lock()


def upgrade(engine: Engine, url: str, target: str = "head") -> None:
    """Bring the schema to ``target`` (normally head); refuse a database newer than us."""
    if _current_is(engine, target):
        return  # up to date: no need to load alembic
    # Alembic's `op` and `context` are module globals: two threads of one process (a request of
    # `storycast serve` and a command's own ledger, say) must not migrate at the same time.
    # Other processes are kept apart by the database's own lock.
    with _UPGRADE_LOCK:
        if not _current_is(engine, target):  # another thread may have just done it
            _upgrade(engine, url, target)


def _current_is(engine: Engine, target: str) -> bool:
    with engine.connect().execution_options(storycast_read=True) as conn:
        rev = current_revision(conn)
        conn.rollback()
    return rev is not None and target == "head" and rev == file_head()


def _upgrade(engine: Engine, url: str, target: str) -> None:
    with engine.connect().execution_options(storycast_read=True) as conn:
        rev = current_revision(conn)
        conn.rollback()
    from alembic import command
    from alembic.config import Config

    if rev is not None and rev not in known_revisions():
        raise LedgerError(
            f"the state database {safe_url(url)} was written by a newer storycast (schema revision {rev!r}; "
            f"this storycast knows up to {head_revision()!r})",
            hint="upgrade storycast (pip install -U storycast), or point STORYCAST_DB at another database",
        )
    if rev == target or (target == "head" and rev == head_revision()):
        return
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
        conn.commit()


@contextmanager
def transaction(engine: Engine, *, read: bool = False) -> Iterator[Connection]:
    """One transaction: BEGIN IMMEDIATE on SQLite unless ``read``; committed on success."""
    conn = engine.connect()
    if read:
        conn = conn.execution_options(storycast_read=True)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()


def database_exists(url: str) -> bool:
    """False only for a SQLite file that is not there yet (reading it would create it); a server
    database (PostgreSQL) is assumed to exist."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or bool(parsed.database and Path(parsed.database).exists())


def read_revision(url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> str | None:
    """The schema revision stamped in the database at ``url`` (None when empty), read without
    migrating anything; retried while the database is locked or unreachable."""
    engine = make_engine(url, timeout_s)
    try:

        def read() -> str | None:
            with engine.connect().execution_options(storycast_read=True) as conn:
                rev = current_revision(conn)
                conn.rollback()
                return rev

        return retrying(read, url, timeout_s)
    finally:
        engine.dispose()
