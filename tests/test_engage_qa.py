"""Q&A events: the announcement series (timing across DST), localized dates (Babel), countdowns at
publish time, publishing to the local feed through the engine, and `storycast plan`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.context import Context
from storycast.engage import texts
from storycast.engage.frames import qa_context
from storycast.engage.qa import SessionRef, parse_ref, phase_offset
from storycast.errors import ContentError, ScheduleError
from storycast.project import Project
from storycast.timetable.table import load_timetable

MADRID = ZoneInfo("Europe/Madrid")

EVENT = """\
kind: qa
id: weekly-qa
languages: [en, es, th, hi, sr]
title: {en: Ask us anything, es: Pregúntanos, th: ถามเราได้เลย, hi: कुछ भी पूछें, sr: Питајте нас}
host: Ana
start: "2026-10-15T18:00"
repeat: weekly
duration: 45m
topics: {en: [Wi-Fi, Router]}
"""

SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - id: weekly-qa
    qa: weekly-qa
    channels: [local]
    languages: [es, en]
    grace: 20m
"""


@pytest.fixture
def project(make_project) -> Project:
    root = make_project({"stories/weekly-qa.yaml": EVENT, "schedules/engagement.yaml": SCHEDULE})
    return Project.load(root, environ={"STORYCAST_DB": f"sqlite:///{root}/.storycast/state.db"})


def _occurrences(project: Project, start: datetime, days: int):
    return load_timetable(project).occurrences(start, start + timedelta(days=days))


def test_default_series_is_t24h_t1h_live_recap(project: Project) -> None:
    occs = _occurrences(project, datetime(2026, 10, 14, tzinfo=UTC), 2)
    assert [o.occurrence_key for o in occs] == [
        "2026-10-14T18:00#T-24h",
        "2026-10-15T17:00#T-1h",
        "2026-10-15T18:00#live",
        "2026-10-15T18:45#recap",
    ]
    assert {o.ref for o in occs} == {
        f"weekly-qa@20261015T1600Z.{p}~Europe.Madrid" for p in ("T-24h", "T-1h", "live", "recap")
    }
    assert all(o.kind == "qa" and o.languages == ("es", "en") for o in occs)


def test_series_across_the_october_dst_change(project: Project) -> None:
    # Sessions stay at 18:00 local: CEST on the 22nd, CET on the 29th (the change is on the 25th).
    occs = _occurrences(project, datetime(2026, 10, 21, tzinfo=UTC), 10)
    live = [o for o in occs if o.occurrence_key.endswith("#live")]
    assert [o.local.strftime("%Y-%m-%d %H:%M %Z") for o in live] == [
        "2026-10-22 18:00 CEST",
        "2026-10-29 18:00 CET",
    ]
    assert [o.due_utc.hour for o in live] == [16, 17]
    for occ in occs:
        sref = parse_ref(occ.ref)
        assert sref.session is not None
        assert occ.due_utc - sref.session == phase_offset(sref.phase, timedelta(minutes=45))


def test_t24h_is_elapsed_time_when_dst_falls_in_between(make_project) -> None:
    # A session at noon on the day of the spring change (Sun 29 Mar 2026, 02:00 CET -> 03:00 CEST):
    # 24 real hours before 12:00 CEST (10:00 UTC) is Saturday 10:00 UTC, 11:00 CET.
    event = EVENT.replace('start: "2026-10-15T18:00"', 'start: "2026-03-29T12:00"')
    event = event.replace("repeat: weekly", "repeat: once")
    root = make_project({"stories/weekly-qa.yaml": event, "schedules/engagement.yaml": SCHEDULE})
    project = Project.load(root, environ={})
    occs = _occurrences(project, datetime(2026, 3, 28, tzinfo=UTC), 4)
    keys = [o.occurrence_key for o in occs]
    assert keys[0] == "2026-03-28T11:00#T-24h"  # not 12:00: the day in between had 23 hours
    assert occs[2].due_utc - occs[0].due_utc == timedelta(hours=24)
    assert occs[2].local.utcoffset() == timedelta(hours=2)


def test_offsets_configurable_per_entry(make_project) -> None:
    schedule = SCHEDULE + "    announce: [T-2h, live, recap+30m]\n    duration: 1h\n"
    root = make_project({"stories/weekly-qa.yaml": EVENT, "schedules/engagement.yaml": schedule})
    occs = _occurrences(Project.load(root, environ={}), datetime(2026, 10, 15, tzinfo=UTC), 1)
    assert [o.occurrence_key for o in occs] == [
        "2026-10-15T16:00#T-2h",
        "2026-10-15T18:00#live",
        "2026-10-15T19:30#recap+30m",
    ]


