"""``storycast plugins``: what the plugin manager loaded and where it came from."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ._common import JSON_HELP, console, print_json

_LABELS = {
    "channel_types": "channel types",
    "content_kinds": "content kinds",
    "entry_kinds": "entry kinds",
    "kind_sources": "kind sources",
    "lint_rules": "lint rules",
    "commands": "commands",
}


def plugins(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """List the loaded plugins (built-ins first), where each came from and what it provides."""
    from .. import plugins as manager

    rows: list[dict[str, Any]] = []
    for info in manager.loaded():
        rows.append(
            {
                "name": info.name,
                "module": info.module,
                "origin": info.origin,
                "builtin": info.builtin,
                "distribution": info.distribution,
                "version": info.version,
                "hooks": list(info.hooks),
                "provides": manager.provides(info),
            }
        )
    if as_json:
        print_json({"plugins": rows})
        return
    out = console()
    for row in rows:
        dist = f"  [{row['distribution']} {row['version']}]" if row["distribution"] else ""
        provided = "; ".join(f"{_LABELS[k]} {', '.join(v)}" for k, v in row["provides"].items() if v)
        out.print(
            f"{row['origin']}  {row['module']}{dist}  provides: {provided or 'nothing'}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
