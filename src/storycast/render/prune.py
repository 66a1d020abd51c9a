"""Keep the render cache (``.storycast/cache/``) from growing forever.

An *entry* is what one cache lookup needs: a cached frame is its image plus its JSON sidecar
(``frames/<xx>/<key>.<fmt>`` + ``<key>.json``, and its web size ``<key>.web`` when it has one);
every other file (build records, compiled templates, support hours, font metadata) is an entry
of its own. An entry's *last use* is the mtime of its sidecar (``FrameCache.get`` touches it on
every hit) or of its file. The image is never touched: it may be a hard link to an output frame,
whose mtime the build records compare.

Pruning removes entries not used for longer than a maximum age, then, least recently used first,
entries until the cache fits a maximum size. It never removes:

- anything outside the cache folder (symlinks inside it are not followed; a cache folder that
  resolves to a filesystem root, a home folder or the project itself is refused);
- an entry used in the last ``IN_USE_S`` seconds (a render running now may be reading it);
- a temp file (an atomic write in progress) or an incomplete frame younger than ``TEMP_S``.

Older temp files and incomplete frames are leftovers of killed writes and are always removed.
Deleting any entry is safe: the next build redraws or recomputes what it needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..context import wall_timestamp
from ..errors import StorycastError
from ..units import format_age, format_size, parse_age, parse_size

if TYPE_CHECKING:
    from ..project import Project

TEMP_S = 3600.0  # a temp file or half-written frame younger than this may be a write in progress
IN_USE_S = 600.0  # an entry used this recently may be read by a render running now
AUTO_EVERY_S = 86400.0  # automatic pruning runs at most once a day
MARKER = ".last-prune"  # in the cache folder; its mtime is the last prune's time

# The size and age grammars live in ``storycast.units``; these names stay for ``cli/cache.py``.
parse_duration = parse_age


def is_temp(name: str) -> bool:
    """A temp file of an atomic write (ours: ``.name.XXXX.tmp``; Jinja's: ``name.cacheXXXX.tmp``)."""
    return name.endswith(".tmp") or (name.startswith(".") and ".tmp" in name)


@dataclass
class Entry:
    """One cache entry: its files, their total size and when it was last used."""

    name: str  # path under the cache folder, without suffix for a frame
    kind: str  # the top folder (frames, builds, support-hours, jinja-...) or "files"
    files: list[Path]
    size: int
    last_used: float
    complete: bool = True  # False: a frame missing its image or sidecar
    mtimes: list[float] = field(default_factory=list)  # of ``files`` when scanned

    def to_dict(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "last_used": iso_time(self.last_used),
            "age_seconds": round(now - self.last_used),
        }


@dataclass
class Scan:
    """What is in a cache folder."""

    root: Path
    entries: list[Entry] = field(default_factory=list)
    temps: list[tuple[Path, int, float]] = field(default_factory=list)  # (path, size, mtime)

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries) + sum(t[1] for t in self.temps)


def iso_time(ts: float) -> str:
    """``ts`` as an ISO 8601 UTC time, to the second."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def check_root(root: Path, project_root: Path | None = None) -> Path:
    """``root`` resolved; StorycastError when pruning it could delete files that are not cache."""
    resolved = root.resolve()
    holders = [Path(resolved.anchor)]
    try:
        holders.append(Path.home().resolve())
    except (RuntimeError, KeyError):
        pass  # no home folder to protect
    if project_root is not None:
        holders.append(project_root.resolve())
    # The cache folder must not be (or contain) the filesystem root, a home or the project.
    if any(resolved == h or resolved in h.parents for h in holders):
        raise StorycastError(
            f"the cache folder {root} resolves to {resolved}, which holds more than the cache",
            hint="point .storycast/cache at a folder of its own (or remove the symlink)",
            file=root,
        )
    return resolved


def _walk(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Regular files under ``folder``, depth first, never following symlinks."""
    try:
        items = list(os.scandir(folder))
    except OSError:
        return
    for item in items:
        try:
            if item.is_dir(follow_symlinks=False):
                yield from _walk(Path(item.path))
            elif item.is_file(follow_symlinks=False) or item.is_symlink():
                yield item
        except OSError:
            continue


