"""``storycast qa ics``: an iCalendar feed (RFC 5545) of Q&A sessions and support hours.

Times are written in the audience's zone (``DTSTART;TZID=Europe/Madrid:20261203T180000``) with a
VTIMEZONE built from the IANA database, so a weekly session stays at 18:00 across DST in every
calendar app. Lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .hours import SupportHours
from .qa import QaEvent, events

if TYPE_CHECKING:
    from ..project import Project

PRODID = "-//storycast//Q&A and support hours//EN"
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CRON_EXPAND = 12  # sessions listed one by one when their cron is not a plain weekly rule


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line at 75 octets (continuation lines start with a space), CRLF-terminated."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    chunk = b""
    limit = 75
    for ch in line:
        b = ch.encode("utf-8")
        if len(chunk) + len(b) > limit:
            parts.append(chunk.decode("utf-8"))
            chunk = b""
            limit = 74  # the leading space of a continuation line counts
        chunk += b
    parts.append(chunk.decode("utf-8"))
    return "\r\n ".join(parts) + "\r\n"


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


def _offset(td: timedelta | None) -> str:
    secs = int((td or timedelta(0)).total_seconds())
    sign = "+" if secs >= 0 else "-"
    secs = abs(secs)
    return f"{sign}{secs // 3600:02d}{secs % 3600 // 60:02d}"


def transitions(
    tz: str, first_year: int, last_year: int
) -> list[tuple[datetime, timedelta, timedelta, bool, str]]:
    """(UTC instant, offset before, offset after, is_dst after, abbreviation after) of each change."""
    zone = ZoneInfo(tz)
    out = []
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    prev = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = t + step
        off = nxt.astimezone(zone).utcoffset()
        if off != prev:
            lo, hi = t, nxt  # bisect to the second: the change happens in (lo, hi]
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            after = hi.astimezone(zone)
            out.append(
                (
                    hi.replace(microsecond=0),
                    prev or timedelta(0),
                    off or timedelta(0),
                    bool(after.dst()),
                    after.tzname() or "",
                )
            )
            prev = off
        t = nxt
    return out


def vtimezone(tz: str, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE with one STANDARD/DAYLIGHT block per change in the years covered."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz}"]
    changes = transitions(tz, first_year, last_year)
    if not changes:
        off = datetime(first_year, 1, 1, tzinfo=ZoneInfo(tz)).utcoffset()
        name = datetime(first_year, 1, 1, tzinfo=ZoneInfo(tz)).tzname() or tz
        lines += [
            "BEGIN:STANDARD",
            f"DTSTART:{first_year}0101T000000",
            f"TZOFFSETFROM:{_offset(off)}",
            f"TZOFFSETTO:{_offset(off)}",
            f"TZNAME:{name}",
            "END:STANDARD",
        ]
    for at, before, after, dst, name in changes:
        block = "DAYLIGHT" if dst else "STANDARD"
        local_before = (at + before).replace(tzinfo=None)  # DTSTART is in the offset in force before
        lines += [
            f"BEGIN:{block}",
            f"DTSTART:{_local(local_before)}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
            f"TZNAME:{name}",
            f"END:{block}",
        ]
    lines.append("END:VTIMEZONE")
    return lines


def _uid(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:24] + "@storycast"


def _session_events(
    project: Project, event: QaEvent, tz: str, lang: str, now: datetime
) -> Iterator[list[str]]:
    from ..timetable.model import CronTrigger
    from ..timetable.zones import resolve

    zone = ZoneInfo(tz)
    title = event.text(event.title, lang) or event.text(event.title, "en") or event.id
    join = event.text(event.join, lang)
    topics = event.topics.get(lang) or event.topics.get("en") or []
    desc = "\n".join(x for x in [event.text(event.host, lang), join, ", ".join(topics)] if x)
    common = [f"SUMMARY:{escape(title)}", f"DESCRIPTION:{escape(desc)}", "CATEGORIES:Q&A"]
    if join.startswith(("http://", "https://")):
        common.append(f"URL:{join}")
    length = event.length
    trigger = event.trigger()
    start = resolve(event.start, zone)
    if event.repeat == "weekly" and not event.cron:
        yield [
            "BEGIN:VEVENT",
            f"UID:{_uid(project.config.project.name, 'qa', event.id)}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;TZID={tz}:{_local(start)}",
            f"DTEND;TZID={tz}:{_local(resolve(event.start + length, zone))}",
            f"RRULE:FREQ=WEEKLY;BYDAY={_DAYS[start.weekday()]}",
            *common,
            "END:VEVENT",
        ]
        return
    if isinstance(trigger, CronTrigger):
        first = max(event.start.date(), now.astimezone(zone).date())
        walls = trigger.wall_times(first, first + timedelta(days=370))
        sessions = [w for _, w in zip(range(CRON_EXPAND), walls, strict=False)]
    else:
        sessions = [event.start]
    for wall in sessions:
        begin = resolve(wall, zone)
        yield [
            "BEGIN:VEVENT",
            f"UID:{_uid(project.config.project.name, 'qa', event.id, wall.isoformat())}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;TZID={tz}:{_local(begin)}",
            f"DTEND;TZID={tz}:{_local(resolve(wall + length, zone))}",
            *common,
            "END:VEVENT",
        ]


def _hours_events(project: Project, hours: SupportHours, lang: str, now: datetime) -> Iterator[list[str]]:
    """One weekly VEVENT per distinct span, on every weekday that has it; holidays as EXDATEs."""
    zone = hours.zone
    today = now.astimezone(zone).date()
    by_span: dict[tuple[int, int], list[int]] = {}
    for s in hours.spans:
        by_span.setdefault((s.start, s.end), []).append(s.weekday)
    title = f"{project.config.project.name}: support is live"
    for (a, b), days in sorted(by_span.items()):
        first = next(
            today + timedelta(days=k) for k in range(7) if (today + timedelta(days=k)).weekday() in days
        )
        begin = datetime.combine(first, datetime.min.time()) + timedelta(minutes=a)
        end = datetime.combine(first, datetime.min.time()) + timedelta(minutes=b)
        lines = [
            "BEGIN:VEVENT",
            f"UID:{_uid(project.config.project.name, 'hours', str(a), str(b), *map(str, days))}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;TZID={hours.tz}:{_local(begin)}",
            f"DTEND;TZID={hours.tz}:{_local(end)}",
            f"RRULE:FREQ=WEEKLY;BYDAY={','.join(_DAYS[d] for d in sorted(days))}",
        ]
        exdates = sorted(d for d in hours.holidays if d.weekday() in days and d >= first)
        if exdates:
            stamps = ",".join(_local(datetime.combine(d, begin.time())) for d in exdates)
            lines.append(f"EXDATE;TZID={hours.tz}:{stamps}")
        lines += [f"SUMMARY:{escape(title)}", "TRANSP:TRANSPARENT", "CATEGORIES:Support hours", "END:VEVENT"]
        yield lines


def build_calendar(
    project: Project, now: datetime, *, lang: str | None = None, include_hours: bool = True
) -> str:
    """The whole feed as text (CRLF line ends, folded)."""
    lang = lang or project.config.project.default_language
    tz = project.config.project.timezone
    hours = SupportHours.of(project)
    evs = list(events(project).values())
    zones = {e.timezone or tz for e in evs} | ({hours.tz} if include_hours and hours.configured else set())
    years = [now.year] + [e.start.year for e in evs]
    first, last = min(years), max(years) + 2
    body: list[str] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(project.config.project.name)}",
    ]
    for z in sorted(zones):
        body += vtimezone(z, first, last)
    for event in sorted(evs, key=lambda e: e.id):
        for block in _session_events(project, event, event.timezone or tz, lang, now):
            body += block
    if include_hours and hours.configured:
        for block in _hours_events(project, hours, lang, now):
            body += block
    body.append("END:VCALENDAR")
    return "".join(fold(line) for line in body)


def unfold(text: str) -> list[str]:
    """Content lines of a calendar (for tests and tools): CRLF split, continuations joined."""
    out: list[str] = []
    for line in text.split("\r\n"):
        if line.startswith((" ", "\t")) and out:
            out[-1] += line[1:]
        elif line:
            out.append(line)
    return out


def holidays_in(lines: Iterable[str]) -> set[date]:
    """Dates named by EXDATE lines (a small helper for checks)."""
    found: set[date] = set()
    for line in lines:
        if line.startswith("EXDATE"):
            for stamp in line.split(":", 1)[1].split(","):
                found.add(datetime.strptime(stamp[:8], "%Y%m%d").date())
    return found
