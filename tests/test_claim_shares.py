# ruff: noqa: F811
"""The claim's fair share per channel, taken in two statements for many channels on PostgreSQL,
and the statistics a large insert refreshes there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from storycast.ledger import ChannelLimits
from storycast.ledger.store import Ledger
from tests.conftest_db import db_url, pg_database, pg_schema_url  # noqa: F401

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def units(channels: dict[str, int], *, langs: tuple[str, ...] = ("en",)) -> list[dict[str, object]]:
    """``n`` one-frame occurrences per channel, one minute apart, in each of ``langs``."""
    return [
        {
            "entry_key": "e",
            "occurrence_key": f"2026-12-01T08:{g:02d}",
            "channel": ch,
            "lang": lang,
            "lang_seq": i,
            "frame": 1,
            "frame_total": 1,
            "kind": "card",
            "ref": "card-a",
            "due_utc": T0 - timedelta(minutes=30 - g),
            "deadline_utc": T0 + timedelta(minutes=15),
        }
        for ch, n in channels.items()
        for g in range(n)
        for i, lang in enumerate(langs)
    ]


def by_channel(rows: list) -> dict[str, list[str]]:  # type: ignore[type-arg]
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.channel, []).append(r.occurrence_key[-2:])
    return {ch: sorted(v) for ch, v in sorted(out.items())}


def test_a_fair_share_per_channel_then_the_room_left(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    try:
        ledger.insert_units(units({"a": 4, "b": 4, "c": 1}, langs=("en", "es")), T0)
        # 3 channels, room for 5: a share of 2 each, in channel order, the room ending in c.
        assert by_channel(ledger.claim(T0, 5)) == {"a": ["00", "01"], "b": ["00", "01"], "c": ["00"]}
        # Room for 7 among a's and b's 2 left each (c's next language waits for its first):
        # a share of 4 for each channel that has rows.
        assert by_channel(ledger.claim(T0, 7)) == {"a": ["02", "03"], "b": ["02", "03"]}
        assert ledger.claim(T0, 7) == []  # the other languages wait for theirs to be settled
        # A channel that takes its share whole gets more of the room in a second pass.
        other = Ledger.open(db_url)
        try:
            other.insert_units([dict(u, entry_key="f") for u in units({"a": 6, "b": 1})], T0)
            assert by_channel(other.claim(T0, 6)) == {"a": ["00", "01", "02", "03", "04"], "b": ["00"]}
        finally:
            other.close()
    finally:
        ledger.close()


def test_claims_of_many_channels_never_overlap(db_url: str) -> None:
    a, b = Ledger.open(db_url), Ledger.open(db_url)
    try:
        a.insert_units(units({f"ch{i}": 3 for i in range(6)}), T0)
        got_a, got_b = a.claim(T0, 10), b.claim(T0, 10)
        assert len(got_a) == 10 and len(got_b) == 8
        assert not {r.id for r in got_a} & {r.id for r in got_b}
        assert {r.state for r in got_a + got_b} == {"claimed"}
        assert len({r.claim_token for r in got_a}) == 1
    finally:
        a.close()
        b.close()


@pytest.mark.postgres
def test_many_channels_are_claimed_in_a_few_statements(pg_database: str) -> None:
    """25 channels' shares in the statements of one, not two per channel (a round trip each,
    which under load was most of the first tick's time); channels with limits keep theirs."""
    ledger = Ledger.open(pg_schema_url(pg_database))
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    try:
        ledger.insert_units(units({f"acct{i:02d}": 4 for i in range(25)}), T0)
        event.listen(ledger.engine, "before_cursor_execute", count)
        rows = ledger.claim(T0, 2000)
        assert len(rows) == 100 and {r.state for r in rows} == {"claimed"}
        assert len(statements) <= 4  # the channels, the pick, the update
        statements.clear()
        ledger.insert_units([dict(u, entry_key="f") for u in units({"x": 2, "y": 2})], T0)
        rows = ledger.claim(T0, 10, {"x": ChannelLimits(concurrency=1)})
        assert by_channel(rows) == {"x": ["00"], "y": ["00", "01"]}
    finally:
        ledger.close()


@pytest.mark.postgres
def test_a_large_insert_refreshes_the_statistics(pg_database: str) -> None:
    import psycopg

    url = pg_schema_url(pg_database)
    ledger = Ledger.open(url)
    try:
        assert ledger.insert_units(units({f"acct{i:02d}": 10 for i in range(25)}), T0) == 250
        schema = url.rsplit("%3D", 1)[1]
        dbname = pg_database.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}") as c:
            got = c.execute(
                "SELECT reltuples FROM pg_class "
                "WHERE relname = 'publication' AND relnamespace = %s::regnamespace",
                (schema,),
            ).fetchone()
        assert got is not None and got[0] == 250
    finally:
        ledger.close()
