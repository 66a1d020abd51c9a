"""storycast plan: upcoming occurrences from schedules/*.yaml, in local and UTC time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import JSON_HELP, LATEST, NOW_HELP, console, load_project, parse_now, print_json
from ._paths import output_file

if TYPE_CHECKING:
    from ..project import Project
    from ..timetable.model import Occurrence


def _what(occ: Occurrence) -> str:
    text = occ.label if occ.label == occ.ref else f"{occ.label} ({occ.ref})"
    if occ.extra.get("variant"):
        text += f"\n  variant {occ.extra['variant']}"
    moved = occ.extra.get("moved_from")
    if moved:
        why = "blackout" if occ.extra.get("reason") == "blackout" else "DST gap"
        text += f"\n  moved from {moved[11:]} ({why})"
    return text


def channel_languages(project: Project, occ: Occurrence) -> dict[str, list[str]]:
    """The languages each of the occurrence's channels takes (a channel's `languages` narrows them)."""
    sections = project.config.channels
    return {
        ch: [lang for lang in occ.languages if ch not in sections or sections[ch].takes(lang)]
        for ch in occ.channels
    }


def _channels(project: Project, occ: Occurrence) -> str:
    # A channel that narrows the entry's languages shows the ones it takes: "ig-es (es)".
    return ", ".join(
        ch if langs == list(occ.languages) else f"{ch} ({' '.join(langs) or 'no language'})"
        for ch, langs in channel_languages(project, occ).items()
    )


def _utc(occ: Occurrence) -> str:
    # The UTC date only when it differs from the local date: keeps the column narrow.
    days = (occ.due_utc.date() - occ.local.date()).days
    return f"{occ.due_utc:%H:%M}" + (f" {days:+d}d" if days else "")


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan(
        ctx: typer.Context,
        start: Annotated[
            str | None,
            typer.Option(
                "--from",
                help="Start of the listing, ISO 8601 (naive = UTC). Default: now.",
                show_default=False,
            ),
        ] = None,
        days: Annotated[int, typer.Option("--days", min=1, max=3660, help="How many days to list.")] = 7,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
        ics: Annotated[
            bool,
            typer.Option("--ics", help="Write the plan as an iCalendar feed (RFC 5545) for calendar apps."),
        ] = False,
        ics_out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="With --ics: write the feed here (default: stdout).", callback=output_file
            ),
        ] = None,
        now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
    ) -> None:
        """List upcoming publications: local and UTC time, story, channels, languages, source."""
        from ..timetable.table import load_timetable

        if ics and as_json:
            raise typer.BadParameter("choose one of --ics and --json", param_hint="'--ics'")
        if ics_out is not None and not ics:
            raise typer.BadParameter("--out writes the iCalendar feed; add --ics", param_hint="'--out'")
        project = load_project(ctx)
        now_utc = parse_now(now, ctx)
        begin = parse_now(start, option="--from") if start is not None else now_utc
        end = begin + timedelta(days=days)
        if end >= LATEST:  # parse_now's bound holds for the end of the listing too
            raise typer.BadParameter(
                f"the listing would end in the year {end.year}; use an earlier --from or fewer --days",
                param_hint="'--days'",
            )
        occurrences = load_timetable(project).occurrences(begin, end)
        if ics:
            from ..engage.plan_ics import plan_calendar

            text = plan_calendar(
                project,
                occurrences,
                now_utc,
                {(o.entry_key, o.occurrence_key): channel_languages(project, o) for o in occurrences},
            )
            if ics_out is None:
                typer.echo(text, nl=False)
                return
            ics_out.parent.mkdir(parents=True, exist_ok=True)
            ics_out.write_bytes(text.encode("utf-8"))
            console().print(
                f"wrote {len(occurrences)} publication(s) to {ics_out}", markup=False, highlight=False
            )
            return
        if as_json:
            print_json(
                {
                    "from": begin.isoformat(),
                    "until": end.isoformat(),
                    "occurrences": [
                        {**o.to_json(), "channel_languages": channel_languages(project, o)}
                        for o in occurrences
                    ],
                }
            )
            return
        span = f"{begin:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        out = console()
        if not occurrences:
            out.print(f"Nothing scheduled from {span}.", markup=False)
            return
        from rich import box
        from rich.table import Table
        from rich.text import Text

        # On a narrow terminal the zone abbreviation in "Local time" must do; piped, nothing is narrow.
        wide = out.width >= 100 or not out.is_terminal
        table = Table(
            title=f"{len(occurrences)} publication(s) from {span}",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            padding=(0, 1, 0, 0),
        )
        table.add_column("Local time", no_wrap=True)
        if wide:
            table.add_column("Zone", no_wrap=True)
        table.add_column("UTC", no_wrap=True)
        table.add_column("What", min_width=16)
        table.add_column("Channels", min_width=7)
        table.add_column("Langs" if not wide else "Languages")
        table.add_column("Source", overflow="fold")
        for occ in occurrences:
            zone = [occ.tz.rsplit("/", 1)[-1].replace("_", " ")] if wide else []
            cells = (
                f"{occ.local:%a %d %b %H:%M} {occ.local.tzname()}",
                *zone,
                _utc(occ),
                _what(occ),
                _channels(project, occ),
                " ".join(occ.languages),
                occ.source.removeprefix("schedules/"),
            )
            # Text(), not str: a label like "[beta]" must not be read as rich markup.
            table.add_row(*(Text(c) for c in cells))
        out.print(table, markup=False)
