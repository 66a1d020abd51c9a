"""The built-in content kind: tutorial stories."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .kinds import ContentKind


@hookimpl
def register_content_kinds() -> list[ContentKind]:
    from .loader import load_story

    return [ContentKind("tutorial", load_story)]
