"""Option callbacks for output paths: a wrong --out is a usage error before any work starts."""

from __future__ import annotations

from pathlib import Path

import typer


def _blocking_file(path: Path) -> Path | None:
    """The first existing non-folder on the way to ``path`` (itself included), if any."""
    for part in [*reversed(path.parents), path]:
        if part.exists() and not part.is_dir():
            return part
    return None


def output_folder(value: Path | None) -> Path | None:
    """--out names a folder: it may be missing, but neither it nor a parent may be a file."""
    if value is None:
        return None
    blocker = _blocking_file(value.expanduser())
    if blocker is not None:
        raise typer.BadParameter(f"{blocker} is a file, not a folder; choose a folder for the output")
    return value


def output_file(value: Path | None) -> Path | None:
    """--out names a file: it may not be a folder, and no parent of it may be a file."""
    if value is None:
        return None
    path = value.expanduser()
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder; name a file to write, for example {path}/report.html")
    blocker = _blocking_file(path.parent)
    if blocker is not None:
        raise typer.BadParameter(f"{blocker} is a file, not a folder; choose another place for {path.name}")
    return value
