"""storycast report: numbers from a ledger seeded with known data; terminal, JSON and HTML output."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.engage.report import build_report, csat_by_week, format_duration
from storycast.project import Project
from tests.conftest import REPO
from tests.engage_seed import EXPECTED, seed

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The example project (its stories and polls) with a fresh ledger holding the seed data."""
    root = tmp_path_factory.mktemp("report")
    for name in ("storycast.toml",):
        (root / name).write_text((REPO / name).read_text(encoding="utf-8"), encoding="utf-8")
    # Copies, not links: content reached through a link out of the project is refused.
    for folder in ("stories", "schedules", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    project = Project.load(root, environ={})
    seed(project)
    return project


def _line(report, key: str):
    ref, lang = key.split("/")
    return next(s for s in report.stories if (s.ref, s.lang) == (ref, lang))


@pytest.mark.parametrize("key", ["reset-router/es", "reset-router/en"])
def test_story_numbers_match_the_seed(seeded: Project, key: str) -> None:
    report = build_report(seeded, now=NOW)
    got = _line(report, key).to_json()
    for field, want in EXPECTED[key].items():
        assert got[field] == want, field


def test_webhook_numbers_win_over_an_earlier_pull(seeded: Project) -> None:
    es = _line(build_report(seeded, now=NOW), "reset-router/es")
    assert es.reach_by_frame[0] == 1000  # 400 (webhook, not the stale 393 pull) + 600 (pull)


def test_csat_trend_and_poll_totals(seeded: Project) -> None:
    report = build_report(seeded, now=NOW)
    assert report.csat_trend == EXPECTED["csat"]
    (poll,) = report.polls
    assert poll.poll_id == "csat-weekly" and poll.total == EXPECTED["poll_total"]
    assert poll.counts == [1, 2, 1, 3, 2]
    assert round(poll.csat or 0, 1) == round(100 * 5 / 9, 1)


def test_since_leaves_out_older_publications_and_votes(seeded: Project) -> None:
    report = build_report(seeded, now=NOW, since=datetime(2026, 11, 9, tzinfo=UTC))
    es = _line(report, "reset-router/es")
    assert es.reach == 600 and es.published == 7
    assert report.csat_trend == [EXPECTED["csat"][1]]
    assert report.replies == 0


def test_totals_weight_completion_by_reach(seeded: Project) -> None:
    t = build_report(seeded, now=NOW).totals
    assert t["reach"] == 1120
    assert t["completion"] == pytest.approx((47.0 * 1000 + 50 / 120 * 100 * 120) / 1120)
    assert (t["published"], t["failed"]) == (21, 7)
    assert t["first_response_s"] == 600


def test_cli_json_table_and_html(seeded: Project, run_cli, tmp_path: Path) -> None:
    code, out, _ = run_cli("--project", str(seeded.root), "report", "--json", "--now", NOW.isoformat())
    assert code == 0
    data = json.loads(out)
    assert data["totals"]["reach"] == 1120
    code, out, _ = run_cli("--project", str(seeded.root), "report", "--now", NOW.isoformat())
    assert code == 0 and "reset-router" in out and "47%" in out and "2026-W46 40%" in out
    html = tmp_path / "r.html"
    code, out, _ = run_cli(
        "--project", str(seeded.root), "report", "--out", str(html), "--now", NOW.isoformat()
    )
    assert code == 0
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 5  # two funnels, the CSAT trend, outcomes, the poll
    assert "2→3 (−35%)" in page


def test_helpers() -> None:
    assert format_duration(None) == "–"
    assert format_duration(__import__("datetime").timedelta(seconds=3900)) == "1 h 05 min"
    rows = [{"at_utc": datetime(2026, 1, 5, tzinfo=UTC), "option": o, "count": 1} for o in (5, 1)]
    assert csat_by_week(rows) == [("2026-W02", 50.0, 2)]
