"""Content kinds: what a file under stories/ may be (``kind: tutorial``, ``kind: qa``, ...).

A view over the plugin manager's ``register_content_kinds`` hook. The built-in ``tutorial``
comes from ``content/plugin.py``; ``qa`` and ``poll`` from ``engage/plugin.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import plugins

if TYPE_CHECKING:
    from ..project import Project

# loader(data, file, project) returning an object with an ``id`` attribute.
KindLoader = Callable[[Any, Path, "Project"], Any]
HOOK = "register_content_kinds"
DEFAULT_KIND = "tutorial"  # a file without ``kind:``


@dataclass(frozen=True)
class ContentKind:
    """A content kind: the ``kind:`` value and the function that loads such a file."""

    name: str
    load: KindLoader


_cache: tuple[Any, dict[str, ContentKind]] | None = None


def content_kinds() -> dict[str, ContentKind]:
    """Every content kind by name, in registration order (``tutorial`` first)."""
    global _cache
    view = plugins.view(HOOK)
    cache = _cache
    if cache is None or cache[0] is not view:
        cache = _cache = (view, {n: p.value for n, p in view.items()})
    return cache[1]
