"""The timetable: schedule files -> occurrences, in exact time.

Public API (stable; the ledger and engine build on it)::

    from storycast.timetable import load_timetable, Occurrence

    timetable = load_timetable(project)            # parses every schedules/*.yaml; ScheduleError lists
                                                   # every problem (file:line:column) at once
    timetable.entries                              # list[Entry], in file order
    timetable.occurrences(start_utc, end_utc)      # list[Occurrence] due in [start, end),
                                                   # sorted by due_utc, then entry_key

``Occurrence`` (frozen dataclass):

* ``entry_key`` – stable id of the schedule entry: its ``id:``, or by default
  ``<file stem>/<ref>/<at|cron|every>:<spec>`` plus ``@<zone>`` when the entry overrides the file's zone
  (``weekly/reset-router/cron:30 9 * * 1-5``);
* ``occurrence_key`` – the local wall-clock minute the occurrence is due, ISO without offset
  (``2026-12-01T10:00``), optionally ``#phase`` for kinds that publish several phases;
  ``(entry_key, occurrence_key)`` is unique, and a fall-back repeat collides into one;
* ``due_utc`` (aware UTC), ``local`` (aware, in ``tz``), ``tz`` (IANA name);
* ``kind`` (``story``; later ``qa``, ``poll``), ``ref`` (story/event/poll id);
* ``channels``, ``languages`` (tuples), ``grace`` (timedelta: how late it may still go out);
* ``label`` (human text), ``source`` (``schedules/weekly.yaml:12``), ``extra`` (producer-specific;
  the story producer sets ``moved_from``/``reason`` when a blackout or DST gap moved it).

Time policy (docs/schedules.md): cron is evaluated on local wall-clock dates (Vixie semantics,
0 and 7 are Sunday); a local time inside a DST gap moves to the first instant after the gap; an
ambiguous fall-back time happens once, at its first instance (fold=0); blackouts move an
occurrence to the blackout's end (or skip it).

Entry kinds are occurrence producers; another kind registers with :func:`register_entry_kind`
(see :mod:`storycast.timetable.kinds`).
"""

from __future__ import annotations

from .cron import CronExpr, CronSyntaxError, parse_cron
from .kinds import (
    EntryKind,
    StoryKind,
    entry_kinds,
    get_entry_kind,
    register_entry_kind,
    unregister_entry_kind,
)
from .loader import DEFAULT_GRACE, schedule_files
from .model import AtTrigger, CronTrigger, Entry, EveryTrigger, Occurrence, Trigger
from .table import Timetable, load_timetable
from .zones import Blackout, get_zone, local_key, parse_duration, resolve

__all__ = [
    "DEFAULT_GRACE",
    "AtTrigger",
    "Blackout",
    "CronExpr",
    "CronSyntaxError",
    "CronTrigger",
    "Entry",
    "EntryKind",
    "EveryTrigger",
    "Occurrence",
    "StoryKind",
    "Timetable",
    "Trigger",
    "entry_kinds",
    "get_entry_kind",
    "get_zone",
    "load_timetable",
    "local_key",
    "parse_cron",
    "parse_duration",
    "register_entry_kind",
    "resolve",
    "schedule_files",
    "unregister_entry_kind",
]
