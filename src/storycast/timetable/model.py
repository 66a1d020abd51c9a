"""The timetable's data: triggers, schedule entries and the occurrences they produce."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from .cron import CronExpr
from .variants import Variant
from .zones import Blackout, format_duration, local_key, resolve

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One publication the timetable asks for: an entry firing at one instant.

    ``occurrence_key`` is the local wall-clock minute of ``local`` (ISO, no offset, no fold), so
    the two instances of a fall-back hour collide on one key. Together with ``entry_key`` it is
    the ledger's unique key. A producer may append ``#phase`` (e.g. ``#T-1h``) when one event
    yields several publications that could land on the same minute.
    """

    entry_key: str
    occurrence_key: str
    due_utc: datetime
    local: datetime
    tz: str
    kind: str
    ref: str
    channels: tuple[str, ...]
    languages: tuple[str, ...]
    grace: timedelta
    label: str
    source: str
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (used by ``storycast plan --json``)."""
        return {
            "entry_key": self.entry_key,
            "occurrence_key": self.occurrence_key,
            "due_utc": self.due_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "local": self.local.isoformat(),
            "tz": self.tz,
            "tz_abbrev": self.local.tzname(),
            "kind": self.kind,
            "ref": self.ref,
            "channels": list(self.channels),
            "languages": list(self.languages),
            "grace": format_duration(self.grace),
            "grace_s": int(self.grace.total_seconds()),
            "label": self.label,
            "source": self.source,
            "extra": dict(self.extra),
        }


class Trigger(Protocol):
    """When an entry fires, in local wall-clock terms (no zone, no DST)."""

    @property
    def kind(self) -> str:
        """'at' or 'cron'."""
        ...

    @property
    def spec(self) -> str:
        """A stable text form, used in default entry keys and listings."""
        ...

    def wall_times(self, first: date, last: date) -> Iterator[datetime]:
        """Naive local wall-clock times on days ``first``..``last`` (inclusive), in order."""
        ...


@dataclass(frozen=True)
class AtTrigger:
    """A one-off local date and time (``at:``)."""

    at: datetime
    kind: str = "at"

    @property
    def spec(self) -> str:
        return local_key(self.at)

    def wall_times(self, first: date, last: date) -> Iterator[datetime]:
        if first <= self.at.date() <= last:
            yield self.at


@dataclass(frozen=True)
class CronTrigger:
    """A recurring standard cron expression (``cron:``), evaluated day by day."""

    expr: CronExpr
    kind: str = "cron"

    @property
    def spec(self) -> str:
        return self.expr.text

    def wall_times(self, first: date, last: date) -> Iterator[datetime]:
        times = [time(h, m) for h, m in self.expr.times]
        for day in self.expr.dates(first, last):
            for t in times:
                yield datetime.combine(day, t)


@dataclass(frozen=True)
class EveryTrigger:
    """A fixed wall-clock interval from an anchor (``every:`` with ``start:``).

    Steps are added to the local wall-clock time, not to UTC: ``every: 2d`` from 10:00 stays at
    10:00 across DST changes, and ``every: 1h`` has one firing per wall-clock hour, like cron.
    """

    anchor: datetime  # naive local wall-clock time of the first firing
    step: timedelta
    kind: str = "every"

    @property
    def spec(self) -> str:
        return f"{format_duration(self.step)}@{local_key(self.anchor)}"

    def wall_times(self, first: date, last: date) -> Iterator[datetime]:
        begin = datetime.combine(first, time(0, 0))
        k = 0 if begin <= self.anchor else -(-(begin - self.anchor) // self.step)  # ceiling division
        t = self.anchor + k * self.step
        while t.date() <= last:
            yield t
            t += self.step


@dataclass(frozen=True)
class Entry:
    """One validated schedule entry. Producers (see :mod:`.kinds`) turn it into occurrences."""

    key: str
    kind: str  # "story", later "qa", "poll"
    ref: str  # story / event / poll id
    tz: str
    trigger: Trigger
    channels: tuple[str, ...]
    languages: tuple[str, ...]
    grace: timedelta
    label: str
    source: str  # "schedules/weekly.yaml:12"
    start: datetime | None = None  # naive local, inclusive
    until: datetime | None = None  # naive local, exclusive (see zones.parse_bound)
    except_dates: frozenset[date] = frozenset()
    blackouts: tuple[Blackout, ...] = ()
    blackout_policy: Literal["move", "skip"] = "move"
    options: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)  # kind-specific keys
    variants: tuple[Variant, ...] = ()  # taken in turn (see .variants)

    @property
    def zone(self) -> ZoneInfo:
        """The entry's ZoneInfo (the audience's zone)."""
        return ZoneInfo(self.tz)

    @property
    def max_delay(self) -> timedelta:
        """How much later than its trigger an occurrence can be due (blackout moves)."""
        # A variant's time slot moves a firing within its day (up to a day later).
        slot = timedelta(hours=26) if any(v.at is not None for v in self.variants) else timedelta(0)
        if not self.blackouts or self.blackout_policy == "skip":
            return slot
        return slot + timedelta(hours=26)  # a blackout lasts under 24 h; +DST slack

    def triggers(self, start_utc: datetime, end_utc: datetime) -> Iterator[tuple[datetime, datetime]]:
        """(nominal naive wall-clock, resolved aware local) for firings in [start_utc, end_utc).

        Applies ``start``/``until``/``except`` to the nominal wall-clock time and the DST policy
        (:func:`.zones.resolve`); does not apply blackouts (see :meth:`place`).
        """
        zone = self.zone
        first = start_utc.astimezone(zone).date() - _ONE_DAY
        last = end_utc.astimezone(zone).date() + _ONE_DAY
        if self.start is not None:
            first = max(first, self.start.date())
        if self.until is not None:
            last = min(last, (self.until - timedelta(minutes=1)).date())
        for naive in self.trigger.wall_times(first, last):
            if self.start is not None and naive < self.start:
                continue
            if self.until is not None and naive >= self.until:
                break
            if naive.date() in self.except_dates:
                continue
            local = resolve(naive, zone)
            utc = local.astimezone(UTC)
            if utc < start_utc:
                continue
            if utc >= end_utc:
                break  # resolved instants never run backwards, so nothing later can qualify
            yield naive, local

    def place(self, local: datetime) -> datetime | None:
        """Apply the blackout policy to an aware local time: moved time, same time, or None (skip)."""
        if not self.blackouts:
            return local
        for _ in range(len(self.blackouts) + 1):
            wall = local.time()
            hit = next((b for b in self.blackouts if b.contains(wall)), None)
            if hit is None:
                return local
            if self.blackout_policy == "skip":
                return None
            local = resolve(hit.end_after(local.replace(tzinfo=None)), local.tzinfo)  # type: ignore[arg-type]
        return local

    def occurrence(
        self,
        due_local: datetime,
        *,
        label: str | None = None,
        phase: str | None = None,
        extra: Mapping[str, Any] | None = None,
        kind: str | None = None,
        ref: str | None = None,
    ) -> Occurrence:
        """Build an Occurrence of this entry due at ``due_local`` (aware, in the entry's zone)."""
        key = local_key(due_local)
        if phase:
            key += "#" + phase
        return Occurrence(
            entry_key=self.key,
            occurrence_key=key,
            due_utc=due_local.astimezone(UTC),
            local=due_local,
            tz=self.tz,
            kind=kind or self.kind,
            ref=ref or self.ref,
            channels=self.channels,
            languages=self.languages,
            grace=self.grace,
            label=label or self.label,
            source=self.source,
            extra=MappingProxyType(dict(extra)) if extra else _EMPTY,
        )

    def describe(self) -> str:
        """'cron 30 9 * * 1-5 (Europe/Madrid)' — the trigger for listings."""
        return f"{self.trigger.kind} {self.trigger.spec} ({self.tz})"
