"""The warm render's fast path: answer `storycast render` from a stamp, before the CLI loads.

A warm ``storycast render`` that finds nothing changed spends most of its time starting up:
importing the command line, loading and validating the project, reading every story. Like a
build tool's up-to-date check, this module answers such a run from a stamp instead:

- after a successful render, ``record()`` writes a stamp for that exact command (its arguments,
  the working folder, the interpreter, the environment variables that reach a render) listing
  the size and modification time of everything the render read or wrote: ``storycast.toml``,
  ``stories/``, ``templates/``, ``assets/``, storycast's own code and resources,
  the site-packages folders (a plugin or library installed or upgraded), every file the build
  records name (pictures referenced from anywhere) and every file in the output folders;
- ``fast_path(argv, wall=...)`` is called by the console entry before the command-line framework is
  imported. When the arguments are ones it understands and every listed file and folder is
  exactly as recorded, it prints what the render would print (every frame cached) and returns
  0; otherwise it returns None and the command runs as usual.

A file changed within the file system's timestamp granularity of the stamp could keep its size
and time; files modified shortly before the stamp was written (100 ms, or two seconds on a file
system that keeps whole seconds) are therefore also recorded by a hash of their bytes, and
checked by it. Anything unusual (an option it does not
know, ``--video``, ``--no-cache``, ``--progress``, an unreadable stamp, a table wider than the
terminal) means None: the fast path can only skip work, never change an outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ..project import Project
    from .results import RenderResult

STAMP_VERSION = 1
# Files younger than this at record time are also recorded by a hash of their bytes: 2 s where
# the file system keeps whole seconds, 100 ms where it keeps finer times (a kernel tick or less).
RACY_NS = 2_000_000_000
RACY_FINE_NS = 100_000_000
_CONFIG = "storycast.toml"
_INPUT_DIRS = ("stories", "templates", "assets")
_SKIP = frozenset({"__pycache__", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
_ENV_PREFIXES = ("STORYCAST_", "PYTHON", "FONTCONFIG", "FC_", "LC_", "LANG")
_VALUE_OPTIONS = {
    "-l": "lang",
    "--lang": "lang",
    "-o": "out",
    "--out": "out",
    "--format": "fmt",
    "-j": "jobs",
    "--jobs": "jobs",
    "-P": "project",
    "--project": "project",
}
_CONTROL = dict.fromkeys((7, 8, 11, 12, 13))
_COLUMNS = (
    ("story", "<"),
    ("lang", "<"),
    ("frames", ">"),
    ("rendered", ">"),
    ("cached", ">"),
    ("warnings", ">"),
    ("seconds", ">"),
)


# --- the command --------------------------------------------------------------------------


def lang_tokens(values: Iterable[str] | None) -> list[str] | None:
    """``-l`` values as the key sees them: codes in order, ``["all"]`` for all, None for none."""
    codes = [code.strip() for value in values or [] for code in value.split(",") if code.strip()]
    if not codes:
        return None
    if any(code.lower() == "all" for code in codes):
        return ["all"]
    return list(dict.fromkeys(codes))


def command_key(
    *,
    root: str,
    stories: Sequence[str],
    lang: Sequence[str] | None,
    out: str | None,
    fmt: str | None,
    jobs: int | None,
    as_json: bool,
) -> str:
    """The stamp's name for one render command (what it renders, where, printed how)."""
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))
    payload = [
        STAMP_VERSION,
        sys.executable,
        sys.version,
        os.getcwd(),
        root,
        list(stories),
        lang_tokens(lang),
        os.path.normpath(os.path.expanduser(out)) if out else None,
        fmt,
        jobs,
        as_json,
        env,
    ]
    return hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()[:32]


def _parse(argv: Sequence[str]) -> dict[str, Any] | None:
    """The render command's arguments, or None for anything this module does not answer."""
    args: dict[str, Any] = {"stories": [], "lang": [], "out": None, "fmt": None, "jobs": None, "json": False}
    project: str | None = None
    seen = False
    i = 0
    while i < len(argv):
        token = argv[i]
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in _VALUE_OPTIONS:
            if not eq:
                if i + 1 >= len(argv):
                    return None
                i += 1
                value = argv[i]
            key = _VALUE_OPTIONS[name]
            if key == "project":
                if project is not None:
                    return None
                project = value
            elif not seen:
                return None
            elif key == "lang":
                args["lang"].append(value)
            elif args[key] is not None:
                return None
            else:
                args[key] = value
        elif token == "--traceback":
            pass
        elif token in ("--json", "--no-progress") and seen:
            args["json"] = args["json"] or token == "--json"
        elif token.startswith("-"):
            return None  # --help, --video, --no-cache, --progress, "--", a typo: the CLI decides
        elif not seen:
            if token != "render":
                return None
            seen = True
        else:
            args["stories"].append(token)
        i += 1
    if not seen or args["fmt"] not in (None, "jpg", "png"):
        return None
    if args["lang"] and lang_tokens(args["lang"]) is None:
        return None  # only commas: the CLI explains
    if args["jobs"] is not None:
        try:
            args["jobs"] = int(args["jobs"])
        except ValueError:
            return None
        if not 1 <= args["jobs"] <= 64:
            return None
    root = _root(project)
    if root is None:
        return None
    args["root"] = root
    return args


