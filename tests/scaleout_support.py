"""Test-only support for the scale-out tests and bench: a `pgrecorder` channel plugin and helpers.

The channel records every call in a PostgreSQL table with a UNIQUE idempotency key (and a UNIQUE
row id), so a duplicate publication is refused by the database and written to ``sc_duplicates``;
``lookup`` reads the same table, so reconcile can tell whether an ambiguous call got through.
Per call it can sleep ``delay_ms`` (a platform's latency) and, when ``SC_HANG`` is set in the
worker's environment, hang after the platform accepted the post (to be killed there). With
``SC_HOLD_UNTIL_PIDS=N`` it holds every call, once recorded, until N processes have made one: a
test's way to make sure each of N workers takes part (see that test for why it cannot deadlock).
"""

from __future__ import annotations

import itertools
import os
import textwrap
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path


def admin_dsn() -> str | None:
    """A DSN for creating databases: the `test` database, else the always-present `postgres`."""
    import psycopg

    for dbname in ("test", "postgres"):
        dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}"
        try:
            psycopg.connect(dsn, connect_timeout=3).close()
            return dsn
        except Exception:
            continue
    return None


PLUGIN = '''
"""storycast test plugin: the `pgrecorder` channel (calls recorded in PostgreSQL, UNIQUE per key)."""
from __future__ import annotations

import os
import threading
import time

import psycopg

from storycast.channels.base import Capabilities, Channel, PermanentFailure, PublishRequest, PublishResult
from storycast.hookspecs import hookimpl

_local = threading.local()
_gate_open = threading.Event()  # set once SC_HOLD_UNTIL_PIDS processes have made a call


def _conn(dsn):
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    c = conns.get(dsn)
    if c is None or c.closed:
        c = conns[dsn] = psycopg.connect(dsn, autocommit=True)
        # The fake platform's own log need not survive a server crash: keep its commits cheap,
        # so the benchmark measures storycast's path, not the fake's fsyncs.
        c.execute("SET synchronous_commit = off")
    return c


def _hold(c):
    """Wait until SC_HOLD_UNTIL_PIDS distinct processes have recorded a call (at most 120 s)."""
    want = int(os.environ.get("SC_HOLD_UNTIL_PIDS", "0") or 0)
    deadline = time.monotonic() + 120
    while want and not _gate_open.is_set() and time.monotonic() < deadline:
        if c.execute("SELECT count(DISTINCT pid) FROM sc_calls").fetchone()[0] >= want:
            _gate_open.set()
        else:
            time.sleep(0.1)


class PgRecorderChannel(Channel):
    type_name = "pgrecorder"
    capabilities = Capabilities(images=True)
    lookup_authoritative = True  # the table is the platform: absent means not published

    class Options(Channel.Options):
        dsn: str
        delay_ms: int = 0

    def publish(self, request: PublishRequest) -> PublishResult:
        c = _conn(self.options.dsn)
        try:
            c.execute(
                "INSERT INTO sc_calls (key, row_id, channel, pid) VALUES (%s, %s, %s, %s)",
                (request.idempotency_key, request.row_id, self.name, os.getpid()),
            )
        except psycopg.errors.UniqueViolation:
            c.execute(
                "INSERT INTO sc_duplicates (key, row_id, channel, pid) VALUES (%s, %s, %s, %s)",
                (request.idempotency_key, request.row_id, self.name, os.getpid()),
            )
            raise PermanentFailure("DUPLICATE publication of row %d" % request.row_id)
        _hold(c)
        if self.options.delay_ms:
            time.sleep(self.options.delay_ms / 1000)
        hang = float(os.environ.get("SC_HANG", "0") or 0)
        if hang:
            time.sleep(hang)  # the platform has the post; the worker is killed here
        c.execute(
            "UPDATE sc_calls SET finished = clock_timestamp() WHERE key = %s", (request.idempotency_key,)
        )
        return PublishResult(remote_id="pg-" + request.idempotency_key[:12])

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        row = _conn(self.options.dsn).execute(
            "SELECT key FROM sc_calls WHERE key = %s", (request.idempotency_key,)
        ).fetchone()
        return PublishResult(remote_id="pg-" + row[0][:12]) if row else None


@hookimpl
def register_channel_types():
    return [PgRecorderChannel]
'''

