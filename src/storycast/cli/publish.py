"""``storycast publish``: one tick for cron (``--due``), or one story right now."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import ExitStatus, StorycastError
from ._common import JSON_HELP, NOW_HELP, console, get_context, load_project, parse_now, print_json


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
        list[str] | None, typer.Option("--lang", "-l", help="Language(s); default: the story's.")
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
    context = get_context(ctx)
    at = parse_now(now, ctx)
    if dry_run:
        from ..engine.dryrun import due_now

        if story is not None:
            raise typer.BadParameter("--dry-run works with --due")
        problems: list[StorycastError] = []
        items = due_now(project, at, problems=problems)
        if as_json:
            print_json({"now": at, "due": [i.to_json() for i in items], "errors": [str(e) for e in problems]})
        else:
            for i in items:
                console().print(
                    f"would publish {i.ref} [{i.lang}] frame {i.frame}/{i.frame_total} -> {i.channel}",
                    markup=False,
                )
            console().print(
                f"{len(items)} item(s) due at {at:%Y-%m-%d %H:%M:%S} UTC (dry run, nothing changed)"
            )
        if problems:
            from ..engine.holds import HeldBack

            raise HeldBack(problems, dry_run=True)
        return
    if story is not None:
        if not channel:
            raise typer.BadParameter("publishing a STORY needs --channel NAME")
        from ..engine import publish_now

        report = publish_now(project, context, story, channel, lang, at, force=force)
    elif project.config.engine.kind == "procrastinate":
        # The workers publish: this tick claims what is due onto the publish queue, where the
        # per-account locks hold across machines. Nothing is sent from this process.
        from ..engine.scaleout import ensure_schema, make_app

        scale = make_app(project, context)
        try:
            ensure_schema(scale.runtime.urls.conninfo)
            report = scale.runtime.tick_once(at, force=force)
        finally:
            scale.runtime.close()
    else:
        from ..engine import TickOptions, tick

        report = tick(project, context, at, options=TickOptions(force=force))
    if as_json:
        print_json(report.to_json())
    else:
        out = console()
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
    held = report.error()
    if held is not None:
        # Everything else went out; the problems that hold rows back decide the exit code (3/4/5).
        raise held
    if report.problems:
        raise typer.Exit(int(ExitStatus.PARTIAL))


def register(app: typer.Typer) -> None:
    """Add ``publish`` to the app."""
    app.command("publish")(publish)


__all__ = ["StorycastError", "register"]
