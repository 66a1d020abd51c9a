"""``storycast status | retry | cancel | history | reconcile``: look at and steer the ledger."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import LedgerError
from ._common import JSON_HELP, NOW_HELP, console, get_context, load_project, parse_now, print_json, state
from ._status import MAX_LIMIT, show_status

MAX_ID = 2**63 - 1  # the largest id a database integer holds; a bigger one cannot exist


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
    # The same code as `storycast status` run before Typer loads (cli/_status.py).
    at = parse_now(now, ctx)
    show_status(state(ctx), at, show_all=show_all, story=story, limit=limit, as_json=as_json)


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
    from ..ledger.admin import retry as do_retry

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
    from ..ledger.admin import cancel as do_cancel

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
    from ..ledger.admin import history as do_history

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