CALL_TABLES = """
CREATE TABLE IF NOT EXISTS sc_calls (
    key text PRIMARY KEY,
    row_id integer NOT NULL UNIQUE,
    channel text NOT NULL,
    pid integer NOT NULL,
    started timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished timestamptz
);
CREATE TABLE IF NOT EXISTS sc_duplicates (
    id serial PRIMARY KEY, key text, row_id integer, channel text, pid integer
);
"""


from tests.plugin_support import install_plugin  # noqa: E402

PG_PLUGIN_DIR = install_plugin("sc_pgrecorder", "pgrecorder", PLUGIN)


@contextmanager
def fresh_database(prefix: str = "storycast_scale") -> Iterator[tuple[str, str]]:
    """A new database on 127.0.0.1 with the call tables: (SQLAlchemy URL, libpq conninfo); dropped after."""
    import psycopg

    admin = admin_dsn()
    if admin is None:
        raise RuntimeError("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(CALL_TABLES)
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", dsn
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def minute_window(minutes: int, *, ago: int = 5) -> tuple[str, str]:
    """``start``/``until`` (UTC, whole minutes) of a per-minute cron that ended ``ago`` minutes ago."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    until = now - timedelta(minutes=ago)
    start = until - timedelta(minutes=minutes - 1)
    return start.strftime("%Y-%m-%dT%H:%M"), until.strftime("%Y-%m-%dT%H:%M")


def scale_project(
    root: Path,
    dsn: str,
    *,
    channels: Sequence[str],
    minutes: int,
    languages: Sequence[str] = ("en", "es"),
    delay_ms: int = 0,
    engine: Mapping[str, object] | None = None,
    card: str = "card-a",
) -> Path:
    """A project whose schedule makes ``minutes * len(channels) * len(languages)`` rows due now."""
    engine_cfg = {
        "kind": "procrastinate",
        "tick_cron": "* * * * * */2",  # every 2 s (croniter: the seconds field is the sixth)
        "heartbeat_seconds": 1,
        "stalled_after_seconds": 4,
        "render_lead_minutes": 0,
        **(engine or {}),
    }
    lines = ["[project]", 'name = "Scale test"', 'languages = ["en", "es"]', 'timezone = "UTC"']
    lines += ["", "[engine]"]
    for k, v in engine_cfg.items():
        lines.append(f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {v}")
    for ch in channels:
        lines += ["", f"[channels.{ch}]", 'type = "pgrecorder"', f'dsn = "{dsn}"', f"delay_ms = {delay_ms}"]
    start, until = minute_window(minutes)
    (root / "schedules").mkdir(parents=True, exist_ok=True)
    (root / "stories").mkdir(exist_ok=True)
    (root / "storycast.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "schedules" / "load.yaml").write_text(
        textwrap.dedent(
            f"""\
            timezone: UTC
            entries:
              - card: {card}
                cron: "* * * * *"
                start: "{start}"
                until: "{until}"
                channels: [{", ".join(channels)}]
                languages: [{", ".join(languages)}]
                grace: 3h
            """
        ),
        encoding="utf-8",
    )
    return root


def worker_env(db_url: str, **extra: str) -> dict[str, str]:
    """Environment for worker subprocesses: both test plugins importable, one card frame per row."""
    from tests.conftest_db import subprocess_env

    env = subprocess_env(db_url, SC_FRAMES="1", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(PG_PLUGIN_DIR), env["PYTHONPATH"]])
    env.pop("SC_HANG", None)
    env.pop("SC_HOLD_UNTIL_PIDS", None)
    env.update(extra)
    return env


TICK_SOURCE = """
import sys, time
from storycast.context import Context
from storycast.engine.scaleout import make_app
from storycast.project import Project

rounds, pause = int(sys.argv[2]), float(sys.argv[3])
scale = make_app(Project.load(sys.argv[1]), Context())
for _ in range(rounds):
    scale.runtime.tick_once()
    time.sleep(pause)
scale.runtime.close()
"""


def overlaps(intervals: Sequence[tuple[datetime, datetime]]) -> int:
    """How many consecutive calls (sorted by start) started before the previous one finished."""
    ordered = sorted(intervals)
    return sum(1 for a, b in itertools.pairwise(ordered) if b[0] < a[1])
