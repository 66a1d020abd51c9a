"""``storycast status``: what it reads and prints, and the way in that runs before Typer loads.

:func:`show_status` is the one implementation: the Typer command (``cli/ledger.py``) and
:func:`fast_path` both call it, so their output is the same, byte for byte. Neither this module
nor what it imports on the way loads Typer, Click, Rich or SQLAlchemy: the ledger is read
through :func:`storycast.ledger.reading.read_ledger` (sqlite3, falling back to
the full Ledger when the file needs creating or migrating or cannot be read), and lines are
written as they are (through Rich only when one holds a character Rich would change).

:func:`fast_path` answers ``storycast [ROOT OPTIONS] status [OPTIONS]`` when every argument is
one it knows and every value is valid; anything else (help, a typo, a bad value, shell
completion) returns None and the Typer app runs as before, with its own usage messages.
Errors from the command itself go through the app's handler (:func:`._app.handle_exception`),
which is loaded only then.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._argv import COMPLETE_VAR, read_plain
from ._common import State, parse_time, print_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..engage.handoff_followup import Handoff
    from ..ledger import Ledger, LedgerReader, Row
    from ..project import Project
    from ..timetable.model import Occurrence
    from ._statusview import Planned, View

ATTENTION = ("failed", "unknown", "missed", "sending", "claimed", "rendering")
DEFAULT_LIMIT = 200  # rows `status` lists without --all or --limit
MAX_LIMIT = 10**9
UPCOMING_DAYS = 7  # how far ahead an empty ledger's status looks in the schedules


def say(line: str) -> None:
    """Print one line of plain text as the Rich console of ``cli._common`` prints it.

    A printable line (no control character, tab or invisible formatting mark) comes out of
    Rich as it went in, so it is written directly; any other goes through Rich itself.
    """
    if line.isprintable():
        sys.stdout.write(line + "\n")
        return
    from ._common import console

    console().print(line, markup=False)


def show_status(
    state: State,
    at: datetime,
    *,
    show_all: bool = False,
    story: str | None = None,
    limit: int | None = None,
    as_json: bool = False,
    view: View | None = None,
) -> None:
    """Ledger rows: counts per state, then planned, in-flight and problem rows (all with ``show_all``).

    ``view``: what an earlier run kept of the project (cli/_statusview.py), used instead of
    loading it; the answer is the same."""
    from ..ledger import RowQuery
    from ..ledger.reading import read_ledger

    mark = None if view is not None else _mark(state)
    project = None if view is not None else state.project()
    cap = limit if limit is not None else (None if show_all else DEFAULT_LIMIT)

    def read(ledger: Ledger | LedgerReader) -> tuple[Any, ...]:
        states = None if show_all else [*ATTENTION, "planned"]
        rows = ledger.find(RowQuery(ref=story or None, states=states, limit=None if cap is None else cap + 1))
        counts = ledger.counts()
        waiting = ledger.count_waiting(at)
        awaiting = ledger.count_awaiting(at)
        handoffs: list[Handoff] = []
        # No hand-off channel: handoffs() finds none; skip its package and the channel's module.
        if project is not None and _has_handoff(project):
            from ..engage.handoff_followup import handoffs as find_handoffs

            handoffs = find_handoffs(project, state.context, ledger, at, everything=show_all)
            handoffs = [h for h in handoffs if not story or h.ref == story]
        # What the platform said became of each message (WhatsApp statuses), newest posts last.
        deliveries = [d for d in ledger.delivery_report() if not story or d["ref"] == story]
        deliveries = deliveries[-cap:] if cap is not None else deliveries
        return rows, counts, waiting, awaiting, handoffs, deliveries

    place: Project | View | None = view if view is not None else project
    assert place is not None
    rows, counts, waiting, awaiting, handoffs, deliveries = read_ledger(place, read)
    more = len(rows) > cap if cap is not None else False
    rows = rows[:cap]
    queue = None
    if project is not None and project.config.engine.kind == "procrastinate":
        from ..engine.scaleout import queue_status

        queue = queue_status(project)  # queue depth, workers alive, stuck jobs
    # An empty ledger is not an idle project: rows appear as they fall due, so say what is coming.
    upcoming = None
    planned: list[Occurrence] | None = None
    if not counts:
        kept = view.upcoming(at, UPCOMING_DAYS) if view is not None else None
        if kept is not None:
            upcoming = _upcoming_doc(kept)
        else:
            if project is None:  # the kept view has no plan for this moment: read the schedules
                mark = _mark(state)
                project = state.project()
            upcoming, planned = _upcoming(project, at)
    if mark is not None and project is not None:
        from ._statusview import record

        record(project, mark, at if planned is not None else None, planned)
    if as_json:
        extra = {"queue": queue.to_json()} if queue is not None else {}
        extra |= {"upcoming": upcoming} if upcoming is not None else {}
        doc = {"now": at, "counts": counts, "waiting": waiting, "awaiting_approval": awaiting}
        doc["rows"] = [{**r.to_json(), "display_state": _shown(r)} for r in rows]
        doc["truncated"] = more
        doc["handoffs"] = [h.to_json(at) for h in handoffs]
        doc["deliveries"] = deliveries
        print_json({**doc, **extra})
        return
    if upcoming is None:
        say("  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    else:
        say(_upcoming_line(upcoming))
    if waiting:
        say(f"{waiting} due row(s) wait for a fix (the reason is on each row)")
    if awaiting:
        say(
            f"{awaiting} due row(s) await approval (who must approve by when is on each row; "
            "storycast review, then storycast approve)"
        )
    for line in queue.lines() if queue is not None else []:
        say(line)
    for r in rows:
        line = (
            f"#{r.id:<6} {_shown(r):<10} {r.due_utc:%Y-%m-%d %H:%M}Z  {r.ref} [{r.lang}] "
            f"{r.frame}/{r.frame_total} -> {r.channel}"
        )
        if r.reason and r.state != "published":
            line += f"  ({r.reason})"
        say(line)
    if more:
        say(f"(only the first {cap} rows; --limit N shows more, --all every row)")
    for h in handoffs:  # each pack a person posts: waiting, reminded, escalated, confirmed or stale
        say(h.line(at))
    if deliveries:
        from ..engage.report import delivery_line

        say("delivery (statuses from the platform):")
    for d in deliveries:
        say(f"#{d['id']:<6} {d['ref']} [{d['lang']}] -> {d['channel']}: {delivery_line(d)}")


def _mark(state: State) -> dict[str, Any] | None:
    """The stamp a run that loads the project keeps its view under, taken before it loads (None:
    the project was loaded already, or cannot be found; nothing is kept)."""
    if state.loaded:
        return None
    from ..project import find_root
    from ._statusview import stamp

    try:
        return stamp(find_root(state.project_arg, state.context.environ, origin=state.project_origin))
    except Exception:  # the load that follows reports what is wrong
        return None


def _has_handoff(project: Project) -> bool:
    from ..channels.registry import enabled_of_kind
    from ._statusview import HANDOFF

    return bool(enabled_of_kind(project, HANDOFF))


def _upcoming(project: Project, at: datetime) -> tuple[dict[str, Any], list[Occurrence] | None]:
    """What the schedules plan for the next UPCOMING_DAYS: the count and the first occurrence;
    and what a kept view may hold of them (None: nothing to keep; see _statusview.plan_to_keep)."""
    from ..errors import StorycastError
    from ..timetable.table import load_timetable
    from ._statusview import plan_to_keep

    try:
        timetable = load_timetable(project)
        occurrences = timetable.occurrences(at, at + timedelta(days=UPCOMING_DAYS))
    except StorycastError as exc:  # a broken schedule is `plan`'s and `publish`'s to report in full
        return {"days": UPCOMING_DAYS, "count": None, "problem": str(exc).partition("\n")[0]}, None
    return _upcoming_doc(occurrences), plan_to_keep(timetable, at)


def _upcoming_doc(occurrences: Sequence[Occurrence | Planned]) -> dict[str, Any]:
    doc: dict[str, Any] = {"days": UPCOMING_DAYS, "count": len(occurrences), "first": None}
    if occurrences:
        first = min(occurrences, key=lambda o: o.due_utc)
        doc["first"] = {"due_utc": first.due_utc, "ref": first.ref, "channels": list(first.channels)}
    return doc


def _upcoming_line(upcoming: dict[str, Any]) -> str:
    days = upcoming["days"]
    if upcoming["count"] is None:
        return f"the ledger is empty, and the schedules cannot be read: {upcoming['problem']}"
    if not upcoming["count"]:
        return f"the ledger is empty and nothing is scheduled in the next {days} days (see schedules/)"
    first = upcoming["first"]
    return (
        f"the ledger is empty: {upcoming['count']} publication(s) planned in the next {days} days, "
        f"the first {first['ref']} -> {', '.join(first['channels'])} at {first['due_utc']:%Y-%m-%d %H:%M}Z; "
        "rows enter the ledger as they fall due (storycast run, or publish --due from cron); "
        "storycast plan lists them"
    )


def _shown(row: Row) -> str:
    """The state ``status`` shows: a planned row the approval gate holds is ``awaiting_approval``."""
    from ..ledger.rows import AWAITING

    if row.state == "planned" and (row.reason or "").startswith(AWAITING):
        return "awaiting_approval"
    return row.state


# -- before Typer ---------------------------------------------------------------------------

_FLAGS = {"--all": ("show_all", True), "--json": ("as_json", True)}
_VALUED = {"--story": "story", "--limit": "limit", "--now": "now"}


def fast_path(args: list[str]) -> int | None:
    """Run ``storycast status`` without Typer when ``args`` are plain; None: let Typer run it."""
    if COMPLETE_VAR in os.environ:
        return None
    got = read_plain(args, ("status",), _FLAGS, _VALUED)
    if got is None:
        return None
    opts, project, traceback = got
    limit = opts.get("limit")
    if limit is not None:
        if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
            return None  # Typer says what is wrong with it
        limit = int(limit)
    now = opts.get("now")
    try:
        at = parse_time(now) if now is not None else None
    except ValueError:
        return None
    as_json = bool(opts.get("as_json"))
    state = State(project=project, traceback=traceback, origin="--project")
    try:
        if at is None:
            at = state.context.now()
        else:
            state.context.fixed_clock(at)
        from ._statusview import load

        show_status(
            state,
            at,
            show_all=bool(opts.get("show_all")),
            story=opts.get("story"),
            limit=limit,
            as_json=as_json,
            view=load(project, "--project", state.context.environ),
        )
    except SystemExit:
        raise
    except BaseException as exc:  # reported exactly as the app reports a command's errors
        from ._app import report_error

        report_error(exc, traceback, as_json)
    return 0
