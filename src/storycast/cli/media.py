"""storycast media check FILE --target TYPE [--json]."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import JSON_HELP, console, print_json


def _target(value: str) -> str:
    # The choices are the channel types that declare story media limits (plugins included), so
    # this command names no platform; they load only when the option is checked, not for --help.
    from ..channels.media import media_limits

    known = media_limits()
    if value not in known:
        raise typer.BadParameter(
            f"{value!r} is not a channel type that takes video; use one of: {', '.join(known)}"
        )
    return value


def register(app: typer.Typer) -> None:
    media = typer.Typer(help="Inspect media files.", no_args_is_help=True)
    app.add_typer(media, name="media")

    @media.command("check")
    def check(
        file: Annotated[Path, typer.Argument(help="The MP4/MOV file to check.", show_default=False)],
        target: Annotated[
            str,
            typer.Option(
                "--target",
                "-t",
                callback=_target,
                help="The channel type whose story spec applies (one that takes video).",
            ),
        ] = "instagram",
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Report every way a video breaks a platform's story spec (read from the file, no ffprobe).

        Exit status: 0 when there are no errors (warnings allowed), 1 when any violation is an error.
        """
        from ..channels.media import limits_for
        from ..render.video import check_media

        violations = check_media(file, limits_for(target))
        errors = [v for v in violations if v.severity == "error"]
        if as_json:
            print_json({"file": str(file), "target": target, "ok": not errors, "violations": violations})
        else:
            out = console()
            for v in violations:
                out.print(f"{file}: {v}", markup=False, highlight=False)
            verdict = "meets" if not errors else "does not meet"
            out.print(
                f"{file} {verdict} the {target} story spec "
                f"({len(errors)} errors, {len(violations) - len(errors)} warnings)",
                markup=False,
                highlight=False,
            )
        if errors:
            raise typer.Exit(1)
