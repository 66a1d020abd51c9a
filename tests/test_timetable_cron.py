"""Cron field parsing and Vixie semantics, against hand-computed calendars.

Calendar facts used below: 2026-11-23 is a Monday, 2026-11-29 a Sunday, 2026-12-13 a Sunday.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from storycast.timetable.cron import CronSyntaxError, parse_cron
from storycast.timetable.model import CronTrigger


def _dates(expr: str, first: str, last: str) -> list[str]:
    found = parse_cron(expr).dates(date.fromisoformat(first), date.fromisoformat(last))
    return [d.isoformat() for d in found]


def test_fields_steps_ranges_lists():
    c = parse_cron("*/15 9-17/4 1,15 * *")
    assert c.minutes == {0, 15, 30, 45}
    assert c.hours == {9, 13, 17}
    assert c.days == {1, 15}
    assert c.months == set(range(1, 13))
    assert c.weekdays == set(range(7))


def test_value_with_step_runs_to_the_end_of_the_field():
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}
    assert parse_cron("0 22/1 * * *").hours == {22, 23}


def test_times_of_a_day_are_sorted():
    assert parse_cron("45,5 18,9 * * *").times == ((9, 5), (9, 45), (18, 5), (18, 45))


@pytest.mark.parametrize("dow", ["0", "7", "sun", "SUN", "Sun"])
def test_zero_seven_and_sun_are_sunday(dow):
    assert parse_cron(f"0 9 * * {dow}").weekdays == {0}
    assert _dates(f"0 9 * * {dow}", "2026-11-23", "2026-12-09") == ["2026-11-29", "2026-12-06"]


def test_weekday_one_is_monday_not_tuesday():
    # APScheduler 3's CronTrigger would treat 1 as Tuesday; standard cron says Monday.
    assert _dates("0 9 * * 1", "2026-11-23", "2026-12-06") == ["2026-11-23", "2026-11-30"]


def test_names_for_months_and_days():
    c = parse_cron("0 9 * jan,jul mon-fri")
    assert c.months == {1, 7}
    assert c.weekdays == {1, 2, 3, 4, 5}


def test_range_ending_on_sunday():
    assert parse_cron("0 9 * * fri-sun").weekdays == {5, 6, 0}
    assert parse_cron("0 9 * * 5-7").weekdays == {5, 6, 0}
    assert parse_cron("0 9 * * sat-sun").weekdays == {6, 0}


def test_weekday_star_has_seven_days_not_eight():
    assert parse_cron("0 9 * * *").weekdays == set(range(7))
    assert parse_cron("0 9 * * */2").weekdays == {0, 2, 4, 6}


def test_dom_and_dow_both_restricted_is_or():
    # 13th of the month OR any Friday.
    assert _dates("0 9 13 * 5", "2026-11-23", "2026-12-20") == [
        "2026-11-27",
        "2026-12-04",
        "2026-12-11",
        "2026-12-13",
        "2026-12-18",
    ]


def test_only_one_restricted_is_and():
    assert _dates("0 9 1 * *", "2026-11-23", "2027-01-05") == ["2026-12-01", "2027-01-01"]
    assert _dates("0 9 * 12 mon", "2026-11-23", "2026-12-10") == ["2026-12-07"]


def test_star_step_in_dom_counts_as_unrestricted_like_vixie():
    # Vixie cron sets DOM_STAR for a field starting with '*', so "*/2" and "mon" must BOTH match:
    # odd days that are Mondays. (23 Nov and 7 Dec are odd Mondays; 30 Nov and 14 Dec are even.)
    assert _dates("0 9 */2 * 1", "2026-11-23", "2026-12-21") == ["2026-11-23", "2026-12-07", "2026-12-21"]


def test_macros():
    assert parse_cron("@daily").times == ((0, 0),)
    assert parse_cron("@hourly").times == tuple((h, 0) for h in range(24))
    assert parse_cron("@weekly").weekdays == {0}
    assert _dates("@monthly", "2026-11-23", "2027-01-02") == ["2026-12-01", "2027-01-01"]
    assert _dates("@yearly", "2026-01-02", "2028-12-31") == ["2027-01-01", "2028-01-01"]


def test_feb_29_only_in_leap_years():
    assert _dates("0 0 29 2 *", "2026-01-01", "2029-12-31") == ["2028-02-29"]


def test_31st_only_in_long_months():
    got = _dates("0 0 31 * *", "2026-01-01", "2026-12-31")
    assert [d[5:7] for d in got] == ["01", "03", "05", "07", "08", "10", "12"]


def test_extra_whitespace_is_ignored():
    assert parse_cron("  30   9 * *  1-5 ").text == "30 9 * * 1-5"


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("61 * * * *", "minute field: 61 is out of range 0-59"),
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("0 0 0 * *", "day of month field: 0 is out of range 1-31"),
        ("0 0 * 13 *", "month field: 13 is out of range 1-12"),
        ("0 0 * * 8", "day of week field: 8 is out of range 0-7"),
        ("* * * *", "5 fields, this one has 4"),
        ("0 * * * * *", "5 fields, this one has 6"),
        ("x * * * *", "minute field: 'x' is not a number"),
        ("0 0 * * mo", "day of week field: 'mo' is not a number"),
        ("5-1 * * * *", "range '5-1' runs backwards"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("1,,2 * * * *", "empty list item"),
        ("0 0 31 2 *", "never fires"),
        ("0 0 30 feb *", "never fires"),
        ("@reboot", "@reboot has no time of day"),
        ("@sometimes", "unknown cron macro"),
        ("", "5 fields, this one has 1"),
    ],
)
def test_invalid_expressions_have_clear_errors(expr, needle):
    with pytest.raises(CronSyntaxError) as info:
        parse_cron(expr)
    assert needle in info.value.message


def test_six_fields_hint_mentions_seconds():
    with pytest.raises(CronSyntaxError) as info:
        parse_cron("0 0 9 * * *")
    assert "seconds are not supported" in (info.value.hint or "")


def test_day_31_in_february_with_weekday_still_fires_on_the_weekday():
    # Both restricted -> OR, so Mondays in February match even though 31 Feb does not exist.
    assert _dates("0 0 31 2 1", "2027-02-01", "2027-02-28") == [
        "2027-02-01",
        "2027-02-08",
        "2027-02-15",
        "2027-02-22",
    ]


def test_wall_times_iterate_days_in_order():
    trig = CronTrigger(parse_cron("0 8,20 * * mon"))
    got = list(trig.wall_times(date(2026, 11, 23), date(2026, 12, 1)))
    assert got == [
        datetime(2026, 11, 23, 8, 0),
        datetime(2026, 11, 23, 20, 0),
        datetime(2026, 11, 30, 8, 0),
        datetime(2026, 11, 30, 20, 0),
    ]


def _brute(expr: str, start: datetime, count: int) -> list[datetime]:
    """Minute-by-minute reference matcher written from the man page, independent of CronExpr.dates."""
    c = parse_cron(expr)
    out, t = [], start
    while len(out) < count:
        dom, dow = t.day in c.days, (t.isoweekday() % 7) in c.weekdays
        day_ok = (dom and dow) if (c.dom_star or c.dow_star) else (dom or dow)
        if t.month in c.months and day_ok and t.hour in c.hours and t.minute in c.minutes:
            out.append(t)
        t += timedelta(minutes=1)
    return out


def test_day_iteration_agrees_with_a_minute_scan():
    rng = random.Random(7)
    exprs = ["*/7 */5 * * *", "0 12 1-7 * 1", "15 6 * * sat,sun", "0 0 */10 * *", "30 23 28-31 * *"]
    for _ in range(10):
        exprs.append(
            f"{rng.randrange(60)} {rng.randrange(24)} {rng.choice(['*', str(rng.randint(1, 28))])}"
            f" * {rng.choice(['*', str(rng.randrange(7)), 'mon-fri'])}"
        )
    start = datetime(2026, 11, 23)
    for expr in exprs:
        want = _brute(expr, start, 6)
        trig = CronTrigger(parse_cron(expr))
        got = [t for t in trig.wall_times(start.date(), want[-1].date()) if t >= start][:6]
        assert got == want, expr


def test_agrees_with_croniter_in_utc():
    croniter = pytest.importorskip("croniter").croniter
    exprs = ["30 9 * * 1-5", "0 9 13 * 5", "0 */6 * * *", "0 9 * * 0", "0 9 * * 7", "5 4 * jan,jun sun"]
    start = datetime(2026, 11, 23, tzinfo=UTC)
    for expr in exprs:
        it = croniter(expr, start - timedelta(seconds=1))
        want = [it.get_next(datetime) for _ in range(12)]
        trig = CronTrigger(parse_cron(expr))
        got = [
            t.replace(tzinfo=UTC)
            for t in trig.wall_times(start.date(), want[-1].date())
            if t.replace(tzinfo=UTC) >= start
        ][:12]
        assert got == want, expr
