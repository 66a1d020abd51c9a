"""storycast lint [STORY...]: guard findings as text, JSON or SARIF; exit 1 when any error."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ._common import JSON_HELP, LANGS_HELP, console, language_list, load_project, print_json


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def register(app: typer.Typer) -> None:
    @app.command("lint")
    def lint(
        ctx: typer.Context,
        stories: Annotated[
            list[str] | None,
            typer.Argument(help="Story ids to check (default: every story).", show_default=False),
        ] = None,
        lang: Annotated[
            list[str] | None,
            typer.Option(
                "--lang", "-l", help=f"Only these languages ({LANGS_HELP}; default: each story's own)."
            ),
        ] = None,
        channel: Annotated[
            list[str] | None,
            typer.Option(
                "--channel",
                "-c",
                help="Judge suitability for these channels (repeatable; default: all configured).",
            ),
        ] = None,
        rendered: Annotated[
            bool,
            typer.Option(
                "--rendered/--no-rendered",
                help="Also check rendered frames (safe zone, sizes, contrast) where build/ has a manifest.",
            ),
        ] = True,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
        fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
        list_rules: Annotated[bool, typer.Option("--list-rules", help="List every rule and exit.")] = False,
    ) -> None:
        """Check stories for personal data, off-channel topics, copy, format and layout problems.

        Exit status: 0 when there are no errors (warnings allowed), 1 when any finding is an error.
        """
        from ..guard import report as rep
        from ..guard.check import lint_project

        if as_json and fmt is not Format.json and _given(ctx, "fmt"):
            raise typer.BadParameter(
                f"--json and --format {fmt.value} ask for two outputs; give one of them",
                param_hint="'--json' / '--format'",
            )
        chosen = Format.json if as_json else fmt
        if list_rules:
            _print_rules(load_project(ctx), chosen)
            return
        project = load_project(ctx)
        lang = language_list(lang)
        _check_choices("--lang", lang, project.languages)
        _check_choices("--channel", channel, list(project.config.channels))
        result = lint_project(project, stories or None, lang or None, channel or None, rendered=rendered)
        if chosen is Format.json:
            print_json(rep.to_json(result.findings, result.stories))
        elif chosen is Format.sarif:
            print_json(rep.to_sarif(result.findings))
        else:
            out = console()
            text = rep.to_text(result.findings)
            if text:
                out.print(text, markup=False, highlight=False)
            out.print(rep.summary(result.findings, len(result.stories)), markup=False, highlight=False)
        if result.errors:
            # Raised (not typer.Exit) so the app's one error handler prints it and exits 1.
            from ..errors import GuardError

            n = result.errors
            raise GuardError(
                f"lint found {n} error{'s' if n != 1 else ''}",
                hint="fix them (each finding has a hint), or switch a rule off under [guard] rules",
            )


def _given(ctx: typer.Context, param: str) -> bool:
    """True when ``param`` was set on the command line (not left at its default)."""
    return getattr(ctx.get_parameter_source(param), "name", "") == "COMMANDLINE"


def _check_choices(option: str, given: list[str] | None, known: list[str]) -> None:
    for value in given or []:
        if value not in known:
            choices = ", ".join(known) or "none configured"
            raise typer.BadParameter(f"{value!r} is not one of: {choices}", param_hint=option)


def _print_rules(project: object, fmt: Format) -> None:
    from ..guard.registry import all_rules

    guard = getattr(getattr(project, "config", None), "guard", None)
    rows = []
    for rule in all_rules():
        effective = rule.resolve(guard) if guard is not None else rule.severity
        rows.append(
            {
                "id": rule.id,
                "severity": effective or "off",
                "family": rule.family,
                "summary": rule.summary,
                "hint": rule.hint,
            }
        )
    if fmt is not Format.text:
        print_json(rows)
        return
    for row in rows:
        console().print(
            f"{row['id']:<26} {row['severity']:<8} {row['summary']}", markup=False, highlight=False
        )
