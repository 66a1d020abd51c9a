"""storycast plan: exit codes and the important output lines."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

TOML = """\
[project]
languages = ["en", "es", "th"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"
"""

STORY = """\
id: reset-router
category: connectivity
languages: [en, es, th]
title: {en: Reset your router, es: Reinicia tu router, th: T}
steps:
  - title: {en: Unplug it, es: Desconéctalo, th: T}
"""

WEEKLY = """\
timezone: Europe/Madrid
entries:
  - id: router-weekday
    story: reset-router
    cron: "30 9 * * 1-5"
    channels: [local]
    languages: [es, en]
    label: Router tip [weekday]
  - story: reset-router
    cron: "0 19 * * tue"
    timezone: Asia/Bangkok
    channels: [local]
    languages: [th]
  - story: reset-router
    cron: "30 23 * * *"
    channels: [local]
    languages: [es]
    blackout: "22:00-07:00"
    start: 2030-01-01
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    for rel, text in {
        "storycast.toml": TOML,
        "stories/reset-router.yaml": STORY,
        "schedules/weekly.yaml": WEEKLY,
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_plan_table(run_cli, root):
    code, out, err = run_cli("--project", str(root), "plan", "--now", "2026-11-30T00:00:00Z", "--days", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "3 publication(s) from 2026-11-30 00:00 to 2026-12-02 00:00 UTC"
    rows = [line for line in lines if line.startswith((" Mon", " Tue", " Wed"))]
    assert len(rows) == 3
    # Local time with the zone abbreviation, the zone, UTC, what, channel, languages, source.
    assert rows[0].split() == [
        "Mon", "30", "Nov", "09:30", "CET", "Madrid", "08:30",
        "Router", "tip", "[weekday]", "(reset-router)", "local", "es", "en", "weekly.yaml:3",
    ]  # fmt: skip
    assert "Tue 01 Dec 19:00 +07" in rows[2] and "Bangkok" in rows[2] and "12:00" in rows[2]
    assert " th " in rows[2] and "weekly.yaml:9" in rows[2]


def test_plan_json(run_cli, root):
    code, out, _ = run_cli(
        "--project", str(root), "plan", "--json", "--now", "2026-11-30T00:00:00Z", "--days", "1"
    )
    assert code == 0
    data = json.loads(out)
    assert data["from"] == "2026-11-30T00:00:00+00:00"
    assert data["until"] == "2026-12-01T00:00:00+00:00"
    [occ] = data["occurrences"]
    assert occ["entry_key"] == "router-weekday"
    assert occ["occurrence_key"] == "2026-11-30T09:30"
    assert occ["due_utc"] == "2026-11-30T08:30:00Z"
    assert occ["local"] == "2026-11-30T09:30:00+01:00"
    assert occ["languages"] == ["es", "en"]
    assert occ["source"] == "schedules/weekly.yaml:3"


def test_plan_from_overrides_now_and_shows_moves(run_cli, root):
    code, out, _ = run_cli(
        "--project",
        str(root),
        "plan",
        "--json",
        "--now",
        "2026-11-30T00:00:00Z",
        "--from",
        "2030-01-01",
        "--days",
        "2",
    )
    assert code == 0
    data = json.loads(out)
    moved = [o for o in data["occurrences"] if o["extra"]]
    assert moved and moved[0]["occurrence_key"] == "2030-01-02T07:00"
    assert moved[0]["extra"] == {"moved_from": "2030-01-01T23:30", "reason": "blackout"}
    code, out, _ = run_cli("--project", str(root), "plan", "--from", "2030-01-01T12:00", "--days", "1")
    assert code == 0
    assert "moved from 23:30 (blackout)" in out


def test_plan_nothing_scheduled(run_cli, root):
    (root / "schedules" / "weekly.yaml").write_text("entries: []\n")
    code, out, _ = run_cli("--project", str(root), "plan", "--now", "2026-11-30T00:00:00Z")
    assert code == 0
    assert out.strip() == "Nothing scheduled from 2026-11-30 00:00 to 2026-12-07 00:00 UTC."


def test_plan_bad_schedule_exits_with_content_status(run_cli, root):
    (root / "schedules" / "weekly.yaml").write_text(
        "entries:\n  - {story: reset-routr, cron: '0 9 * * *', channels: [local]}\n"
    )
    code, _, err = run_cli("--project", str(root), "plan", "--now", "2026-11-30T00:00:00Z")
    assert code == 4
    assert "weekly.yaml:2:13: story: no story with id 'reset-routr'" in err
    assert "did you mean reset-router?" in err


def test_plan_bad_now_is_a_usage_error(run_cli, root):
    code, _, err = run_cli("--project", str(root), "plan", "--now", "yesterday")
    assert code == 2
    assert "ISO 8601" in err


def test_plan_days_must_be_positive(run_cli, root):
    code, _, _ = run_cli("--project", str(root), "plan", "--days", "0")
    assert code == 2
