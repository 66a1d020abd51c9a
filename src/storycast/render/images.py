"""Safe image loading for frame layers.

Every picture a frame draws (backgrounds, screenshots, logos) comes through :func:`load_image`,
which

* refuses files that are missing, unreadable, truncated or not images (:class:`RenderError`
  naming the file and the fix);
* refuses decompression bombs: the pixel count is read from the header before any pixel is
  decoded and compared with ``max_pixels`` (:data:`DEFAULT_MAX_PIXELS`, 40 MP, unless the
  caller passes another limit);
* applies the EXIF orientation, converts to sRGB with the embedded ICC profile (ImageCms)
  when there is one, and returns ``RGB`` or ``RGBA``.

Decoded images, fitted (resized) images and blurred backgrounds are cached within the
process by ``(path, mtime, size, parameters)``, so frames of one story that share a
background decode and blur it once. Cached images are shared: callers must not draw on them.

:func:`resolve_image` turns a spec's project-relative ``src`` into a path, looking in the
project root first and then in the asset folders (project assets, then packaged assets).
"""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageCms, ImageFilter, ImageOps

from ..errors import RenderError
from .paths import inside, trusted_roots

DEFAULT_MAX_PIXELS = 40_000_000
"""Largest image (width x height) a frame may load; a 40 MP photo is already far more than 1080x1920."""

Fit = Literal["cover", "contain", "stretch"]

_CACHE_BUDGET = 400_000_000  # bytes of decoded pixels kept per process (about 48 full RGBA frames)


class _ImageCache:
    """A small thread-safe LRU of images, bounded by decoded size rather than by count."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.items: OrderedDict[tuple[Any, ...], Image.Image] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], Image.Image]) -> Image.Image:
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                return hit
        img = make()  # outside the lock: decoding is slow and the result is deterministic
        size = img.width * img.height * len(img.getbands())
        with self.lock:
            if key not in self.items:
                self.items[key] = img
                self.used += size
            while self.used > self.budget and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.used -= old.width * old.height * len(old.getbands())
        return img

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.used = 0


_cache = _ImageCache(_CACHE_BUDGET)
_transforms: dict[str, ImageCms.ImageCmsTransform] = {}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def clear_cache() -> None:
    """Forget every cached image (tests; long-running daemons after assets change)."""
    _cache.clear()
    _transforms.clear()


def resolve_image(src: str, root: Path, asset_dirs: Sequence[Path], *, what: str = "image") -> Path:
    """Find ``src`` (a project-relative path) on disk.

    Looks at ``root / src``, then in each asset folder: ``dir / src``, and, when ``src``
    starts with ``assets/`` or ``default/``, ``dir / <the rest>`` (so a stock template's
    ``assets/samples/x.png`` falls back to the packaged copy). A path that leaves the
    project and asset folders (``../``, absolute, or a symbolic link pointing out) is refused.
    """
    rel = Path(src)
    if rel.is_absolute() or ".." in rel.parts:
        raise RenderError(
            f"the {what} path {src!r} points outside the project",
            hint="write image paths relative to the project folder, such as assets/screens/login.png",
        )
    candidates = [root / rel]
    rest = Path(*rel.parts[1:]) if len(rel.parts) > 1 and rel.parts[0] in ("assets", "default") else None
    for folder in asset_dirs:
        candidates.append(folder / rel)
        if rest is not None:
            candidates.append(folder / rest)
    for path in candidates:
        if path.is_file():
            if not inside(path, trusted_roots(root, asset_dirs)):
                raise RenderError(
                    f"the {what} {src!r} is a link to a file outside the project",
                    hint="copy the file into the project (for example into assets/) instead of linking to it",
                    file=path,
                )
            return path
    where = ", ".join(str(p) for p in [root, *asset_dirs])
    raise RenderError(
        f"the {what} {src!r} does not exist (looked in {where})",
        hint="check the file name and its folder, or add the file to the project's assets/",
        file=root / rel,
    )


def _file_key(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:
        raise RenderError(
            f"the image {path} does not exist", hint="check the path, or add the file", file=path
        ) from None
    return (str(path), st.st_mtime_ns, st.st_size)


def _bad_image(path: Path, why: str) -> RenderError:
    return RenderError(
        f"the image {path} cannot be read: {why}",
        hint="re-export it as PNG or JPEG from an image editor, or replace the file",
        file=path,
    )


def _to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to RGB/RGBA in sRGB, applying the embedded profile when there is one."""
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    target = "RGBA" if has_alpha else "RGB"
    if icc:
        try:
            if img.mode not in ("RGB", "RGBA", "CMYK", "L"):
                img = img.convert(target)
            key = hashlib.sha1(icc).hexdigest() + img.mode + target
            transform = _transforms.get(key)
            if transform is None:
                src_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                transform = ImageCms.buildTransform(
                    src_profile, _SRGB, img.mode, target, renderingIntent=ImageCms.Intent.PERCEPTUAL
                )
                _transforms[key] = transform
            converted = ImageCms.applyTransform(img, transform)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            # A broken or unsupported profile: fall back to treating the pixels as sRGB,
            # which is what browsers and the platforms do too.
            pass
    if img.mode == "CMYK":
        return img.convert("RGB")
    return img if img.mode == target else img.convert(target)


