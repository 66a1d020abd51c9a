"""What ``storycast status`` keeps so that its next run needs no configuration models.

Most of a plain ``status`` went on loading the project: importing pydantic and building the
models of every section and channel type, to read three facts of storycast.toml. On an empty
ledger it also read the schedules, to say what is planned. After a run that loaded the project,
:func:`record` writes ``.storycast/cache/status.json``:

- the facts: the engine kind, whether an enabled channel is a hand-off channel, whether
  ``[state] db`` names the ledger (the file keeps the fact, never the URL);
- when the ledger was empty, what the schedules plan from that moment for :data:`KEPT_DAYS`
  days (only when every entry is of a built-in kind, as a plugin's kind may read anything, and
  when no occurrence key repeats at two instants, as on a fall-back night: then the occurrences
  of any narrower window are simply those the wider one holds, see :func:`plan_to_keep`);
- a stamp of what those came from, taken before the project was read: the size and
  modification time of storycast.toml, every file under ``stories/`` and ``schedules/`` and
  storycast's own code, and the site-packages folders (a plugin installed or removed), with
  files changed just before by a hash of their bytes (the stamp of ``render/uptodate.py``).

:func:`load` gives a :class:`View` only when the stamp still holds and the view can answer as
the project would: the embedded engine, no hand-off channel, a ledger not named in
storycast.toml. Anything else (a changed file, an unreadable or foreign cache file, another
storycast) gives None and status loads the project as before; the cache can only skip work,
never change an answer. The planned posts serve a moment up to a day after they were computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..project import CONFIG_NAME, find_root, ledger_url
from ..render import uptodate

if TYPE_CHECKING:
    from ..project import Project
    from ..timetable.model import Occurrence
    from ..timetable.table import Timetable

VERSION = 1
KEPT_DAYS = 8  # status shows 7 days; the eighth lets a kept plan serve for a day
HANDOFF = "storycast.channels.handoff:HandoffChannel"


class Planned(NamedTuple):
    """What status reads of a kept occurrence."""

    due_utc: datetime
    entry_key: str
    occurrence_key: str
    ref: str
    channels: tuple[str, ...]


@dataclass
class View:
    """What status needs of a project, read from the kept file (see the module's doc)."""

    root: Path
    environ: dict[str, str]
    planned_from: datetime | None
    planned: list[Planned] | None  # sorted as Timetable.occurrences sorts

    @property
    def db_url(self) -> str:
        return ledger_url(self.root, self.environ, None)

    def upcoming(self, at: datetime, days: int) -> list[Planned] | None:
        """The kept occurrences due in [at, at + days), or None when the kept ones cannot say."""
        start = self.planned_from
        if (
            self.planned is None
            or start is None
            or not start <= at <= start + timedelta(days=KEPT_DAYS - days)
        ):
            return None
        end = at + timedelta(days=days)
        return [p for p in self.planned if at <= p.due_utc < end]


def plan_to_keep(timetable: Timetable, at: datetime) -> list[Occurrence] | None:
    """The occurrences due in [at, at + KEPT_DAYS days) when they serve every narrower window
    that starts later, else None.

    They do when every entry is of a built-in kind and no entry yields one occurrence key at two
    instants: the timetable keeps the first of each key within a window, and if all of a key's
    occurrences share their instant, they are all in a window or all out of it, so selecting
    within the narrower window keeps what the wider one kept.
    """
    from ..errors import StorycastError
    from ..timetable.table import select

    if not timetable.builtin_kinds():
        return None
    end = at + timedelta(days=KEPT_DAYS)
    failed: dict[str, StorycastError] = {}
    produced = timetable.produced(at, end, failed=failed)
    if failed:
        return None
    for mine in produced:
        instants: dict[str, datetime] = {}
        if any(instants.setdefault(o.occurrence_key, o.due_utc) != o.due_utc for o in mine):
            return None
    return select(produced, at, end)


def _path(root: Path) -> Path:
    return root / ".storycast" / "cache" / "status.json"


def _sources(root: Path) -> dict[str, list[str]]:
    """The folders and files the facts and plans come from, for this project and interpreter."""
    walk = [str(root / "stories"), str(root / "schedules"), str(Path(__file__).resolve().parent.parent)]
    return {"walk": walk, "files": [str(root / CONFIG_NAME)], "folders": uptodate.site_folders()}


def stamp(root: Path) -> dict[str, Any]:
    """What the facts and plans come from, as it is now (taken before they are read)."""
    sources = _sources(root)
    return {**sources, **uptodate.file_stamp(sources["walk"], sources["files"], sources["folders"])}


def load(project_arg: str | None, origin: str | None, environ: dict[str, str]) -> View | None:
    """The kept view of the project ``--project``/``STORYCAST_PROJECT``/the working folder names,
    or None (status then loads the project)."""
    try:
        root = find_root(project_arg, environ, origin=origin)
        with open(_path(root), encoding="utf-8") as fh:
            kept = json.load(fh)
        if not isinstance(kept, dict) or kept.get("version") != VERSION or kept.get("root") != str(root):
            return None
        facts, mark = kept["facts"], kept["stamp"]
        if facts != {"engine": "embedded", "handoff": False, "db_in_config": False}:
            return None
        # Another interpreter, install of storycast or site-packages folder: not this stamp's.
        if any(mark[k] != v for k, v in _sources(root).items()) or not uptodate.stamp_holds(mark):
            return None
        planned, planned_from = None, None
        if kept.get("planned") is not None:
            planned_from = datetime.fromisoformat(kept["planned_from"])
            planned = [
                Planned(datetime.fromisoformat(d), e, o, r, tuple(c)) for d, e, o, r, c in kept["planned"]
            ]
        return View(root=root, environ=environ, planned_from=planned_from, planned=planned)
    except Exception:  # whatever is wrong with the kept file, the project itself will say it
        return None


def record(
    project: Project,
    mark: dict[str, Any],
    planned_from: datetime | None = None,
    planned: list[Occurrence] | None = None,
) -> None:
    """Keep what status read of ``project`` under ``mark`` (taken before it was read); never raises."""
    from ..channels.registry import enabled_of_kind

    try:
        facts = {
            "engine": project.config.engine.kind,
            "handoff": bool(enabled_of_kind(project, HANDOFF)),
            "db_in_config": bool((project.config.state.db or "").strip()),
        }
        kept: dict[str, Any] = {"version": VERSION, "root": str(project.root), "facts": facts, "stamp": mark}
        if planned_from is not None and planned is not None:
            kept["planned_from"] = planned_from.astimezone(UTC).isoformat()
            kept["planned"] = [
                [o.due_utc.isoformat(), o.entry_key, o.occurrence_key, o.ref, list(o.channels)]
                for o in planned
            ]
        path = _path(project.root)
        path.parent.mkdir(parents=True, exist_ok=True)
        from ..render.cache import atomic_write

        atomic_write(path, json.dumps(kept, ensure_ascii=False).encode("utf-8"))
    except Exception:  # no kept view costs the next status its full load, nothing else
        pass
