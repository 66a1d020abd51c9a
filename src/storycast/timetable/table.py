"""The Timetable: every schedule entry of a project, expanded into occurrences on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScheduleError, StorycastError
from .kinds import get_entry_kind
from .loader import load_entries, read_schedules
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
    # Schedule files left out because they have problems (tolerant loading): file -> its error.
    broken: dict[Path, ScheduleError] = field(default_factory=dict)

    def entry(self, key: str) -> Entry:
        """The entry with this key; KeyError when there is none."""
        for entry in self.entries:
            if entry.key == key:
                return entry
        raise KeyError(key)

    def occurrences(
        self,
        start_utc: datetime,
        end_utc: datetime,
        *,
        failed: dict[str, StorycastError] | None = None,
    ) -> list[Occurrence]:
        """Every occurrence due in [start_utc, end_utc), sorted by due time, then entry key.

        Within one entry, occurrences that share an occurrence key (a fall-back hour, several
        times moved to the end of one blackout or one DST gap) are one occurrence: the first.

        An entry whose occurrences cannot be computed raises a ScheduleError naming it; with
        ``failed`` (a dict to fill), it is left out and recorded there by entry key instead, and
        every other entry's occurrences are still returned.
        """
        return select(self.produced(start_utc, end_utc, failed=failed), start_utc, end_utc)

    def produced(
        self,
        start_utc: datetime,
        end_utc: datetime,
        *,
        failed: dict[str, StorycastError] | None = None,
    ) -> list[list[Occurrence]]:
        """Each entry's occurrences due in [start_utc, end_utc), in the order its kind yields them,
        before :func:`select` keeps the first of each key (errors as :meth:`occurrences`).

        ``storycast status`` reads them to know whether what it keeps of a wider window serves
        every narrower one (cli/_statusview.py).
        """
        _check_aware("start_utc", start_utc)
        _check_aware("end_utc", end_utc)
        out: list[list[Occurrence]] = []
        for entry in self.entries:
            producer = get_entry_kind(entry.kind)
            try:
                out.append(
                    [
                        o
                        for o in producer.produce(entry, start_utc, end_utc)
                        if start_utc <= o.due_utc < end_utc
                    ]
                )
            except Exception as exc:  # one entry's times (a plugin kind's too) never stop the others'
                error = _entry_error(entry, exc)
                if failed is None:
                    raise error from exc
                failed[entry.key] = error
        return out

    def builtin_kinds(self) -> bool:
        """Whether every entry's kind is one of storycast's own (a plugin's may read anything)."""
        return all(type(get_entry_kind(e.kind)).__module__.startswith("storycast.") for e in self.entries)


def select(produced: list[list[Occurrence]], start_utc: datetime, end_utc: datetime) -> list[Occurrence]:
    """Every occurrence due in [start_utc, end_utc), sorted by due time, then entry key; within
    one entry (one list of ``produced``), the first of each occurrence key."""
    out: list[Occurrence] = []
    for mine in produced:
        seen: set[str] = set()
        for occ in mine:
            if not start_utc <= occ.due_utc < end_utc or occ.occurrence_key in seen:
                continue
            seen.add(occ.occurrence_key)
            out.append(occ)
    out.sort(key=attrgetter("due_utc", "entry_key", "occurrence_key"))
    return out


def _entry_error(entry: Entry, exc: Exception) -> StorycastError:
    """The problem of one entry's times, pointing at the entry (``schedules/x.yaml:12``)."""
    if isinstance(exc, StorycastError) and exc.file is not None:
        return exc
    file, _, line = entry.source.rpartition(":")
    if isinstance(exc, StorycastError):
        message, hint = exc.message, exc.hint
    else:
        message = f"the times of entry {entry.key!r} cannot be computed: {exc}"
        hint = "check its at:, cron:, every:, start: and until: values"
    return ScheduleError(
        message, hint=hint, file=file or entry.source, line=int(line) if line.isdigit() else None
    )


def load_timetable(project: Project, *, tolerant: bool = False) -> Timetable:
    """Parse every ``schedules/*.yaml`` of ``project``.

    Strict (the default, for commands about the schedules themselves): raise ScheduleError
    listing every problem. ``tolerant`` (the publishing engine): leave out the files that have
    problems (``Timetable.broken``) and keep the rest; see :func:`~.loader.read_schedules`.
    """
    if not tolerant:
        entries, files = load_entries(project)
        return Timetable(entries=entries, files=files)
    entries, files, broken = read_schedules(project, tolerant=True)
    return Timetable(entries=entries, files=files, broken=broken)
