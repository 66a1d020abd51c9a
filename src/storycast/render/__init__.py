"""Rendering: stories -> Jinja templates -> frame specs -> Pillow frames, manifests and videos.

Public API (importing this package loads no Pillow; drawing modules load on first use)::

    from storycast.render import render_story, render_many, render_frame

    result = render_story(project, "reset-router", "th")          # build/reset-router/th/...
    results = render_many(project, ["reset-router"], None, jobs=2) # every language of the story
    frame = render_frame(project, "poll/poll.j2", "es", {"poll": {...}}, out=Path("poll.png"))

``RenderResult`` lists the frames written (``frames``: manifest records with file, sha256, kind,
alt text and the text as laid out), how many were drawn or taken from the cache, the manifest and
contact-sheet paths and any warnings. Errors are ``TemplateError``/``RenderError`` naming the file,
line and fix. See docs/templates.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import ProgressEvent, RenderResult, render_frame, render_many, render_pairs, render_story
    from .templating import TemplateEngine

__all__ = [
    "ProgressEvent",
    "RenderResult",
    "TemplateEngine",
    "render_frame",
    "render_many",
    "render_pairs",
    "render_story",
]

_LAZY = {
    "ProgressEvent": ".pipeline",
    "RenderResult": ".pipeline",
    "render_frame": ".pipeline",
    "render_many": ".pipeline",
    "render_pairs": ".pipeline",
    "render_story": ".pipeline",
    "TemplateEngine": ".templating",
}


def __getattr__(name: str) -> Any:
    # Lazy: `import storycast.render.text` (or .video) must not pay for Jinja and the pipeline.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
