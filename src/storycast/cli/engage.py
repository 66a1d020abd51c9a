"""Engagement commands: ``qa ics``/``hours``, ``polls results``/``vote``, ``insights collect``, ``report``.

Importing this module registers the ``qa`` and ``poll`` content and schedule kinds (so
``storycast plan`` lists Q&A announcements and polls); that import is light.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import (
    JSON_HELP,
    NOW_HELP,
    console,
    get_context,
    load_project,
    parse_now,
    print_json,
    styled,
    to_json,
)
from ._paths import output_file

if TYPE_CHECKING:
    from rich.console import Console

    from ..engage.report import Report
    from ..project import Project


def register(app: typer.Typer) -> None:
    qa = typer.Typer(help="Live Q&A sessions and support hours.", no_args_is_help=True)
    polls = typer.Typer(help="Quick polls: results from every channel, local votes.", no_args_is_help=True)
    insights = typer.Typer(help="Capture story metrics before they expire.", no_args_is_help=True)
    app.add_typer(qa, name="qa")
    app.add_typer(polls, name="polls")
    app.add_typer(insights, name="insights")

    @qa.command("ics")
    def qa_ics(
        ctx: typer.Context,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Write the feed here (default: stdout).", callback=output_file),
        ] = None,
        lang: Annotated[
            str | None, typer.Option("--lang", help="Language of titles (default: the project's).")
        ] = None,
        hours: Annotated[bool, typer.Option("--hours/--no-hours", help="Include support hours.")] = True,
        now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
    ) -> None:
        """An iCalendar feed (RFC 5545) of Q&A sessions and support hours, for calendar apps."""
        from ..engage.ics import build_calendar

        project = load_project(ctx)
        if lang is not None and lang not in project.languages:
            raise typer.BadParameter(
                f"{lang!r} is not one of the project's languages ({', '.join(project.languages)})"
            )
        text = build_calendar(project, parse_now(now, ctx), lang=lang, include_hours=hours)
        if out is None:
            typer.echo(text, nl=False)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(text.encode("utf-8"))
        console().print(f"wrote {out}", highlight=False)

    @qa.command("hours")
    def qa_hours(
        ctx: typer.Context,
        lang: Annotated[str | None, typer.Option("--lang", help="Language of the week lines.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
        now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
    ) -> None:
        """Is support live now, when does it open next, and the week's hours."""
        from ..engage.hours import SupportHours

        project = load_project(ctx)
        at = parse_now(now, ctx)
        hours = SupportHours.of(project)
        lang = lang or project.config.project.default_language
        nxt = hours.next_opening(at)
        lines = hours.lines(lang) if hours.configured else []
        data = {
            "live": hours.is_live(at),
            "next_opening": nxt.isoformat() if nxt else None,
            "timezone": hours.tz,
            "lines": lines,
        }
        if as_json:
            print_json(data)
            return
        c = console()
        c.print(
            styled("support is ", ("live now", "bold green"))
            if data["live"]
            else f"support opens {data['next_opening']}"
        )
        for line in lines:
            c.print(f"  {line}", highlight=False, markup=False)

    @polls.command("results")
    def polls_results(
        ctx: typer.Context,
        poll: Annotated[
            str | None, typer.Argument(help="Poll id (default: every poll).", show_default=False)
        ] = None,
        chart: Annotated[
            Path | None, typer.Option("--chart", help="Bar-chart PNG path (default: build/polls/POLL.png).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Votes per option and per channel, from local votes, replies and channel results; a bar chart."""
        from ..engage.polls import bar_chart, get_poll, tally
        from ..engage.polls import polls as all_polls

        project = load_project(ctx)
        ids = [get_poll(project, poll).id] if poll else sorted(all_polls(project))
        tallies = [tally(project, pid) for pid in ids]
        charts = []
        for t in tallies:
            target = (
                chart if (chart and len(tallies) == 1) else project.build_dir / "polls" / f"{t.poll_id}.png"
            )
            charts.append(str(bar_chart(t, target)))
        if as_json:
            print_json({"polls": [t.to_json() | {"chart": c} for t, c in zip(tallies, charts, strict=True)]})
            return
        from rich.table import Table

        c = console()
        if not tallies:
            c.print("no polls in stories/ (add a file with kind: poll)")
        for t, path in zip(tallies, charts, strict=True):
            table = Table(title=f"{t.poll_id}: {t.question}", title_justify="left")
            table.add_column("#", justify="right")
            table.add_column("option")
            for ch in sorted(t.by_channel):
                table.add_column(ch, justify="right")
            table.add_column("total", justify="right", style="bold")
            for i, (text, n) in enumerate(zip(t.options, t.counts, strict=True)):
                table.add_row(
                    str(i + 1), text, *[str(t.by_channel[ch][i]) for ch in sorted(t.by_channel)], str(n)
                )
            c.print(table)
            extra = (
                f" · CSAT {t.csat:.0f}% · mean {t.mean:.2f}"
                if t.csat is not None and t.mean is not None
                else ""
            )
            c.print(f"{t.total} votes{extra} · chart: {path}", highlight=False)

    @polls.command("vote")
    def polls_vote(
        ctx: typer.Context,
        poll: Annotated[str, typer.Argument(help="Poll id.")],
        option: Annotated[int, typer.Argument(help="Option number (1-based).")],
        voter: Annotated[str, typer.Option("--voter", help="Who votes (a session or user id).")] = "cli",
        now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Record one local vote (what the local feed's vote button does)."""
        from ..engage.polls import record_vote

        project = load_project(ctx)
        new = record_vote(project, poll, option, "local", voter, now=parse_now(now, ctx))
        if as_json:
            print_json({"poll": poll, "option": option, "voter": voter, "changed_vote": not new})
            return
        console().print(
            f"vote recorded for option {option}" + ("" if new else " (changed this voter's vote)")
        )

    @insights.command("collect")
    def insights_collect(
        ctx: typer.Context,
        everything: Annotated[
            bool, typer.Option("--all", help="Capture every still-live post now, not only those at T+23 h.")
        ] = False,
        capture_at: Annotated[
            float, typer.Option("--at-hours", help="Capture posts this many hours old.")
        ] = 23.0,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
        now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
    ) -> None:
        """Capture metrics (reach, replies, taps, exits) of published stories before they expire."""
        from ..engage.insights import collect_due_insights

        project = load_project(ctx)
        at = parse_now(now, ctx)
        report = collect_due_insights(
            project, get_context(ctx), at, capture_at=timedelta(hours=capture_at), everything=everything
        )
        if as_json:
            print_json(report.to_json())
            return
        c = console()
        c.print(
            f"captured {len(report.captured)} post(s), {len(report.polls)} poll result(s); "
            f"{len(report.unavailable)} unavailable; {report.skipped} already captured"
        )
        for item in report.unavailable:
            c.print(
                f"  {item['channel']} {item['remote_id']}: {item['reason']}", highlight=False, markup=False
            )

    @app.command("report")
    def report_cmd(
        ctx: typer.Context,
        since: Annotated[
            str | None,
            typer.Option("--since", help="Only publications due from this ISO date/time (naive = UTC)."),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="Write the report here: in --format, or HTML with charts when no --format is given.",
                callback=output_file,
            ),
        ] = None,
        fmt: Annotated[
            ReportFormat | None,
            typer.Option(
                "--format",
                "-f",
                help="text (tables), csv (one row per figure), json, or html (one page with charts).",
                case_sensitive=False,
                show_default=False,
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
        now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
    ) -> None:
        """Reach, completion, drop-off, replies, polls, CSAT, resolution times and what works."""
        from ..engage.report import build_report

        if as_json and fmt not in (None, ReportFormat.json):
            raise typer.BadParameter(
                f"--json is --format json; it cannot be combined with --format {fmt.value}",
                param_hint="'--format'",
            )
        chosen = ReportFormat.json if as_json else fmt
        project = load_project(ctx)
        at = parse_now(now, ctx)
        start = parse_now(since, option="--since") if since else None
        report = build_report(project, now=at, since=start)
        if chosen is None or (chosen is ReportFormat.text and out is None):
            html = None
            if out is not None:  # --out without --format: the HTML page, as before
                html = _write(out, _html(report, project))
            _print_report(report, console())
            if html is not None:
                console().print(f"wrote {html}", highlight=False)
            return
        if chosen is ReportFormat.json and (out is None or fmt is None):
            if out is not None:  # --json --out, as before: the page, and its name in the JSON
                _write(out, _html(report, project))
            print_json(report.to_json() | ({"html": str(out)} if out is not None else {}))
            return
        text = {
            ReportFormat.text: lambda: _text(report),
            ReportFormat.json: lambda: to_json(report.to_json()) + "\n",
            ReportFormat.csv: lambda: _csv(report),
            ReportFormat.html: lambda: _html(report, project),
        }[chosen]()
        if out is None:
            typer.echo(text, nl=False)
            return
        _write(out, text)
        console().print(f"wrote {out}", highlight=False)


class ReportFormat(StrEnum):
    """What ``storycast report --format`` writes."""

    text = "text"
    csv = "csv"
    json = "json"
    html = "html"


def _write(out: Path, text: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", newline="")
    return out


def _html(report: Report, project: Project) -> str:
    from ..engage.report_html import render_html

    return render_html(report, fonts_from=project.root)


def _csv(report: Report) -> str:
    from ..engage.report_csv import to_csv

    return to_csv(report)


def _text(report: Report) -> str:
    """The terminal report as plain text, for a file."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    _print_report(
        report, Console(file=buf, width=120, no_color=True, highlight=False, markup=False, emoji=False)
    )
    return buf.getvalue()


def _print_report(report: Report, c: Console) -> None:
    """The terminal report: tables, then one line per fact."""
    from rich.table import Table

    from ..engage.report import delivery_line, format_duration

    table = Table(title=f"{report.project}: stories", title_justify="left")
    for col in ("story", "lang", "reach", "done", "drop-off", "replies", "1st reply", "pub", "fail", "hand"):
        left = col in ("story", "lang", "drop-off")
        table.add_column(col, justify="left" if left else "right", no_wrap=col in ("story", "drop-off"))
    for s in report.stories:
        table.add_row(
            s.ref,
            s.lang,
            str(s.reach),
            "–" if s.completion is None else f"{s.completion:.0f}%",
            s.drop_off_label(),
            str(s.replies),
            format_duration(s.first_response),
            str(s.published),
            str(s.failed),
            str(s.handed_off),
        )
    if report.stories:
        c.print(table)
    else:
        c.print("no tutorials were published in this period", highlight=False)
    for d in report.deliveries:
        c.print(
            f"{d['ref']} [{d['lang']}] -> {d['channel']}: {delivery_line(d)}", highlight=False, markup=False
        )
    for t in report.polls:
        extra = f" · CSAT {t.csat:.0f}%" if t.csat is not None else ""
        c.print(f"poll {t.poll_id}: {t.total} votes{extra}", highlight=False)
    if report.csat_trend:
        c.print(
            "CSAT by week: " + ", ".join(f"{w} {v:.0f}%" for w, v, _ in report.csat_trend), highlight=False
        )
    if not report.conversations:
        c.print("no conversations in this period", highlight=False)
    else:
        waits = Table(
            title=f"conversations: {len(report.conversations)}, still open: {report.open_conversations}",
            title_justify="left",
        )
        for col in ("by", "", "convs", "open", "1st resp. median", "p90", "resolved median", "p90 "):
            waits.add_column(col, justify="left" if col in ("by", "") else "right", no_wrap=True)
        for o in report.outcomes:
            waits.add_row(
                o.dimension,
                o.value,
                str(o.conversations),
                str(o.open),
                format_duration(o.first_response.median),
                format_duration(o.first_response.p90),
                format_duration(o.resolution.median),
                format_duration(o.resolution.p90),
            )
        c.print(waits, markup=False)
        oldest = next((x for x in report.conversations if x.is_open), None)
        if oldest is not None:
            where = ", ".join(v for v in (oldest.ref, oldest.lang) if v)
            c.print(
                f"oldest open conversation: {format_duration(report.now - oldest.opened)} on {oldest.channel}"
                + (f" ({where})" if where else "")
                + ("" if oldest.first_response else ", not answered yet"),
                highlight=False,
                markup=False,
            )
    variants = [f for f in report.comparisons if f.dimension == "variant"]
    if variants:
        vt = Table(title="variants", title_justify="left")
        for col in ("variant", "lang", "posts", "viewers", "done", "drop-off", "CSAT"):
            vt.add_column(
                col, justify="left" if col in ("variant", "lang", "drop-off") else "right", no_wrap=True
            )
        for f in variants:
            vt.add_row(
                f.value,
                f.lang or "all",
                f"{f.measured}/{f.posts}",
                str(f.viewers),
                "–" if f.completion is None else f"{f.completion:.0f}%",
                f.drop_off_label(),
                "–" if f.csat is None else f"{f.csat:.0f}% (n={f.csat_answers})",
            )
        c.print(vt, markup=False)
    for sug in report.suggestions:
        c.print(f"best slot on {sug.channel}: {sug.reason}", highlight=False, markup=False)
    d = report.deflection or {}
    for story in d.get("stories", []):
        c.print(
            f"deflection {story['story']}: {story['views']} views, {story['visits']} article visits, "
            f"{story['conversations']} conversations on its topic within {d['days']} days"
            + (f" (self-service {story['self_service']:.0f}%)" if story["self_service"] is not None else ""),
            highlight=False,
            markup=False,
        )