def _root(chosen: str | None) -> str | None:
    """The project folder as ``storycast.project.find_root`` finds it; None when unsure."""
    chosen = chosen or os.environ.get("STORYCAST_PROJECT") or None
    try:
        if chosen:
            root = os.path.realpath(os.path.expanduser(chosen))
            return root if os.path.isfile(os.path.join(root, _CONFIG)) else None
        here = os.path.realpath(os.getcwd())
    except (OSError, ValueError):
        return None
    while True:
        if os.path.isfile(os.path.join(here, _CONFIG)):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _stamp_path(root: str, key: str) -> str:
    return os.path.join(root, ".storycast", "cache", "warm", f"{key}.json")


# --- stamps --------------------------------------------------------------------------------


def _walk(top: str, out: list[list[Any]]) -> None:
    """Every file under ``top`` (sorted; caches and VCS folders skipped) as [path, size, mtime]."""
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        out.append([top, None, None])
        return
    for entry in entries:
        if entry.name in _SKIP:
            continue
        try:
            if entry.is_dir():
                _walk(entry.path, out)
                continue
            st = entry.stat()
        except OSError:
            out.append([entry.path, None, None])
            continue
        out.append([entry.path, st.st_size, st.st_mtime_ns])


def _file(path: str) -> list[Any]:
    try:
        st = os.stat(path)
    except OSError:
        return [path, None, None]
    return [path, st.st_size, st.st_mtime_ns]


def _folders(paths: Iterable[str]) -> list[list[Any]]:
    """Folders by modification time only (an entry added or removed changes it)."""
    out = []
    for path in paths:
        try:
            out.append([path, os.stat(path).st_mtime_ns])
        except OSError:
            out.append([path, None])
    return out


def _collect(walk: Sequence[str], files: Sequence[str], folders: Sequence[str]) -> list[Any]:
    entries: list[list[Any]] = []
    for top in walk:
        _walk(top, entries)
    entries.extend(_file(p) for p in files)
    return [entries, _folders(folders)]


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def site_folders() -> list[str]:
    """The interpreter's site-packages folders (their times change when a package comes or goes)."""
    found = {p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)}
    return sorted(found)


def file_stamp(walk: Sequence[str], files: Sequence[str], folders: Sequence[str]) -> dict[str, Any]:
    """``{"stamps", "racy"}``: every file under ``walk`` and each of ``files`` by size and time,
    ``folders`` by time, and the files changed just now also by a hash of their bytes."""
    stamps = _collect(walk, files, folders)
    now = time.time_ns()
    mtimes = [mtime for _, _, mtime in stamps[0] if mtime is not None]
    # File systems that keep sub-millisecond times tick at most every few milliseconds; one
    # that keeps whole seconds (FAT, some network shares) needs the wide window.
    window = RACY_NS if all(m % 1_000_000 == 0 for m in mtimes) else RACY_FINE_NS
    racy = {
        path: _digest(path)
        for path, size, mtime in stamps[0]
        if mtime is not None and mtime >= now - window and size is not None
    }
    return {"stamps": stamps, "racy": racy}


def stamp_holds(stamp: dict[str, Any]) -> bool:
    """Whether every file and folder a stamp lists (``walk``, ``files``, ``folders`` and what
    :func:`file_stamp` made of them) is as it was."""
    if _collect(stamp["walk"], stamp["files"], stamp["folders"]) != stamp["stamps"]:
        return False
    return all(_digest(path) == digest for path, digest in stamp["racy"].items())


# --- writing -------------------------------------------------------------------------------


def record(project: Project, results: Sequence[RenderResult], **command: Any) -> None:
    """Write the stamp for a render command that just succeeded (never raises).

    ``command``: the keyword arguments of :func:`command_key` but ``root`` (stories, lang, out,
    fmt, jobs, as_json), as the command line parsed them.
    """
    try:
        _record(project, results, command)
    except Exception:  # a missing stamp costs the next run its full check, nothing else
        pass