def _decode(path: Path, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                w, h = probe.size
                if w * h > max_pixels:
                    raise _bomb(path, w, h, max_pixels)
                probe.verify()  # structure and checksums, without decoding every pixel
            with Image.open(path) as img:
                img.load()
                icc = img.info.get("icc_profile")
                oriented = ImageOps.exif_transpose(img)
                return _to_srgb(oriented, icc if isinstance(icc, bytes) else None)
    except RenderError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(path, 0, 0, max_pixels) from None
    except FileNotFoundError:
        raise RenderError(
            f"the image {path} does not exist", hint="check the path, or add the file", file=path
        ) from None
    except Image.UnidentifiedImageError:
        raise _bad_image(path, "it is not an image file Pillow recognizes") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _bad_image(path, f"the file is truncated or corrupt ({exc})") from None


def _bomb(path: Path, w: int, h: int, max_pixels: int) -> RenderError:
    size = f" is {w}x{h} ({w * h / 1e6:.0f} MP)" if w and h else " is enormous"
    return RenderError(
        f"the image {path}{size}, more than the {max_pixels / 1e6:g} MP limit",
        hint="resize it to about 2160 px on its longest side before using it in a story",
        file=path,
    )


def load_image(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode ``path`` safely into an sRGB ``RGB``/``RGBA`` image (cached; do not modify it)."""
    key = ("decoded", *_file_key(path), max_pixels)
    return _cache.get_or_make(key, lambda: _decode(path, max_pixels))


def fit_size(src: tuple[int, int], box: tuple[int, int], fit: Fit) -> tuple[int, int]:
    """Size the image takes when fitted to ``box``: cover fills it, contain fits inside it."""
    sw, sh = src
    bw, bh = box
    if fit == "stretch":
        return bw, bh
    scale = max(bw / sw, bh / sh) if fit == "cover" else min(bw / sw, bh / sh)
    return max(1, round(sw * scale)), max(1, round(sh * scale))


def fitted(
    path: Path,
    size: tuple[int, int],
    fit: Fit,
    *,
    focus: tuple[float, float] = (0.5, 0.5),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """The image at ``path`` fitted to ``size`` (cached; do not modify it).

    ``cover`` scales to fill and crops around ``focus`` (fractions of the image, 0.5/0.5 is the
    centre), so the result is exactly ``size``; ``contain`` scales to fit inside, so the result
    may be narrower or shorter; ``stretch`` ignores the aspect ratio.
    """
    key = ("fitted", *_file_key(path), max_pixels, size, fit, focus)

    def make() -> Image.Image:
        img = load_image(path, max_pixels=max_pixels)
        return fit_image(img, size, fit, focus=focus)

    return _cache.get_or_make(key, make)


def fit_image(
    img: Image.Image, size: tuple[int, int], fit: Fit, *, focus: tuple[float, float] = (0.5, 0.5)
) -> Image.Image:
    """Resize ``img`` to ``size`` with the ``fit`` rule (see :func:`fitted`); always a new image."""
    bw, bh = size
    tw, th = fit_size(img.size, size, fit)
    if fit != "cover":
        return img.resize((tw, th), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Crop in source pixels first, so the (slow) resampling only touches what stays visible.
    scale = tw / img.width
    cw, ch = bw / scale, bh / scale
    left = (img.width - cw) * min(max(focus[0], 0.0), 1.0)
    top = (img.height - ch) * min(max(focus[1], 0.0), 1.0)
    return img.resize(
        (bw, bh), Image.Resampling.LANCZOS, box=(left, top, left + cw, top + ch), reducing_gap=3.0
    )


def fast_blur(img: Image.Image, sigma: float) -> Image.Image:
    """Gaussian blur with standard deviation ``sigma`` px, fast for large radii.

    A big blur removes all fine detail, so it is computed on a downscaled copy and scaled
    back up; the result is visually identical to a full-resolution blur and many times faster.
    """
    if sigma <= 0:
        return img.copy()
    factor = int(min(8, sigma // 4)) if sigma >= 8 else 1
    if factor <= 1:
        return img.filter(ImageFilter.GaussianBlur(sigma))
    small = img.resize((max(1, img.width // factor), max(1, img.height // factor)), Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(sigma / factor))
    return small.resize(img.size, Image.Resampling.BILINEAR)


def cached(key: tuple[Any, ...], make: Callable[[], Image.Image]) -> Image.Image:
    """Cache any derived image (a blurred background, a shadow) under ``key`` for this process."""
    return _cache.get_or_make(key, make)


def file_key(path: Path) -> tuple[str, int, int]:
    """``(path, mtime_ns, size)`` of a file, the part of a cache key that changes when it does."""
    return _file_key(path)
