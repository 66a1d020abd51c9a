"""The Timetable: every schedule entry of a project, expanded into occurrences on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from .kinds import get_entry_kind
from .loader import load_entries
from .model import Entry, Occurrence

if TYPE_CHECKING:
    from ..project import Project


def _check_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC), got {value!r}")


@dataclass
class Timetable:
    """The validated entries of ``schedules/*.yaml``; :meth:`occurrences` expands them."""

    entries: list[Entry]
    files: list[Path] = field(default_factory=list)

    def entry(self, key: str) -> Entry:
        """The entry with this key; KeyError when there is none."""
        for entry in self.entries:
            if entry.key == key:
                return entry
        raise KeyError(key)

    def occurrences(self, start_utc: datetime, end_utc: datetime) -> list[Occurrence]:
        """Every occurrence due in [start_utc, end_utc), sorted by due time, then entry key.

        Within one entry, occurrences that share an occurrence key (a fall-back hour, several
        times moved to the end of one blackout or one DST gap) are one occurrence: the first.
        """
        _check_aware("start_utc", start_utc)
        _check_aware("end_utc", end_utc)
        out: list[Occurrence] = []
        for entry in self.entries:
            producer = get_entry_kind(entry.kind)
            seen: set[str] = set()
            for occ in producer.produce(entry, start_utc, end_utc):
                if not start_utc <= occ.due_utc < end_utc or occ.occurrence_key in seen:
                    continue
                seen.add(occ.occurrence_key)
                out.append(occ)
        out.sort(key=attrgetter("due_utc", "entry_key", "occurrence_key"))
        return out


def load_timetable(project: Project) -> Timetable:
    """Parse every ``schedules/*.yaml`` of ``project``; raise ScheduleError listing all problems."""
    from ..builtins import ensure_loaded

    ensure_loaded()  # qa/poll entry kinds
    entries, files = load_entries(project)
    return Timetable(entries=entries, files=files)
