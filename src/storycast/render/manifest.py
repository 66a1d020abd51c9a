"""``manifest.json``: what a story/language build contains, for people, guard, video and channels.

One manifest per ``build/<story>/<lang>/``. It lists every frame's file, sha256, kind, alt text,
the text exactly as laid out (per text layer: id, role, box, lines as drawn, size and the fit
outcome) and warnings, plus the cache key that lets a warm build skip unchanged frames. It holds
no timestamps, so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


@dataclass
class FrameRecord:
    """One frame in the manifest."""

    index: int
    file: str
    sha256: str
    kind: str
    template: str
    alt: str
    cache_key: str
    duration: float | None = None
    step: int | None = None
    texts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: texts are already plain JSON data, and asdict's deep copy of every
        # text report is most of a warm build's time.
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def text_report_dict(report: Any) -> dict[str, Any]:
    """A TextReport (dataclass, pydantic model or dict) as plain JSON-able data."""
    if isinstance(report, dict):
        data = dict(report)
    elif is_dataclass(report) and not isinstance(report, type):
        data = asdict(report)
    elif hasattr(report, "model_dump"):
        data = report.model_dump(mode="json")
    else:
        data = {k: v for k, v in vars(report).items() if not k.startswith("_")}
    return json.loads(json.dumps(data, default=_plain, ensure_ascii=False))


def _plain(o: Any) -> Any:
    if isinstance(o, (tuple, set, frozenset)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    return str(o)


def build_manifest(
    *,
    story: str,
    lang: str,
    direction: str,
    title: str,
    source: str | None,
    fmt: str,
    size: tuple[int, int],
    frames: list[FrameRecord],
    contact_sheet: str | None,
    engine: str,
) -> dict[str, Any]:
    """The manifest as a dict (stable key order)."""
    warnings = [f"frame {f.index:02d}: {w}" for f in frames for w in f.warnings]
    return {
        "manifest_version": MANIFEST_VERSION,
        "engine": engine,
        "story": story,
        "lang": lang,
        "dir": direction,
        "title": title,
        "source": source,
        "format": fmt,
        "width": size[0],
        "height": size[1],
        "frame_count": len(frames),
        "frames": [f.to_dict() for f in frames],
        "contact_sheet": contact_sheet,
        "warnings": warnings,
    }


def dumps(manifest: dict[str, Any]) -> bytes:
    """Deterministic JSON bytes (UTF-8, indented, trailing newline)."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def load(path: Path) -> dict[str, Any] | None:
    """A previous manifest, or None when absent or unreadable (then everything re-renders)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("manifest_version") == MANIFEST_VERSION else None