def _record(project: Project, results: Sequence[RenderResult], command: dict[str, Any]) -> None:
    from pathlib import Path

    from .. import resources
    from . import buildrec

    root = os.path.realpath(project.root)
    key = command_key(root=root, **command)
    package = str(Path(__file__).resolve().parent.parent)
    walk = [os.path.join(root, d) for d in _INPUT_DIRS]
    # The packaged templates and assets: inside the package when installed, but the repository
    # root's folders in a checkout, which the package folder does not cover.
    walk += [str(resources.templates_dir()), str(resources.assets_dir())]
    walk = list(dict.fromkeys(walk))
    walk += [package, *sorted({str(r.out_dir) for r in results})]
    files = [os.path.join(root, _CONFIG)]
    for r in results:  # every file a build record names: pictures referenced from anywhere
        try:
            rec = json.loads(buildrec._record_path(project, r.out_dir).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no record, no shortcut: the normal warm check is the only safe one
        files += [entry[0] for entry in (*rec.get("inputs", []), *rec.get("extra", []))]
    files = list(dict.fromkeys(files))
    folders = site_folders()
    marks = file_stamp(walk, files, folders)
    rows = [{**r.to_dict(), "rendered": 0, "cached": len(r.frames), "seconds": 0.0} for r in results]
    stamp = {
        "key": key,
        "walk": walk,
        "files": files,
        "folders": folders,
        **marks,
        "rows": rows,
        "out_dirs": sorted({str(r.out_dir.parent.parent) for r in results}),
        "auto_prune": bool(project.config.cache.auto_prune),
    }
    path = Path(_stamp_path(root, key))
    path.parent.mkdir(parents=True, exist_ok=True)
    from .cache import atomic_write

    atomic_write(path, json.dumps(stamp, ensure_ascii=False).encode("utf-8"))


# --- answering -----------------------------------------------------------------------------


def fast_path(argv: list[str], *, wall: float) -> int | None:
    """The exit status if ``argv`` was answered from the stamp, else None (run the command).

    ``wall``: the real time (a POSIX timestamp from the caller's clock), to tell whether the
    cache's daily prune is due."""
    started = time.perf_counter()
    try:
        args = _parse(argv)
        if args is None:
            return None
        stamp = _current(args)
        if stamp is None or (stamp.get("auto_prune") and _prune_due(args["root"], wall)):
            return None
        text = _render_text(stamp, args, time.perf_counter() - started)
    except Exception:  # whatever went wrong here, the command itself will say it
        return None
    if text is None:
        return None
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `storycast render | head -1`: exit 1 quietly, as the CLI does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _prune_due(root: str, wall: float) -> bool:
    """Whether the cache's daily prune is due at ``wall``: then the command runs in full, and prunes."""
    from .prune import AUTO_EVERY_S, MARKER

    try:
        last = os.stat(os.path.join(root, ".storycast", "cache", MARKER)).st_mtime
    except OSError:
        return True
    return wall - last >= AUTO_EVERY_S


def _current(args: dict[str, Any]) -> dict[str, Any] | None:
    key = command_key(
        root=args["root"],
        stories=args["stories"],
        lang=args["lang"] or None,
        out=args["out"],
        fmt=args["fmt"],
        jobs=args["jobs"],
        as_json=args["json"],
    )
    try:
        with open(_stamp_path(args["root"], key), encoding="utf-8") as fh:
            stamp = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("key") != key:
        return None
    return stamp if stamp_holds(stamp) else None


def _render_text(stamp: dict[str, Any], args: dict[str, Any], elapsed: float) -> str | None:
    rows = stamp["rows"]
    if args["json"]:
        frames = sum(r["frames"] for r in rows)
        seconds = round(elapsed, 3)
        body = {"results": rows, "frames": frames, "rendered": 0, "cached": frames, "seconds": seconds}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    return summary_text(rows, stamp["out_dirs"], elapsed)


def summary_text(rows: Sequence[dict[str, Any]], out_dirs: Sequence[str], elapsed: float) -> str | None:
    """The render summary as ``storycast render`` prints it: a table, warnings, a total line.

    None when stdout is a terminal narrower than the table (the CLI then fits it)."""
    cells = [
        [r["story"], r["lang"], str(r["frames"]), "0", str(r["frames"]), str(len(r["warnings"])), "0.00"]
        for r in rows
    ]
    widths = [max(len(name), *(len(c[i]) for c in cells)) for i, (name, _) in enumerate(_COLUMNS)]
    tty = sys.stdout.isatty()
    if tty:
        try:
            columns = int(os.environ.get("COLUMNS") or os.get_terminal_size(sys.stdout.fileno()).columns)
        except (OSError, ValueError):
            return None
        if sum(widths) + 2 * (len(widths) - 1) > columns:
            return None
    bold = tty and os.environ.get("TERM") != "dumb"

    def line(values: Sequence[str], header: bool = False) -> str:
        parts = []
        for value, width, (_, align) in zip(values, widths, _COLUMNS, strict=True):
            # On a terminal numbers stand right; piped, the table is plain left-aligned text.
            cell = f"{value:{align if tty else '<'}{width}}"
            parts.append(f"\x1b[1m{cell}\x1b[0m" if header and bold else cell)
        return "  ".join(parts).rstrip()

    lines = [line([name for name, _ in _COLUMNS], header=True), *(line(c) for c in cells)]
    for r in rows:
        lines += [f"warning: {r['story']} [{r['lang']}] {w}" for w in r["warnings"]]
    frames = sum(r["frames"] for r in rows)
    lines.append(f"{frames} frames (0 drawn, {frames} cached) in {elapsed:.1f} s -> {', '.join(out_dirs)}")
    # The control characters the CLI's console drops (bell, backspace, vertical tab, form feed, CR).
    return "\n".join(lines).translate(_CONTROL) + "\n"
