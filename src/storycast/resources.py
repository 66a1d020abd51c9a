"""Where packaged defaults live: inside the wheel, or the repository root in a checkout.

The repository root is itself the example project; the wheel carries copies of its
``templates/``, ``assets/``, ``stories/``, ``schedules/`` and ``storycast.toml`` under
``storycast/_data`` (see pyproject's force-include). One source, no hand-made copies.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """Folder holding ``templates/`` and ``assets/`` of the packaged defaults."""
    packaged = _PKG / "_data"
    if (packaged / "templates").is_dir():
        return packaged
    checkout = _PKG.parent.parent  # src/storycast -> repository root
    return checkout


def templates_dir() -> Path:
    return data_root() / "templates"


def assets_dir() -> Path:
    return data_root() / "assets"


@cache
def example_root() -> Path:
    """The example project (storycast.toml, stories/, schedules/) that ``storycast init`` copies."""
    packaged = _PKG / "_data" / "example"
    if (packaged / "storycast.toml").is_file():
        return packaged
    return _PKG.parent.parent
