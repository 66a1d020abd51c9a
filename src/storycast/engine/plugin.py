"""The engine's built-in publishing source: tutorial stories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from .frames import KindSource


@hookimpl
def register_kind_sources() -> dict[str, KindSource]:
    from .frames import STORY_SOURCE

    return {"story": STORY_SOURCE}
