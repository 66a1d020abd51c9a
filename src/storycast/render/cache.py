"""Content-hash build cache and atomic file writes.

A frame's cache key is the sha256 of everything that decides its pixels: the rendered spec
YAML text, the bytes of every file the spec references (images, logos), the identity of the font
files (name, size, mtime), the output format and quality, and the engine version. Nothing on a
cache hit loads fonts, Pillow or the Thai dictionary: a warm build only renders templates,
hashes files and compares keys.

Cached frames live under ``.storycast/cache/frames/<key[:2]>/<key>.<fmt>`` next to a JSON
sidecar with what the manifest needs (texts as laid out, warnings) and, for frames drawn in a
story build, ``<key>.web``: the frame at web size (``web.py``), for contact sheets and the
knowledge base. A hit touches the sidecar,
so ``prune.py`` can remove what was not used for a while, least recently used first.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..files import FILE_MODE, replace_atomically
from .web import WEB_SUFFIX

# Bump when drawing code changes output for the same inputs, so stale cache entries are ignored.
ENGINE_VERSION = "render-1"

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
_PATH_KEYS = frozenset({"src", "image", "path", "file", "logo", "source", "background_image"})

_file_hashes: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, memoized per (path, size, mtime) for the life of the process."""
    st = path.stat()
    memo = (str(path), st.st_size, st.st_mtime_ns)
    digest = _file_hashes.get(memo)
    if digest is None:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        _file_hashes[memo] = digest
    return digest


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def referenced_files(data: Any, roots: Iterable[Path]) -> list[Path]:
    """Files a spec refers to: string values under path-like keys or with an image suffix.

    Resolved against each of ``roots`` in order; values that do not name an existing file are
    ignored here (the drawing code reports them with a proper error).
    """
    found: dict[str, Path] = {}
    roots = list(roots)

    def visit(node: Any, key: str | None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                visit(v, str(k))
        elif isinstance(node, list):
            for v in node:
                visit(v, key)
        elif isinstance(node, str) and (key in _PATH_KEYS or node.lower().endswith(IMAGE_SUFFIXES)):
            if len(node) > 400 or "\n" in node:
                return
            for root in roots:
                p = Path(node) if Path(node).is_absolute() else root / node
                if p.is_file():
                    found.setdefault(str(p), p)
                    break

    visit(data, None)
    return [found[k] for k in sorted(found)]


# A token starts where a run of path characters starts (the look-behind) and is at most 400
# characters long: without both, a long run of letters in a text makes the search quadratic
# (a template printing a 100 kB word took minutes here).
_PATHISH = re.compile(r"(?<![\w./\\-])[\w./\\-]{1,400}\.(?:png|jpe?g|webp|gif|bmp|tiff?)\b", re.IGNORECASE)


def files_in_text(text: str, roots: Iterable[Path]) -> list[Path]:
    """Files named anywhere in rendered spec text (image-like tokens that exist under a root).

    Works on the text so a warm build never parses YAML; naming a file in a text layer at worst
    adds that file to the key.
    """
    return files_for_tokens(path_tokens(text), roots)


def path_tokens(text: str) -> list[str]:
    """The image-like tokens of rendered spec text, in first-seen order, without repeats."""
    return list(dict.fromkeys(_PATHISH.findall(text)))


# Look-ups that hold for the length of one render call (many story/language pairs naming the
# same pictures and fonts), and no longer: a long-running preview must see a file that appears.
_call_memo: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("_call_memo", default=None)


@contextlib.contextmanager
def call_memo() -> Iterator[dict[Any, Any]]:
    """Remember path look-ups (``files_for_tokens``, ...) until the block ends."""
    memo = _call_memo.get()
    if memo is not None:  # nested: the outer call's memo serves
        yield memo
        return
    memo = {}
    token = _call_memo.set(memo)
    try:
        yield memo
    finally:
        _call_memo.reset(token)


def active_memo() -> dict[Any, Any] | None:
    """The memo of the render call this runs in, if any."""
    return _call_memo.get()


def files_for_tokens(tokens: Iterable[str], roots: Iterable[Path]) -> list[Path]:
    """The existing files ``tokens`` name under ``roots`` (see ``files_in_text``), sorted."""
    roots = list(roots)
    memo = _call_memo.get()
    if memo is not None:
        tokens = tuple(tokens)
        key = ("files", tokens, tuple(roots))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = _files_for_tokens(tokens, roots)
        return list(hit)
    return _files_for_tokens(tokens, roots)


def _files_for_tokens(tokens: Iterable[str], roots: list[Path]) -> list[Path]:
    found: dict[str, Path] = {}
    for token in tokens:
        rel = Path(token)
        candidates = [rel] if rel.is_absolute() else [root / rel for root in roots]
        if not rel.is_absolute() and len(rel.parts) > 1 and rel.parts[0] in ("assets", "default"):
            candidates += [root / Path(*rel.parts[1:]) for root in roots]
        for p in candidates:
            if p.is_file():
                found.setdefault(str(p), p)
                break
    return [found[k] for k in sorted(found)]


def font_identity(folders: Iterable[Path]) -> str:
    """A cheap fingerprint of the font files in ``folders`` (names, sizes, mtimes; no parsing)."""
    h = hashlib.sha256()
    for folder in folders:
        h.update(str(folder).encode())
        if not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*")):
            if file.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc") and file.is_file():
                st = file.stat()
                h.update(f"{file.relative_to(folder)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def frame_key(
    *,
    spec_text: str,
    files: Iterable[Path],
    fonts: str,
    fmt: str,
    quality: int,
    lang: str,
    size: tuple[int, int],
) -> str:
    """The cache key of one frame."""
    h = hashlib.sha256()
    h.update(f"{ENGINE_VERSION}\n{fmt}:{quality}\n{lang}\n{size[0]}x{size[1]}\n{fonts}\n".encode())
    for f in files:
        h.update(f"{f.name}:{file_sha256(f)}\n".encode())
    h.update(spec_text.encode("utf-8"))
    return h.hexdigest()


class FrameCache:
    """Encoded frames and their manifest data, stored by cache key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, key: str, fmt: str) -> tuple[Path, Path]:
        base = self.folder / key[:2] / key
        return base.with_suffix(f".{fmt}"), base.with_suffix(".json")

    def get(self, key: str, fmt: str) -> tuple[Path, dict[str, Any]] | None:
        """(path of the cached image, its sidecar data), or None on a miss."""
        image, meta = self._paths(key, fmt)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not image.is_file() or data.get("key") != key:
            return None
        touch(meta)
        return image, data

    def web_path(self, key: str) -> Path:
        """Where the web size of the frame stored under ``key`` lives (``render/web.py``)."""
        return (self.folder / key[:2] / key).with_suffix(WEB_SUFFIX)

    def put(
        self,
        key: str,
        fmt: str,
        payload: bytes,
        meta: dict[str, Any],
        written: Path | None = None,
        web: bytes | None = None,
    ) -> None:
        """Store one frame; failures are ignored (the cache is an optimisation, never required).

        ``written`` is the output file holding ``payload``: it is hard-linked instead of copied
        when possible (outputs are replaced, never modified in place, so the link stays valid).
        ``web``: the frame at web size, kept beside it (one cache entry: pruned together).
        """
        image, side = self._paths(key, fmt)
        try:
            if web is not None:
                image.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(self.web_path(key), web)
            image.parent.mkdir(parents=True, exist_ok=True)
            linked = False
            if written is not None and not image.exists():
                try:
                    os.link(written, image)
                    linked = True
                except OSError:
                    linked = False
            if not linked and not image.exists():
                atomic_write(image, payload)
            atomic_write(side, json.dumps({**meta, "key": key}, ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass


def touch(path: Path) -> None:
    """Mark a cache entry used now (its mtime), for pruning by last use; errors are ignored.

    Only sidecars are touched: a cached image may be a hard link to an output frame, whose
    mtime the build records compare.
    """
    with contextlib.suppress(OSError):
        os.utime(path)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and ``os.replace``."""
    replace_atomically(path, data, mode=FILE_MODE, prefix=f".{path.name}.", suffix=".tmp")


@contextlib.contextmanager
def staged(folder: Path) -> Iterator[dict[str, bytes]]:
    """Collect ``{name: bytes}`` and write them all only when the block finishes without error.

    Each file is written atomically; a failure before the end of the block writes nothing.
    """
    pending: dict[str, bytes] = {}
    yield pending
    for name, data in pending.items():
        atomic_write(folder / name, data)
