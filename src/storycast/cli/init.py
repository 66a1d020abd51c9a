"""storycast init DIR."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from ._common import JSON_HELP, console, print_json


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
        empty: Annotated[bool, typer.Option("--empty", help="No example stories or schedules.")] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing project's example files.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Scaffold a new storycast project (config, example stories, schedules, folders)."""
        from ..scaffold import init_project

        result = init_project(directory, with_examples=not empty, force=force)
        if as_json:
            print_json({"root": str(result.root), "created": result.created})
            return
        console().print(f"Created a storycast project in {result.root}")
        for item in result.created:
            console().print(f"  {item}")
        where = shlex.quote(str(directory))
        if empty:  # nothing to render yet: suggest what works now, then the first story
            console().print(
                f"Next: cd {where} && storycast channels check; then write your first story in stories/ "
                "(docs/content.md shows the format) and run storycast lint && storycast render"
            )
        else:
            console().print(f"Next: cd {where} && storycast render")
