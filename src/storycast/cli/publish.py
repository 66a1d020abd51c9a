"""``storycast publish``: one tick for cron (``--due``), or one story right now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ExitStatus, StorycastError
from ._common import (
    JSON_HELP,
    LANGS_HELP,
    NOW_HELP,
    console,
    get_context,
    language_list,
    load_project,
    parse_now,
    print_json,
)

if TYPE_CHECKING:
    from ..engine.run import PublishOutcome


def _line(item: object) -> str:
    i = item  # ItemResult
    text = f"{i.outcome:<10} #{i.id} {i.ref} [{i.lang}] frame {i.frame}/{i.frame_total} -> {i.channel}"  # type: ignore[attr-defined]
    if i.reason:  # type: ignore[attr-defined]
        text += f"  ({i.reason})"  # type: ignore[attr-defined]
    return text


def publish(
    ctx: typer.Context,
    story: Annotated[str | None, typer.Argument(help="Publish this story now (needs --channel).")] = None,
    due: Annotated[
        bool, typer.Option("--due", help="Publish everything due now (the cron entry point).")
    ] = False,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="Channel name from storycast.toml.")
    ] = None,
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", "-l", help=f"Language(s): {LANGS_HELP} (default: the story's)."),
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what is due; change nothing.")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Publish despite guard (lint) errors; recorded in the attempt log."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Publish what is due (--due), or STORY to --channel now.

    Exit codes of --due: 0 nothing failed (also when nothing was due), 7 some items failed,
    ended unknown or were missed, 6 database problem. A broken story, schedule, template or
    image (4) or channel configuration (3) holds back only its own posts: they wait, with the
    reason, in `storycast status`; everything else is published, then the problem is reported.
    """
    if due == (story is not None):
        raise typer.BadParameter("give either --due or a STORY (with --channel), not both or neither")
    project = load_project(ctx)
    at = parse_now(now, ctx)
    if dry_run and story is not None:
        raise typer.BadParameter("--dry-run works with --due")
    if story is not None and not channel:
        raise typer.BadParameter("publishing a STORY needs --channel NAME")
    from ..engine.run import PublishRequest
    from ..engine.run import publish as run_publish

    request = PublishRequest(
        story=story, channel=channel, langs=language_list(lang), force=force, dry_run=dry_run
    )
    outcome = run_publish(project, get_context(ctx), request, at)
    if as_json:
        print_json(_json(outcome))
    else:
        _print(outcome)
    error = outcome.error()
    if error is not None:
        # Everything else went out; the problems that hold rows back decide the exit code (3/4/5).
        raise error
    if outcome.partial:
        raise typer.Exit(int(ExitStatus.PARTIAL))


def _json(outcome: PublishOutcome) -> dict[str, Any]:
    if outcome.report is None:
        return {
            "now": outcome.now,
            "due": [i.to_json() for i in outcome.due],
            "errors": [str(e) for e in outcome.problems],
        }
    return outcome.report.to_json()


def _print(outcome: PublishOutcome) -> None:
    out = console()
    report = outcome.report
    if report is None:
        for i in outcome.due:
            out.print(
                f"would publish {i.ref} [{i.lang}] frame {i.frame}/{i.frame_total} -> {i.channel}",
                markup=False,
            )
        at = outcome.now
        out.print(f"{len(outcome.due)} item(s) due at {at:%Y-%m-%d %H:%M:%S} UTC (dry run, nothing changed)")
        return
    for item in report.items:
        out.print(_line(item), markup=False)
    summary = report.to_json()
    for note in report.notes:
        out.print(note, markup=False)
    queued = f"queued {summary['queued']} for the workers, " if summary["queued"] else ""
    waiting = f"waiting for a fix {summary['waiting']}, " if summary["waiting"] else ""
    out.print(
        f"{queued}published {summary['published']}, failed {summary['failed']}, {waiting}"
        f"retry later {summary['retry']}, unknown {summary['unknown']}, missed {summary['missed']}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``publish`` to the app."""
    app.command("publish")(publish)


__all__ = ["StorycastError", "register"]
