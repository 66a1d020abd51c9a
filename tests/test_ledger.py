# ruff: noqa: F811
"""The ledger on SQLite and PostgreSQL: migrations, refusals, claims, CAS, operator actions."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from storycast.errors import ExitStatus, LedgerError
from storycast.ledger import RowFilter, State, head_revision
from storycast.ledger import db as ledger_db
from storycast.ledger.admin import NoSuchRow, cancel, history, retry
from storycast.ledger.models import publication as p
from storycast.ledger.store import Ledger
from tests.conftest_db import (  # noqa: F401  (db_url and pg_database are fixtures)
    db_url,
    make_engine_project,
    pg_database,
    pg_schema_url,
    run_storycast,
    subprocess_env,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def units(n_groups: int = 2, frames: int = 3, due: datetime = T0) -> list[dict[str, object]]:
    return [
        {
            "entry_key": "e",
            "occurrence_key": f"2026-12-01T09:{g:02d}",
            "channel": "rec",
            "lang": "en",
            "frame": f,
            "frame_total": frames,
            "kind": "card",
            "ref": "card-a",
            "due_utc": due,
            "deadline_utc": due + timedelta(minutes=15),
        }
        for g in range(n_groups)
        for f in range(1, frames + 1)
    ]


def test_first_migration_database_upgrades_without_losing_rows(db_url: str) -> None:
    engine = ledger_db.make_engine(db_url)
    ledger_db.upgrade(engine, db_url, target="0001")
    with engine.begin() as c:
        assert ledger_db.current_revision(c) == "0001"
        c.execute(
            text(
                "INSERT INTO publication (entry_key, occurrence_key, channel, lang, frame, frame_total,"
                " kind, ref, label, source, due_utc, deadline_utc, state, attempts, created_utc,"
                " updated_utc, remote_id) VALUES ('weekly/x', '2026-11-30T09:30', 'local', 'es', 1, 3,"
                " 'story', 'reset-router', 'Monday', 'schedules/weekly.yaml:4', :due, :deadline,"
                " 'published', 1, :due, :due, 'local:abc')"
            ),
            {"due": datetime(2026, 11, 30, 8, 30), "deadline": datetime(2026, 11, 30, 9, 0)},
        )
        c.execute(
            text(
                "INSERT INTO attempt (publication_id, attempt_no, started_utc, outcome, actor, forced,"
                " request_id) VALUES (1, 1, :t, 'published', 'host:1', false, 'req-1')"
            ),
            {"t": datetime(2026, 11, 30, 8, 30)},
        )
    engine.dispose()
    ledger = Ledger.open(db_url)  # upgrades to head
    try:
        with ledger.engine.connect() as c:
            assert ledger_db.current_revision(c) == head_revision()
        (row,) = ledger.rows()
        assert (row.ref, row.lang, row.state, row.remote_id, row.checked_utc) == (
            "reset-router",
            "es",
            "published",
            "local:abc",
            None,
        )
        assert row.due_utc == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
        assert next(h.detail for h in history(ledger)).startswith("attempt 1; by host:1; request_id=req-1")
        # The 0002 table works.
        from storycast.ledger import ChannelLimits

        ledger.insert_units(units(1, 1), T0)
        assert len(ledger.claim(T0, 5, {"rec": ChannelLimits(rate_per_minute=1)})) == 1
    finally:
        ledger.close()


def test_database_from_a_newer_storycast_is_refused(tmp_path: Path, db_url: str) -> None:
    Ledger.open(db_url).close()
    engine = ledger_db.make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    with pytest.raises(LedgerError, match="newer storycast") as err:
        Ledger.open(db_url)
    assert err.value.hint and "upgrade storycast" in err.value.hint
    root = make_engine_project(tmp_path / "p", {})
    res = run_storycast(["--project", str(root), "status"], subprocess_env(db_url))
    assert res.returncode == 6
    assert "written by a newer storycast" in res.stderr and "'0099_future'" in res.stderr


def test_locked_sqlite_database_is_retried_then_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger.open(url).close()
    root = make_engine_project(tmp_path / "p", {})
    holder = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        res = run_storycast(
            ["--project", str(root), "publish", "--due"], subprocess_env(url, STORYCAST_DB_TIMEOUT="1.5")
        )
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert res.returncode == 6, res.stderr
    assert "is locked by another process" in res.stderr
    assert "STORYCAST_DB_TIMEOUT" in res.stderr
    assert elapsed < 20
    ok = run_storycast(["--project", str(root), "publish", "--due"], subprocess_env(url))
    assert ok.returncode == 0, ok.stderr


def test_unreachable_postgres_is_reported_without_the_password(tmp_path: Path) -> None:
    root = make_engine_project(tmp_path / "p", {})
    url = "postgresql+psycopg://storycast:s3cr3t-pw@127.0.0.1:1/nowhere"
    res = run_storycast(
        ["--project", str(root), "publish", "--due"], subprocess_env(url, STORYCAST_DB_TIMEOUT="1")
    )
    assert res.returncode == 6
    assert (
        "cannot use the state database postgresql+psycopg://storycast:***@127.0.0.1:1/nowhere" in res.stderr
    )
    assert "s3cr3t" not in res.stderr + res.stdout


def test_insert_is_idempotent_and_claims_never_overlap(db_url: str) -> None:
    a, b = Ledger.open(db_url), Ledger.open(db_url)
    try:
        assert a.insert_units(units(4, 1), T0) == 4
        assert b.insert_units(units(4, 1), T0) == 0
        got_a = a.claim(T0, 3)
        got_b = b.claim(T0, 3)
        assert len(got_a) == 3 and len(got_b) == 1
        assert not {r.id for r in got_a} & {r.id for r in got_b}
        assert a.claim(T0, 3) == []
    finally:
        a.close()
        b.close()


def test_one_frame_per_story_group_is_claimable_at_a_time(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units(1, 3), T0)
        (first,) = ledger.claim(T0, 10)
        assert first.frame == 1
        assert ledger.claim(T0, 10) == []  # frame 2 waits for frame 1
        no = ledger.begin_send(first, T0, idempotency_key="k1", frame_sha256="s")
        assert ledger.finish(first, no, T0, State.PUBLISHED, remote_id="r1")
        (second,) = ledger.claim(T0, 10)
        assert second.frame == 2
    finally:
        ledger.close()


def test_compare_and_set_refuses_a_lost_claim(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units(1, 1), T0)
        (row,) = ledger.claim(T0, 1)
        ledger.release([row], T0)
        assert ledger.begin_send(row, T0, idempotency_key="k", frame_sha256="s") is None
        assert not ledger.finish(row, None, T0, State.PUBLISHED)
        assert ledger.counts() == {"planned": 1}
    finally:
        ledger.close()


@pytest.mark.postgres
def test_connections_the_server_dropped_are_replaced(pg_database: str) -> None:
    """A server restart (here: every backend of the pool terminated) costs a retry, not an error."""
    import psycopg

    url = pg_schema_url(pg_database)
    ledger = Ledger.open(url)
    try:
        ledger.insert_units(units(1, 2), T0)
        (row,) = ledger.claim(T0, 1)
        dbname = pg_database.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}", autocommit=True) as c:
            killed = c.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            ).fetchone()
        assert killed is not None and killed[0] >= 1  # the pool held at least one connection
        no = ledger.begin_send(row, T0, idempotency_key="k1", frame_sha256="s")
        assert no == 1
        assert ledger.finish(row, no, T0, State.PUBLISHED, remote_id="r1")
        assert ledger.counts() == {"planned": 1, "published": 1}
    finally:
        ledger.close()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_releases_dead_claims_and_marks_dead_sends_unknown(db_url: str) -> None:
    import socket

    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units(2, 1), T0)
        rows = ledger.claim(T0, 2)
        ledger.begin_send(rows[1], T0, idempotency_key="k2", frame_sha256="s")
        dead = f"{socket.gethostname()}:{_dead_pid()}"
        with ledger.engine.begin() as c:
            c.execute(p.update().values(claimed_by=dead))
        swept = ledger.sweep(T0)
        assert (swept["released"], swept["unknown"]) == (1, 1)
        states = {r.id: r.state for r in ledger.rows()}
        assert states == {rows[0].id: "planned", rows[1].id: "unknown"}
        # A claim held by a live process on another machine is left alone until its lease ends.
        (again,) = ledger.claim(T0, 5)
        with ledger.engine.begin() as c:
            c.execute(p.update().where(p.c.id == again.id).values(claimed_by="elsewhere:1"))
        assert ledger.sweep(T0 + timedelta(minutes=5))["released"] == 0
        assert ledger.sweep(T0 + timedelta(minutes=11))["released"] == 1
    finally:
        ledger.close()


def test_retry_cancel_and_history(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units(2, 1), T0)
        first, second = ledger.claim(T0, 2)
        no = ledger.begin_send(first, T0, idempotency_key="k1", frame_sha256="s")
        ledger.finish(first, no, T0, State.FAILED, reason="HTTP 400", retryable=False, request_id="req-9")
        ledger.release([second], T0)
        later = T0 + timedelta(hours=1)
        res = retry(ledger, [first.id, second.id], later)
        assert res.changed == [first.id]
        assert "only failed, missed, unknown, cancelled" in res.skipped[second.id]
        row = ledger.rows(p.c.id == first.id)[0]
        assert row.state == "planned" and row.deadline_utc == later + timedelta(minutes=15)
        res = cancel(ledger, later, story="card-a")
        assert sorted(res.changed) == sorted([first.id, second.id])
        with pytest.raises(NoSuchRow, match="no ledger row with id 999") as err:
            cancel(ledger, later, [999])
        assert err.value.exit_status == ExitStatus.USAGE and "highest is" in (err.value.hint or "")
        with pytest.raises(NoSuchRow, match="the ledger has no rows of 'no-such-story'"):
            cancel(ledger, later, story="no-such-story")
        with pytest.raises(NoSuchRow):
            history(ledger, publication_id=999)
        what = [h.what for h in history(ledger)]
        assert what.count("cancel") == 2 and "retry" in what and "failed" in what
        failed = next(h for h in history(ledger) if h.what == "failed")
        assert "request_id=req-9" in failed.detail and "HTTP 400" in failed.detail
    finally:
        ledger.close()


def test_held_rows_wait_visibly_are_not_claimed_and_miss_with_their_reason(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        rows = units(2, 2)
        for u in rows[2:]:  # a second story, from another schedule file and of another ref
            u.update(ref="weekly-qa@20261203T1700Z.T-1h", entry_key="e2", source="schedules/qa.yaml:4")
        ledger.insert_units(rows, T0)
        broken = RowFilter(refs=frozenset({"weekly-qa"}))
        assert ledger.mark_waiting(broken, "stories/qa.yaml:3:1: YAML syntax error", T0) == 2
        (claimed,) = ledger.claim(T0, 10, exclude=broken)  # frame 1 of the healthy story only
        assert claimed.ref == "card-a" and claimed.frame == 1
        assert ledger.count_waiting(T0) == 2
        # The same rows through the schedule file that planned them, and a LIKE wildcard in a name.
        assert ledger.mark_waiting(RowFilter(sources=frozenset({"schedules/qa.yaml"})), "x", T0) == 2
        assert ledger.mark_waiting(RowFilter(sources=frozenset({"schedules/q_.yaml"})), "x", T0) == 0
        assert ledger.mark_waiting(RowFilter(refs=frozenset({"weekly%"})), "x", T0) == 0
        # Held rows do not wake the daemon; a held claimed row goes back, its later frames say why.
        assert ledger.next_due(T0, exclude=broken) == T0  # card-a's second frame
        assert ledger.next_due(T0, exclude=broken | RowFilter(refs=frozenset({"card-a"}))) is None
        assert ledger.hold(claimed, T0, "templates/tutorial/cover.j2:4: unknown filter")
        by_id = {r.id: r for r in ledger.rows()}
        assert by_id[claimed.id].state == "planned" and by_id[claimed.id].claim_token is None
        assert {r.reason for r in by_id.values() if r.ref == "card-a"} == {
            "waiting for a fix: templates/tutorial/cover.j2:4: unknown filter"
        }
        # Fixed: the reason goes; still broken after its grace: missed, saying what it waited for.
        assert ledger.clear_waiting(broken) == 2
        assert ledger.sweep(T0 + timedelta(minutes=16))["missed"] == 4
        reasons = {r.ref: r.reason for r in ledger.rows()}
        assert reasons["card-a"] == "not published within its grace window"
        assert reasons["weekly-qa@20261203T1700Z.T-1h"] == (
            "not published within its grace window; it was waiting for a fix: x"
        )
    finally:
        ledger.close()


def test_frame_totals_follow_a_story_that_changed(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units(1, 1), T0)
        key = ("e", "2026-12-01T09:00", "rec", "en", 1)
        assert ledger.existing_units(T0, T0 + timedelta(minutes=1))[key].frame_total == 1
        assert ledger.set_frame_totals({key: 4}, T0) == 1
        assert ledger.existing_units(T0, T0 + timedelta(minutes=1))[key].frame_total == 4
    finally:
        ledger.close()
