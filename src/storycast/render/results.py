"""What a render call reports: a finished story/language build and progress events.

The bottom of the pipeline modules (``prepare``, ``finish``, ``scheduler``, ``pipeline``): it
imports none of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import manifest as manifest_mod

Format = Literal["jpg", "png"]
CONTACT_NAME = "contact.png"
FRAME_FILE = re.compile(r"^\d{2,3}\.(jpg|png)$")


@dataclass
class ProgressEvent:
    """One frame finished (drawn, or taken from the cache)."""

    story: str
    lang: str
    frame: int
    cached: bool
    done: int  # frames finished so far, over the whole call
    total: int  # frames in the whole call


ProgressFn = Callable[[ProgressEvent], None]


@dataclass
class RenderResult:
    """What one story/language build produced."""

    story: str
    lang: str
    out_dir: Path
    frames: list[manifest_mod.FrameRecord]
    rendered: int
    cached: int
    seconds: float
    manifest: Path
    contact: Path | None
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [self.out_dir / f.file for f in self.frames]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (what ``storycast render --json`` prints)."""
        return {
            "story": self.story,
            "lang": self.lang,
            "out_dir": str(self.out_dir),
            "frames": len(self.frames),
            "rendered": self.rendered,
            "cached": self.cached,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "manifest": str(self.manifest),
            "contact_sheet": str(self.contact) if self.contact else None,
            "files": [str(p) for p in self.files],
        }
