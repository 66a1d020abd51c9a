"""Wall-clock time to instants: the DST policy, time-zone lookup, durations and blackouts.

The DST policy (documented in docs/schedules.md and pinned by tests/test_timetable_dst.py):

* a local time that does not exist (the spring-forward gap) moves to the first valid instant
  after the gap: 02:30 on Europe/Madrid's spring-forward day becomes 03:00 CEST;
* a local time that happens twice (the fall-back overlap) happens once, at its first
  instance (``fold=0``): 02:30 on Europe/Madrid's fall-back day is 02:30 CEST, never 02:30 CET.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Durations are parsed in storycast.units; the names stay here for the loader and engage.polls.
from ..units import format_duration as format_duration
from ..units import parse_duration as parse_duration

_ONE_SECOND = timedelta(seconds=1)


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@cache
def get_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError with close matches when unknown."""
    try:
        if not name or name != name.strip():
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zones = _all_zones()
        by_lower = {z.lower(): z for z in zones}
        close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.8)
        # Also match the city part alone ("Bangkok" -> "Asia/Bangkok").
        tail = name.strip().split("/")[-1].lower().replace(" ", "_")
        close += [z for z in zones if z.lower().endswith("/" + tail) and z.lower() not in close]
        names = list(dict.fromkeys(by_lower.get(c, c) for c in close))[:3]
        hint = f"did you mean {' or '.join(names)}?" if names else "use an IANA name such as Europe/Madrid"
        raise UnknownZoneError(f"{name!r} is not an IANA time zone", hint) from None


class UnknownZoneError(ValueError):
    """A time-zone name is not in the IANA database; ``hint`` lists close matches."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _gap_end(naive: datetime, zone: ZoneInfo) -> datetime:
    """First valid instant after the gap that swallows ``naive`` (aware, in ``zone``)."""
    # fold=0 interprets the missing time with the offset before the transition, fold=1 with the
    # offset after it; the transition instant lies between those two readings. Bisect in UTC.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    before = lo.astimezone(zone).utcoffset()
    while hi - lo > _ONE_SECOND:
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.astimezone(zone)


def resolve(naive: datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime for a local wall-clock time, under the DST policy above."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    off0, off1 = first.utcoffset(), second.utcoffset()
    if off0 == off1:
        return first  # the common case: no transition at this wall-clock time
    assert off0 is not None and off1 is not None
    if off0 > off1:
        return first  # fall-back overlap: the first instance (fold=0)
    return _gap_end(naive, zone)  # spring-forward gap


def local_key(local: datetime) -> str:
    """The occurrence key of an aware local time: ISO minute, no offset, no fold."""
    # %-formatting of the fields: several times faster than strftime on an aware datetime.
    return "%04d-%02d-%02dT%02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute)  # noqa: UP031


def zone_abbrev(local: datetime) -> str:
    """'CEST', '+07', 'IST': the zone abbreviation tzdata gives this instant."""
    return local.tzname() or ""


# ---- parsing helpers shared by the loader ------------------------------------------------------

_LOCAL_DT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_local_datetime(text: object) -> datetime:
    """'2026-12-01T10:00' -> naive datetime (local wall-clock); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f'{text!r} is not a local date and time; write it like "2026-12-01T10:00"')
    s = text.strip()
    m = _LOCAL_DT.match(s)
    if not m:
        if re.search(r"(Z|[+-]\d{2}:?\d{2})$", s):
            raise ValueError(
                f"{text!r} has a UTC offset; write the local time without it "
                "(the zone comes from the schedule's timezone)"
            )
        raise ValueError(f'{text!r} is not a local date and time; write it like "2026-12-01T10:00"')
    day = parse_date(m.group(1))
    hour, minute, sec = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a valid time of day")
    if sec:
        raise ValueError(f"{text!r} has seconds; schedules work in whole minutes")
    return datetime.combine(day, time(hour, minute))


def parse_date(text: object) -> date:
    """'2026-12-25' -> date; ValueError otherwise."""
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", text.strip()):
        raise ValueError(f"{text!r} is not a date; write it like 2026-12-25")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def parse_bound(text: object, *, end: bool) -> datetime:
    """``start``/``until`` value: a local date (whole day) or date and time, as a naive datetime.

    For ``until`` a bare date means "through the end of that day", so the returned bound is
    exclusive: midnight of the next day. A date and time bound is inclusive (+1 minute).
    """
    if isinstance(text, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", text.strip()):
        day = parse_date(text)
        start = datetime.combine(day, time(0, 0))
        return start + timedelta(days=1) if end else start
    value = parse_local_datetime(text)
    return value + timedelta(minutes=1) if end else value


# ---- blackouts -----------------------------------------------------------------------------------

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _parse_hhmm(text: str) -> time:
    m = _HHMM.match(text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time of day; write it like 22:00")
    h, mi = int(m.group(1)), int(m.group(2))
    if h == 24:
        if mi:
            raise ValueError(f"{text!r} is not a time of day")
        return time(0, 0)
    return time(h, mi)


def parse_time_of_day(text: object) -> time:
    """``"18:30"`` -> time(18, 30); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f'{text!r} is not a time of day; write it like "18:30"')
    return _parse_hhmm(text)


@dataclass(frozen=True)
class Blackout:
    """Local hours during which nothing publishes, e.g. 22:00-07:00 (may wrap past midnight)."""

    start: time
    end: time
    text: str

    @classmethod
    def parse(cls, text: object) -> Blackout:
        """'22:00-07:00' -> Blackout; ValueError otherwise."""
        if not isinstance(text, str) or text.count("-") != 1:
            raise ValueError(f'{text!r} is not a blackout; write local hours like "22:00-07:00"')
        a, b = text.split("-")
        start, end = _parse_hhmm(a), _parse_hhmm(b)
        if start == end:
            raise ValueError(f"blackout {text!r} starts and ends at the same time")
        return cls(start, end, f"{start:%H:%M}-{end:%H:%M}")

    def contains(self, wall: time) -> bool:
        """True when the wall-clock time is inside [start, end)."""
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def end_after(self, local: datetime) -> datetime:
        """Naive wall-clock end of the blackout period that contains ``local``."""
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # a wrapping blackout entered in the evening ends tomorrow
        return datetime.combine(day, self.end)
