"""Support hours from ``[support_hours]`` in storycast.toml: is support live, when does it open next.

::

    [support_hours]
    timezone = "Europe/Madrid"          # default: [project] timezone
    mon = ["09:00-18:00"]               # one or more spans per weekday; "24:00" ends at midnight
    sat = ["10:00-14:00"]
    holidays = ["2026-12-25"]           # whole days without support

Spans are local wall-clock times; a span that a DST change cuts short or stretches lasts what
the clock says (09:00-18:00 is "open while the wall clock reads 09:00 to 18:00").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..config import WEEKDAYS
from ..timetable.zones import resolve

if TYPE_CHECKING:
    from ..config import SupportHoursSection
    from ..project import Project

_SEARCH_DAYS = 400  # a year of holidays and closed weekdays, and then some


@dataclass(frozen=True)
class Span:
    """One opening: weekday index (0 = Monday) and local start/end minutes since midnight."""

    weekday: int
    start: int
    end: int

    @property
    def start_time(self) -> time:
        return time(self.start // 60, self.start % 60)

    def end_on(self, day: date) -> datetime:
        """Naive local end of this span on ``day`` (24:00 is the next midnight)."""
        return datetime.combine(day, time(0)) + timedelta(minutes=self.end)


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class SupportHours:
    """The weekly support timetable of a project."""

    tz: str
    spans: tuple[Span, ...]
    holidays: frozenset[date]

    @classmethod
    def from_section(cls, section: SupportHoursSection, project_tz: str) -> SupportHours:
        spans = []
        for i, day in enumerate(WEEKDAYS):
            for text in getattr(section, day):
                a, b = text.split("-")
                spans.append(Span(i, _minutes(a), _minutes(b)))
        return cls(
            tz=section.timezone or project_tz,
            spans=tuple(sorted(spans, key=lambda s: (s.weekday, s.start))),
            holidays=frozenset(date.fromisoformat(d) for d in section.holidays),
        )

    @classmethod
    def of(cls, project: Project) -> SupportHours:
        """The project's support hours."""
        return cls.from_section(project.config.support_hours, project.config.project.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def configured(self) -> bool:
        return bool(self.spans)

    def is_live(self, now: datetime) -> bool:
        """Whether human support is open at ``now`` (aware)."""
        local = now.astimezone(self.zone)
        wall = local.replace(tzinfo=None)
        # A span may end at 24:00, so yesterday's spans never reach into today; only today counts.
        day = wall.date()
        if day in self.holidays:
            return False
        minute = wall.hour * 60 + wall.minute
        return any(s.weekday == day.weekday() and s.start <= minute < s.end for s in self.spans)

    def openings(self, after: datetime, limit: int = 1) -> list[tuple[datetime, datetime]]:
        """The next ``limit`` (start, end) openings that start at or after ``after`` (aware, local)."""
        zone = self.zone
        out: list[tuple[datetime, datetime]] = []
        first = after.astimezone(zone).date()
        for k in range(_SEARCH_DAYS):
            day = first + timedelta(days=k)
            if day in self.holidays:
                continue
            for s in self.spans:
                if s.weekday != day.weekday():
                    continue
                start = resolve(datetime.combine(day, s.start_time), zone)
                if start < after:
                    continue
                out.append((start, resolve(s.end_on(day), zone)))
                if len(out) >= limit:
                    return out
        return out

    def next_opening(self, now: datetime) -> datetime | None:
        """When support next opens after ``now`` (None when it never does)."""
        found = self.openings(now, 1)
        return found[0][0] if found else None

    def lines(self, lang: str) -> list[str]:
        """Localized week lines (``Lunes – jueves 09:00–18:00``), grouped like the support-hours frame."""
        return list(self.context(lang)["lines"])

    def context(self, lang: str) -> dict[str, Any]:
        """The template context the support-hours frame uses (rows, lines, zone name, holidays)."""
        from ..config import SupportHoursSection
        from ..render.strings import Translator, load_strings, support_hours_context
        from ..resources import templates_dir

        section = SupportHoursSection(
            timezone=self.tz,
            holidays=sorted(d.isoformat() for d in self.holidays),
            **_week_of(self.spans),
        )
        strings = load_strings(templates_dir() / "strings.yaml")
        return support_hours_context(section, lang, Translator(strings, lang), self.tz)


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _week_of(spans: tuple[Span, ...]) -> dict[str, list[str]]:
    week: dict[str, list[str]] = {d: [] for d in WEEKDAYS}
    for s in spans:
        week[WEEKDAYS[s.weekday]].append(f"{_fmt(s.start)}-{_fmt(s.end)}")
    return week


def status_line(hours: SupportHours, now: datetime, lang: str = "en") -> str:
    """``Support is live now`` or ``Support opens Mon, Dec 7 · 09:00``: for the CLI and feeds."""
    from .texts import format_when

    if hours.is_live(now):
        return "Support is live now"
    nxt = hours.next_opening(now)
    if nxt is None:
        return "No support hours are configured"
    return f"Support opens {format_when(nxt, lang)} ({hours.tz})"
