"""``storycast status | retry | cancel | history | reconcile``: look at and steer the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import LedgerError, StorycastError
from ._common import JSON_HELP, NOW_HELP, console, get_context, load_project, parse_now, print_json

if TYPE_CHECKING:
    from ..ledger import Row

ATTENTION = ("failed", "unknown", "missed", "sending", "claimed", "rendering")
DEFAULT_LIMIT = 200  # rows `status` lists without --all or --limit
MAX_ID = 2**63 - 1  # the largest id a database integer holds; a bigger one cannot exist
MAX_LIMIT = 10**9


def _open(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from ..ledger import open_ledger

    return open_ledger(load_project(ctx))


def status(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every row, not just upcoming and attention-needing ones.")
    ] = False,
    story: Annotated[str | None, typer.Option("--story", help="Only rows of this story.")] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            max=MAX_LIMIT,
            help="At most this many rows (default: 200, or every row with --all).",
            show_default=False,
        ),
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Ledger rows: counts per state, then planned, in-flight and problem rows (all rows with --all).

    Rows held back by a broken file stay planned and say why: "waiting for a fix: FILE:LINE: ...".
    Rows whose frames lack approval show as awaiting_approval, with who must approve by when.
    """
    from ..ledger import RowQuery

    at = parse_now(now, ctx)
    cap = limit if limit is not None else (None if show_all else DEFAULT_LIMIT)
    ledger = _open(ctx)
    try:
        states = None if show_all else [*ATTENTION, "planned"]
        rows = ledger.find(RowQuery(ref=story or None, states=states, limit=None if cap is None else cap + 1))
        counts = ledger.counts()
        waiting = ledger.count_waiting(at)
        awaiting = ledger.count_awaiting(at)
        from ..engage.handoff_followup import handoffs as find_handoffs

        handoffs = find_handoffs(load_project(ctx), get_context(ctx), ledger, at, everything=show_all)
        handoffs = [h for h in handoffs if not story or h.ref == story]
        # What the platform said became of each message (WhatsApp statuses), newest posts last.
        deliveries = [d for d in ledger.delivery_report() if not story or d["ref"] == story]
        deliveries = deliveries[-cap:] if cap is not None else deliveries
    finally:
        ledger.close()
    more = len(rows) > cap if cap is not None else False
    rows = rows[:cap]
    queue = None
    if load_project(ctx).config.engine.kind == "procrastinate":
        from ..engine.scaleout import queue_status

        queue = queue_status(load_project(ctx))  # queue depth, workers alive, stuck jobs
    # An empty ledger is not an idle project: rows appear as they fall due, so say what is coming.
    upcoming = _upcoming(ctx, at) if not counts else None
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
    out = console()
    if upcoming is None:
        out.print("  ".join(f"{k} {v}" for k, v in sorted(counts.items())), markup=False)
    else:
        out.print(_upcoming_line(upcoming), markup=False)
    if waiting:
        out.print(f"{waiting} due row(s) wait for a fix (the reason is on each row)", markup=False)
    if awaiting:
        out.print(
            f"{awaiting} due row(s) await approval (who must approve by when is on each row; "
            "storycast review, then storycast approve)",
            markup=False,
        )
    for line in queue.lines() if queue is not None else []:
        out.print(line, markup=False)
    for r in rows:
        line = (
            f"#{r.id:<6} {_shown(r):<10} {r.due_utc:%Y-%m-%d %H:%M}Z  {r.ref} [{r.lang}] "
            f"{r.frame}/{r.frame_total} -> {r.channel}"
        )
        if r.reason and r.state != "published":
            line += f"  ({r.reason})"
        out.print(line, markup=False)
    if more:
        out.print(f"(only the first {cap} rows; --limit N shows more, --all every row)", markup=False)
    for h in handoffs:  # each pack a person posts: waiting, reminded, escalated, confirmed or stale
        out.print(h.line(at), markup=False)
    if deliveries:
        from ..engage.report import delivery_line

        out.print("delivery (statuses from the platform):", markup=False)
    for d in deliveries:
        out.print(
            f"#{d['id']:<6} {d['ref']} [{d['lang']}] -> {d['channel']}: {delivery_line(d)}", markup=False
        )


UPCOMING_DAYS = 7  # how far ahead an empty ledger's status looks in the schedules


def _upcoming(ctx: typer.Context, at: datetime) -> dict[str, Any]:
    """What the schedules plan for the next UPCOMING_DAYS: the count and the first occurrence."""
    from ..timetable.table import load_timetable

    try:
        occurrences = load_timetable(load_project(ctx)).occurrences(at, at + timedelta(days=UPCOMING_DAYS))
    except StorycastError as exc:  # a broken schedule is `plan`'s and `publish`'s to report in full
        return {"days": UPCOMING_DAYS, "count": None, "problem": str(exc).partition("\n")[0]}
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
    from ..ledger.approvals import AWAITING

    if row.state == "planned" and (row.reason or "").startswith(AWAITING):
        return "awaiting_approval"
    return row.state


