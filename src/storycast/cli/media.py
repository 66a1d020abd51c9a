"""storycast media check FILE --target instagram|facebook|telegram [--json]."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import JSON_HELP, console, print_json


# The choices --help shows, fixed at start-up so the command loads no channel type to print them;
# the limits themselves come from the channel types (channels.media.limits_for).
class Target(StrEnum):
    instagram = "instagram"
    facebook = "facebook"
    telegram = "telegram"


def register(app: typer.Typer) -> None:
    media = typer.Typer(help="Inspect media files.", no_args_is_help=True)
    app.add_typer(media, name="media")

    @media.command("check")
    def check(
        file: Annotated[Path, typer.Argument(help="The MP4/MOV file to check.", show_default=False)],
        target: Annotated[
            Target, typer.Option("--target", "-t", help="The platform whose story spec applies.")
        ] = Target.instagram,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Report every way a video breaks a platform's story spec (read from the file, no ffprobe).

        Exit status: 0 when there are no errors (warnings allowed), 1 when any violation is an error.
        """
        from ..channels.media import limits_for
        from ..render.video import check_media

        violations = check_media(file, limits_for(target.value))
        errors = [v for v in violations if v.severity == "error"]
        if as_json:
            print_json(
                {"file": str(file), "target": target.value, "ok": not errors, "violations": violations}
            )
        else:
            out = console()
            for v in violations:
                out.print(f"{file}: {v}", markup=False, highlight=False)
            verdict = "meets" if not errors else "does not meet"
            out.print(
                f"{file} {verdict} the {target.value} story spec "
                f"({len(errors)} errors, {len(violations) - len(errors)} warnings)",
                markup=False,
                highlight=False,
            )
        if errors:
            raise typer.Exit(1)
