"""Build records: how a warm ``storycast render`` that finds nothing changed skips templating.

After writing a story/language build, the pipeline records a fingerprint of everything the
templates saw (each frame's template context, alt text and kind; the template files and the
templating code by size and mtime; format, quality, size, fonts, brand) together with the size
and mtime of every file the frames referenced and of every file it wrote. The next build
computes the same fingerprint from the frame plans (cheap: no Jinja, no YAML) and, when it and
every recorded file still match, returns the build as it is on disk.

Anything that cannot be fingerprinted (a context value that is not plain data) simply disables
the shortcut: the full check (render templates, compare cache keys) then runs as before. The
record lives in ``.storycast/cache/builds/``; deleting it only costs one full check.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, resources
from . import cache as cache_mod
from . import manifest as manifest_mod

if TYPE_CHECKING:
    from ..content.models import Story
    from ..project import Project
    from .frames import FramePlan

RECORD_VERSION = 1
_CODE_DIR = Path(__file__).resolve().parent


class _Unhashable(Exception):
    """A template context value that is not plain data."""


def _plain(o: Any) -> Any:
    from .strings import Translator

    if isinstance(o, Translator):
        return {"strings": o.strings, "lang": o.lang, "source": o.source}
    if isinstance(o, (tuple, set, frozenset)):
        return sorted(o, key=repr) if isinstance(o, (set, frozenset)) else list(o)
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    raise _Unhashable(type(o).__name__)


def _stamp(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _tree(folders: Iterable[Path]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for folder in folders:
        if folder.is_dir():
            out.extend(_stamp(p) for p in sorted(folder.rglob("*")) if p.is_file())
    return out


def static_stamp(project: Project) -> str:
    """Size and mtime of the templating code and of every template file, hashed."""
    stamps = [
        [_stamp(p) for p in sorted(_CODE_DIR.glob("*.py"))],
        _tree([project.templates_dir, resources.templates_dir()]),
    ]
    return hashlib.sha256(json.dumps(stamps).encode("utf-8")).hexdigest()


def context_digests(plans: Sequence[FramePlan]) -> list[str] | None:
    """A digest per frame of everything its template sees, or None if some value is not plain
    data. Context values shared by every frame (brand, strings, support hours) are hashed once;
    a frame's digest changes exactly when its own template context does."""
    if not plans:
        return None
    first = plans[0].context
    shared = sorted(k for k, v in first.items() if all(p.context.get(k) is v for p in plans))
    try:
        common = _digest({k: first[k] for k in shared})
        own = [_digest({k: v for k, v in p.context.items() if k not in shared}) for p in plans]
    except (_Unhashable, TypeError, ValueError):
        return None
    return [hashlib.sha256(f"{common}:{d}".encode()).hexdigest() for d in own]


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(
    project: Project,
    story: Story,
    lang: str,
    plans: Sequence[FramePlan],
    *,
    fmt: str,
    fonts: str,
    source: str | None,
    static: str | None = None,
    digests: Sequence[str] | None = None,
) -> str | None:
    """The fingerprint of what the templates of one story/language see, or None if unknowable.

    ``static`` is ``static_stamp(project)``, passed in when fingerprinting many builds at once;
    ``digests`` is ``context_digests(plans)`` when the caller has it already.
    """
    if not plans:
        return None
    if digests is None:
        digests = context_digests(plans)
        if digests is None:
            return None
    cfg = project.config
    payload = {
        "v": [RECORD_VERSION, __version__, cache_mod.ENGINE_VERSION],
        "static": static if static is not None else static_stamp(project),
        "render": [fmt, cfg.render.quality, cfg.render.width, cfg.render.height, fonts, cfg.brand.logo],
        "story": [story.id, lang, source],
        "frames": [
            {
                "index": p.index,
                "kind": p.kind,
                "template": p.template,
                "alt": p.alt,
                "step": p.step,
                "duration": p.duration,
                "extra": p.extra,
                "context": digest,
            }
            for p, digest in zip(plans, digests, strict=True)
        ],
    }
    try:
        return _digest(payload)
    except (_Unhashable, TypeError, ValueError):
        return None


