"""The ``logo`` layer: the brand logo fitted into a box.

The picture is not named in the spec: it is ``[brand] logo`` of storycast.toml, resolved by the
caller into ``DrawContext.logo``. A frame whose project has no logo skips the layer with a
warning, so stock templates work in projects that have not set one yet.
"""

from __future__ import annotations

from pathlib import Path

from ..spec import LogoLayer
from ._base import Frame
from .image import picture_tile


def draw(layer: LogoLayer, frame: Frame) -> None:
    """Draw the brand logo into ``layer.box`` (contain by default, placed by ``anchor``)."""
    logo = frame.ctx.logo
    if logo is None:
        label = f"logo layer {layer.id!r}" if layer.id else "logo layer"
        frame.warn(
            label, "no brand logo is configured, so it was left out (set [brand] logo in storycast.toml)"
        )
        return
    tile, x, y = picture_tile(Path(logo), layer.box, layer.fit, layer.anchor, frame)
    frame.put(tile, x, y, layer.opacity)