def test_bad_announcement_is_a_schedule_error_with_its_line(make_project) -> None:
    schedule = SCHEDULE + "    announce: [T-2h, soon]\n"
    root = make_project({"stories/weekly-qa.yaml": EVENT, "schedules/engagement.yaml": schedule})
    with pytest.raises(ScheduleError) as err:
        load_timetable(Project.load(root, environ={}))
    (problem,) = err.value.problems
    assert "soon" in problem.message and problem.line == 8


def test_event_content_errors_name_file_and_line(make_project) -> None:
    root = make_project({"stories/weekly-qa.yaml": EVENT.replace("duration: 45m", "duration: soon")})
    with pytest.raises(ContentError) as err:
        Project.load(root, environ={}).content  # noqa: B018 - loading is the test
    problem = err.value.problems[0]
    assert "duration" in problem.message and problem.line == 8


WHEN = {
    # The announcement line: date and time in the patterns pinned by storycast.dates.
    "en": "Thu, Dec 3 · 6:00\u202fPM",
    "es": "jue, 3 de diciembre · 18:00",
    "th": "วันพฤหัสบดีที่ 3 ธันวาคม · 18:00",
    "hi": "गुरु, 3 दिसंबर · 6:00 pm",
    "sr": "чет, 3. децембар · 18:00",
    "ar": "الخميس، 3 ديسمبر · 6:00 م",
}
COUNTDOWN = {
    # 40 minutes, 1 hour and 23 h 50 min before a session (rounded to the nearest unit).
    "en": ["in 40 minutes", "in 1 hour", "in 24 hours"],
    "es": ["dentro de 40 minutos", "dentro de 1 hora", "dentro de 24 horas"],
    "th": ["ในอีก 40 นาที", "ในอีก 1 ชั่วโมง", "ในอีก 24 ชั่วโมง"],
    "hi": ["40 मिनट में", "1 घंटे में", "24 घंटे में"],
    "sr": ["за 40 минута", "за 1 сат", "за 24 сата"],
    "ar": ["خلال 40 دقيقة", "خلال ساعة واحدة", "خلال 24 ساعة"],
}
ALTERNATIVES = {
    "en": "1, 2, or 3",
    "es": "1, 2 o 3",
    "th": "1, 2 หรือ 3",
    "hi": "1, 2 या 3",
    "sr": "1, 2 или 3",
    "ar": "1 أو 2 أو 3",
}


@pytest.mark.parametrize("lang", sorted(WHEN))
def test_localized_date_time_countdown_and_list(lang: str) -> None:
    session = datetime(2026, 12, 3, 18, 0, tzinfo=MADRID)
    assert texts.format_when(session, lang) == WHEN[lang]
    lefts = [timedelta(minutes=40), timedelta(hours=1), timedelta(hours=23, minutes=50)]
    assert [texts.format_countdown(left, lang) for left in lefts] == COUNTDOWN[lang]
    assert texts.format_list(["1", "2", "3"], lang) == ALTERNATIVES[lang]


def test_localized_strings_are_really_localized() -> None:
    session = datetime(2026, 12, 3, 18, 0, tzinfo=MADRID)
    assert texts.format_when(session, "es") == "jue, 3 de diciembre · 18:00"
    assert "ธันวาคม" in texts.format_when(session, "th")
    assert "दिसंबर" in texts.format_when(session, "hi")
    assert "децембар" in texts.format_when(session, "sr")
    assert texts.format_countdown(timedelta(hours=1), "es") == "dentro de 1 hora"


def test_countdown_is_computed_at_publish_time(project: Project) -> None:
    event = project.content.extras["qa"]["weekly-qa"]
    session = datetime(2026, 12, 3, 18, 0, tzinfo=MADRID)
    on_time = qa_context(event, session, "T-1h", "en", session - timedelta(hours=1))
    late = qa_context(event, session, "T-1h", "en", session - timedelta(minutes=40))
    assert on_time["countdown"] == "in 1 hour" and late["countdown"] == "in 40 minutes"
    live = qa_context(event, session, "live", "es", session)
    assert live["countdown"] == live["when_label"] == "En directo ahora" and "En directo" not in live["join"]
    recap = qa_context(event, session, "recap", "en", session + timedelta(minutes=46))
    assert recap["join"] == "Thanks for joining!" and recap["ask"].startswith(
        "Answers are in our help center"
    )
    assert on_time["starts_local"] == late["starts_local"] == "Thu, Dec 3 · 6:00\u202fPM"


