"""Variants of a schedule entry: another tutorial, label or time slot, taken in turn.

An entry with ``variants:`` numbers its firings in time order from its ``start:`` (or, without
one, from :data:`VARIANT_EPOCH`, local time): firing N uses variant N mod k. The number depends
only on the firing's own time, never on when the timetable was asked, so a plan made today and a
tick next month agree. A firing left out by ``except:`` has no number; one that a blackout skips
keeps its turn (the next firing uses the next variant).

A variant may say::

    variants:
      - name: morning                  # optional; a, b, c ... by position
      - name: evening
        at: "18:30"                    # the local time of day this turn goes out instead
      - name: short
        story: reset-router-short      # another tutorial (its own template, title and steps)
        label: Reset (short)
"""

from __future__ import annotations

import re
import string
import threading
from bisect import bisect_left
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .model import Entry, Trigger

#: Where firings are counted from when an entry has no ``start:`` (local wall-clock time).
VARIANT_EPOCH = datetime(2026, 1, 1)
#: The keys one variant may have.
VARIANT_KEYS = frozenset({"name", "at", "story", "label"})
MAX_VARIANTS = 26
CYCLE = 146097  # days in 400 Gregorian years (exactly 20871 weeks): the calendar repeats
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Variant:
    """One way an entry's turn can go out."""

    name: str
    at: time | None = None  # local time of day that replaces the trigger's
    story: str | None = None  # another ref of the entry's kind
    label: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "at": None if self.at is None else f"{self.at:%H:%M}",
            "story": self.story,
            "label": self.label,
        }


def default_name(index: int) -> str:
    """``a``, ``b``, ``c`` … for the variant at ``index`` (0-based)."""
    return string.ascii_lowercase[index]


# Cumulative firing counts per (trigger, except dates, until, first day): cum[i] is the number of
# firings on days first .. first+i-1. Planning asks for neighbouring days, so this grows a little
# per call instead of recounting from the anchor each time.
_CUMULATIVE: dict[tuple[Any, ...], list[int]] = {}
_LOCK = threading.Lock()


def _day_firings(
    trigger: Trigger, excepts: frozenset[date], until: datetime | None, day: date
) -> tuple[datetime, ...]:
    """The firings on ``day``, in order (cached: every turn asks for its own day and the anchor's)."""
    return _firings_on(cast(Hashable, trigger), excepts, until, day)


@lru_cache(maxsize=1024)
def _firings_on(
    trigger: Hashable, excepts: frozenset[date], until: datetime | None, day: date
) -> tuple[datetime, ...]:
    if day in excepts:
        return ()
    times = cast("Trigger", trigger).wall_times(day, day)
    return tuple(t for t in times if until is None or t < until)


def _day_count(trigger: Trigger, excepts: frozenset[date], until: datetime | None, day: date) -> int:
    """``len(_day_firings(...))`` without building the times when a cron day is whole."""
    if trigger.kind == "cron" and day not in excepts and (until is None or until.date() > day):
        expr = trigger.expr  # type: ignore[attr-defined]
        return len(expr.times) if expr.matches_date(day) else 0
    return len(_day_firings(trigger, excepts, until, day))


def _whole_days(
    trigger: Trigger, excepts: frozenset[date], until: datetime | None, first: date, stop: date
) -> int:
    """Firings on the days ``first`` .. ``stop`` (exclusive)."""
    need = (stop - first).days
    if need <= 0:
        return 0
    if need > 2 * CYCLE and trigger.kind == "cron" and until is None:
        # Cron dates repeat with the calendar every 400 years: count one cycle, multiply, and
        # take out the skipped dates, instead of walking (and keeping) millions of days.
        plain: frozenset[date] = frozenset()
        cycles = need // CYCLE
        tail = first + timedelta(days=cycles * CYCLE)
        total = cycles * _whole_days(trigger, plain, None, first, first + timedelta(days=CYCLE))
        total += _whole_days(trigger, plain, None, tail, stop)
        return total - sum(_day_count(trigger, plain, None, d) for d in excepts if first <= d < stop)
    key = (trigger, excepts, until, first)
    with _LOCK:  # a daemon's threads may plan at once; the list must grow one day at a time
        cum = _CUMULATIVE.get(key)
        if cum is None:
            if len(_CUMULATIVE) > 256:
                _CUMULATIVE.clear()
            cum = _CUMULATIVE[key] = [0]
        while len(cum) <= need:
            day = first + timedelta(days=len(cum) - 1)
            cum.append(cum[-1] + _day_count(trigger, excepts, until, day))
        return cum[need]


def _every_count(entry: Entry, lo: datetime, hi: datetime) -> int:
    """:func:`_count` for ``every:``: firings are anchor + k x step, so count by division."""
    anchor, step = entry.trigger.anchor, entry.trigger.step  # type: ignore[attr-defined]

    def before(t: datetime) -> int:  # firings in [anchor, t)
        return 0 if t <= anchor else -(-(t - anchor) // step)

    if entry.until is not None:
        hi = min(hi, entry.until)
    if hi <= lo:
        return 0
    total = before(hi) - before(lo)
    for day in entry.except_dates:
        a = max(lo, datetime.combine(day, time(0, 0)))
        b = min(hi, datetime.combine(day + timedelta(days=1), time(0, 0)))
        if a < b:
            total -= before(b) - before(a)
    return total


def _count(entry: Entry, lo: datetime, hi: datetime) -> int:
    """Nominal firings of ``entry`` at wall-clock times in [lo, hi)."""
    if entry.trigger.kind == "every":
        return _every_count(entry, lo, hi)
    trig, exc, until = entry.trigger, entry.except_dates, entry.until
    lo_day = _day_firings(trig, exc, until, lo.date())
    if lo.date() == hi.date():
        return bisect_left(lo_day, hi) - bisect_left(lo_day, lo)
    first = len(lo_day) - bisect_left(lo_day, lo)
    last = bisect_left(_day_firings(trig, exc, until, hi.date()), hi)
    return first + _whole_days(trig, exc, until, lo.date() + timedelta(days=1), hi.date()) + last


def turn(entry: Entry, naive: datetime) -> int:
    """The number of the firing at wall-clock time ``naive``: 0 for the first one from the anchor."""
    anchor = entry.start or VARIANT_EPOCH
    if naive >= anchor:
        return _count(entry, anchor, naive)
    return -_count(entry, naive, anchor)


def variant_of(entry: Entry, naive: datetime) -> Variant | None:
    """The variant the firing at ``naive`` uses (None for an entry without variants)."""
    if not entry.variants:
        return None
    return entry.variants[turn(entry, naive) % len(entry.variants)]


def slot_time(variant: Variant | None, naive: datetime) -> datetime:
    """The wall-clock time a firing goes out: the variant's time of day on the firing's date."""
    if variant is None or variant.at is None:
        return naive
    return datetime.combine(naive.date(), variant.at)
