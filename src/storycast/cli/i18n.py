"""``storycast i18n export | import | status | lock``: translation through PO and XLIFF files."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import JSON_HELP, LANGS_HELP, console, get_context, language_list, load_project, print_json
from ._paths import output_folder

i18n_app = typer.Typer(
    help="Translate through PO or XLIFF files (Poedit, Weblate, Crowdin): export, import, status.",
    no_args_is_help=True,
)


class FileFormat(StrEnum):
    po = "po"
    xliff = "xliff"


def _langs(values: list[str] | None) -> list[str] | None:
    langs = language_list(values)
    if langs is None and values and not any(v.strip(", ") for v in values):
        raise typer.BadParameter(
            "name a language, several (th,en or -l th -l en), or all", param_hint="--lang"
        )
    return langs


_ITEMS = typer.Argument(
    help="Story, poll or event ids (default: all of them and the interface strings).", show_default=False
)
_LANG = typer.Option(
    "--lang", "-l", help=f"Language code(s): {LANGS_HELP}; or 'all' (every language but the source)."
)
_UI = typer.Option(
    "--ui/--no-ui",
    help="Include the interface strings (templates/strings.yaml). Default: when no id is named.",
    show_default=False,
)


@i18n_app.command("export")
def export(
    ctx: typer.Context,
    items: Annotated[list[str] | None, _ITEMS] = None,
    lang: Annotated[list[str] | None, _LANG] = None,
    fmt: Annotated[
        FileFormat, typer.Option("--format", "-f", help="po (gettext) or xliff (XLIFF 2.0).")
    ] = FileFormat.po,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the files (default: translations/).", callback=output_folder
        ),
    ] = None,
    ui: Annotated[bool | None, _UI] = None,
) -> None:
    """Write one PO or XLIFF file per language: every text with its context, notes and current translation."""
    from ..i18n.workflow import export as run

    project = load_project(ctx)
    folder = out if out is not None else project.root / "translations"
    done = run(project, items or None, _langs(lang), fmt.value, folder, get_context(ctx).now(), ui=ui)
    c = console()
    for e in done:
        c.print(
            f"{e.path}: {e.units} texts ({e.translated} translated, {e.stale} stale, {e.missing} missing)",
            markup=False,
        )


@i18n_app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="PO or XLIFF files to bring back.", show_default=False)],
) -> None:
    """Write the translations of PO or XLIFF files back into the YAML files, changing nothing else."""
    from ..i18n.workflow import import_files

    project = load_project(ctx)
    results = import_files(project, files)
    c = console()
    for r in results:
        c.print(
            f"{r.path} ({r.lang}): {len(r.written)} written, {len(r.confirmed)} confirmed, "
            f"{len(r.files)} file(s) changed",
            markup=False,
        )
        if r.not_ready:
            c.print(
                f"  {len(r.not_ready)} text(s) still marked fuzzy or not translated were left out: "
                + ", ".join(r.not_ready[:8])
                + (" ..." if len(r.not_ready) > 8 else ""),
                markup=False,
            )
        for key, reason in r.skipped:
            c.print(f"  {key}: not written: {reason}", markup=False)


@i18n_app.command("status")
def status(
    ctx: typer.Context,
    items: Annotated[list[str] | None, _ITEMS] = None,
    lang: Annotated[list[str] | None, _LANG] = None,
    ui: Annotated[bool | None, _UI] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Coverage per story and language (translated, stale, missing) and texts over their layout budget."""
    from ..i18n.units import source_language
    from ..i18n.workflow import status as run

    project = load_project(ctx)
    rows = run(project, items or None, _langs(lang), ui=ui)
    if as_json:
        print_json({"source_language": source_language(project), "rows": [r.as_dict() for r in rows]})
        return
    c = console()
    c.print(
        f"{'item':<24} {'lang':<6} {'translated':>10} {'stale':>6} {'missing':>8} {'over budget':>12}",
        markup=False,
    )
    for r in rows:
        c.print(
            f"{r.item:<24} {r.lang:<6} {r.translated:>10} {r.stale:>6} {r.missing:>8} {len(r.overruns):>12}",
            markup=False,
        )
    for r in rows:
        for o in r.overruns:
            c.print(
                f"over budget: {o['key']} ({r.lang}): {o['length']} characters, about {o['budget']} fit",
                markup=False,
            )


@i18n_app.command("lock")
def lock(
    ctx: typer.Context,
    items: Annotated[list[str] | None, _ITEMS] = None,
    lang: Annotated[list[str] | None, _LANG] = None,
) -> None:
    """Record the present translations as up to date with their source texts (translations.lock)."""
    from ..i18n.units import lock_path
    from ..i18n.workflow import lock_current

    project = load_project(ctx)
    n = lock_current(project, items or None, _langs(lang))
    console().print(f"{lock_path(project)}: {n} translation(s) recorded as up to date", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(i18n_app, name="i18n")
