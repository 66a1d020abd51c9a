# ruff: noqa: F811
"""One commit per post: a sent row's result and the next row's attempt committed together.

The scale-out publish jobs run :class:`Publisher` with ``settle_with_next``; the ledger's
:meth:`Ledger.settle_and_begin` is that commit (one statement on PostgreSQL). Exactly-once must
hold as with two commits: every attempt durable before its call, every result before the next
attempt, and a result never lost when something fails in between.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storycast.context import Context
from storycast.engine.holds import Holds
from storycast.engine.publisher import Publisher
from storycast.ledger import State, open_ledger
from storycast.ledger.sending import Settled
from storycast.ledger.store import Ledger
from storycast.project import Project
from tests.conftest_db import (  # noqa: F401  (db_url and pg_database are fixtures)
    calls,
    db_url,
    make_engine_project,
    pg_database,
    pg_schema_url,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

THREE_CARDS = """\
timezone: UTC
entries:
  - card: card-a
    cron: "* * * * *"
    start: "2026-12-01T08:58"
    until: "2026-12-01T09:00"
    channels: [rec]
    languages: [en]
    grace: 30m
"""


def units(n: int) -> list[dict[str, object]]:
    return [
        {
            "entry_key": "e",
            "occurrence_key": f"2026-12-01T09:{g:02d}",
            "channel": "rec",
            "lang": "en",
            "frame": 1,
            "frame_total": 1,
            "kind": "card",
            "ref": "card-a",
            "due_utc": T0,
            "deadline_utc": T0 + timedelta(minutes=15),
        }
        for g in range(n)
    ]


def attempts(ledger: Ledger) -> dict[int, tuple[str, str | None, str | None, bool]]:
    """publication id -> (outcome, remote id, request id, finished) of its one attempt."""
    from sqlalchemy import select

    from storycast.ledger.tables import attempt as a

    with ledger.engine.connect() as c:
        got = c.execute(
            select(a.c.publication_id, a.c.outcome, a.c.remote_id, a.c.request_id, a.c.finished_utc)
        )
        return {r[0]: (r[1], r[2], r[3], r[4] is not None) for r in got}


def test_settle_and_begin_records_the_result_and_the_next_attempt(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units(3), T0)
        first, second, third = ledger.claim(T0, 10)
        no = ledger.begin_send(first, T0, idempotency_key="k1", frame_sha256="s1")
        assert no == 1
        sent = Settled(
            first, no, State.PUBLISHED, remote_id="r1", request_id="q1", expires=T0 + timedelta(days=1)
        )
        assert ledger.settle_and_begin(sent, second, T0, idempotency_key="k2", frame_sha256="s2") == (True, 1)
        rows = {r.id: r for r in ledger.find()}
        assert rows[first.id].state == State.PUBLISHED and rows[first.id].remote_id == "r1"
        assert rows[first.id].claim_token is None and rows[first.id].expires_utc == T0 + timedelta(days=1)
        assert rows[second.id].state == State.SENDING and rows[second.id].idempotency_key == "k2"
        assert attempts(ledger) == {
            first.id: ("published", "r1", "q1", True),
            second.id: ("sending", None, None, False),
        }
        # Each half keeps its own compare-and-set: the next row's claim was lost (given back),
        # the result is recorded all the same.
        ledger.release([third], T0)
        sent2 = Settled(second, 1, State.HANDED_OFF, remote_id="r2")
        assert ledger.settle_and_begin(sent2, third, T0, idempotency_key="k3", frame_sha256="s3") == (
            True,
            None,
        )
        assert ledger.counts() == {"published": 1, "handed_off": 1, "planned": 1}
        # ...and a result whose row is no longer in flight changes nothing, while the next
        # row's attempt is made.
        (third,) = ledger.claim(T0, 10)
        assert ledger.settle_and_begin(sent, third, T0, idempotency_key="k3", frame_sha256="s3") == (False, 1)
        assert ledger.counts() == {"published": 1, "handed_off": 1, "sending": 1}
        assert attempts(ledger)[first.id] == ("published", "r1", "q1", True)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_settle_and_begin_survives_connections_the_server_dropped(pg_database: str) -> None:
    """The one-statement path runs on the pool's psycopg connections: a dropped one is replaced."""
    import psycopg

    url = pg_schema_url(pg_database)
    ledger = Ledger.open(url)
    try:
        ledger.insert_units(units(2), T0)
        first, second = ledger.claim(T0, 10)
        no = ledger.begin_send(first, T0, idempotency_key="k1", frame_sha256="s1")
        assert no is not None
        dbname = pg_database.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}", autocommit=True) as c:
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
        sent = Settled(first, no, State.PUBLISHED, remote_id="r1")
        assert ledger.settle_and_begin(sent, second, T0, idempotency_key="k2", frame_sha256="s2") == (True, 1)
        assert ledger.counts() == {"published": 1, "sending": 1}
    finally:
        ledger.close()