def _record_path(project: Project, out_dir: Path) -> Path:
    name = hashlib.sha256(str(Path(out_dir).resolve()).encode("utf-8")).hexdigest()[:32]
    return project.state_dir / "cache" / "builds" / f"{name}.json"


def _outputs(out_dir: Path, names: Iterable[str]) -> list[list[Any]]:
    return [[n, *_stamp(out_dir / n)[1:]] for n in names]


def check(
    project: Project, out_dir: Path, fp: str, roots: Sequence[Path], frame_file: re.Pattern[str]
) -> dict[str, Any] | None:
    """The build's manifest when the record says nothing changed since it was written, else None.

    ``frame_file`` matches frame file names: a frame file the build did not write (left from
    a longer version of the story) means the folder needs the full pass, which removes it.
    """
    record = _read(project, out_dir)
    if record is None or record.get("fingerprint") != fp:
        return None
    if not _files_unchanged(record, out_dir, roots, frame_file):
        return None
    return manifest_mod.load(out_dir / manifest_mod.MANIFEST_NAME)


def files_current(
    project: Project, out_dir: Path, roots: Sequence[Path], frame_file: re.Pattern[str]
) -> str | None:
    """``check`` without comparing the fingerprint or reading the manifest: the record's
    fingerprint when every file it names (pictures read, files written, the manifest among them)
    is as recorded, else None. For a caller that knows by other means whether the template
    inputs changed (``kb build``)."""
    record = _read(project, out_dir)
    if record is None or not _files_unchanged(record, out_dir, roots, frame_file):
        return None
    return str(record["fingerprint"])


def _read(project: Project, out_dir: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(_record_path(project, out_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("fingerprint") else None


def _files_unchanged(
    record: dict[str, Any], out_dir: Path, roots: Sequence[Path], frame_file: re.Pattern[str]
) -> bool:
    files = cache_mod.files_for_tokens(record.get("tokens", []), roots)
    if [_stamp(p) for p in files] != record.get("inputs"):
        return False
    extra = record.get("extra", [])
    if [_stamp(Path(entry[0])) for entry in extra] != extra:
        return False
    names = [entry[0] for entry in record.get("outputs", [])]
    if not names or _outputs(out_dir, names) != record.get("outputs"):
        return False
    return not any(frame_file.match(p.name) and p.name not in names for p in out_dir.iterdir())


def write(
    project: Project,
    out_dir: Path,
    fp: str | None,
    texts: Sequence[str],
    extra: Sequence[Path],
    roots: Sequence[Path],
    outputs: Sequence[str],
) -> None:
    """Record a finished build (``texts``: every frame's rendered spec; ``outputs``: file names)."""
    path = _record_path(project, out_dir)
    if fp is None:
        path.unlink(missing_ok=True)
        return
    tokens = list(dict.fromkeys(t for text in texts for t in cache_mod.path_tokens(text)))
    files = cache_mod.files_for_tokens(tokens, roots)
    # The logo is named by the config, not the spec: its stamp stands in for a token.
    record = {
        "fingerprint": fp,
        "tokens": tokens,
        "inputs": [_stamp(p) for p in files],
        "extra": [_stamp(p) for p in extra],
        "outputs": _outputs(out_dir, outputs),
    }
    try:
        cache_mod.atomic_write(path, json.dumps(record, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a read-only state folder only costs the next build its full check


def frames_of(manifest: dict[str, Any]) -> list[manifest_mod.FrameRecord]:
    """The manifest's frames as records (what a RenderResult lists)."""
    fields = manifest_mod.FrameRecord.__dataclass_fields__
    return [
        manifest_mod.FrameRecord(**{k: v for k, v in f.items() if k in fields}) for f in manifest["frames"]
    ]
