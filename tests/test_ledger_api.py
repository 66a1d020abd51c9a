# ruff: noqa: F811
"""The ledger's named methods, on SQLite and PostgreSQL: queries, reconcile and recovery
compare-and-sets, the scale-out hand-over, and the engagement tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from storycast.ledger import PostRef, RowQuery, State, database_exists
from storycast.ledger.outbox import OutboxTx
from storycast.ledger.store import Ledger
from tests.conftest_db import db_url, pg_database  # noqa: F401  (fixtures)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _units(refs: tuple[str, ...] = ("a", "b"), due: datetime = T0) -> list[dict[str, object]]:
    return [
        {
            "entry_key": f"e-{ref}",
            "occurrence_key": "2026-12-01T09:00",
            "channel": "rec",
            "lang": "en",
            "frame": 1,
            "frame_total": 1,
            "kind": "card",
            "ref": ref,
            "due_utc": due + timedelta(minutes=i),
            "deadline_utc": due + timedelta(minutes=30 + i),
        }
        for i, ref in enumerate(refs)
    ]


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    led = Ledger.open(db_url)
    try:
        yield led
    finally:
        led.close()


def _sending(ledger: Ledger, now: datetime) -> tuple[int, int | None]:
    (row,) = ledger.claim(now, 1)
    no = ledger.begin_send(row, now, idempotency_key="k", frame_sha256=None)
    return row.id, no


def test_find_narrows_by_every_field(ledger: Ledger) -> None:
    ledger.insert_units(_units(("a", "b", "c")), T0)
    every = ledger.find()
    assert [r.ref for r in every] == ["a", "b", "c"]
    ids = [r.id for r in every]
    assert [r.ref for r in ledger.find(RowQuery(ids=ids[1:]))] == ["b", "c"]
    assert ledger.find(RowQuery(ids=[])) == []
    assert [r.ref for r in ledger.find(RowQuery(ref="b"))] == ["b"]
    # due_from and due_to are both inclusive
    window = RowQuery(due_from=T0 + timedelta(minutes=1), due_to=T0 + timedelta(minutes=2))
    assert [r.ref for r in ledger.find(window)] == ["b", "c"]
    assert [r.ref for r in ledger.find(RowQuery(limit=2))] == ["a", "b"]
    assert ledger.find(RowQuery(states=[State.UNKNOWN.value])) == []
    assert len(ledger.find(RowQuery(states=[State.PLANNED.value], order="id"))) == 3


def test_cancel_planned_skips_rows_in_any_other_state(ledger: Ledger) -> None:
    ledger.insert_units(_units(("a", "b")), T0)
    ledger.claim(T0, 1)  # claims "a"
    keys = [("e-a", "2026-12-01T09:00", "rec", "en", 1), ("e-b", "2026-12-01T09:00", "rec", "en", 1)]
    assert ledger.cancel_planned(keys, T0, "left the schedule") == 1
    states = {r.ref: (r.state, r.reason) for r in ledger.find()}
    assert states["a"] == (State.CLAIMED.value, None)
    assert states["b"] == (State.CANCELLED.value, "left the schedule")


def test_replan_unknown_and_mark_checked(ledger: Ledger) -> None:
    ledger.insert_units(_units(("a",)), T0)
    rid, no = _sending(ledger, T0)
    (row,) = ledger.find(RowQuery(ids=[rid]))
    assert not ledger.replan_unknown(row, T0, "reconcile: no such post")  # sending, not unknown
    ledger.finish(row, no, T0, State.UNKNOWN, reason="timeout")
    later = T0 + timedelta(hours=1)
    ledger.mark_checked(rid, later)
    assert ledger.find(RowQuery(states=[State.UNKNOWN.value], checked_before=later)) == []
    (checked,) = ledger.find(
        RowQuery(states=[State.UNKNOWN.value], checked_before=later + timedelta(seconds=1))
    )
    assert checked.checked_utc == later
    assert ledger.replan_unknown(checked, later, "reconcile: no such post")
    (again,) = ledger.find(RowQuery(ids=[rid]))
    assert (again.state, again.reason, again.claim_token) == (
        State.PLANNED.value,
        "reconcile: no such post",
        None,
    )
    assert again.deadline_utc == later + (row.deadline_utc - row.due_utc)
    assert not ledger.replan_unknown(again, later, "twice")


def test_abandon_sending_leaves_claimed_rows(ledger: Ledger) -> None:
    ledger.insert_units(_units(("a", "b")), T0)
    sent, _ = _sending(ledger, T0 + timedelta(minutes=1))
    (claimed,) = ledger.claim(T0 + timedelta(minutes=2), 1)
    assert not ledger.abandon_sending(claimed.id, T0)
    assert ledger.abandon_sending(sent, T0)
    states = {r.id: r.state for r in ledger.find()}
    assert states == {sent: State.UNKNOWN.value, claimed.id: State.CLAIMED.value}


def test_claim_lends_its_transaction_to_the_queue(ledger: Ledger) -> None:
    ledger.insert_units(_units(("a", "b")), T0)
    seen: list[int] = []

    def within(tx: OutboxTx, rows: list) -> None:
        seen.append(tx.hand_to_queue(rows, "queue@test", T0 + timedelta(hours=2)))
        assert tx.driver_connection is not None
        with pytest.raises(RuntimeError), tx.savepoint():
            raise RuntimeError("rolled back to the savepoint only")

    got = ledger.claim(T0 + timedelta(minutes=5), 10, within=within)
    assert seen == [2]
    for r in ledger.find(RowQuery(ids=[r.id for r in got])):
        assert (r.state, r.claimed_by, r.lease_until_utc) == (
            State.CLAIMED.value,
            "queue@test",
            T0 + timedelta(hours=2),
        )


def test_hand_render_jobs_groups_languages_of_due_stories(ledger: Ledger) -> None:
    units = _units(("a", "b"))
    units.append({**units[0], "lang": "th"})
    units.append({**units[1], "ref": "late", "entry_key": "e-late", "due_utc": T0 + timedelta(hours=3)})
    ledger.insert_units(units, T0)
    got: list[dict[tuple[str, str], list[str]]] = []

    def defer(tx: OutboxTx, wanted: dict[tuple[str, str], list[str]]) -> int:
        got.append({k: sorted(v) for k, v in wanted.items()})
        return len(wanted)

    assert ledger.hand_render_jobs(T0, T0 + timedelta(hours=1), defer) == 2
    assert got == [{("card", "a"): ["en", "th"], ("card", "b"): ["en"]}]


@pytest.mark.postgres
def test_session_lock_excludes_a_second_holder(pg_database: str) -> None:
    from tests.conftest_db import pg_schema_url

    url = pg_schema_url(pg_database)
    first, second = Ledger.open(url), Ledger.open(url)
    try:
        with first.session_lock("storycast-test") as mine:
            assert mine
            with second.session_lock("storycast-test") as theirs:
                assert not theirs
        with second.session_lock("storycast-test") as theirs:
            assert theirs
    finally:
        first.close()
        second.close()


def test_database_exists(tmp_path) -> None:
    path = tmp_path / "state.db"
    assert not database_exists(f"sqlite:///{path}")
    path.write_bytes(b"")
    assert database_exists(f"sqlite:///{path}")
    assert database_exists("postgresql+psycopg://nobody@127.0.0.1/none")


def test_engagement_tables(ledger: Ledger) -> None:
    ledger.insert_units(_units(("a",)), T0)
    rid, no = _sending(ledger, T0)
    (row,) = ledger.find(RowQuery(ids=[rid]))
    ledger.finish(row, no, T0, State.PUBLISHED, remote_id="r-1", expires=T0 + timedelta(days=1))

    post = ledger.find_post("rec", "r-1")
    assert post == PostRef(rid, "card", "a", "en", 1, 1, "rec")
    assert ledger.find_post(None, "r-1") == post
    assert ledger.find_post("other", "r-1") is None

    ledger.upsert_insight(
        channel="rec", remote_id="r-1", source="pull", metrics={"reach": 5}, now=T0, post=post
    )
    ledger.upsert_insight(channel="rec", remote_id="r-1", source="pull", metrics={"reach": 7}, now=T0)
    (ins,) = ledger.insight_rows()
    assert (ins["reach"], ins["metrics"], ins["ref"], ins["captured_utc"]) == (7, {"reach": 7}, "a", T0)

    assert ledger.put_vote(poll_id="p", option=1, source="local", voter="v", now=T0)
    assert not ledger.put_vote(poll_id="p", option=2, source="local", voter="v", now=T0)
    ledger.replace_poll_totals(poll_id="p", source="telegram", channel="tg", counts={1: 3, 2: 4}, now=T0)
    ledger.replace_poll_totals(poll_id="p", source="telegram", channel="tg", counts={2: 9}, now=T0)
    votes = [(v["voter"], v["option"], v["count"]) for v in ledger.vote_rows("p")]
    assert votes == [("v", 2, 1), ("#total:tg:2", 2, 9)]
    assert ledger.vote_rows("other") == []

    assert ledger.put_reply(
        channel="rec", message_id="m1", kind="reply", thread="t", at=T0, text="hi", post=post
    )
    assert not ledger.put_reply(channel="rec", message_id="m1", kind="reply", thread="t", at=T0)
    (msg,) = ledger.reply_rows()
    assert (msg["ref"], msg["text"], msg["at_utc"]) == ("a", "hi", T0)
    assert ledger.find_reply("rec", "m1") == msg
    assert ledger.find_reply("rec", "m2") is None

    (pub,) = ledger.publication_rows(published_from=T0, published_to=T0)
    assert (pub["remote_id"], pub["published_utc"]) == ("r-1", T0)
    assert ledger.publication_rows(published_from=T0 + timedelta(seconds=1)) == []
