"""Web versions of story frames: 540x960 JPEGs named by the source frame's sha256.

Content-addressed names make incremental builds free (an image already in the site is not
encoded again) and share identical frames between pages. The render makes each frame's web
size where it draws it and keeps it in the frame cache (``render/web.py``): an image whose job
names that file is copied from it. Any other (a cache entry pruned, or made before web sizes
existed) is made here from the frame: libjpeg's DCT scaling (``Image.draft``) reads a 1080x1920
JPEG straight at half size, and the work is spread over forked worker processes (a thread pool
did not overlap it: a cold build's wall time equalled its CPU time).
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..files import FILE_MODE, replace_atomically
from ..render.web import WEB_QUALITY, WEB_WIDTH, web_size

__all__ = ["WEB_QUALITY", "WEB_WIDTH", "ImageJob", "WebImage", "encode_all", "planned", "web_size"]

IMG_DIR = "img"


@dataclass(frozen=True)
class WebImage:
    """One image in the site: its path relative to the site root and its pixel size."""

    path: str
    width: int
    height: int


@dataclass(frozen=True)
class ImageJob:
    source: str  # the frame's file
    sha256: str
    width: int  # of the source frame
    height: int
    web: str | None = None  # the render's web size of this frame (frame cache), when known


def image_name(job: ImageJob) -> str:
    """The file name of ``job``'s image in the site's ``img/`` folder."""
    return f"{job.sha256[:20]}.jpg"


def planned(job: ImageJob) -> WebImage:
    """Where ``job``'s image will live in the site, and its size (known before encoding)."""
    w, h = web_size(job.width, job.height)
    return WebImage(f"{IMG_DIR}/{image_name(job)}", w, h)


def _made(job: ImageJob, size: tuple[int, int]) -> bytes | None:
    """The render's web image of ``job`` if it is there and is a JPEG of ``size``, else None."""
    if job.web is None:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with open(job.web, "rb") as fh:
            data = fh.read()
        with Image.open(io.BytesIO(data)) as im:  # the header only: cheap
            ok = im.format == "JPEG" and im.size == size
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return data if ok else None


def _copy(job: ImageJob, site: Path) -> bool:
    """Copy the render's web image of ``job`` into the site; False if there is none to copy."""
    target = site / planned(job).path
    data = _made(job, web_size(job.width, job.height))
    if data is None:
        return False
    replace_atomically(target, data, mode=FILE_MODE, prefix=f".{target.name}.", suffix=".tmp")
    return True


def _encode(job: ImageJob, site: Path) -> bool:
    from PIL import Image

    target = site / planned(job).path
    w, h = web_size(job.width, job.height)
    with Image.open(job.source) as im:
        im.draft("RGB", (w, h))  # JPEG: decode at reduced scale directly
        im.load()
        img = im if im.mode == "RGB" else im.convert("RGB")
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    # Baseline (not progressive) JPEG: about five times faster to encode, and these are small.
    img.save(buf, "JPEG", quality=WEB_QUALITY)
    replace_atomically(target, buf.getvalue(), mode=FILE_MODE, prefix=f".{target.name}.", suffix=".tmp")
    return True


def _encode_many(batch: list[ImageJob], site: Path) -> int:
    for job in batch:
        _encode(job, site)
    return len(batch)


# Below this many images a pool costs more than it saves (forking, handing out the work).
_POOL_MIN = 16


def encode_all(
    jobs: Iterable[ImageJob],
    site: Path,
    workers: int | None = None,
    *,
    meanwhile: Callable[[], None] | None = None,
    listing: set[str] | None = None,
) -> int:
    """Write every job's web image into ``site``; returns how many were made (not reused).

    An image already in the site is kept: its name is the source frame's hash. ``meanwhile``
    runs in this process while the workers encode (the pages need only the images' names).
    ``listing``: filled with the names in ``img/`` before any was written."""
    unique = {j.sha256: j for j in jobs}
    (site / IMG_DIR).mkdir(parents=True, exist_ok=True)
    present = set(os.listdir(site / IMG_DIR))
    if listing is not None:
        listing.update(present)
    missing = [j for j in unique.values() if image_name(j) not in present]
    # The render's own web images are copied; only frames without one are decoded and encoded.
    todo = [j for j in missing if not _copy(j, site)]
    n = min(workers or os.cpu_count() or 1, os.cpu_count() or 1, 8)
    if n <= 1 or len(todo) < _POOL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile is not None:
            meanwhile()
        for job in todo:
            _encode(job, site)
        return len(missing)
    import PIL.JpegImagePlugin  # noqa: F401  (loaded once here, shared by the forked workers)

    # Small batches, taken by whichever worker is free, so neither waits for the other at the end.
    size = max(1, min(32, len(todo) // (n * 8)))
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    with multiprocessing.get_context("fork").Pool(n) as pool:
        pending = pool.starmap_async(_encode_many, [(b, site) for b in batches], chunksize=1)
        if meanwhile is not None:
            meanwhile()
        pending.get()
        return len(missing)
