"""``storycast plan --ics``: the publishing plan as an iCalendar feed (RFC 5545) for the team's calendar.

One VEVENT per occurrence, from its due time to the end of its grace window (the time it may still
go out), in the audience's zone with a VTIMEZONE from the IANA database (the writer of
``storycast qa ics``: :mod:`.ics`). The UID is a hash of the project, the entry key and the
occurrence key, so re-importing a later plan updates events instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .ics import _local, _stamp, _uid, escape, fold, vtimezone

if TYPE_CHECKING:
    from ..project import Project
    from ..timetable import Occurrence

PRODID = "-//storycast//publishing plan//EN"
MIN_LENGTH = timedelta(minutes=1)  # an entry with grace: 0 still shows as a short event


def occurrence_uid(project_name: str, occ: Occurrence) -> str:
    """The stable UID of one occurrence."""
    return _uid(project_name, "plan", occ.entry_key, occ.occurrence_key)


def plan_calendar(
    project: Project,
    occurrences: Sequence[Occurrence],
    now: datetime,
    channel_languages: Mapping[tuple[str, str], Mapping[str, Sequence[str]]] | None = None,
) -> str:
    """The occurrences as one calendar (CRLF line ends, folded at 75 octets).

    ``channel_languages``: (entry key, occurrence key) -> each channel's languages, shown in the
    description when a channel takes fewer languages than the entry names."""
    name = project.config.project.name
    zones = sorted({o.tz for o in occurrences})
    years = [now.year] + [o.local.year for o in occurrences]
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name + ': publishing plan')}",
    ]
    for tz in zones:
        body += vtimezone(tz, min(years), max(years) + 1)
    for occ in occurrences:
        end = occ.local + max(occ.grace, MIN_LENGTH)
        variant = occ.extra.get("variant")
        summary = occ.label + (f" ({variant})" if variant else "")
        langs = (channel_languages or {}).get((occ.entry_key, occ.occurrence_key), {})
        channels = ", ".join(
            ch
            if list(langs.get(ch, occ.languages)) == list(occ.languages)
            else f"{ch} ({' '.join(langs[ch])})"
            for ch in occ.channels
        )
        desc = [
            f"{occ.kind}: {occ.ref}",
            f"channels: {channels}",
            f"languages: {' '.join(occ.languages)}",
            f"due: {occ.due_utc:%Y-%m-%d %H:%M} UTC, may go out until {occ.due_utc + occ.grace:%H:%M} UTC",
        ]
        if variant:
            desc.append(f"variant: {variant}")
        moved = occ.extra.get("moved_from")
        if moved:
            desc.append(f"moved from {moved} ({occ.extra.get('reason', '')})")
        desc.append(f"source: {occ.source}")
        body += [
            "BEGIN:VEVENT",
            f"UID:{occurrence_uid(name, occ)}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;TZID={occ.tz}:{_local(occ.local)}",
            f"DTEND;TZID={occ.tz}:{_local(end)}",
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape(chr(10).join(desc))}",
            f"CATEGORIES:{escape(occ.kind)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    body.append("END:VCALENDAR")
    return "".join(fold(line) for line in body)