def scan(root: Path) -> Scan:
    """Every entry and temp file under the cache folder ``root`` (missing folder: empty)."""
    result = Scan(root)
    if not root.is_dir():
        return result
    frames: dict[str, dict[str, tuple[Path, int, float]]] = {}
    for item in _walk(root):
        path = Path(item.path)
        try:
            st = item.stat(follow_symlinks=False)
        except OSError:
            continue  # removed meanwhile
        rel = path.relative_to(root)
        if rel.as_posix() == MARKER:
            continue
        if is_temp(path.name):
            result.temps.append((path, st.st_size, st.st_mtime))
            continue
        top = rel.parts[0] if len(rel.parts) > 1 else "files"
        if top == "frames":
            stem = rel.with_suffix("").as_posix()
            frames.setdefault(stem, {})[path.suffix.lower()] = (path, st.st_size, st.st_mtime)
            continue
        result.entries.append(
            Entry(rel.as_posix(), top, [path], st.st_size, st.st_mtime, mtimes=[st.st_mtime])
        )
    for stem, parts in frames.items():
        side = parts.get(".json")
        images = [v for k, v in parts.items() if k != ".json"]
        # The sidecar's mtime is the last hit; an image alone is a write not finished (or killed).
        last = side[2] if side is not None else max(v[2] for v in images)
        ordered = ([side] if side else []) + images  # the sidecar first: removed first
        result.entries.append(
            Entry(
                stem,
                "frames",
                [v[0] for v in ordered],
                sum(v[1] for v in ordered),
                last,
                complete=side is not None and bool(images),
                mtimes=[v[2] for v in ordered],
            )
        )
    result.entries.sort(key=lambda e: (e.last_used, e.name))
    return result


@dataclass
class PruneReport:
    """What a prune removed (or, with ``dry_run``, would remove) and what it kept."""

    root: Path
    dry_run: bool
    max_age: float | None
    max_size: int | None
    removed: list[tuple[Entry, str]] = field(default_factory=list)  # (entry, reason)
    temps_removed: list[Path] = field(default_factory=list)
    temps_removed_bytes: int = 0
    kept: list[Entry] = field(default_factory=list)
    kept_in_use: int = 0  # recently used entries kept although the cache is over max_size
    skipped: int = 0  # entries used while the prune ran (left alone)
    failed: list[str] = field(default_factory=list)  # "name: reason" of files that could not go
    now: float = 0.0

    @property
    def removed_bytes(self) -> int:
        return sum(e.size for e, _ in self.removed) + self.temps_removed_bytes

    @property
    def kept_bytes(self) -> int:
        return sum(e.size for e in self.kept)

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        text = (
            f"{verb} {len(self.removed)} entries and {len(self.temps_removed)} stale temp files "
            f"({format_size(self.removed_bytes)}); kept {len(self.kept)} entries "
            f"({format_size(self.kept_bytes)})"
        )
        if self.kept_in_use:
            text += f"; {self.kept_in_use} used in the last {format_age(IN_USE_S)} kept over the size limit"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "cache": str(self.root),
            "dry_run": self.dry_run,
            "max_age_seconds": self.max_age,
            "max_size_bytes": self.max_size,
            "removed": [{**e.to_dict(self.now), "reason": why} for e, why in self.removed],
            "removed_entries": len(self.removed),
            "removed_temp_files": [str(p) for p in self.temps_removed],
            "removed_bytes": self.removed_bytes,
            "kept_entries": len(self.kept),
            "kept_bytes": self.kept_bytes,
            "kept_in_use_over_limit": self.kept_in_use,
            "skipped_used_meanwhile": self.skipped,
            "failed": self.failed,
        }


def plan(scan_: Scan, *, now: float, max_age: float | None, max_size: int | None) -> PruneReport:
    """Decide what to remove (nothing is touched): by age first, then LRU down to ``max_size``."""
    report = PruneReport(scan_.root, True, max_age, max_size, now=now)
    for path, size, mtime in scan_.temps:
        if now - mtime > TEMP_S:
            report.temps_removed.append(path)
            report.temps_removed_bytes += size
    kept: list[Entry] = []
    for e in scan_.entries:  # oldest use first
        age = now - e.last_used
        if not e.complete:
            if age > TEMP_S:
                report.removed.append((e, "incomplete"))
            else:
                kept.append(e)  # maybe a write in progress
        elif max_age is not None and age > max_age and age > IN_USE_S:
            report.removed.append((e, "age"))
        else:
            kept.append(e)
    if max_size is not None:
        total = sum(e.size for e in kept) + sum(t[1] for t in scan_.temps) - report.temps_removed_bytes
        still: list[Entry] = []
        for e in kept:
            if total <= max_size:
                still.append(e)
            elif not e.complete:
                still.append(e)  # a write in progress (older ones were removed above)
            elif now - e.last_used <= IN_USE_S:
                still.append(e)
                report.kept_in_use += 1
            else:
                report.removed.append((e, "size"))
                total -= e.size
        kept = still
    report.kept = kept
    return report


