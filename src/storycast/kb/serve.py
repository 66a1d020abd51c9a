"""A static file app for ``storycast kb serve`` (folders answer with their index.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError


def static_app(folder: Path) -> Any:
    """A Starlette app serving the built site in ``folder``."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    if not (Path(folder) / "index.html").is_file():
        raise ConfigError(
            f"{folder} holds no built knowledge base",
            hint="run `storycast kb build` first (or pass --out to the folder it wrote)",
        )
    return Starlette(routes=[Mount("/", app=StaticFiles(directory=str(folder), html=True))])
