"""Render rules: checks on rendered frames, read from the render manifest and the frame images.

A manifest (``build/<story>/<lang>/manifest.json``) lists each frame with its text layers::

    {"frames": [{"file": "01.jpg", "sha256": "...", "alt": "...",
                 "layers": [{"id": "title", "type": "text", "box": [x, y, w, h], "lines": [...],
                             "size": 72, "size_min": 56, "size_max": 96, "truncated": false,
                             "shrunk_to_min": false, "color": "#FFFFFF", "role": "heading"}]}]}

The renderer's own manifests name the text layers ``texts`` (without ``type``) and give each
frame its ``index``, ``kind`` (cover/step/outro) and 1-based ``step``; both shapes are read.
A bare list of frames is accepted too. Contrast is measured on the image pixels; see
:func:`layer_contrast` for the method.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.guard import GuardConfig
from .registry import Emitter, Finding
from .texts import Locator

if TYPE_CHECKING:
    import numpy as np

    from ..project import Project


@cache
def _linear_table() -> np.ndarray:
    """sRGB channel value (0-255) to linear light, per WCAG 2.x; a table, as pixels are uint8."""
    import numpy as np

    c = np.arange(256, dtype="float64") / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (``...x3`` uint8 array)."""
    lin = _linear_table()[rgb.astype("uint8")]
    return 0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]


def contrast_ratio(l1: Any, l2: Any) -> Any:
    """WCAG contrast ratio between two luminances (arrays broadcast): 1 to 21."""
    import numpy as np

    hi = np.maximum(l1, l2)
    lo = np.minimum(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def hex_rgb(color: str) -> tuple[int, int, int]:
    """'#RRGGBB' (or '#RGB') to an RGB tuple."""
    h = color.lstrip("#")
    if len(h) in (3, 4):
        h = "".join(ch * 2 for ch in h[:3])
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1)-square, done as two 1-D passes of shifted ORs."""
    import numpy as np

    if r <= 0:
        return mask.copy()
    out = mask.copy()
    for axis in (0, 1):
        src = out.copy()
        n = src.shape[axis]
        for d in range(1, min(r, n - 1) + 1):
            if axis == 0:
                out[d:, :] |= src[:-d, :]
                out[:-d, :] |= src[d:, :]
            else:
                out[:, d:] |= src[:, :-d]
                out[:, :-d] |= src[:, d:]
    return np.asarray(out)


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    return ~_dilate(~mask, r)


def _fill_runs(seed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Every horizontal run of ``mask`` that holds a ``seed`` pixel, whole."""
    import numpy as np

    starts = mask & ~np.pad(mask[:, :-1], ((0, 0), (1, 0)))
    run_id = np.cumsum(starts.ravel()).reshape(mask.shape) * mask
    hit = np.unique(run_id[seed & mask])
    return np.isin(run_id, hit[hit > 0]) & mask


def _reconstruct(seed: np.ndarray, within: np.ndarray) -> np.ndarray:
    """The parts of ``within`` connected (4-neighbours) to ``seed``.

    Fills whole row runs, then whole column runs, until nothing changes: a handful of passes
    for blob-like areas, where growing one pixel at a time would take hundreds.
    """
    out = seed & within
    count = int(out.sum())
    while count:
        out = _fill_runs(out, within)
        out = _fill_runs(out.T, within.T).T
        grown = int(out.sum())
        if grown == count:
            break
        count = grown
    return out


def _edge_areas(mask: np.ndarray, edge: np.ndarray, min_contact: float) -> np.ndarray:
    """Connected parts of ``mask`` that run along the box edge for at least ``min_contact`` px."""
    import numpy as np

    out = np.zeros_like(mask)
    seeds = mask & edge
    while seeds.any():
        ys, xs = np.nonzero(seeds)
        one = np.zeros_like(mask)
        one[ys[0], xs[0]] = True
        part = _reconstruct(one, mask)
        if int((part & edge).sum()) >= min_contact:
            out |= part
        seeds &= ~part
    return out