def _remove(entry: Entry, root: Path) -> bool:
    """Delete ``entry``'s files unless one changed since the scan; True when it was removed.

    OSError (a read-only or foreign-owned file) propagates after the files that could go went.
    """
    for path, seen in zip(entry.files, entry.mtimes, strict=True):
        try:
            if path.stat(follow_symlinks=False).st_mtime != seen:
                return False  # hit or rewritten while we were deciding: a render is using it
        except FileNotFoundError:
            continue
    for path in entry.files:
        if root in path.parents:  # never anything outside the cache folder
            path.unlink(missing_ok=True)
    return True


def prune(
    root: Path,
    *,
    max_age: float | None,
    max_size: int | None,
    dry_run: bool = False,
    now: float | None = None,
    project_root: Path | None = None,
) -> PruneReport:
    """Prune the cache folder ``root`` (see the module docstring); ``dry_run`` removes nothing."""
    if not root.is_dir():
        return PruneReport(root, dry_run, max_age, max_size, now=wall_timestamp() if now is None else now)
    base = check_root(root, project_root)
    started = wall_timestamp() if now is None else now
    found = scan(base)
    report = plan(found, now=started, max_age=max_age, max_size=max_size)
    report.root, report.dry_run = root, dry_run
    if dry_run:
        return report
    removed: list[tuple[Entry, str]] = []
    for entry, why in report.removed:
        try:
            gone = _remove(entry, base)
        except OSError as exc:
            report.failed.append(f"{entry.name}: {exc.strerror or exc}")
            report.kept.append(entry)
            continue
        if gone:
            removed.append((entry, why))
        else:
            report.skipped += 1
            report.kept.append(entry)
    report.removed = removed
    temps: list[Path] = []
    for path in report.temps_removed:
        try:
            if base in path.parents:
                path.unlink(missing_ok=True)
                temps.append(path)
        except OSError as exc:
            report.failed.append(f"{path.relative_to(base)}: {exc.strerror or exc}")
    if len(temps) != len(report.temps_removed):
        sizes = {path: size for path, size, _ in found.temps}
        report.temps_removed, report.temps_removed_bytes = temps, sum(sizes[t] for t in temps)
    _mark(base)
    return report


def _mark(root: Path) -> None:
    try:
        (root / MARKER).touch()
    except OSError:
        pass  # a read-only cache: nothing was removed either


def last_prune(root: Path) -> float | None:
    """When the cache was last pruned (the marker's mtime), or None."""
    try:
        return (root / MARKER).stat().st_mtime
    except OSError:
        return None


def cache_root(project: Project) -> Path:
    """The project's render cache folder."""
    return project.state_dir / "cache"


def auto_prune(project: Project, *, now: float | None = None) -> PruneReport | None:
    """Prune with the ``[cache]`` limits if enabled and not done in the last day; never raises.

    Cheap when there is nothing to do: one ``stat`` of the marker file.
    """
    cfg = project.config.cache
    root = cache_root(project)
    at = wall_timestamp() if now is None else now
    if not cfg.auto_prune or not root.is_dir():
        return None
    last = last_prune(root)
    if last is not None and at - last < AUTO_EVERY_S:
        return None
    _mark(root)  # first, so a second render finishing now does not prune too
    try:
        return prune(
            root,
            max_age=parse_duration(cfg.max_age),
            max_size=parse_size(cfg.max_size),
            now=at,
            project_root=project.root,
        )
    except (OSError, ValueError, StorycastError):
        return None  # pruning is housekeeping: it never fails a render


def video_caches(project: Project) -> list[tuple[Path, int, int]]:
    """(folder, files, bytes) of each video segment cache next to the project's outputs.

    These are not pruned here: each video render keeps only the segments of the video it made.
    """
    out: list[tuple[Path, int, int]] = []
    for base in (project.build_dir, project.state_dir / "renders"):
        if not base.is_dir():
            continue
        for folder in sorted(base.glob("**/.video-cache")):
            files = [p for p in folder.rglob("*.mp4") if p.is_file()]
            out.append((folder, len(files), sum(p.stat().st_size for p in files)))
    return out
