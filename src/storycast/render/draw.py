"""Drawing a validated frame spec into a Pillow image.

Stable API::

    ctx = DrawContext(root=project.root, asset_dirs=[project.root / "assets", resources.assets_dir()],
                      fonts=FontLibrary.for_project(project.root), lang="th", logo=brand_logo_path)
    result = draw_frame(spec, ctx)      # spec: FrameSpec from storycast.render.spec.parse_spec
    result.image                        # PIL.Image.Image, RGB, spec.width x spec.height
    result.texts                        # one TextReport per drawn text (layers and progress labels)
    result.warnings                     # every non-fatal problem, "<layer>: <sentence>"

Layers are drawn bottom to top; invisible ones (``visible: false``) are skipped. A layer that
cannot be drawn (a missing or corrupt image, an unknown font, text that must not be cut)
raises :class:`~storycast.errors.RenderError` naming the layer. Drawing is deterministic: the
same spec, files and fonts give the same pixels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..errors import RenderError
from . import snapshots
from .images import DEFAULT_MAX_PIXELS
from .layers import DRAWERS, Frame
from .layers._base import TextReport as TextReport
from .spec import FrameSpec

if TYPE_CHECKING:
    from .text import FontLibrary


@dataclass
class DrawContext:
    """What drawing needs beyond the spec.

    ``root`` is the project folder (image ``src`` paths are relative to it); ``asset_dirs`` are
    searched next (project ``assets/`` then the packaged assets); ``fonts`` is the text engine's
    font library; ``lang`` the frame's language (shaping, line breaking, direction); ``logo`` the
    resolved ``[brand] logo`` file or None; ``max_image_pixels`` the decompression-bomb limit;
    ``timeout`` the seconds a frame may take to draw (checked between layers), or None.
    """

    root: Path
    asset_dirs: list[Path]
    fonts: FontLibrary
    lang: str
    logo: Path | None = None
    max_image_pixels: int = DEFAULT_MAX_PIXELS
    timeout: float | None = None  # seconds drawing one frame may take ([render] frame_timeout)


@dataclass
class FrameResult:
    """A drawn frame: the RGB image, its text reports and every warning (text ones included)."""

    image: Image.Image
    texts: list[TextReport]
    warnings: list[str]


def _label(index: int, layer: object) -> str:
    kind = getattr(layer, "type", "?")
    ident = getattr(layer, "id", None)
    return f"layers[{index}] ({kind}" + (f", id {ident!r})" if ident else ")")


def _outside(layer: object, width: int, height: int) -> bool:
    box = getattr(layer, "box", None)
    if box is None:
        return False
    x, y, w, h = box
    return x >= width or y >= height or x + w <= 0 or y + h <= 0


def draw_frame(spec: FrameSpec, ctx: DrawContext) -> FrameResult:
    """Draw every visible layer of ``spec`` and return the image with its reports."""
    plan = snapshots.plan(spec, ctx)
    restored = snapshots.restore(plan)
    if restored is not None:
        canvas, texts, warnings = restored
        frame = Frame(canvas=canvas, ctx=ctx, texts=texts, warnings=warnings)
        start = plan.restore_at
    else:
        frame = Frame(canvas=Image.new("RGB", (spec.width, spec.height), (0, 0, 0)), ctx=ctx)
        start = 0
    deadline = time.monotonic() + ctx.timeout if ctx.timeout is not None else None
    for index, layer in enumerate(spec.layers):
        if index < start:
            continue
        if deadline is not None and time.monotonic() > deadline:
            raise RenderError(
                f"drawing the frame took longer than {ctx.timeout:g} s (stopped at layer {index} of "
                f"{len(spec.layers)})",
                hint="the template draws too many heavy layers (large shadows, blurs, huge pictures); "
                "simplify it, or raise [render] frame_timeout in storycast.toml",
            )
        if index == plan.save_at:
            snapshots.save(plan, frame.canvas, frame.texts, frame.warnings)
        if not layer.visible or layer.opacity <= 0:
            continue
        if _outside(layer, spec.width, spec.height):
            frame.warn(_label(index, layer), f"its box {list(layer.box)} is entirely outside the frame")  # type: ignore[union-attr]
            continue
        try:
            DRAWERS[layer.type](layer, frame)
        except RenderError as exc:
            raise RenderError(
                f"{_label(index, layer)}: {exc.message}",
                hint=exc.hint,
                file=exc.file,
                line=exc.line,
                column=exc.column,
            ) from exc
    if plan.save_at == len(spec.layers):
        snapshots.save(plan, frame.canvas, frame.texts, frame.warnings)
    return FrameResult(image=frame.canvas, texts=frame.texts, warnings=frame.warnings)
