"""Canvas snapshots of the layers that open many frames the same way.

Every frame of a tutorial starts with the same background, glow and decorations; only later
layers differ. After two frames have shown the same leading layers, the canvas as it stands
after them is kept, and later frames start from a copy of it instead of drawing those layers
again. Drawing is deterministic, so a copy has exactly the pixels the layers would draw.

Only layers whose look depends on nothing but their spec and the draw context are eligible
(shapes, gradients, text, progress bars); layers that read files (images, the logo, an image
background) end the shareable prefix, so a changed file is never hidden by a snapshot.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

    from .draw import DrawContext
    from .layers._base import TextReport
    from .spec import FrameSpec

_ELIGIBLE = frozenset({"background", "rect", "circle", "line", "text", "progress"})
_MAX_SNAPSHOTS = 8  # full-frame RGB copies, 6 MB each at 1080x1920
_MAX_SEEN = 20_000

_lock = threading.Lock()
_seen: dict[tuple[object, ...], int] = {}  # prefix -> how many frames started with it
_store: OrderedDict[tuple[object, ...], tuple[Image.Image, list[TextReport], list[str], object]] = (
    OrderedDict()
)


@dataclass
class Plan:
    """For one frame: where to start from a snapshot and where to take one (layer indexes).

    ``restore_at`` is the number of leading layers a stored snapshot covers (0: none);
    ``save_at`` is the layer index before which the canvas should be stored (-1: never).
    """

    keys: list[tuple[object, ...]]
    fonts: object
    restore_at: int = 0
    save_at: int = -1


def _layer_key(layer: Any, lang: str) -> str | None:
    if layer.type not in _ELIGIBLE:
        return None
    if layer.type == "background" and layer.image is not None:
        return None
    # Text is shaped and broken per language; shapes look the same in every language, so a
    # background snapshot is shared by all the languages of a build.
    prefix = f"{lang}:" if layer.type in ("text", "progress") else ""
    return prefix + str(layer.model_dump_json())


def plan(spec: FrameSpec, ctx: DrawContext) -> Plan:
    """Find the longest stored (or previously seen) prefix of ``spec``'s layers for ``ctx``."""
    base: tuple[object, ...] = (
        spec.width,
        spec.height,
        str(ctx.root),
        tuple(str(d) for d in ctx.asset_dirs),
        id(ctx.fonts),
        str(ctx.logo),
        ctx.max_image_pixels,
    )
    keys: list[tuple[object, ...]] = []
    prefix: tuple[object, ...] = base
    for layer in spec.layers:
        lk = _layer_key(layer, ctx.lang)
        if lk is None:
            break
        prefix = (*prefix, lk)
        keys.append(prefix)
    result = Plan(keys=keys, fonts=ctx.fonts)
    with _lock:
        for i in range(len(keys), 0, -1):
            entry = _store.get(keys[i - 1])
            if entry is not None and entry[3] is ctx.fonts:
                result.restore_at = i
                break
        # Take a snapshot at the longest prefix two earlier frames also had, when it is longer
        # than what is stored: a prefix that recurs that often is the shared opening of a
        # story (one copy, then every later frame saves its layers); a progress bar that
        # merely repeats once in another language is not worth a full-frame copy.
        for i in range(len(keys), result.restore_at, -1):
            if _seen.get(keys[i - 1], 0) >= 2:
                result.save_at = i
                break
        if len(_seen) > _MAX_SEEN:
            _seen.clear()
        for k in keys:
            _seen[k] = _seen.get(k, 0) + 1
    return result


def restore(p: Plan) -> tuple[Image.Image, list[TextReport], list[str]] | None:
    """A private copy of the stored canvas and reports for ``p.restore_at`` layers, or None."""
    if p.restore_at == 0:
        return None
    with _lock:
        entry = _store.get(p.keys[p.restore_at - 1])
        if entry is None:
            return None
        _store.move_to_end(p.keys[p.restore_at - 1])
    canvas, texts, warnings, _ = entry
    return canvas.copy(), copy.deepcopy(texts), list(warnings)


def save(p: Plan, canvas: Image.Image, texts: list[TextReport], warnings: list[str]) -> None:
    """Store the canvas as it stands after the first ``p.save_at`` layers."""
    if p.save_at <= 0:
        return
    entry = (canvas.copy(), copy.deepcopy(texts), list(warnings), p.fonts)
    with _lock:
        _store[p.keys[p.save_at - 1]] = entry
        _store.move_to_end(p.keys[p.save_at - 1])
        while len(_store) > _MAX_SNAPSHOTS:
            _store.popitem(last=False)


def clear() -> None:
    """Forget every snapshot (benchmarks measuring a cold process use this)."""
    with _lock:
        _seen.clear()
        _store.clear()
