"""What a platform sees in an uploaded video, read with ffprobe (FFmpeg's own prober).

The fakes use it to hold story videos to the platforms' documented specs without trusting
storycast's MP4 reader; journey tests use it to say what the platform received.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any


def available() -> bool:
    return shutil.which("ffprobe") is not None


def probe_bytes(data: bytes) -> dict[str, Any]:
    """The first video stream and the format of an MP4 given as bytes (empty dict when unreadable)."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        return probe_file(Path(f.name))


def probe_file(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {}
    doc = json.loads(out.stdout)
    video = next((s for s in doc.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None:
        return {}
    return {**video, "format": doc.get("format", {})}
