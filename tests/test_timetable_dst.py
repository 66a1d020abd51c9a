"""DST policy, zone by zone, against hand-computed instants.

Transitions used (tzdata):
  Europe/Madrid      2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC);
                     2026-10-25 03:00 CEST -> 02:00 CET (01:00 UTC)
  America/New_York   2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC);
                     2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC)
  Australia/Sydney   2026-04-05 03:00 AEDT -> 02:00 AEST (16:00 UTC on 04-04);
                     2026-10-04 02:00 AEST -> 03:00 AEDT (16:00 UTC on 10-03)
  Asia/Kolkata       +05:30 all year;  Asia/Bangkok +07:00 all year.
Policy: a missing local time moves to the first instant after the gap; an ambiguous one happens
once, at its first instance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storycast.timetable.cron import parse_cron
from storycast.timetable.model import AtTrigger, CronTrigger, Entry
from storycast.timetable.table import Timetable
from storycast.timetable.zones import Blackout, resolve


def entry(cron: str | None = None, tz: str = "Europe/Madrid", at: datetime | None = None, **kw) -> Entry:
    trigger = AtTrigger(at) if at is not None else CronTrigger(parse_cron(cron or ""))
    spec = trigger.spec
    return Entry(
        key=kw.pop("key", f"t/{spec}@{tz}"),
        kind="story",
        ref="reset-router",
        tz=tz,
        trigger=trigger,
        channels=("local",),
        languages=("en",),
        grace=timedelta(minutes=15),
        label="reset-router",
        source="schedules/t.yaml:1",
        **kw,
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def run(e: Entry, start: datetime, end: datetime):
    return Timetable([e]).occurrences(start, end)


def due(occs) -> list[str]:
    return [o.due_utc.strftime("%m-%d %H:%M") for o in occs]


def keys(occs) -> list[str]:
    return [o.occurrence_key for o in occs]


# ---- resolve() itself ----------------------------------------------------------------------------


def test_resolve_gap_moves_to_first_instant_after_gap():
    got = resolve(datetime(2026, 3, 29, 2, 30), ZoneInfo("Europe/Madrid"))
    assert got.isoformat() == "2026-03-29T03:00:00+02:00"
    assert got.tzname() == "CEST"
    assert got.astimezone(UTC) == utc(2026, 3, 29, 1, 0)


def test_resolve_gap_start_itself_is_missing_too():
    got = resolve(datetime(2026, 3, 29, 2, 0), ZoneInfo("Europe/Madrid"))
    assert got.astimezone(UTC) == utc(2026, 3, 29, 1, 0)


def test_resolve_fold_picks_first_instance():
    got = resolve(datetime(2026, 10, 25, 2, 30), ZoneInfo("Europe/Madrid"))
    assert got.tzname() == "CEST"
    assert got.astimezone(UTC) == utc(2026, 10, 25, 0, 30)


def test_resolve_ordinary_time_is_untouched():
    got = resolve(datetime(2026, 7, 1, 9, 30), ZoneInfo("Europe/Madrid"))
    assert got.astimezone(UTC) == utc(2026, 7, 1, 7, 30)


# ---- Europe/Madrid -------------------------------------------------------------------------------


def test_madrid_daily_in_gap_moves_to_three():
    occs = run(entry("30 2 * * *"), utc(2026, 3, 27, 12), utc(2026, 3, 30, 12))
    assert due(occs) == ["03-28 01:30", "03-29 01:00", "03-30 00:30"]
    assert keys(occs) == ["2026-03-28T02:30", "2026-03-29T03:00", "2026-03-30T02:30"]
    assert occs[1].local.isoformat() == "2026-03-29T03:00:00+02:00"
    assert dict(occs[1].extra) == {"moved_from": "2026-03-29T02:30", "reason": "dst-gap"}


def test_madrid_daily_in_fold_happens_once_at_first_instance():
    occs = run(entry("30 2 * * *"), utc(2026, 10, 24, 0), utc(2026, 10, 27, 0))
    assert due(occs) == ["10-24 00:30", "10-25 00:30", "10-26 01:30"]
    assert [o.local.tzname() for o in occs] == ["CEST", "CEST", "CET"]
    assert keys(occs) == ["2026-10-24T02:30", "2026-10-25T02:30", "2026-10-26T02:30"]


def test_madrid_hourly_across_spring_forward():
    occs = run(entry("30 * * * *"), utc(2026, 3, 29, 0), utc(2026, 3, 29, 4))
    assert due(occs) == ["03-29 00:30", "03-29 01:00", "03-29 01:30", "03-29 02:30", "03-29 03:30"]
    assert keys(occs) == [
        "2026-03-29T01:30",
        "2026-03-29T03:00",
        "2026-03-29T03:30",
        "2026-03-29T04:30",
        "2026-03-29T05:30",
    ]


def test_madrid_hourly_across_fall_back_skips_the_repeat():
    occs = run(entry("30 * * * *"), utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert due(occs) == ["10-24 23:30", "10-25 00:30", "10-25 02:30"]
    assert keys(occs) == ["2026-10-25T01:30", "2026-10-25T02:30", "2026-10-25T03:30"]


def test_madrid_half_hourly_gap_times_collapse_into_one():
    # 02:00 and 02:30 do not exist; both move to 03:00, where the entry fires anyway: one post.
    occs = run(entry("0,30 * * * *"), utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    assert keys(occs) == ["2026-03-29T01:00", "2026-03-29T01:30", "2026-03-29T03:00", "2026-03-29T03:30"]
    assert due(occs) == ["03-29 00:00", "03-29 00:30", "03-29 01:00", "03-29 01:30"]


def test_madrid_one_off_in_gap():
    occs = run(entry(at=datetime(2026, 3, 29, 2, 30)), utc(2026, 3, 1), utc(2026, 4, 1))
    assert due(occs) == ["03-29 01:00"]
    assert keys(occs) == ["2026-03-29T03:00"]


def test_madrid_one_off_in_fold():
    occs = run(entry(at=datetime(2026, 10, 25, 2, 30)), utc(2026, 10, 1), utc(2026, 11, 1))
    assert due(occs) == ["10-25 00:30"]


# ---- America/New_York ----------------------------------------------------------------------------


def test_new_york_daily_gap_and_fold():
    ny = "America/New_York"
    spring = run(entry("30 2 * * *", tz=ny), utc(2026, 3, 7, 0), utc(2026, 3, 9, 12))
    assert due(spring) == ["03-07 07:30", "03-08 07:00", "03-09 06:30"]
    assert spring[1].local.tzname() == "EDT" and spring[1].local.hour == 3
    fall = run(entry("30 1 * * *", tz=ny), utc(2026, 10, 31, 0), utc(2026, 11, 2, 12))
    assert due(fall) == ["10-31 05:30", "11-01 05:30", "11-02 06:30"]
    assert [o.local.tzname() for o in fall] == ["EDT", "EDT", "EST"]


def test_new_york_hourly_across_fall_back():
    occs = run(entry("15 * * * *", tz="America/New_York"), utc(2026, 11, 1, 4), utc(2026, 11, 1, 8))
    assert due(occs) == ["11-01 04:15", "11-01 05:15", "11-01 07:15"]
    assert keys(occs) == ["2026-11-01T00:15", "2026-11-01T01:15", "2026-11-01T02:15"]


def test_new_york_hourly_across_spring_forward():
    occs = run(entry("15 * * * *", tz="America/New_York"), utc(2026, 3, 8, 5), utc(2026, 3, 8, 9))
    # 00:15 EST, 01:15 EST, 02:15 (missing) -> 03:00 EDT, 03:15 EDT, 04:15 EDT
    assert due(occs) == ["03-08 05:15", "03-08 06:15", "03-08 07:00", "03-08 07:15", "03-08 08:15"]


# ---- Australia/Sydney (southern hemisphere: DST ends in April, starts in October) ----------------


def test_sydney_daily_fold_in_april_and_gap_in_october():
    syd = "Australia/Sydney"
    fall = run(entry("30 2 * * *", tz=syd), utc(2026, 4, 3, 12), utc(2026, 4, 6, 12))
    assert due(fall) == ["04-03 15:30", "04-04 15:30", "04-05 16:30"]
    assert [o.local.tzname() for o in fall] == ["AEDT", "AEDT", "AEST"]
    spring = run(entry("30 2 * * *", tz=syd), utc(2026, 10, 2, 12), utc(2026, 10, 5, 12))
    assert due(spring) == ["10-02 16:30", "10-03 16:00", "10-04 15:30"]
    assert keys(spring)[1] == "2026-10-04T03:00"


def test_sydney_hourly_across_fall_back():
    occs = run(entry("30 * * * *", tz="Australia/Sydney"), utc(2026, 4, 4, 14), utc(2026, 4, 4, 18))
    # 01:30 AEDT (14:30), 02:30 AEDT (15:30), [02:30 AEST skipped], 03:30 AEST (17:30)
    assert due(occs) == ["04-04 14:30", "04-04 15:30", "04-04 17:30"]


# ---- zones without DST ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "utc_time", "abbrev"),
    [("Asia/Kolkata", "04:30", "IST"), ("Asia/Bangkok", "03:00", "+07")],
)
def test_no_dst_zones_keep_one_offset_all_year(tz, utc_time, abbrev):
    e = entry("0 10 * * *", tz=tz)
    occs = run(e, utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(occs) == 365
    assert {o.due_utc.strftime("%H:%M") for o in occs} == {utc_time}
    assert {o.local.tzname() for o in occs} == {abbrev}
    assert all(o.extra == {} for o in occs)


def test_kolkata_half_hour_offset_hourly():
    occs = run(entry("0 * * * *", tz="Asia/Kolkata"), utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))
    assert due(occs) == ["03-29 00:30", "03-29 01:30", "03-29 02:30"]
    assert keys(occs) == ["2026-03-29T06:00", "2026-03-29T07:00", "2026-03-29T08:00"]


# ---- whole-year invariants -----------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["Europe/Madrid", "America/New_York", "Australia/Sydney"])
def test_a_year_of_hourly_has_one_per_wall_clock_hour(tz):
    occs = run(entry("30 * * * *", tz=tz), utc(2025, 12, 31, 12), utc(2027, 1, 1, 12))
    in_2026 = [o for o in occs if o.occurrence_key.startswith("2026-")]
    assert len(in_2026) == 365 * 24
    assert len({o.due_utc for o in occs}) == len(occs)
    assert [o.due_utc for o in occs] == sorted(o.due_utc for o in occs)


@pytest.mark.parametrize("tz", ["Europe/Madrid", "America/New_York", "Australia/Sydney"])
def test_a_year_of_daily_in_the_transition_hour_never_skips_a_day(tz):
    occs = run(entry("30 2 * * *", tz=tz), utc(2026, 1, 1, 12), utc(2027, 1, 1, 12))
    days = [o.occurrence_key[:10] for o in occs]
    assert len(days) == len(set(days)) == 365


# ---- blackouts and DST together ------------------------------------------------------------------


def test_blackout_move_collapses_a_night_of_hourly_posts():
    e = entry("0 * * * *", blackouts=(Blackout.parse("22:00-07:00"),))
    occs = run(e, utc(2026, 12, 1, 18), utc(2026, 12, 2, 8))
    # 19:00..21:00 CET, then everything from 22:00 to 07:00 is one post at 07:00, then 08:00.
    assert keys(occs) == [
        "2026-12-01T19:00",
        "2026-12-01T20:00",
        "2026-12-01T21:00",
        "2026-12-02T07:00",
        "2026-12-02T08:00",
    ]
    assert occs[3].extra["moved_from"] == "2026-12-01T22:00"


def test_blackout_results_do_not_depend_on_the_window():
    e = entry("0 */3 * * *", blackouts=(Blackout.parse("22:00-07:00"),))
    whole = run(e, utc(2026, 10, 20), utc(2026, 10, 30))
    parts: list = []
    cut = utc(2026, 10, 20)
    while cut < utc(2026, 10, 30):
        parts += run(e, cut, cut + timedelta(hours=5))
        cut += timedelta(hours=5)
    assert parts == whole


def test_blackout_end_on_spring_forward_day():
    e = entry("30 1 * * *", blackouts=(Blackout.parse("01:00-02:30"),))
    occs = run(e, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    # 01:30 CET is in the blackout; its end, 02:30, does not exist that day -> 03:00 CEST.
    assert keys(occs) == ["2026-03-29T03:00"]
    assert due(occs) == ["03-29 01:00"]


# ---- unusual transitions -------------------------------------------------------------------------


def test_lord_howe_half_hour_dst():
    # Australia/Lord_Howe moves clocks by 30 minutes: 02:00 -> 02:30 on 2026-10-04, 02:00 -> 01:30
    # on 2026-04-05.
    z = ZoneInfo("Australia/Lord_Howe")
    assert resolve(datetime(2026, 10, 4, 2, 15), z).isoformat() == "2026-10-04T02:30:00+11:00"
    assert resolve(datetime(2026, 4, 5, 1, 45), z).isoformat() == "2026-04-05T01:45:00+11:00"
    occs = run(entry("*/15 1-2 * * *", tz="Australia/Lord_Howe"), utc(2026, 10, 3, 12), utc(2026, 10, 4, 12))
    assert keys(occs) == [
        "2026-10-04T01:00",
        "2026-10-04T01:15",
        "2026-10-04T01:30",
        "2026-10-04T01:45",
        "2026-10-04T02:30",  # 02:00 and 02:15 do not exist; they join 02:30
        "2026-10-04T02:45",
    ]


def test_dublin_negative_dst_is_still_a_gap_and_a_fold():
    # tzdata models Irish time with a negative DST save; the wall clock behaves as usual.
    z = ZoneInfo("Europe/Dublin")
    assert resolve(datetime(2026, 3, 29, 1, 30), z).astimezone(UTC) == utc(2026, 3, 29, 1, 0)
    assert resolve(datetime(2026, 10, 25, 1, 30), z).astimezone(UTC) == utc(2026, 10, 25, 0, 30)


# ---- properties over random schedules ------------------------------------------------------------

ZONES = ["Europe/Madrid", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata"]


@settings(max_examples=40, deadline=None)
@given(
    minute=st.sampled_from(["0", "30", "*/20", "15,45"]),
    hour=st.sampled_from(["*", "0-3", "2", "1,2,3", "*/5"]),
    tz=st.sampled_from(ZONES),
    month=st.sampled_from([3, 4, 10, 11]),
    night=st.booleans(),
)
def test_properties_of_any_schedule(minute, hour, tz, month, night):
    blackouts = (Blackout.parse("23:00-06:00"),) if night else ()
    e = entry(f"{minute} {hour} * * *", tz=tz, blackouts=blackouts)
    start, end = utc(2026, month, 1), utc(2026, month, 15)
    occs = run(e, start, end)
    # sorted, inside the window, one occurrence per key, key == local wall-clock minute
    assert [o.due_utc for o in occs] == sorted(o.due_utc for o in occs)
    assert all(start <= o.due_utc < end for o in occs)
    assert len({o.occurrence_key for o in occs}) == len(occs)
    assert all(o.occurrence_key == o.local.strftime("%Y-%m-%dT%H:%M") for o in occs)
    assert all(o.local.astimezone(UTC) == o.due_utc for o in occs)
    # a moved occurrence only ever moves later, never earlier
    for o in occs:
        if "moved_from" in o.extra:
            assert o.extra["moved_from"] < o.occurrence_key
    # nothing inside the blackout
    if night:
        assert all(6 <= o.local.hour < 23 for o in occs)
    # splitting the window changes nothing
    mid = start + (end - start) / 3
    assert run(e, start, mid) + run(e, mid, end) == occs