def layer_contrast(
    pixels: np.ndarray, color: str, size: float, percentile: float = 10, exclude: np.ndarray | None = None
) -> float:
    """Worst-case WCAG contrast between ``color`` and the background behind text in ``pixels``.

    Method: pixels within a small colour distance of the text colour are text-coloured. Those
    that belong to areas far thicker than a glyph stroke (a morphological opening), or to areas
    that run along the box edge for half the font size or more, are background of the text's
    own colour (the page around a badge the text sits on), not glyphs; the rest are glyph
    strokes. The background sample is a ring around the strokes: dilate them by a gap (about a
    tenth of the font size, skipping the anti-aliased edge, which blends both colours) and then
    by a band about 0.3 x the font size; the ring is the band minus the gap, less any
    text-coloured pixel. The result is the ``percentile``-th percentile of the per-pixel
    contrast over the ring (a low percentile, so a few dark pixels in a busy photo count but
    one stray pixel does not), taken in strips about three letters wide, and the lowest strip
    wins: text unreadable over one part of a photo fails. When the box is almost all text
    colour, or the text colour is nowhere in it, every pixel is sampled.

    ``exclude`` (a boolean mask of the crop) marks pixels that are neither text nor background,
    such as colour emoji drawn in the text: they are left out of the glyphs and of the sample,
    so an emoji's own colours are never read as the background the letters must stand out from.

    Known limit: glyphs drawn over a patch of (almost) their own colour are invisible, so they
    are not measured; the visible glyphs around them still are.
    """
    import numpy as np

    rgb = pixels[..., :3].astype("int32")
    text_rgb = np.array(hex_rgb(color), dtype="int32")
    dist = np.sqrt(((rgb - text_rgb) ** 2).sum(axis=-1))
    # Hysteresis: clearly text-coloured pixels, plus nearly text-coloured ones connected to them,
    # so JPEG noise neither breaks glyphs apart nor sprinkles specks over a similar background.
    glyph = _reconstruct(dist < 24, dist < 56)
    keep = np.ones_like(glyph) if exclude is None else ~exclude
    glyph &= keep
    lum = luminance(pixels[..., :3])
    text_lum = float(luminance(text_rgb.reshape(1, 1, 3).astype("uint8"))[0, 0])
    ratio = contrast_ratio(lum, text_lum)
    share = glyph.mean() if glyph.size else 0.0
    if share < 0.002 or share > 0.9:
        sample = np.ones_like(glyph)
    else:
        gap = max(3, round(size * 0.1))
        band = max(4, round(size * 0.3))
        blob_r = max(3, round(size * 0.2))
        # Text-coloured background is not glyphs: areas far thicker than a stroke, and areas
        # lying along the box edge (the page colour around a badge or pill the text sits on); a
        # glyph may touch the edge (right-aligned text), but only over a stroke's width.
        edge = np.zeros_like(glyph)
        edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
        backdrop = _dilate(_erode(glyph, blob_r), blob_r) | _edge_areas(glyph, edge, size * 0.5)
        strokes = glyph & ~backdrop
        if not strokes.any():
            sample = ~glyph  # every glyph touches the box edge: read them against the rest
        else:
            near = _dilate(strokes, gap)
            sample = _dilate(strokes, gap + band) & ~near & ~glyph
            if not (sample & keep).any():
                sample = np.ones_like(glyph)
    sample = sample & keep
    if not sample.any():
        return float("inf")  # nothing but emoji: no text to read against a background
    return _worst_chunk(ratio, sample, size, percentile)