def test_ref_round_trip() -> None:
    ref = SessionRef(
        "weekly-qa", datetime(2026, 12, 3, 17, 0, tzinfo=UTC), "recap+30m", "America/Argentina/Buenos_Aires"
    )
    assert str(ref) == "weekly-qa@20261203T1700Z.recap+30m~America.Argentina.Buenos_Aires"
    assert parse_ref(str(ref)) == ref
    assert parse_ref("weekly-qa@20261203T1700Z.T-1h").zone is None
    assert parse_ref("weekly-qa").session is None


def test_one_session_announced_to_each_audience_in_its_zone(make_project) -> None:
    schedule = SCHEDULE + (
        "  - id: weekly-qa-th\n    qa: weekly-qa\n    timezone: Asia/Bangkok\n    channels: [local]\n"
        "    languages: [th]\n"
    )
    root = make_project({"stories/weekly-qa.yaml": EVENT, "schedules/engagement.yaml": schedule})
    project = Project.load(root, environ={})
    live = [
        o for o in _occurrences(project, datetime(2026, 10, 15, tzinfo=UTC), 1) if "#live" in o.occurrence_key
    ]
    assert [(o.entry_key, o.occurrence_key) for o in live] == [
        ("weekly-qa", "2026-10-15T18:00#live"),
        ("weekly-qa-th", "2026-10-15T23:00#live"),  # the same instant, on Bangkok's clock
    ]
    assert live[0].due_utc == live[1].due_utc
    from storycast.engage.frames import _session_local

    event = project.content.extras["qa"]["weekly-qa"]
    assert _session_local(project, parse_ref(live[1].ref), event).strftime("%H:%M") == "23:00"


def _tick(project: Project, now: datetime):
    from storycast.engine.tick import tick

    ctx = Context(environ=project.environ)
    ctx.fixed_clock(now)
    return tick(project, ctx, now)


def _feed(project: Project) -> list[dict]:
    return [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((project.root / "feed").glob("*/*.json"))
    ]


def test_engine_publishes_announcements_to_the_local_feed_with_the_late_countdown(project: Project) -> None:
    session_utc = datetime(2026, 10, 15, 16, 0, tzinfo=UTC)
    report = _tick(project, session_utc - timedelta(minutes=45))  # T-1h, 15 minutes late (grace 20m)
    assert report.count("published") == 2
    records = _feed(project)
    assert {r["language"] for r in records} == {"es", "en"}
    en = next(r for r in records if r["language"] == "en")
    assert en["kind"] == "qa" and en["story"] == "weekly-qa@20261015T1600Z.T-1h~Europe.Madrid"
    assert "in 45 minutes" in en["alt"]
    again = _tick(project, session_utc - timedelta(minutes=44))
    assert again.count("published") == 0  # exactly once


def test_plan_shows_the_announcements(project: Project, run_cli) -> None:
    code, out, _ = run_cli(
        "--project", str(project.root), "plan", "--json", "--from", "2026-10-14T00:00", "--days", "2"
    )
    assert code == 0
    occs = json.loads(out)["occurrences"]
    assert [o["occurrence_key"].split("#")[1] for o in occs] == ["T-24h", "T-1h", "live", "recap"]


def test_example_project_schedules_qa_and_csat(run_cli) -> None:
    repo = Path(__file__).resolve().parent.parent
    code, out, _ = run_cli(
        "--project", str(repo), "plan", "--json", "--from", "2026-12-02T00:00", "--days", "2"
    )
    assert code == 0
    kinds = {(o["kind"], o["ref"].split("@")[0]) for o in json.loads(out)["occurrences"]}
    assert ("qa", "weekly-qa") in kinds and ("poll", "csat-weekly") in kinds


def test_loading_the_qa_and_poll_sources_twice_is_harmless() -> None:
    from storycast import plugins
    from storycast.engine.frames import source_for

    first = source_for("qa")
    plugins.reload()  # a second load (plugin reload, worker restart) must not raise
    assert source_for("qa") is first and source_for("poll") is not None
