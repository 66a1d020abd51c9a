"""Turn the timetable into ledger rows: insert what is absent, cancel what left the schedule.

The window runs from the last materialized instant (or ``now - max grace`` on a fresh ledger)
to ``now + horizon``. Occurrences that fell due while nothing was running are inserted too, so
the sweep marks those past their grace ``missed``: a post is never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import ScheduleError, StorycastError
from ..ledger import RowFilter
from ..ledger.rows import oversized
from ..ledger.states import State
from .frames import STORY_KINDS, VIDEO_KIND, frame_count, plan_kind

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..ledger.rows import Unit, UnitKey
    from ..project import Project
    from ..timetable import Occurrence, Timetable
    from .holds import Holds

HORIZON = timedelta(hours=1)
LOOKBACK_CAP = timedelta(days=7)  # a machine off for a month reports a week of misses, not 43k rows
# The reason of a planned row cancelled because it left the schedule (or its story lost the frame).
STALE = "no longer in the schedule (its entry, channels, languages or story changed)"
DEFAULT_GRACE = timedelta(minutes=15)
WATERMARK = "materialized_until"
MANUAL_PREFIX = "manual/"


@dataclass
class Materialized:
    """What one materialization did."""

    start: datetime
    end: datetime
    occurrences: int
    inserted: int
    cancelled: int


def units_of(
    project: Project, occ: Occurrence, channels: tuple[str, ...] | None = None, frames: int | None = None
) -> list[dict[str, Any]]:
    """The ledger rows of one occurrence: one per channel x language x frame.

    A channel that declares ``languages`` gets only those. ``lang_seq`` is the language's place in
    the occurrence's ``languages``: the claim sends one language's whole sequence before the next.
    ``frames`` overrides the count (a broken story's rows are planned with its last readable one).
    """
    sections = project.config.channels
    out = []
    for ch in channels or occ.channels:
        section = sections.get(ch)
        kind, note = plan_kind(project, occ, ch)  # a story as frames or video (format:)
        for seq, lang in enumerate(occ.languages, start=1):
            if section is not None and not section.takes(lang):
                continue
            total = frames or frame_count(project, kind, occ.ref, lang=lang, channel=ch)
            for f in range(1, total + 1):
                out.append(
                    {
                        "entry_key": occ.entry_key,
                        "occurrence_key": occ.occurrence_key,
                        "channel": ch,
                        "lang": lang,
                        "lang_seq": seq,
                        "frame": f,
                        "frame_total": total,
                        "kind": kind,
                        "ref": occ.ref,
                        "label": occ.label[:200],
                        "source": occ.source[:300],
                        "due_utc": occ.due_utc,
                        "deadline_utc": occ.due_utc + occ.grace,
                        "reason": note,  # why a story asked as video goes out as frames
                        "variant": str(occ.extra.get("variant") or ""),  # which of variants:
                    }
                )
    return out


def _key(u: dict[str, Any]) -> tuple[str, str, str, str, int]:
    return (u["entry_key"], u["occurrence_key"], u["channel"], u["lang"], u["frame"])


def max_grace(timetable: Timetable) -> timedelta:
    return max((e.grace for e in timetable.entries), default=DEFAULT_GRACE)


def window(
    ledger: Ledger, timetable: Timetable, now: datetime, horizon: timedelta
) -> tuple[datetime, datetime]:
    """[start, end) to materialize now."""
    recent = now - max_grace(timetable)
    mark = ledger.get_meta(WATERMARK)
    start = recent if mark is None else min(datetime.fromisoformat(mark), recent)
    return max(start, now - LOOKBACK_CAP), now + horizon


def materialize(
    project: Project,
    ledger: Ledger,
    timetable: Timetable,
    now: datetime,
    horizon: timedelta = HORIZON,
    holds: Holds | None = None,
) -> Materialized:
    """Insert the rows of every occurrence in the window that the ledger lacks; cancel stale ones.

    With ``holds`` (the tick's): an entry whose times cannot be computed, or an occurrence whose
    content cannot be counted, is held instead of stopping the others. The occurrence is still
    planned (its first frame, or every frame it had), so it waits visibly and a fix sends it;
    rows held by a broken file are never cancelled as "left the schedule".
    """
    start, end = window(ledger, timetable, now, horizon)
    failed: dict[str, StorycastError] = {}
    occs = timetable.occurrences(start, end, failed=failed if holds is not None else None)
    for key, error in failed.items():
        holds.add(RowFilter(entries=frozenset({key})), error)  # type: ignore[union-attr]
    wanted: dict[tuple[str, str, str, str, int], dict[str, Any]] = {}
    placeholders: set[tuple[str, str]] = set()
    for occ in occs:
        try:
            units = units_of(project, occ)
        except StorycastError as exc:
            if holds is None:
                raise
            # Its story (event, poll) is broken: plan it with the frames its file seems to have,
            # held; the fix corrects the count (below) and plans the rest.
            cid = occ.ref.partition("@")[0]
            broken = project.content.broken_file(cid)
            # The broken file's own error says where to fix it ("no poll with id 'p'" does not).
            holds.add(RowFilter(refs=frozenset({cid})), broken.error if broken else exc)
            units = units_of(project, occ, frames=(broken.frames if broken else None) or 1)
            placeholders.add((occ.entry_key, occ.occurrence_key))
        too_long = next((bad for u in units if (bad := oversized(u)) is not None), None)
        if too_long is not None:
            if holds is None:
                raise _too_long(occ, too_long)
            holds.add(RowFilter(entries=frozenset({occ.entry_key})), _too_long(occ, too_long))
            continue
        for u in units:
            wanted.setdefault(_key(u), u)
    existing = ledger.existing_units(start, end)
    switched, kept = _format_changes(wanted, existing)
    if switched or kept:
        ledger.set_kinds({**switched, **kept}, now, revive=STALE)
        existing = ledger.existing_units(start, end)
    kept_groups = {k[:4] for k in kept}
    new = [u for k, u in wanted.items() if k not in existing and k[:4] not in kept_groups]
    inserted = ledger.insert_units(new, now)
    held = holds.held if holds is not None else RowFilter()
    stale = [
        k
        for k, unit in existing.items()
        if unit.state == State.PLANNED.value
        and k not in wanted
        and not k[0].startswith(MANUAL_PREFIX)
        and (k[0], k[1]) not in placeholders
        and k[:4] not in kept_groups
        and not held.matches(unit.ref, unit.source, k[0], k[2])
    ]
    cancelled = ledger.cancel_planned(stale, now, STALE) if stale else 0
    # A story that gained or lost frames since its rows were planned: their count follows it.
    totals = {
        k: u["frame_total"]
        for k, u in wanted.items()
        if k in existing
        and existing[k].state == State.PLANNED.value
        and existing[k].frame_total != u["frame_total"]
        and (k[0], k[1]) not in placeholders
        and k[:4] not in kept_groups
    }
    ledger.set_frame_totals(totals, now)
    mark = ledger.get_meta(WATERMARK)
    if mark is None or datetime.fromisoformat(mark) < end:
        ledger.set_meta(WATERMARK, end.astimezone(UTC).isoformat())
    return Materialized(start, end, len(occs), inserted, cancelled)


#: Row states after which a story has begun going out (or was given up): its format stays.
_UNSTARTED = frozenset({State.PLANNED.value, State.CANCELLED.value, State.MISSED.value})


def _format_name(kind: str) -> str:
    return "video" if kind == VIDEO_KIND else "frames"


def _format_changes(
    wanted: dict[UnitKey, dict[str, Any]], existing: dict[UnitKey, Unit]
) -> tuple[dict[UnitKey, tuple[str, str | None]], dict[UnitKey, tuple[str, str | None]]]:
    """Planned story groups (entry, occurrence, channel, language) whose ``format:`` changed.

    Nothing of the group gone out yet: it switches to the new format (its rows take the new
    kind; missing parts are inserted and surplus ones cancelled by the caller). Some of it sent
    or in flight: the rest keeps the format it began in (a story half frames, half video reads
    as neither), and its planned rows say why. Returns (switched, kept), each unit key ->
    (kind, reason) for :meth:`Ledger.set_kinds`.
    """
    changed: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for k, u in wanted.items():
        have = existing.get(k)
        if have is not None and have.kind != u["kind"] and {have.kind, u["kind"]} <= STORY_KINDS:
            changed.setdefault(k[:4], u)
    switched: dict[UnitKey, tuple[str, str | None]] = {}
    kept: dict[UnitKey, tuple[str, str | None]] = {}
    for group, unit in changed.items():
        rows = {k: e for k, e in existing.items() if k[:4] == group}
        if all(e.state in _UNSTARTED for e in rows.values()):
            switched.update(
                {k: (u["kind"], u["reason"]) for k, u in wanted.items() if k[:4] == group and k in rows}
            )
            continue
        old = next(e.kind for e in rows.values() if e.kind != unit["kind"])
        reason = (
            f"the entry's format changed to {_format_name(unit['kind'])} after this story began going "
            f"out as {_format_name(old)}: the rest of it goes out as {_format_name(old)}; the "
            f"entry's next occurrences go out as {_format_name(unit['kind'])}"
        )
        kept.update({k: (e.kind, reason) for k, e in rows.items() if e.state == State.PLANNED.value})
    return switched, kept


def _too_long(occ: Occurrence, problem: tuple[str, str, int]) -> ScheduleError:
    field, hint, limit = problem
    file, _, line = occ.source.rpartition(":")
    return ScheduleError(
        f"the {field.replace('_', ' ')} of this entry's posts is longer than the ledger keeps "
        f"({limit} characters)",
        hint=hint,
        file=file or occ.source,
        line=int(line) if line.isdigit() else None,
    )
