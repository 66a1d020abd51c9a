"""The kept answer of ``storycast kb build``: a build that would find nothing to do is answered
from a stamp, before the project is loaded.

After a build the command line ran (``cli/_kbfast.py``), :func:`record` writes
``.storycast/cache/kb-kept/<key>.json`` for that exact command (its arguments, the working
folder, the interpreter, the environment variables that reach a build; the eight newest such
files are kept) with what the build printed and a stamp (the size and modification time,
``render/uptodate.py``'s :func:`file_stamp`) of everything the site is made from and of what
it wrote:

- taken before the build (:func:`before`): ``storycast.toml``, every file under ``stories/``,
  ``templates/`` and ``assets/``, storycast's own code and its packaged templates and assets
  (pictures, fonts), the ledger's SQLite files when the pages show the ledger, the
  site-packages folders (a library installed or upgraded) and the system font folders (by
  their modification time);
- taken after it: every file of the frame builds (``build/``; for a build with ``--render``,
  the files each build wrote as its frame check found them, its record, and the folder's time,
  with no second look at the files) and of the site folder but its
  web images (``img/``, by the folder's time: a build keeps an image whose name is there
  without reading it), every picture and other file the builds' records name (found by the
  frame checks) and the folders that hold them and the project folder (a picture added beside
  them may be found first next time).

:func:`answer` gives the kept summary only when every file and folder is as stamped; the next
build then has nothing to do (no page, image, index or frame would change). A ledger that is
not a SQLite file on this machine, or anything unreadable, means no kept answer: the build runs
as usual. Like the warm render's stamp, it can only skip work, never change an outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ..render import uptodate

if TYPE_CHECKING:
    from ..project import Project

VERSION = 1
_SYSTEM_FONT_DIRS = ("/var/cache/fontconfig", "/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts")
# The environment variables that reach a build: storycast's own (the project, the ledger),
# Python's, fontconfig's and the locale's (as for the warm render's stamp), and where fontconfig
# looks for a user's fonts. Others (a terminal's session ids) would only multiply the kept files.
_ENV_PREFIXES = ("STORYCAST_", "PYTHON", "FONTCONFIG", "FC_", "LC_", "LANG")
_ENV_NAMES = frozenset({"HOME", "XDG_DATA_HOME", "XDG_DATA_DIRS", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"})
KEEP_FILES = 8  # kept answers per project (the newest; one per command line and environment)


def _key(root: str, command: dict[str, Any], environ: dict[str, str]) -> str:
    env = sorted((k, v) for k, v in environ.items() if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES)
    payload = [VERSION, sys.executable, sys.version, os.getcwd(), root, command, env]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _path(root: str, key: str) -> str:
    return os.path.join(root, ".storycast", "cache", "kb-kept", f"{key}.json")


# This module is outside the ``kb`` package, whose import loads the site builder (0.1 s): the
# kept answer needs none of it.


def answer(
    project_arg: str | None, environ: dict[str, str], command: dict[str, Any]
) -> dict[str, Any] | None:
    """The summary the build of ``command`` would print, when nothing it reads changed since
    the build that kept it; else None (then the build runs)."""
    started = time.perf_counter()
    try:
        from ..project import find_root

        root = str(find_root(project_arg, environ))
        key = _key(root, command, environ)
        with open(_path(root, key), encoding="utf-8") as fh:
            kept = json.load(fh)
        if not isinstance(kept, dict) or kept.get("key") != key:
            return None
        if not (uptodate.stamp_holds(kept["inputs"]) and uptodate.stamp_holds(kept["outputs"])):
            return None
        summary = dict(kept["summary"])
    except Exception:  # whatever is wrong with the kept file, the build itself will do
        return None
    # What a build that finds nothing to do reports: no image encoded, its own time.
    seconds = time.perf_counter() - started
    summary["images_encoded"] = 0
    summary["seconds"] = round(seconds, 3)
    summary["timings"] = dict.fromkeys(summary.get("timings") or {}, 0.0)
    if "collect" in summary["timings"]:
        summary["timings"]["collect"] = round(seconds, 3)
    return summary


def before(project: Project, command: dict[str, Any]) -> dict[str, Any] | None:
    """The stamp of what the build reads, taken before it runs; None when no answer can be kept."""
    try:
        root = os.path.realpath(project.root)
        files = [os.path.join(root, "storycast.toml")]
        if command.get("ledger"):
            url = project.db_url
            if not url.startswith("sqlite:///") or "?" in url:
                return None  # a ledger elsewhere may change without a file here changing
            db = url[len("sqlite:///") :]
            files += [db, f"{db}-wal", f"{db}-journal"]
        from .. import resources

        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # storycast/
        walk = [os.path.join(root, d) for d in ("stories", "templates", "assets")] + [package]
        # The packaged templates and assets (pictures, fonts): outside the package in a checkout.
        for folder in (str(resources.templates_dir()), str(resources.assets_dir())):
            if not os.path.realpath(folder).startswith(os.path.realpath(package) + os.sep):
                walk.append(folder)
        folders = [*uptodate.site_folders(), *_SYSTEM_FONT_DIRS]
        sources = {"walk": walk, "files": files, "folders": folders}
        return {
            "root": root,
            "key": _key(root, command, project.environ),
            "inputs": {**sources, **uptodate.file_stamp(walk, files, folders)},
        }
    except Exception:
        return None


def record(
    mark: dict[str, Any],
    summary: dict[str, Any],
    build_dirs: list[str],
    read: list[str],
    builds: dict[str, list[Any] | None] | None = None,
    records: str | None = None,
) -> None:
    """Keep ``summary`` (what the build printed) under ``mark`` (:func:`before`), with the stamp
    of the frame builds and the site and of the files the builds' records name (``read``).

    ``builds``: per build folder the frame checks found current, the files it wrote as they
    found them; when every build of the site is there, those stamps stand for the folders'
    files (with each folder's time for a file added or removed, and its record in ``records``),
    else every file under ``build_dirs`` is stamped. Never raises."""
    try:
        files = sorted(set(read))
        # (The project folder among them: the build may add its first folders there.)
        folders = sorted({os.path.dirname(f) for f in files} | {mark["root"]})
        walk: list[str] = []
        known: list[list[Any]] = []
        if builds and records and all(written is not None for written in builds.values()):
            for folder, written in sorted(builds.items()):
                folders.append(folder)
                name = hashlib.sha256(folder.encode("utf-8")).hexdigest()[:32]  # as buildrec names it
                files.append(os.path.join(records, f"{name}.json"))
                known += [[os.path.join(folder, n), size, mtime] for n, size, mtime in written or []]
        else:
            walk += build_dirs
        # The site: every file but the web images, which a build never reads back (it keeps an
        # image whose name is there, see ``images.encode_all``): their folder by its time.
        from ..kb.images import IMG_DIR  # (the build loaded it)

        site = str(summary["out"])
        folders += [site, os.path.join(site, IMG_DIR)]
        for entry in sorted(os.scandir(site), key=lambda e: e.name):
            if entry.name != IMG_DIR:
                (walk if entry.is_dir(follow_symlinks=False) else files).append(entry.path)
        marks = uptodate.file_stamp(walk, files, folders)
        # The builds' files as the checks found them: after the others, as stamp_holds lists them.
        marks["stamps"][0] += known
        marks["racy"].update(_racy(known))
        outputs = {"walk": walk, "files": files + [entry[0] for entry in known], "folders": folders, **marks}
        kept = {"key": mark["key"], "inputs": mark["inputs"], "outputs": outputs, "summary": summary}
        path = _path(mark["root"], mark["key"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from pathlib import Path

        from ..render.cache import atomic_write

        atomic_write(Path(path), json.dumps(kept, ensure_ascii=False).encode("utf-8"))
        _prune(os.path.dirname(path))
    except Exception:  # no kept answer costs the next build its full check, nothing else
        pass


def _racy(entries: list[list[Any]]) -> dict[str, str | None]:
    """Of ``entries`` ([path, size, mtime]), those changed just now, by a hash of their bytes
    (``uptodate.file_stamp``'s rule)."""
    now = time.time_ns()
    mtimes = [mtime for _, _, mtime in entries if mtime is not None]
    window = uptodate.RACY_NS if all(m % 1_000_000 == 0 for m in mtimes) else uptodate.RACY_FINE_NS
    out: dict[str, str | None] = {}
    for path, size, mtime in entries:
        if mtime is not None and size is not None and mtime >= now - window:
            try:
                with open(path, "rb") as fh:
                    out[path] = hashlib.sha256(fh.read()).hexdigest()
            except OSError:
                out[path] = None
    return out


def _prune(folder: str) -> None:
    """Leave the :data:`KEEP_FILES` newest kept answers in ``folder``."""
    held = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".json"):
            held.append((entry.stat().st_mtime_ns, entry.path))
    for _, path in sorted(held, reverse=True)[KEEP_FILES:]:
        try:
            os.unlink(path)
        except OSError:
            pass
