"""Schedule entry variants: stable turns, time slots, other stories, the ledger column, and clear
errors for malformed variants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storycast.errors import ScheduleError
from storycast.project import Project
from storycast.timetable import load_timetable
from storycast.timetable.variants import VARIANT_EPOCH, turn
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

ENTRY = """\
timezone: Europe/Madrid
entries:
  - id: tips
    story: sample
    cron: "0 9 * * *"
    channels: [local]
{extra}
"""

VARIANTS = """\
    variants:
      - name: morning
      - name: evening
        at: "18:30"
      - story: sample-short
        label: Short one
"""


def _project(root: Path, schedule: str) -> Project:
    build_file_tree(
        root,
        {
            "storycast.toml": MINIMAL_TOML,
            "stories/sample.yaml": MINIMAL_STORY,
            "stories/sample-short.yaml": MINIMAL_STORY.replace("id: sample", "id: sample-short"),
            "stories/only-en.yaml": MINIMAL_STORY.replace("id: sample", "id: only-en").replace(
                "languages: [en, es]", "languages: [en]"
            ),
            "schedules/tips.yaml": schedule,
        },
    )
    return Project.load(root, environ={})


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _plan(project: Project, start: datetime, days: int) -> list[tuple[str, str, str]]:
    occs = load_timetable(project).occurrences(start, start + timedelta(days=days))
    return [(o.occurrence_key, o.ref, str(o.extra.get("variant"))) for o in occs]


def test_turns_alternate_and_do_not_depend_on_the_window(tmp_path: Path) -> None:
    project = _project(tmp_path, ENTRY.format(extra=VARIANTS))
    # 2026-12-01 09:00 is firing 334 since 1 January 2026 (one a day): 334 mod 3 = 1, "evening".
    week = _plan(project, _utc(2026, 12, 1), 4)
    assert week == [
        ("2026-12-01T18:30", "sample", "evening"),
        ("2026-12-02T09:00", "sample-short", "c"),
        ("2026-12-03T09:00", "sample", "morning"),
        ("2026-12-04T18:30", "sample", "evening"),
    ]
    # Asked from another start, in small pieces, or years later: the same turns.
    pieces = [x for d in range(4) for x in _plan(project, _utc(2026, 12, 1 + d, 0, 30), 1)]
    assert [p for p in pieces if p[0] < "2026-12-05"] == week
    later = _plan(project, _utc(2027, 12, 1), 1)
    assert later == [("2027-12-01T18:30" if (334 + 365) % 3 == 1 else "2027-12-01T09:00", *later[0][1:])]
    assert later[0][2] == ("morning", "evening", "c")[(334 + 365) % 3]
    entry = load_timetable(project).entry("tips")
    assert turn(entry, VARIANT_EPOCH.replace(hour=9)) == 0
    assert turn(entry, datetime(2025, 12, 31, 9, 0)) == -1


def test_start_is_the_anchor_and_except_dates_take_no_turn(tmp_path: Path) -> None:
    extra = '    start: "2026-12-01"\n    except: [2026-12-02]\n' + VARIANTS
    project = _project(tmp_path, ENTRY.format(extra=extra))
    assert [v for _, _, v in _plan(project, _utc(2026, 11, 30), 6)] == ["morning", "evening", "c", "morning"]


def test_the_label_and_the_plan_show_the_variant(tmp_path: Path, run_cli: Any) -> None:
    project = _project(tmp_path, ENTRY.format(extra=VARIANTS))
    occs = load_timetable(project).occurrences(_utc(2026, 12, 2), _utc(2026, 12, 3))
    assert [o.label for o in occs] == ["Short one"]
    code, out, _ = run_cli("--project", str(project.root), "plan", "--from", "2026-12-01", "--days", "3")
    assert code == 0 and "variant evening" in out and "variant c" in out


def test_the_ledger_records_each_occurrences_variant(tmp_path: Path) -> None:
    from storycast.engine.materialize import materialize
    from storycast.ledger import open_ledger

    project = _project(tmp_path, ENTRY.format(extra=VARIANTS))

    led = open_ledger(project)
    try:
        materialize(project, led, load_timetable(project), _utc(2026, 12, 1, 17, 0), timedelta(days=2))
        got = {(p["occurrence_key"], p["variant"]) for p in led.publication_rows()}
    finally:
        led.close()
    assert ("2026-12-01T18:30", "evening") in got and ("2026-12-02T09:00", "c") in got


BAD = [
    ("    variants: evening\n", "variants: must be a list of at least two variants", 7),
    ("    variants:\n      - name: only\n", "variants: must be a list of at least two variants", 8),
    ("    variants:\n      - morning\n      - evening\n", "variants: item 1 must be a mapping", 8),
    ('    variants:\n      - {}\n      - {at: "25:00"}\n', "variants: at: '25:00' is not a time of day", 9),
    ("    variants:\n      - {}\n      - {templat: short}\n", "variants: unknown key 'templat'", 9),
    ("    variants:\n      - {}\n      - {story: nope}\n", "variants: no story with id 'nope'", 9),
    ("    variants:\n      - {}\n      - {story: only-en}\n", "variants: only-en does not declare es", 9),
    ("    variants:\n      - {name: x}\n      - {name: x}\n", "variants: the name 'x' is used twice", 9),
    (
        "    variants:\n      - {name: Big One}\n      - {}\n",
        "variants: name 'Big One' is not a variant name",
        8,
    ),
    ("    variants:\n      - {}\n      - {label: 3}\n", "variants: label: must be text", 9),
]


@pytest.mark.parametrize(("extra", "message", "line"), BAD)
def test_malformed_variants_name_file_line_and_fix(
    tmp_path: Path, extra: str, message: str, line: int
) -> None:
    project = _project(tmp_path, ENTRY.format(extra=extra))
    with pytest.raises(ScheduleError) as info:
        load_timetable(project)
    problem = info.value.problems[0]  # the first, top to bottom
    assert message in problem.message
    assert problem.file is not None and Path(problem.file).name == "tips.yaml"
    assert problem.line == line and problem.hint


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            ENTRY.replace('cron: "0 9 * * *"', 'at: "2026-12-01T09:00"').format(extra=VARIANTS),
            "this one has at: (once)",
        ),
        (
            "defaults:\n  variants: []\n" + ENTRY.format(extra=""),
            "defaults: 'variants' cannot have a default",
        ),
    ],
)
def test_variants_need_a_repeating_story_entry(tmp_path: Path, schedule: str, message: str) -> None:
    project = _project(tmp_path, schedule)
    with pytest.raises(ScheduleError) as info:
        load_timetable(project)
    assert any(message in p.message for p in info.value.problems)


def test_the_cli_reports_bad_variants_without_a_traceback(tmp_path: Path, run_cli: Any) -> None:
    project = _project(tmp_path, ENTRY.format(extra=BAD[3][0]))
    code, _, err = run_cli("--project", str(project.root), "plan")
    assert code == 4
    assert (
        "schedules/tips.yaml:9:" in err and "'25:00' is not a time of day" in err and "Traceback" not in err
    )


# ---- plan --ics ---------------------------------------------------------------------------------


def _events(text: str) -> list[dict[str, str]]:
    from storycast.engage.ics import unfold

    events: list[dict[str, str]] = []
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            events.append({})
        elif events and ":" in line and line != "END:VEVENT":
            key, _, value = line.partition(":")
            events[-1][key] = value
    return events


def test_plan_ics_writes_each_occurrence_with_a_stable_uid(tmp_path: Path, run_cli: Any) -> None:
    project = _project(tmp_path, ENTRY.format(extra=VARIANTS))
    args = ("--project", str(project.root), "plan", "--ics")
    code, first, _ = run_cli(*args, "--from", "2026-12-01", "--days", "3", "--now", "2026-11-30T10:00:00Z")
    assert code == 0
    assert first.startswith("BEGIN:VCALENDAR\r\n") and first.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in first.split("\r\n"))
    events = _events(first)
    assert [e["DTSTART;TZID=Europe/Madrid"] for e in events] == [
        "20261201T183000",
        "20261202T090000",
        "20261203T090000",
    ]
    assert [e["SUMMARY"] for e in events] == ["sample (evening)", "Short one (c)", "sample (morning)"]
    assert events[0]["DTEND;TZID=Europe/Madrid"] == "20261201T184500"  # the 15-minute grace
    assert "BEGIN:VTIMEZONE" in first and "TZID:Europe/Madrid" in first
    # Planned another day, over an overlapping window: the same occurrences keep their UIDs.
    out = tmp_path / "cal" / "plan.ics"
    code, said, _ = run_cli(
        *args, "--from", "2026-12-02", "--days", "2", "--now", "2026-12-01T12:00:00Z", "--out", str(out)
    )
    assert code == 0 and "wrote 2 publication(s)" in said
    again = _events(out.read_bytes().decode("utf-8"))
    assert [e["UID"] for e in again] == [e["UID"] for e in events[1:]]
    assert len({e["UID"] for e in events}) == 3


@pytest.mark.parametrize(("extra", "needle"), [(("--ics", "--json"), "--ics"), (("--out", "x.ics"), "--out")])
def test_plan_ics_usage_errors(tmp_path: Path, run_cli: Any, extra: tuple[str, ...], needle: str) -> None:
    project = _project(tmp_path, ENTRY.format(extra=VARIANTS))
    code, _, err = run_cli("--project", str(project.root), "plan", *extra)
    assert code == 2 and needle in err


def test_turns_far_from_the_anchor_are_counted_by_calendar_cycles(tmp_path: Path) -> None:
    from storycast.timetable import variants

    extra = "    except: [2400-02-29, 2027-03-01]\n" + VARIANTS
    schedule = ENTRY.format(extra=extra).replace('cron: "0 9 * * *"', 'cron: "0 9 29 2,3 *"')
    entry = load_timetable(_project(tmp_path, schedule)).entry("tips")
    far = datetime(2926, 3, 29, 9, 0)
    # By hand: 29 Feb in leap years and 29 March every year, from 2026 up to 2926-03-29 09:00,
    # less 2400-02-29 (except:); 2027-03-01 is in except: too but was never a firing.
    years = range(2026, 2927)
    leap = sum(1 for y in years if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
    assert variants.turn(entry, far) == leap + (len(years) - 1) - 1
    variants._CUMULATIVE.clear()
    started = datetime.now()
    assert variants.turn(entry, datetime(8900, 1, 1, 9, 0)) > 0
    assert datetime.now() - started < timedelta(seconds=10)


def test_every_entries_count_turns_by_division(tmp_path: Path) -> None:
    from storycast.timetable import variants

    schedule = ENTRY.format(
        extra='    start: "2026-12-01T10:00"\n    except: [2026-12-02]\n' + VARIANTS
    ).replace('cron: "0 9 * * *"', "every: 90m")
    project = _project(tmp_path, schedule)
    entry = load_timetable(project).entry("tips")
    # Every 90 minutes from 1 December 10:00 (16 a day); 2 December is skipped and takes no turn.
    assert variants.turn(entry, datetime(2026, 12, 1, 10, 0)) == 0
    assert variants.turn(entry, datetime(2026, 12, 2, 1, 0)) == 10  # 10:00, 11:30 ... 23:30 on day 1
    walk = [
        t
        for day in range(1, 4)
        for t in entry.trigger.wall_times(datetime(2026, 12, day).date(), datetime(2026, 12, day).date())
        if t >= datetime(2026, 12, 1, 10, 0) and t.date() != datetime(2026, 12, 2).date()
    ]
    assert [variants.turn(entry, t) for t in walk] == list(range(len(walk)))
    started = datetime.now()
    assert variants.turn(entry, datetime(8900, 1, 1, 0, 0)) > 40 * 10**6  # 16 a day for 6,874 years
    assert datetime.now() - started < timedelta(seconds=1)
