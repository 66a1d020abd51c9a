"""``publish --due --dry-run``: what a tick would publish now, without writing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import StorycastError
from ..ledger import RowFilter
from ..ledger.states import State
from .holds import Holds
from .materialize import max_grace, units_of

if TYPE_CHECKING:
    from ..project import Project
    from ..timetable import Timetable


@dataclass
class DueItem:
    """One row a tick would claim now."""

    ref: str
    channel: str
    lang: str
    frame: int
    frame_total: int
    occurrence_key: str
    due_utc: datetime
    state: str  # "new" when the ledger has no row yet

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["due_utc"] = self.due_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        return d


def due_now(
    project: Project,
    now: datetime,
    timetable: Timetable | None = None,
    problems: list[StorycastError] | None = None,
) -> list[DueItem]:
    """Rows due at ``now`` that are not yet published, from the timetable and the ledger (read-only).

    As in a real tick, a broken file holds back only its own rows: they are left out, and its
    error is appended to ``problems``.
    """
    from ..channels.registry import channel_types
    from ..ledger import RowQuery, timeout_from
    from ..ledger.db import database_exists
    from ..ledger.store import Ledger
    from ..timetable import load_timetable

    channel_types()  # plugins may register entry kinds
    holds = Holds(project.root)
    holds.add_content(project.refresh_content())
    tt = timetable or load_timetable(project, tolerant=True)
    holds.add_schedules(tt)
    start = now - max_grace(tt)
    failed: dict[str, StorycastError] = {}
    units = []
    for occ in tt.occurrences(start, now + timedelta(seconds=1), failed=failed):
        try:
            units.extend(units_of(project, occ))
        except StorycastError as exc:
            holds.add(RowFilter(refs=frozenset({occ.ref.partition("@")[0]})), exc)
    for error in failed.values():
        holds.errors.append(error)
    held = holds.held
    units = [u for u in units if not held.matches(u["ref"], u["source"], u["entry_key"], u["channel"])]
    if problems is not None:
        problems.extend(holds.errors)
    states: dict[tuple[Any, ...], str] = {}
    if database_exists(project.db_url):  # a dry run never creates the state database
        ledger = Ledger.open(project.db_url, timeout_from(project.environ))
        try:
            for r in ledger.find(RowQuery(due_from=start, due_to=now)):
                states[(r.entry_key, r.occurrence_key, r.channel, r.lang, r.frame)] = r.state
        finally:
            ledger.close()
    out = []
    for u in units:
        if u["deadline_utc"] < now or u["due_utc"] > now:
            continue
        st = states.get((u["entry_key"], u["occurrence_key"], u["channel"], u["lang"], u["frame"]), "new")
        if st in ("new", State.PLANNED.value):
            out.append(
                DueItem(
                    u["ref"],
                    u["channel"],
                    u["lang"],
                    u["frame"],
                    u["frame_total"],
                    u["occurrence_key"],
                    u["due_utc"],
                    st,
                )
            )
    return out
