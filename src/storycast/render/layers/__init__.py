"""Layer drawing, one module per layer family.

Each module exposes a ``draw(layer, frame)`` function (shapes has one per shape) that draws
its layer onto ``frame.canvas``; :data:`DRAWERS` maps a spec layer ``type`` to it.
:func:`storycast.render.draw.draw_frame` is the public entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import background, image, logo, progress, qr, shapes, text
from ._base import Frame

DRAWERS: dict[str, Callable[[Any, Frame], None]] = {
    "background": background.draw,
    "image": image.draw,
    "text": text.draw,
    "rect": shapes.draw_rect,
    "circle": shapes.draw_circle,
    "line": shapes.draw_line,
    "progress": progress.draw,
    "qr": qr.draw,
    "logo": logo.draw,
}

__all__ = ["DRAWERS", "Frame"]
