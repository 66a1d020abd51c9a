"""Support hours (live now, next opening, holidays, localized lines) and the iCalendar feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.engage.hours import SupportHours
from storycast.engage.ics import build_calendar, fold, holidays_in, transitions, unfold
from storycast.project import Project

MADRID = ZoneInfo("Europe/Madrid")

TOML = """\
[project]
name = "Lumen, Support; Team"
languages = ["en", "es", "th", "hi", "sr"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"

[support_hours]
mon = ["09:00-13:00", "15:00-18:00"]
tue = ["09:00-18:00"]
sat = ["10:00-14:00"]
holidays = ["2026-12-08", "2026-12-26"]
"""

EVENT = """\
kind: qa
id: weekly-qa
languages: [en, es]
title: {en: "Ask us anything, live: Wi-Fi edition with a long title that needs folding", es: Pregúntanos}
start: "2026-10-15T18:00"
repeat: weekly
duration: 45m
join: https://lumen.example/live
"""


@pytest.fixture
def project(make_project) -> Project:
    return Project.load(make_project({"stories/weekly-qa.yaml": EVENT}, toml=TOML), environ={})


def at(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=MADRID)


def test_is_live_follows_local_spans_and_holidays(project: Project) -> None:
    hours = SupportHours.of(project)
    assert hours.is_live(at(2026, 12, 7, 9, 0))  # Monday 09:00
    assert not hours.is_live(at(2026, 12, 7, 13, 30))  # lunch gap
    assert hours.is_live(at(2026, 12, 7, 17, 59))
    assert not hours.is_live(at(2026, 12, 7, 18, 0))  # spans end exclusive
    assert not hours.is_live(at(2026, 12, 8, 10, 0))  # Tuesday, a holiday
    assert not hours.is_live(at(2026, 12, 9, 10, 0))  # Wednesday: closed
    assert hours.is_live(datetime(2026, 12, 12, 9, 30, tzinfo=UTC))  # Saturday 10:30 Madrid


def test_next_opening_skips_holidays_and_closed_days(project: Project) -> None:
    hours = SupportHours.of(project)
    assert hours.next_opening(at(2026, 12, 7, 13, 30)) == at(2026, 12, 7, 15, 0)
    assert hours.next_opening(at(2026, 12, 7, 18, 0)) == at(2026, 12, 12, 10, 0)  # Tue 8th is a holiday
    assert hours.next_opening(at(2026, 12, 7, 18, 0)).utcoffset() == timedelta(hours=1)


def test_next_opening_across_dst(project: Project) -> None:
    # Saturday 28 March 2026 after closing; the clocks go forward on Sunday; Monday opens 09:00 CEST.
    nxt = SupportHours.of(project).next_opening(at(2026, 3, 28, 15, 0))
    assert nxt == datetime(2026, 3, 30, 9, 0, tzinfo=MADRID) and nxt.utcoffset() == timedelta(hours=2)


def test_localized_lines(project: Project) -> None:
    hours = SupportHours.of(project)
    es = hours.lines("es")
    assert es[0].startswith("Lunes") and "09:00–13:00, 15:00–18:00" in es[0]
    assert any("วันเสาร์" in line for line in hours.lines("th"))
    assert any("субота" in line.lower() for line in hours.lines("sr"))


def test_fold_keeps_lines_under_75_octets_and_utf8_whole() -> None:
    line = "SUMMARY:" + "ถาม-ตอบสด " * 20
    folded = fold(line)
    assert folded.endswith("\r\n")
    parts = folded[:-2].split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert unfold(folded) == [line]


def test_calendar_is_valid_rfc5545(project: Project) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    text = build_calendar(project, now, lang="en")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # only CRLF line ends
    assert all(len(raw.encode("utf-8")) <= 75 for raw in text.split("\r\n"))
    lines = unfold(text)
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 5  # the series + four distinct spans
    assert lines.count("BEGIN:VEVENT") == sum(1 for line in lines if line.startswith("UID:"))
    assert lines.count("BEGIN:VEVENT") == sum(1 for line in lines if line == "DTSTAMP:20261123T120000Z")
    assert "X-WR-CALNAME:Lumen\\, Support\\; Team" in lines  # TEXT escaping
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Europe/Madrid" in lines
    assert "URL:https://lumen.example/live" in lines


def _event(lines: list[str], summary_prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    inside: dict[str, str] = {}
    for line in lines:
        if line == "BEGIN:VEVENT":
            inside = {}
        elif line == "END:VEVENT":
            if inside.get("SUMMARY", "").startswith(summary_prefix):
                out = inside
        else:
            name, _, value = line.partition(":")
            inside[name] = value  # keyed with its parameters (DTSTART;TZID=...)
    return out


def test_weekly_session_stays_at_1800_local_across_dst(project: Project) -> None:
    lines = unfold(build_calendar(project, datetime(2026, 10, 1, tzinfo=UTC), lang="en"))
    ev = _event(lines, "Ask us anything")
    assert ev["DTSTART;TZID=Europe/Madrid"] == "20261015T180000"
    assert ev["RRULE"] == "FREQ=WEEKLY;BYDAY=TH"
    start = datetime(2026, 10, 15, 18, 0, tzinfo=MADRID)
    sessions = list(rrulestr(ev["RRULE"], dtstart=start).xafter(start, count=3, inc=True))
    assert [s.strftime("%d %H:%M %Z") for s in sessions] == ["15 18:00 CEST", "22 18:00 CEST", "29 18:00 CET"]


def test_vtimezone_transitions_match_the_zone_database() -> None:
    changes = transitions("Europe/Madrid", 2026, 2026)
    assert [(c[0], c[3], c[4]) for c in changes] == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), True, "CEST"),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), False, "CET"),
    ]
    assert transitions("Asia/Bangkok", 2026, 2027) == []


def test_support_hours_events_carry_holidays_as_exdates(project: Project) -> None:
    lines = unfold(build_calendar(project, datetime(2026, 11, 23, tzinfo=UTC)))
    # 8 December is a Tuesday, 26 December a Saturday: both days have spans, so both are excluded.
    assert holidays_in(lines) == {date(2026, 12, 8), date(2026, 12, 26)}
    tuesday = next(line for line in lines if line.startswith("EXDATE") and "20261208" in line)
    assert tuesday == "EXDATE;TZID=Europe/Madrid:20261208T090000"


def test_cli_writes_the_feed(project: Project, run_cli, tmp_path) -> None:
    out = tmp_path / "lumen.ics"
    code, _, _ = run_cli(
        "--project", str(project.root), "qa", "ics", "--out", str(out), "--now", "2026-11-23T00:00Z"
    )
    assert code == 0 and out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    code, stdout, _ = run_cli(
        "--project", str(project.root), "qa", "ics", "--no-hours", "--now", "2026-11-23T00:00Z"
    )
    assert code == 0 and "support is live" not in stdout and "Ask us anything" in stdout
    code, _, err = run_cli("--project", str(project.root), "qa", "ics", "--lang", "de")
    assert code == 2 and "de" in err
    code, stdout, _ = run_cli(
        "--project", str(project.root), "qa", "hours", "--json", "--now", "2026-12-07T08:00Z"
    )
    assert code == 0 and '"live": true' in stdout
