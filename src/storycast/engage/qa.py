"""Live Q&A events: the content kind (``kind: qa`` in stories/) and the entry kind (``qa:`` in schedules/).

An event file::

    kind: qa
    id: weekly-qa
    languages: [en, es]
    title: {en: Ask us anything about your Wi-Fi, es: Pregúntanos sobre tu wifi}
    host: Ana (Lumen Support)            # or {en: ..., es: ...}
    start: "2026-12-03T13:00"            # local wall-clock time in timezone: (default: the project's)
    timezone: Europe/Madrid
    repeat: weekly                       # once (default) | weekly
    duration: 45m
    join: {en: Reply to this story, es: Responde a esta historia}   # or a link
    topics: {en: [Slow Wi-Fi, Router lights], es: [Wifi lento, Luces del router]}
    announce: [T-24h, T-1h, live, recap] # the default series

One session produces one occurrence per announcement phase. ``T-<duration>`` is that much
elapsed time before the start (so ``T-24h`` across a DST change lands at another wall-clock hour
the day before, exactly 24 h earlier), ``live`` is the start, ``recap`` the end of the session
(``recap+30m`` later). The occurrence's ref names the session and the phase
in UTC and the audience's zone (``weekly-qa@20261203T1200Z.T-1h~Asia.Bangkok``) so the frame
shows the session's date and time where its audience lives, and a countdown. Several schedule
entries (one per audience zone and languages) announce the same sessions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..content.models import Label, LocalizedTitle, TitleText
from ..errors import ContentError, StorycastError
from ..timetable.cron import parse_cron
from ..timetable.kinds import EntryKind
from ..timetable.model import AtTrigger, CronTrigger, Entry, Occurrence, Trigger
from ..units import parse_duration

if TYPE_CHECKING:
    from ..project import Project

KIND = "qa"
DEFAULT_PHASES = ("T-24h", "T-1h", "live", "recap")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_PHASE = re.compile(
    r"^(?:T(?P<sign>[-+])(?P<dur>[0-9][0-9a-z]*)|live|recap(?:\+(?P<after>[0-9][0-9a-z]*))?)$"
)
_REF = re.compile(
    r"^(?P<event>[a-z0-9][a-z0-9-]*)@(?P<stamp>\d{8}T\d{4})Z\.(?P<phase>[^~]+)(?:~(?P<zone>[A-Za-z0-9_.+-]+))?$"
)

Localized = dict[str, str]


class QaEvent(BaseModel):
    """A live Q&A session, one-off or weekly."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["qa"] = "qa"
    languages: list[str] = Field(min_length=1, max_length=50)
    title: LocalizedTitle
    host: TitleText | LocalizedTitle = ""
    start: datetime
    timezone: str | None = None  # zone of start:; default: [project] timezone
    repeat: Literal["once", "weekly"] = "once"
    cron: str | None = None  # overrides repeat: any cron the timetable understands
    duration: str = "45m"
    join: TitleText | LocalizedTitle = ""
    topics: dict[str, list[TitleText]] = Field(default_factory=dict)
    announce: list[str] = Field(default_factory=lambda: list(DEFAULT_PHASES), min_length=1)
    category: Label = "live"

    source: Path | None = Field(None, exclude=True)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(
                f"{v!r} is not a valid id: use lower-case letters, digits and '-' (like weekly-qa)"
            )
        return v

    @field_validator("start")
    @classmethod
    def _naive(cls, v: datetime) -> datetime:
        if v.tzinfo is not None:
            raise ValueError("write start: as local wall-clock time without an offset, like 2026-12-03T18:00")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            from ..timetable.zones import get_zone

            get_zone(v)
        return v

    @field_validator("duration")
    @classmethod
    def _duration(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None:
            parse_cron(v)
        return v

    @field_validator("announce")
    @classmethod
    def _phases(cls, v: list[str]) -> list[str]:
        for p in v:
            if not _PHASE.match(p):
                raise ValueError(f"{p!r} is not an announcement; use T-24h, T-1h, live, recap or recap+30m")
            phase_offset(p, timedelta(0))
        if len(set(v)) != len(v):
            raise ValueError("each announcement may appear once")
        return v

    @property
    def length(self) -> timedelta:
        """How long a session lasts."""
        return parse_duration(self.duration)

    def text(self, value: str | Localized, lang: str) -> str:
        """A plain or localized value in ``lang`` ('' when absent)."""
        if isinstance(value, str):
            return value
        return value.get(lang, "")

    def trigger(self) -> Trigger:
        """When sessions start, as a timetable trigger."""
        if self.cron:
            return CronTrigger(parse_cron(self.cron))
        if self.repeat == "weekly":
            dow = (self.start.isoweekday()) % 7  # cron: 0 = Sunday
            return CronTrigger(parse_cron(f"{self.start.minute} {self.start.hour} * * {dow}"))
        return AtTrigger(self.start)


def phase_offset(phase: str, length: timedelta) -> timedelta:
    """Elapsed time from a session's start to one announcement (negative before the start)."""
    m = _PHASE.match(phase)
    if m is None:
        raise ValueError(f"unknown announcement {phase!r}")
    if phase == "live":
        return timedelta(0)
    if phase.startswith("recap"):
        return length + (parse_duration(m.group("after")) if m.group("after") else timedelta(0))
    d = parse_duration(m.group("dur"))
    return -d if m.group("sign") == "-" else d


@dataclass(frozen=True)
class SessionRef:
    """A parsed occurrence ref: which event, which session (local wall clock), which phase."""

    event: str
    session: datetime | None  # aware UTC start; None for a bare event id
    phase: str
    zone: str | None = None  # the audience's zone (the schedule entry's): frames show times in it

    def __str__(self) -> str:
        stamp = self.session.astimezone(UTC).strftime("%Y%m%dT%H%M") if self.session else "00000000T0000"
        # "/" would make folders of the local feed's file names, so the zone travels with dots.
        zone = f"~{self.zone.replace('/', '.')}" if self.zone else ""
        return f"{self.event}@{stamp}Z.{self.phase}{zone}"


def parse_ref(ref: str) -> SessionRef:
    """``weekly-qa@20261203T1700Z.T-1h`` -> SessionRef; a bare event id means its first session, live."""
    m = _REF.match(ref)
    if m is None:
        return SessionRef(ref, None, "live")
    session = datetime.strptime(m.group("stamp"), "%Y%m%dT%H%M").replace(tzinfo=UTC)
    zone = m.group("zone").replace(".", "/") if m.group("zone") else None
    return SessionRef(m.group("event"), session, m.group("phase"), zone)


def load_event(data: Any, file: Path, project: Project) -> QaEvent:
    """Content loader for ``kind: qa`` files."""
    from ..content.validate import unknown_languages, validate

    event = validate(QaEvent, data, file, "Q&A event")
    event.source = file
    if event.timezone is None:
        event.timezone = project.config.project.timezone
    problems = unknown_languages(data, event.languages, project.languages, file)
    if problems:
        raise ContentError(f"{file} has {len(problems)} problem(s):", problems=problems, file=file)
    return event


def events(project: Project) -> Mapping[str, QaEvent]:
    """Every Q&A event of the project, by id."""
    return project.content.extras.get(KIND, {})


def get_event(project: Project, event_id: str) -> QaEvent:
    """One event, or ContentError naming the known ones."""
    found = events(project).get(event_id)
    if found is None:
        known = ", ".join(sorted(events(project))) or "none yet"
        raise ContentError(f"no Q&A event with id {event_id!r}", hint=f"known events: {known}")
    return found


class QaKind(EntryKind):
    """``qa: EVENT``: the announcement series of every session of a Q&A event.

    Schedule entries may override the event's ``announce:`` and ``duration:``. The timetable
    hands :meth:`produce` an Entry, not the project, so the kind keeps the events it saw in the
    latest :meth:`refs` call (the loader always asks for refs before entries are produced).
    """

    name = KIND
    needs_trigger = False
    option_keys = frozenset({"announce", "duration"})

    def __init__(self) -> None:
        self._events: dict[str, QaEvent] = {}

    def refs(self, project: Project) -> Mapping[str, Sequence[str]]:
        self._events = dict(events(project))
        return {eid: tuple(e.languages) for eid, e in self._events.items()}

    def label(self, ref: str, project: Project) -> str:
        event = events(project).get(ref)
        return (event.text(event.title, "en") or ref) if event else ref

    def default_trigger(self, ref: str, project: Project) -> Trigger | None:
        event = events(project).get(ref)
        return event.trigger() if event else None

    def parse_options(self, data: Any, file: Path) -> tuple[dict[str, Any], list[StorycastError]]:
        from ..content.validate import locate

        options, problems = super().parse_options(data, file)
        try:
            if "announce" in options:
                QaEvent._phases(list(options["announce"]))
            if "duration" in options:
                parse_duration(str(options["duration"]))
        except (ValueError, TypeError) as exc:
            key = "announce" if "announce" in options else "duration"
            line, col = locate(data, (key,))
            hint = (
                "list each announcement once, e.g. [T-24h, T-1h, live, recap+30m]"
                if key == "announce"
                else "write the session length with a unit, like 45m or 1h30m"
            )
            problems.append(StorycastError(f"{key}: {exc}", hint=hint, file=file, line=line, column=col))
        return options, problems

    def phases(self, entry: Entry) -> dict[str, timedelta]:
        """Announcement name -> offset from the session start, for one entry."""
        event = self._events.get(entry.ref)
        phases: Sequence[str] = entry.options.get("announce") or (event.announce if event else DEFAULT_PHASES)
        duration = entry.options.get("duration")
        length = (
            parse_duration(str(duration)) if duration else (event.length if event else timedelta(minutes=45))
        )
        return {p: phase_offset(p, length) for p in phases}

    def produce(self, entry: Entry, start_utc: datetime, end_utc: datetime) -> Iterable[Occurrence]:
        """Each session's announcements due in the window; a session's phases may straddle it."""
        offsets = self.phases(entry)
        before = -min(min(offsets.values()), timedelta(0))
        after = max(max(offsets.values()), timedelta(0))
        zone = entry.zone
        event = self._events.get(entry.ref)
        # Sessions happen in the event's zone; each entry announces them to its audience's zone.
        sessions = replace(entry, tz=event.timezone) if event and event.timezone else entry
        for _naive, local in sessions.triggers(start_utc - after, end_utc + before):
            start = local.astimezone(UTC)
            for phase, offset in offsets.items():
                # Offsets are elapsed time: T-1h is one real hour before, even across DST.
                due_local = (start + offset).astimezone(zone)
                yield entry.occurrence(
                    due_local,
                    phase=phase,
                    ref=str(SessionRef(entry.ref, start, phase, entry.tz)),
                    label=f"{entry.label} · {phase}",
                    extra={"session": local.isoformat(), "phase": phase, "event": entry.ref},
                )
