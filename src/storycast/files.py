"""Replacing a file atomically: a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_atomically(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    durable: bool = False,
    prefix: str = ".tmp-",
    suffix: str = "",
) -> None:
    """Write ``data`` to a temp file beside ``path`` (same folder, so ``os.replace`` is atomic).

    ``mode``: the file's permissions (``mkstemp`` creates 0600); ``durable``: fsync before the
    rename, for state that must survive a crash (feeds, tokens), not for rebuildable caches.
    ``prefix``/``suffix`` name the temp file, so sweeps of abandoned temp files can find it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