def _publisher(tmp_path: Path, db_url: str) -> tuple[Publisher, Ledger, Path]:
    root = make_engine_project(tmp_path / "p", {"three.yaml": THREE_CARDS})
    environ = {"STORYCAST_DB": db_url, "STORYCAST_DB_TIMEOUT": "10", "SC_FRAMES": "1"}
    ctx = Context(environ=environ)
    ctx.fixed_clock(T0)
    project = Project.load(root, environ)
    ledger = open_ledger(project)
    from storycast.engine.materialize import HORIZON, materialize
    from storycast.timetable.table import load_timetable

    materialize(project, ledger, load_timetable(project), T0, HORIZON, Holds(root))
    pub = Publisher(project, ctx, ledger, T0, settle_with_next=True)
    return pub, ledger, root


def test_each_result_is_durable_before_the_next_send(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SC_FRAMES", "1")
    pub, ledger, root = _publisher(tmp_path, db_url)
    seen: list[tuple[str, int, dict[int, str]]] = []
    pub.checkpoint = lambda name, row: seen.append((name, row.id, {r.id: r.state for r in ledger.find()}))
    try:
        rows = ledger.claim(T0, 10)
        assert len(rows) == 3
        results = pub.publish_rows(rows)
        assert [r.outcome for r in results] == ["published"] * 3
        assert ledger.counts() == {"published": 3}  # the last result is recorded before it returns
        assert len(calls(root)) == 3
        ids = [r.id for r in rows]
        sends = [(row, states) for name, row, states in seen if name == "before_send"]
        assert [row for row, _ in sends] == ids
        for i, (row, states) in enumerate(sends):
            assert states[row] == State.SENDING  # the attempt is committed before the call
            assert all(states[done] == State.PUBLISHED for done in ids[:i])  # and every result before it
        after = [(row, states) for name, row, states in seen if name == "after_send"]
        # Right after a call, its result waits for the next row's attempt: one commit for both.
        assert [states[row] for row, states in after] == [State.SENDING] * 3
        assert {a[0] for a in attempts(ledger).values()} == {"published"}
    finally:
        pub.close()
        ledger.close()


def test_a_result_waiting_for_the_next_attempt_is_recorded_when_that_row_fails(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something failing while the next row is prepared does not leave the sent row ``sending``."""
    monkeypatch.setenv("SC_FRAMES", "1")
    pub, ledger, root = _publisher(tmp_path, db_url)

    def checkpoint(name: str, row: object) -> None:
        if name == "after_claim" and len(calls(root)) == 1:
            raise RuntimeError("a bug while preparing the second row")

    pub.checkpoint = checkpoint
    try:
        rows = ledger.claim(T0, 10)
        with pytest.raises(RuntimeError):
            pub.publish_rows(rows)
        states = {r.id: r.state for r in ledger.find()}
        assert states[rows[0].id] == State.PUBLISHED
        assert [states[r.id] for r in rows[1:]] == [State.RENDERING, State.RENDERING]  # never sent
        assert len(calls(root)) == 1
    finally:
        pub.close()
        ledger.close()
