"""Running the ffmpeg binary that the imageio-ffmpeg wheel ships (no system install needed)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ...errors import RenderError


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg executable (``IMAGEIO_FFMPEG_EXE`` overrides the bundled one)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@functools.cache
def ffmpeg_version() -> str:
    """The first line of ``ffmpeg -version`` (part of every cache key: another build encodes differently)."""
    out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


@dataclass
class RunStats:
    seconds: float
    max_rss_kb: int  # peak resident set size of the ffmpeg process (VmHWM on Linux)


def run(args: list[str], *, what: str, file: Path | None = None, hint: str | None = None) -> RunStats:
    """Run ffmpeg with ``args``; RenderError with the tail of its log when it fails.

    Also measures the peak memory of this one child (the benchmark reports it).
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    # getrusage's ru_maxrss is not enough on Linux: exec() folds the high-water mark of the memory
    # the child inherited (a copy of this Python process) into it. /proc/PID/status VmHWM counts
    # only ffmpeg's own memory, so poll it until the process ends. VmHWM is itself a high-water
    # mark, so an unhurried poll loses nothing but growth in its last interval.
    hwm = 0
    status_file = Path(f"/proc/{proc.pid}/status")
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        hwm = max(hwm, _vm_hwm(status_file))
        time.sleep(0.05)
    reader.join()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stats = RunStats(time.perf_counter() - start, hwm or int(usage.ru_maxrss))
    if proc.returncode != 0:
        err = b"".join(chunks)
        tail = (
            " | ".join(err.decode("utf-8", "replace").strip().splitlines()[-3:]) or f"exit {proc.returncode}"
        )
        raise RenderError(
            f"ffmpeg failed while {what}: {tail}", file=file, hint=hint or "see the ffmpeg message"
        )
    return stats


def _vm_hwm(status_file: Path) -> int:
    """Peak resident set size in KiB from /proc/PID/status (0 when unavailable)."""
    try:
        for line in status_file.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass(frozen=True)
class StreamInfo:
    """What ``ffmpeg -i`` says about an input's first audio stream."""

    duration: float | None
    codec: str | None
    sample_rate: int | None
    channels: str | None


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)[^,]*, (\d+) Hz, ([^,]+)")


def inspect_audio(path: Path, *, role: str) -> StreamInfo:
    """Check that ``path`` exists and holds a decodable audio stream; RenderError naming the file if not.

    ``role`` names the input in messages ("background music", "voice-over for step 2").
    """
    path = Path(path)
    if not path.is_file():
        raise RenderError(
            f"the {role} file does not exist",
            file=path,
            hint="fix the path in the story, or remove the option",
        )
    # Decoding a second of audio proves the codec is supported, not only that the header parses.
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-t", "1", "-i", str(path), "-vn", "-f", "null", "-"],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    text = proc.stderr
    m = _AUDIO.search(text)
    if proc.returncode != 0 or m is None:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith(" ")]
        reason = lines[-1] if lines else "no audio stream"
        if m is None and proc.returncode == 0:
            reason = "it has no audio stream"
        raise RenderError(
            f"the {role} file cannot be used: {reason}",
            file=path,
            hint="convert it to a common audio format first (WAV, MP3, AAC/M4A, FLAC, Ogg Vorbis or Opus)",
        )
    d = _DURATION.search(text)
    duration = int(d[1]) * 3600 + int(d[2]) * 60 + float(d[3]) if d else None
    return StreamInfo(duration, m[1], int(m[2]), m[3].strip())