def _worst_chunk(ratio: np.ndarray, sample: np.ndarray, size: float, percentile: float) -> float:
    """The lowest percentile over vertical strips about three letters wide.

    Text that is unreadable over one part of a photo fails even when the rest of the line is
    fine: each strip with enough background pixels is judged on its own.
    """
    import numpy as np

    width = max(8, round(size * 3))
    enough = max(16, round(size * size / 4))
    overall = float(np.percentile(ratio[sample], percentile))
    worst = overall
    for x in range(0, sample.shape[1], width // 2):  # half-overlapping strips
        strip = sample[:, x : x + width]
        if int(strip.sum()) >= enough:
            worst = min(worst, float(np.percentile(ratio[:, x : x + width][strip], percentile)))
    return worst


def load_manifest(path: Path) -> list[dict[str, Any]]:
    """The frames of a manifest file (a dict with ``frames`` or a bare list)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    frames = data.get("frames") if isinstance(data, dict) else data
    if not isinstance(frames, list):
        raise ValueError("the manifest has no 'frames' list")
    return frames


def story_path(
    frame: dict[str, Any], index: int, n_frames: int, layer: dict[str, Any]
) -> tuple[str | int, ...]:
    """Where in the story file a layer's text comes from (best effort: frame kind, layer id, role)."""
    kind = frame.get("kind") or ("cover" if index == 1 else "outro" if index == n_frames else "step")
    lid = str(layer.get("id") or "")
    role = layer.get("role") or "body"
    heading = role == "heading" or lid.endswith("title")
    # Labels and captions ("Step 2 of 6", the brand name) come from templates, not from one value
    # of the story: point at the step, or at the top of the file.
    from_story = role in ("heading", "body") or lid in ("title", "summary", "text", "body", "cta")
    step = frame.get("step")
    step_index = int(step) - 1 if isinstance(step, int) else index - 2
    if kind == "cover":
        return (("title",) if heading else ("summary",)) if from_story else ()
    if kind == "outro":
        return ("cta",) if from_story and not heading else ()
    if kind != "step":
        return ()
    return ("steps", step_index, "title" if heading else "text") if from_story else ("steps", step_index)


def check_manifest(
    guard: GuardConfig,
    safe: Any,
    canvas: tuple[int, int],
    story: Any,
    lang: str,
    manifest_path: Path,
    locator: Locator,
) -> list[Finding]:
    """Run the layout rules on one rendered story/language."""
    out = Emitter(guard, {"story": getattr(story, "id", None), "lang": lang})
    try:
        frames = load_manifest(manifest_path)
    except (OSError, ValueError) as exc:
        out.emit(
            "layout.manifest",
            f"cannot read the render manifest {manifest_path}: {exc}",
            **locator.at(()),
        )
        return out.findings
    steps = getattr(story, "steps", None)
    n_frames = len(steps) + 2 if isinstance(steps, list) else len(frames)
    for position, frame in enumerate(frames, start=1):
        given = frame.get("index")
        index = given if isinstance(given, int) else position
        _check_frame(out, guard, safe, canvas, frame, index, n_frames, lang, manifest_path.parent, locator)
    return out.findings


def _check_frame(
    out: Emitter,
    guard: GuardConfig,
    safe: Any,
    canvas: tuple[int, int],
    frame: dict[str, Any],
    index: int,
    n_frames: int,
    lang: str,
    folder: Path,
    locator: Locator,
) -> None:
    file = frame.get("file")
    width, height = canvas
    picture = _FramePicture(folder / str(file)) if file else None
    if picture is not None:
        if not picture.readable():
            out.emit(
                "layout.manifest",
                f"frame {index} image {file} is missing or unreadable",
                frame=index,
                **locator.at(()),
            )
            picture = None
        else:
            width, height = picture.size
    scale = width / 1080.0
    for layer in frame.get("layers") or frame.get("texts") or []:
        if layer.get("type", "text") != "text":
            continue
        role = layer.get("role") or "body"
        lid = str(layer.get("id") or "?")
        where = {
            "frame": index,
            "layer": lid,
            **locator.at((*story_path(frame, index, n_frames, layer), lang)),
        }
        name = f"frame {index} ({file}) layer {lid!r}"
        box = layer.get("box") or [0, 0, 0, 0]
        x, y, w, h = (float(v) for v in box)
        size = float(layer.get("size") or 0)
        # Safe zone: margins are defined at 1080x1920 and scale with the canvas.
        sx, sy = width / 1080.0, height / 1920.0
        top, bottom = safe.top * sy, height - safe.bottom * sy
        left, right = safe.left * sx, width - safe.right * sx
        if x < left or y < top or x + w > right or y + h > bottom:
            out.emit(
                "layout.safe-zone",
                f"{name} box {[round(v) for v in (x, y, w, h)]} leaves the safe zone "
                f"({round(left)}..{round(right)} x {round(top)}..{round(bottom)} px)",
                **where,
            )
        floor = {"heading": guard.min_size_heading, "body": guard.min_size_body}.get(
            role, guard.min_size_small
        )
        minimum = floor * scale
        if size and size < minimum:
            out.emit(
                "layout.min-size",
                f"{name} ({role}) is drawn at {size:g} px; the minimum is {minimum:g} px",
                **where,
            )
        if layer.get("truncated"):
            out.emit("layout.truncated", f"{name} did not fit and was cut off", **where)
        elif layer.get("shrunk_to_min"):
            out.emit("layout.shrunk", f"{name} shrank to its minimum size ({size:g} px) to fit", **where)
        if picture is not None and layer.get("color") and w > 0 and h > 0 and out.active("layout.contrast"):
            _check_contrast(out, guard, picture, layer, (x, y, w, h), size, scale, name, where)


class _FramePicture:
    """A frame image, decoded only when the contrast memo has not seen its bytes before."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = (0, 0)
        self.digest = ""
        self._data = b""
        self._pixels: Any = None

    def readable(self) -> bool:
        """Whether the file is there and decodes (known from the memo when its bytes were seen)."""
        import hashlib

        try:
            self._data = self.path.read_bytes()
        except OSError:
            return False
        self.digest = hashlib.sha256(self._data).hexdigest()
        known = CONTRAST_MEMO.sizes.get(self.digest)
        if known is not None:
            self.size = known
            return True
        try:
            self.size = self.pixels().size
        except OSError:
            return False
        CONTRAST_MEMO.decoded(self.digest, self.size)
        return True

    def pixels(self) -> Any:
        """The decoded RGB image, from the same bytes the digest was taken of."""
        import io

        from PIL import Image

        if self._pixels is None:
            with Image.open(io.BytesIO(self._data)) as im:
                self._pixels = im.convert("RGB")
        return self._pixels


class ContrastMemo:
    """Contrast ratios already measured in this process, keyed by the frame's content hash and
    everything else the measurement reads (box, colour, size, percentile, emoji boxes).

    A long-lived process (the preview server, the daemon) lints the same frames again after
    every change; only frames whose bytes changed are decoded and measured. ``measured`` counts
    the layers actually measured."""

    def __init__(self, limit: int = 8192) -> None:
        self.limit = limit
        self.ratios: dict[tuple[Any, ...], float] = {}
        self.sizes: dict[str, tuple[int, int]] = {}  # frames that decoded, by content hash
        self.measured = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> float | None:
        return self.ratios.get(key)

    def put(self, key: tuple[Any, ...], ratio: float) -> None:
        with self._lock:
            self.measured += 1
            if len(self.ratios) >= self.limit:
                self.ratios.pop(next(iter(self.ratios)))  # the oldest
            self.ratios[key] = ratio

    def decoded(self, digest: str, size: tuple[int, int]) -> None:
        with self._lock:
            if len(self.sizes) >= self.limit:
                self.sizes.pop(next(iter(self.sizes)))
            self.sizes[digest] = size


CONTRAST_MEMO = ContrastMemo()


def _check_contrast(
    out: Emitter,
    guard: GuardConfig,
    picture: _FramePicture,
    layer: dict[str, Any],
    box: tuple[float, float, float, float],
    size: float,
    scale: float,
    name: str,
    where: dict[str, Any],
) -> None:
    ratio = _measure(guard, picture, layer, box, size)
    if ratio is None:
        return
    large = size >= guard.large_text_size * scale
    needed = guard.min_contrast_large if large else guard.min_contrast
    # 2% slack: JPEG noise moves a colour pair that meets the threshold exactly to just below it.
    if ratio < needed * 0.98:
        out.emit(
            "layout.contrast",
            f"{name} has a contrast of {ratio:.2f}:1 against its background "
            f"({guard.contrast_percentile:g}th percentile); "
            f"{'large ' if large else ''}text needs {needed:g}:1",
            **where,
        )


def _measure(
    guard: GuardConfig,
    picture: _FramePicture,
    layer: dict[str, Any],
    box: tuple[float, float, float, float],
    size: float,
) -> float | None:
    """The layer's contrast ratio (from :data:`CONTRAST_MEMO` when this frame's bytes were
    measured before), or None when the box is empty."""
    import numpy as np

    x, y, w, h = box
    crop_box = (max(0, round(x)), max(0, round(y)), round(x + w), round(y + h))
    emoji = layer.get("emoji")
    emoji_key = json.dumps(emoji, sort_keys=True, default=str) if emoji else ""
    key = (picture.digest, crop_box, str(layer["color"]), size, guard.contrast_percentile, emoji_key)
    known = CONTRAST_MEMO.get(key)
    if known is not None:
        return known
    crop = picture.pixels().crop(crop_box)
    if crop.width == 0 or crop.height == 0:
        return None
    ratio = layer_contrast(
        np.asarray(crop),
        str(layer["color"]),
        size or 40,
        guard.contrast_percentile,
        _emoji_mask(emoji, (round(x), round(y)), (crop.height, crop.width), size or 40),
    )
    CONTRAST_MEMO.put(key, ratio)
    return ratio


def _emoji_mask(
    boxes: Any, origin: tuple[int, int], shape: tuple[int, int], size: float
) -> np.ndarray | None:
    """Colour emoji in the crop (boxes from the manifest, in frame pixels), grown by the
    sample's reach so the ring around the letters next to an emoji does not take its colours."""
    import numpy as np

    if not boxes:
        return None
    mask = np.zeros(shape, dtype=bool)
    pad = max(2, round(size * 0.1))
    ox, oy = origin
    for box in boxes:
        try:
            bx, by, bw, bh = (int(v) for v in box)
        except (TypeError, ValueError):
            continue
        x0, y0 = max(0, bx - ox - pad), max(0, by - oy - pad)
        x1, y1 = min(shape[1], bx - ox + bw + pad), min(shape[0], by - oy + bh + pad)
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] = True
    return mask if mask.any() else None


def render_rules(project: Project, story: Any, lang: str, manifest_path: str | Path) -> list[Finding]:
    """Layout rules (safe zone, minimum size, shrunk/truncated text, contrast) on one render.

    ``manifest_path`` is the renderer's manifest.json for ``story`` in ``lang``; frame image paths
    in it are relative to the manifest's folder.
    """
    guard: GuardConfig = getattr(project.config, "guard", None) or GuardConfig()
    render = project.config.render
    locator = Locator(getattr(story, "source", None), project.root)
    return check_manifest(
        guard, render.safe_zone, (render.width, render.height), story, lang, Path(manifest_path), locator
    )
