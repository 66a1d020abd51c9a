"""Knowledge-base visits and helpful votes in the ledger (migration 0007_visits), on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import inspect

from storycast.ledger import head_revision
from storycast.ledger.store import Ledger
from storycast.ledger.visits import kb_visit
from tests.conftest_db import db_url, pg_database  # noqa: F401

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_visits_are_day_counters_without_personal_data(db_url: str) -> None:  # noqa: F811
    ledger = Ledger.open(db_url)
    try:
        for _ in range(3):
            ledger.count_visit(ref="reset-router", lang="es", channel="instagram", day=date(2026, 12, 7))
        ledger.count_visit(ref="reset-router", lang="en", channel="", day=date(2026, 12, 8))
        rows = ledger.visit_rows()
        assert [(r["day"], r["ref"], r["lang"], r["channel"], r["count"]) for r in rows] == [
            (date(2026, 12, 7), "reset-router", "es", "instagram", 3),
            (date(2026, 12, 8), "reset-router", "en", "", 1),
        ]
        columns = {c["name"] for c in inspect(ledger.engine).get_columns("kb_visit")}
        assert columns == {"id", "day", "ref", "lang", "channel", "count"}
        assert {c.name for c in kb_visit.columns} == columns
    finally:
        ledger.close()


def test_helpful_votes_land_in_the_votes_table(db_url: str) -> None:  # noqa: F811
    ledger = Ledger.open(db_url)
    try:
        assert ledger.put_article_vote(ref="reset-router", helpful=True, voter="a" * 32, lang="es", now=NOW)
        assert not ledger.put_article_vote(
            ref="reset-router", helpful=False, voter="a" * 32, lang="es", now=NOW
        )
        assert ledger.put_article_vote(ref="reset-router", helpful=True, voter="b" * 32, lang="en", now=NOW)
        votes = ledger.vote_rows("kb:reset-router")
        assert sorted((v["voter"][0], v["option"], v["source"]) for v in votes) == [
            ("a", 1, "kb"),
            ("b", 5, "kb"),
        ]
        got = ledger.article_vote_rows()
        assert sorted((v["ref"], v["helpful"]) for v in got) == [
            ("reset-router", False),
            ("reset-router", True),
        ]
    finally:
        ledger.close()


def test_head_is_0007_or_later() -> None:
    assert head_revision() >= "0007_visits"
