"""Files: replacing one atomically (a reader sees the old content or the new, never half of it),
and reading a text file a person wrote, with a clear error for every way it can be unreadable.

Every temp-file-and-rename write in storycast goes through this module: ``replace_atomically``
(bytes in memory), ``copy_atomically`` (a file), ``atomic_output``/``atomic_outputs`` (a tool
such as ffmpeg or segno writes a path, committed only when it succeeds) and
``create_exclusively`` (create-if-absent, the first writer wins).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import ContentError, StorycastError


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# The mode a plain open() gives a new file (0666 minus the umask), read once at import: the umask
# can only be read by setting it, which is not safe once threads run. mkstemp creates 0600 files,
# so outputs others read (frames, site images) pass ``mode=FILE_MODE``.
FILE_MODE = _umask_mode()


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


def copy_atomically(
    src: Path,
    dst: Path,
    *,
    mode: int | None = None,
    durable: bool = False,
    prefix: str = ".tmp-",
    suffix: str = "",
) -> None:
    """Copy ``src`` to ``dst`` through a temp file beside ``dst``: a reader (a web server, a
    person opening a pack) never sees half a file. The options are those of
    :func:`replace_atomically`."""
    with atomic_output(dst, prefix=prefix, suffix=suffix, mode=mode, durable=durable) as tmp:
        shutil.copyfile(src, tmp)


@contextmanager
def atomic_output(
    dest: Path,
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    mode: int | None = None,
    durable: bool = False,
) -> Iterator[Path]:
    """A temp path beside ``dest`` for a writer that needs a path; replaces ``dest`` on success.

    The temp file exists (empty) when the block starts. If the block raises, it is removed and
    ``dest`` keeps its old content. ``prefix`` defaults to ``.<dest name>.``; ``suffix`` matters
    to tools that pick a format from the extension (``.png``, ``.mp4``).
    """
    with atomic_outputs([dest], prefix=prefix, suffix=suffix, mode=mode, durable=durable) as temps:
        yield temps[0]


@contextmanager
def atomic_outputs(
    dests: Sequence[Path],
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    mode: int | None = None,
    durable: bool = False,
) -> Iterator[list[Path]]:
    """:func:`atomic_output` for several files committed together: none is replaced unless the
    block succeeds for all of them (the parts of one video)."""
    temps: list[Path] = []
    try:
        for dest in dests:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=f".{dest.name}." if prefix is None else prefix, suffix=suffix, dir=dest.parent
            )
            if mode is not None:
                os.fchmod(fd, mode)
            os.close(fd)
            temps.append(Path(name))
        yield temps
        for temp, dest in zip(temps, dests, strict=True):
            if durable:
                _fsync(temp)
            os.replace(temp, dest)
        if durable:
            for folder in {dest.parent for dest in dests}:
                _fsync(folder)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def create_exclusively(path: Path, data: bytes, *, mode: int = 0o600, durable: bool = True) -> bool:
    """Create ``path`` holding ``data`` unless it exists; ``False`` when it did (theirs wins).

    The file appears complete or not at all: it is written to a temp file and hard-linked into
    place, and the link fails when another process made ``path`` first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """fsync a file or a folder; some filesystems refuse folders, and the data is synced anyway."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


# Larger text inputs are refused before parsing: no story, schedule or config is anywhere near
# this, and a runaway file (a log pasted by mistake) should fail fast instead of eating memory.
MAX_TEXT_BYTES = 16 * 1024 * 1024


def read_text(
    path: Path,
    *,
    error: type[StorycastError] = ContentError,
    what: str = "file",
    secret: bool = False,
    max_bytes: int = MAX_TEXT_BYTES,
) -> str:
    """Read a UTF-8 text file that a person wrote; every way it can be unreadable is an ``error``.

    A UTF-8 byte-order mark is dropped and line endings become ``\\n`` (CRLF and lone CR alike).
    A folder, a missing or unreadable file, a file too large, bytes that are not UTF-8 and NUL
    bytes are reported with the file, the line and column (and the byte offset) and a fix.
    ``secret``: the file holds a secret, so the message never quotes any byte of it.
    """
    try:
        if path.is_dir():
            raise error(
                f"the {what} {path} is a folder, not a file",
                hint="point at a file (or remove the folder and create the file in its place)",
                file=path,
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(
            f"the {what} {path} does not exist",
            hint="check the path (relative paths start at the project folder)",
            file=path,
        ) from None
    except PermissionError:
        raise error(
            f"the {what} {path} cannot be read: permission denied",
            hint="give the user running storycast read access (for example: chmod u+r FILE)",
            file=path,
        ) from None
    except OSError as exc:
        raise error(
            f"the {what} {path} cannot be read: {exc.strerror or type(exc).__name__}",
            hint="check that it is a regular file on a working disk",
            file=path,
        ) from None
    if len(data) > max_bytes:
        raise error(
            f"the {what} {path} is larger than {max_bytes // (1024 * 1024)} MiB",
            hint="split it into several files, or check that this is the file you meant",
            file=path,
        )
    return decode_text(data, path, error=error, what=what, secret=secret)


def decode_text(
    data: bytes,
    path: Path,
    *,
    error: type[StorycastError] = ContentError,
    what: str = "file",
    secret: bool = False,
) -> str:
    """``data`` as text (see :func:`read_text`), or ``error`` pointing at the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(
            f"the {what} is saved as UTF-16, not UTF-8",
            hint="save it again as UTF-8 (in most editors: Save with encoding > UTF-8)",
            file=path,
            line=1,
            column=1,
        )
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_column(data, exc.start)
        byte = "a byte" if secret else f"the byte 0x{data[exc.start]:02X}"
        raise error(
            f"the {what} is not valid UTF-8: {byte} at byte offset {exc.start} cannot be decoded",
            hint="save the file as UTF-8 (it was probably written as Latin-1 or Windows-1252); "
            "most editors offer this under Save with encoding > UTF-8",
            file=path,
            line=line,
            column=column,
        ) from None
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _line_column(data, nul)
        raise error(
            f"the {what} contains a NUL byte (byte offset {nul}): it is binary, not text",
            hint="remove the NUL byte, or check that this is the text file you meant "
            "(a file saved as UTF-16 is full of them: save it as UTF-8)",
            file=path,
            line=line,
            column=column,
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of the byte at ``offset``."""
    start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    return line, len(data[start:offset].decode("utf-8", errors="replace")) + 1
