"""The engine's built-in publishing sources: tutorial stories, as frames and as video."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from .frames import KindSource


@hookimpl
def register_kind_sources() -> dict[str, KindSource]:
    from .frames import STORY_SOURCE, STORY_VIDEO_SOURCE, VIDEO_KIND

    return {"story": STORY_SOURCE, VIDEO_KIND: STORY_VIDEO_SOURCE}