def _ids(values: list[str], param: str = "'IDS...'") -> list[int]:
    bad = [v for v in values if not v.strip().isdigit() or not 1 <= int(v) <= MAX_ID]
    if bad:
        raise typer.BadParameter(
            f"{bad[0]!r} is not a row id; row ids are whole numbers from 1, as `storycast status` shows them",
            param_hint=param,
        )
    return [int(v) for v in values]


def retry(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(help="Row ids (from `storycast status`).")],
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Plan failed, missed, unknown or cancelled rows again, due now."""
    from ..ledger import retry as do_retry

    at = parse_now(now, ctx)
    ledger = _open(ctx)
    try:
        result = do_retry(ledger, _ids(ids), at)
    finally:
        ledger.close()
    _report(result, "planned again", as_json)


def cancel(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(help="Row ids (from `storycast status`).")] = None,
    story: Annotated[
        str | None, typer.Option("--story", help="Cancel every planned row of this story.")
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Cancel planned (or failed/missed/unknown) rows by id, or all planned rows of --story."""
    from ..ledger import cancel as do_cancel

    if bool(ids) == bool(story):
        raise typer.BadParameter("give row ids or --story, not both or neither")
    at = parse_now(now, ctx)
    ledger = _open(ctx)
    try:
        result = do_cancel(ledger, at, _ids(ids or []), story)
    finally:
        ledger.close()
    _report(result, "cancelled", as_json)


def _report(result: object, verb: str, as_json: bool) -> None:
    changed, skipped = result.changed, result.skipped  # type: ignore[attr-defined]
    if as_json:
        skips = [{"id": rid, "reason": why} for rid, why in skipped.items()]
        print_json({"changed": changed, "skipped": skips})
        if skipped and not changed:
            raise typer.Exit(1)
        return
    out = console()
    out.print(f"{len(changed)} row(s) {verb}: {', '.join(map(str, changed)) or '-'}", markup=False)
    for rid, why in skipped.items():
        out.print(f"row {rid} skipped: {why}", markup=False)
    if skipped and not changed:
        raise typer.Exit(1)


def history(
    ctx: typer.Context,
    row: Annotated[
        int | None, typer.Option("--id", min=1, max=MAX_ID, help="Only this row's history.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_LIMIT, help="At most this many lines.")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Attempts (with request and remote ids) and ledger events, newest first."""
    from ..ledger import history as do_history

    ledger = _open(ctx)
    try:
        items = do_history(ledger, limit, row)
    finally:
        ledger.close()
    if as_json:
        print_json([i.to_json() for i in items])
        return
    for i in items:
        what = f"{i.ref} [{i.lang}] {i.frame} -> {i.channel}  " if i.ref else ""
        console().print(
            f"{i.at_utc:%Y-%m-%d %H:%M:%S}Z #{i.publication_id} {i.what:<10} {what}{i.detail}", markup=False
        )


def reconcile(
    ctx: typer.Context,
    resolve: Annotated[
        list[str] | None,
        typer.Option("--resolve", help="Settle an unknown row yourself: ID=published or ID=failed."),
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Settle unknown rows: ask channels that can list their posts, then apply --resolve verdicts."""
    from ..engine.reconcile import reconcile as do_reconcile

    verdicts: dict[int, str] = {}
    for item in resolve or []:
        rid, sep, verdict = item.partition("=")
        verdict = verdict.strip()
        if not sep or verdict not in ("published", "failed"):
            raise typer.BadParameter(
                f"{item!r}: write ID=published or ID=failed (for example 42=published)",
                param_hint="'--resolve'",
            )
        (row_id,) = _ids([rid], "'--resolve'")
        verdicts[row_id] = verdict
    at = parse_now(now, ctx)
    project = load_project(ctx)
    ledger = _open(ctx)
    try:
        report = do_reconcile(project, get_context(ctx), ledger, at, resolve=verdicts)
    finally:
        ledger.close()
    if as_json:
        print_json(report.to_json())
        return
    out = console()
    out.print(
        f"published {len(report.published)}, planned again {len(report.replanned)}, "
        f"resolved by you {len(report.resolved)}, still unknown {len(report.still_unknown)}",
        markup=False,
    )
    for r in report.still_unknown:
        out.print(
            f"#{r.id} {r.ref} [{r.lang}] {r.frame}/{r.frame_total} -> {r.channel}: check the platform, then "
            f"`storycast reconcile --resolve {r.id}=published` (or ={'failed'})",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    """Add the ledger commands to the app."""
    app.command("status")(status)
    app.command("retry")(retry)
    app.command("cancel")(cancel)
    app.command("history")(history)
    app.command("reconcile")(reconcile)


__all__ = ["LedgerError", "register"]
