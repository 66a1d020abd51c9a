"""The drawing state one frame passes to every layer module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from ._paint import scale_alpha

if TYPE_CHECKING:
    from ..draw import DrawContext


@dataclass
class TextReport:
    """What one text layer drew: for the manifest, alt text, and the guard's lint rules.

    ``box`` is ``(x, y, w, h)``; ``lines`` are the lines exactly as drawn (an ellipsis included);
    ``size`` is the chosen font size between ``size_min`` and ``size_max``; ``color`` and
    ``background`` (the text panel's colour, if any) are hex strings; ``emoji`` are the
    ``(x, y, w, h)`` boxes of colour emoji drawn in the text (their pixels are not text colour).
    """

    id: str | None
    role: str
    box: tuple[int, int, int, int]
    lines: list[str]
    size: int
    size_min: int
    size_max: int
    truncated: bool
    shrunk_to_min: bool
    color: str
    warnings: list[str] = field(default_factory=list)
    background: str | None = None
    lang: str = ""
    direction: str = "ltr"
    text: str = ""
    emoji: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class Frame:
    """The canvas being drawn, the caller's context, and what the layers report back."""

    canvas: Image.Image  # RGB, width x height of the spec
    ctx: DrawContext
    texts: list[TextReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def put(self, tile: Image.Image, x: int, y: int, opacity: float = 1.0) -> None:
        """Composite an RGBA ``tile`` with its top-left at canvas ``(x, y)``, times ``opacity``."""
        if opacity <= 0:
            return
        if opacity >= 1:
            self.canvas.paste(tile, (x, y), tile)
        else:
            self.canvas.paste(tile, (x, y), scale_alpha(tile.getchannel("A"), opacity))

    def warn(self, label: str, message: str) -> None:
        """Record a non-fatal problem about the layer ``label`` (shown by render and lint)."""
        self.warnings.append(f"{label}: {message}")
