"""The ``background`` layer: a solid colour, a linear/radial gradient, or an image.

An image background can be fitted with ``cover`` (fill and crop around ``anchor``),
``contain`` (whole image, the rest filled by ``color``/``gradient`` or black) or
``contain-blur`` (whole image over a blurred, cover-fitted copy of itself). ``blur`` softens it
(like CSS ``filter: blur()``), ``darken`` lays black over it (0..1) and ``tint`` lays a colour
over it (the tint's alpha is its strength). The finished background is cached per process by
its parameters, so every frame of a story that shares it costs one paste.
"""

from __future__ import annotations

from PIL import Image

from ..images import cached, fast_blur, file_key, fitted, resolve_image
from ..spec import BackgroundLayer
from ._base import Frame
from ._paint import gradient_image
from .image import warn_if_upscaled

_CONTAIN_BLUR_SIGMA = 36  # how soft the backdrop of contain-blur is
_opaque: dict[tuple[object, ...], bool] = {}  # cache key -> whether that background has no transparency


def _grade(img: Image.Image, darken: float, tint: tuple[int, int, int, int] | None) -> Image.Image:
    """Darken and tint in one per-channel lookup (no extra full-size images)."""
    if darken <= 0 and (tint is None or tint[3] == 0):
        return img
    keep = 1 - darken
    a = tint[3] / 255 if tint else 0.0
    luts: list[int] = []
    for ch in range(3):
        tc = tint[ch] if tint else 0
        luts.extend(round(v * keep * (1 - a) + tc * a) for v in range(256))
    if img.mode == "RGBA":
        luts.extend(range(256))
    return img.point(luts)


def render_background(
    layer: BackgroundLayer, size: tuple[int, int], frame: Frame
) -> tuple[Image.Image, tuple[object, ...]]:
    """The background as an RGBA image of ``size`` (cached; do not modify it) and its cache key."""
    path = None
    if layer.image is not None:
        path = resolve_image(layer.image, frame.ctx.root, frame.ctx.asset_dirs, what="background image")
    key = (
        "background",
        layer.model_dump_json(include={"color", "gradient", "fit", "anchor", "blur", "darken", "tint"}),
        file_key(path) if path else None,
        size,
        frame.ctx.max_image_pixels,
    )

    def make() -> Image.Image:
        w, h = size
        if layer.gradient is not None:
            base = gradient_image(layer.gradient, size).copy()
        else:
            base = Image.new("RGBA", size, layer.color or (0, 0, 0, 255))
        if path is not None:
            limit = frame.ctx.max_image_pixels
            if layer.fit == "cover":
                pic = fitted(path, size, "cover", focus=layer.anchor, max_pixels=limit)
                pic = fast_blur(pic, layer.blur) if layer.blur else pic
                base.alpha_composite(pic.convert("RGBA"))
            else:
                if layer.fit == "contain-blur":
                    back = fitted(path, size, "cover", focus=layer.anchor, max_pixels=limit)
                    back = fast_blur(back, max(layer.blur, _CONTAIN_BLUR_SIGMA))
                    base.alpha_composite(_grade(back.convert("RGBA"), 0.25, None))
                pic = fitted(path, size, "contain", max_pixels=limit)
                if layer.blur:
                    pic = fast_blur(pic, layer.blur)
                x = round((w - pic.width) * layer.anchor[0])
                y = round((h - pic.height) * layer.anchor[1])
                base.alpha_composite(pic.convert("RGBA"), (x, y))
        return _grade(base, layer.darken, layer.tint)

    bg = cached(key, make)
    return bg, key


def draw(layer: BackgroundLayer, frame: Frame) -> None:
    """Paint ``layer`` over the whole canvas."""
    bg, key = render_background(layer, frame.canvas.size, frame)
    if layer.image is not None and layer.blur < 8:  # a strong blur hides a small picture's softness
        path = resolve_image(layer.image, frame.ctx.root, frame.ctx.asset_dirs, what="background image")
        fit = "cover" if layer.fit == "cover" else "contain"
        label = f"background layer {layer.id!r}" if layer.id else "background layer"
        warn_if_upscaled(frame, label, path, frame.canvas.size, fit, layer.image)
    opaque = _opaque.get(key)
    if opaque is None:
        opaque = _opaque[key] = bg.getchannel("A").getextrema()[0] == 255
    if opaque and layer.opacity >= 1:
        # The common case: an opaque full-frame background simply replaces the canvas.
        frame.canvas.paste(cached((*key, "rgb"), lambda: bg.convert("RGB")))
        return
    frame.put(bg, 0, 0, layer.opacity)
