"""What the last ``kb build`` into a folder saw, so that the next one redoes only what changed.

One file per output folder in ``.storycast/cache/kb/`` (plain lists, dictionaries, strings and
numbers in Python's ``marshal`` format, which reads and writes its 2.8 MB for 500 builds in a
third of JSON's time; like the compiled templates beside it, only storycast writes it) holds:

- ``frames``: a stamp of everything a story's frame templates see besides the story itself
  (template files, the code that makes their contexts, pictures and fonts, the configuration, Babel's version,
  the system font folders), and per story the story file's size and mtime, the fingerprint
  of each of its builds and, per language, a hash of what that language's frames are made from
  in the story (``collect.language_digests``). When the stamp is unchanged, the story file or
  that language's hash is too, and the build's own record finds every file it read and wrote as
  recorded, the build's frames are current without running its templates (``render``'s full
  check of 500 builds costs a second); an edit of one language's text renders that build only.
- ``manifests``: per build, what the site reads of its manifest, with the manifest file's size
  and mtime (500 manifests hold 18 MB of JSON, mostly what the frames' layers drew).
- ``strings``: the interface catalogue, with the size and mtime of its files.
- ``pages``: per page, the hash of everything its template received, the written file's size and
  mtime, and the characters on it (which web fonts the site ships). A page whose hash and file are
  unchanged is not rendered again.
- ``assets``: the hash of what the CSS, scripts and web fonts are made from, and the files'
  sizes and mtimes.
- ``search``: per tutorial and language, the hash of its searchable text and its words with their
  weights, so only changed texts are segmented again (Thai needs PyThaiNLP's dictionary).
- ``indexes``: per language, the hash of what its search index is made from (each tutorial's
  url, title, summary, category and the hash of its searchable text, in order) and the index
  file's size and mtime: an index whose inputs and file are unchanged is not built again.

Deleting the file costs one full build, never a wrong one: every entry is checked against what
it stands for before it is used.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..project import Project

# 2: manifest summaries keep each frame's cache key (its web image); 3: ``indexes``;
# 4: marshal instead of JSON.
STATE_VERSION = 4
_KB_DIR = Path(__file__).resolve().parent
# Folders whose fonts the frames can fall back on (CJK through fontconfig), as render keys them.
_SYSTEM_FONT_DIRS = ("/var/cache/fontconfig", "/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts")


def stamp(path: Path) -> list[Any] | None:
    """``[size, mtime_ns]`` of a file, None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def tree_stamp(folders: list[Path], pattern: str = "*") -> list[Any]:
    """Every file under ``folders`` (matching ``pattern``; a file stands for itself) with its
    size and mtime."""
    out: list[Any] = []
    for folder in folders:
        if not folder.is_dir():
            out.append([str(folder), stamp(folder)])
            continue
        for p in sorted(folder.rglob(pattern)):
            st = p.stat()
            if not p.is_dir():
                out.append([str(p), st.st_size, st.st_mtime_ns])
    return out


def digest(value: Any) -> str:
    """sha256 of ``value`` as canonical JSON (dataclasses by their fields, dates as ISO text)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plain(o: Any) -> Any:
    """JSON stand-in for the values page contexts hold."""
    if hasattr(o, "__dataclass_fields__"):
        return {"__type": type(o).__name__, **vars(o)}
    if isinstance(o, (set, frozenset)):
        return sorted(o, key=repr)
    if isinstance(o, (tuple, Path)):
        return list(o) if isinstance(o, tuple) else str(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    raise TypeError(f"{type(o).__name__} cannot be hashed for the knowledge base's build state")


_PACKAGE = _KB_DIR.parent


@cache
def code_stamp(*parts: str) -> tuple[tuple[str, Any], ...]:
    """Size and mtime of storycast's modules in ``parts`` (package-relative folders, without
    their sub-folders, or files): the code an output depends on (once per process)."""
    out: list[tuple[str, Any]] = []
    for part in parts:
        path = _PACKAGE / part
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            out.append((file.relative_to(_PACKAGE).as_posix(), stamp(file)))
    return tuple(out)


def frames_stamp(project: Project, base: Path) -> str | None:
    """Everything a story's frame templates see besides the story file, hashed; None when the
    configuration cannot be hashed (then every story gets ``render``'s own check)."""
    from .. import __version__, resources
    from ..render import buildrec
    from ..render.prepare import font_folders
    from ..versions import version_of

    try:
        config = project.config.model_dump(mode="json")
        parts = [
            STATE_VERSION,
            __version__,
            str(base.resolve()),
            buildrec.static_stamp(project),  # the templates and the templating code
            # The code that turns a story into template contexts (as render's own records
            # stamp it: drawing-code changes move the render engine's version, which is in it).
            code_stamp("render", "render/text", "content", "dates.py", "resources.py"),
            tree_stamp([project.assets_dir, resources.assets_dir(), *font_folders(project)]),
            [[d, stamp(Path(d))] for d in _SYSTEM_FONT_DIRS],
            config,
            version_of("babel"),
        ]
        return digest(parts)
    except (TypeError, ValueError, OSError):
        return None


class BuildState:
    """The state file of one output folder (see the module docstring).

    Its sections are replaced by each build, never changed in place: :meth:`save` compares them
    with what was read, and writes nothing when they are equal."""

    def __init__(self, project: Project, out: Path, *, fresh: bool = False) -> None:
        name = hashlib.sha256(str(out.resolve()).encode("utf-8")).hexdigest()[:32]
        self.path = project.state_dir / "cache" / "kb" / f"{name}.state"
        data = _load(self.path)
        self._held = data  # as the file holds it: an unchanged state is not written again
        # Frames, manifests and strings describe the frame builds and the templates, which a
        # new or emptied output folder leaves as they were; what the site holds (its pages and
        # their search words) starts from nothing there.
        self.frames: dict[str, Any] = data.get("frames") or {}
        self.pages: dict[str, list[Any]] = {} if fresh else data.get("pages") or {}
        self.search: dict[str, list[Any]] = {} if fresh else data.get("search") or {}
        self.assets: list[Any] = [] if fresh else data.get("assets") or []
        self.indexes: dict[str, list[Any]] = {} if fresh else data.get("indexes") or {}
        self.manifests: dict[str, list[Any]] = data.get("manifests") or {}
        self.strings: list[Any] = data.get("strings") or []
        # The files the frame checks of this build looked at (not kept: see ``kept.py``).
        self.read: set[str] = set()
        # Per build folder (resolved) the frame checks looked at, the files it wrote as they
        # found them ([name, size, mtime]), None when it was not found current (not kept).
        self.builds: dict[str, list[Any] | None] = {}

    def save(self) -> None:
        """Write the state unless it is what the file holds (a read-only state folder only costs
        the next build its shortcuts)."""
        from ..files import replace_atomically

        data = {
            "version": STATE_VERSION,
            "frames": self.frames,
            "manifests": self.manifests,
            "strings": self.strings,
            "pages": self.pages,
            "search": self.search,
            "assets": self.assets,
            "indexes": self.indexes,
        }
        if data == self._held:  # (a build that found nothing to do: 0.05 s of JSON not written)
            return
        try:
            replace_atomically(self.path, marshal.dumps(data))
            # The same state as an earlier storycast wrote it (JSON): no longer read.
            self.path.with_suffix(".json").unlink(missing_ok=True)
        except (OSError, ValueError):  # (ValueError: a value marshal cannot write)
            pass


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = marshal.loads(path.read_bytes())
    except Exception:  # unreadable, cut short, or not marshal data: a full build
        return {}
    return loaded if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION else {}
