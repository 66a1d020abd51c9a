"""``render_video``: still frames -> platform-compliant story MP4s with ffmpeg filter graphs.

Pipeline (see docs/video.md for why):

1. Validate every input up front (frames decode, audio files exist and decode, transitions are
   known, no frame is longer than a part may be) so a bad input fails before anything is encoded.
2. Plan parts and segments (``plan.py``) in whole output frames.
3. Encode each segment that is not already in the cache: a *hold* decodes its PNG once
   (``format=yuv420p`` then ``loop``: convert once, then duplicate), a *transition* blends two
   frames with ``xfade``; ``zoompan`` only when the slow zoom is on. Every segment starts with an
   IDR picture and uses a fixed closed GOP and no B-frames, so segments join without re-encoding.
4. Join each part's segments with the concat demuxer (``-c copy``), add the audio, write with
   ``+faststart`` and no edit list into a temp file in the output folder, fsync, check the result
   against the target spec with our own probe, and only then ``os.replace`` it into place.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ...errors import RenderError
from ...media import MediaLimits
from . import ffmpeg
from .audio import AUDIO_CODEC_ARGS, part_audio
from .check import check_info
from .model import VideoFrame, VideoOptions, VideoProgress, VideoResult
from .plan import PartPlan, Segment, plan_parts
from .probe import probe
from .specs import resolve_limits

ZOOM_AMOUNT = 0.06  # the slow zoom grows a frame by 6 % over the time it is visible
ZOOM_OVERSAMPLE = 2  # zoompan crops whole pixels; zooming a 2x upscale hides the jitter
CACHE_VERSION = 2  # 2: limited-range BT.709 output (1 wrote full-range yuvj420p from JPEG frames)
# Longest GOP: Facebook asks for a closed GOP of 2-5 s, Telegram for a key frame every second. Every
# segment also starts with an IDR picture, so transitions make some GOPs shorter.
_GOP_SECONDS = {"h264": 4.0, "hevc": 1.0}
# Every story video is 8-bit 4:2:0 in limited ("tv") range with BT.709 colour, and says so in its
# stream (VUI) and container (colr). JPEG frames decode as full range with the BT.601 matrix; left
# alone, that range travels through to a yuvj420p file, which most players show washed out or crushed.
COLOUR_ARGS = [
    "-color_range",
    "tv",
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
]
_TO_BT709 = "out_color_matrix=bt709:out_range=tv"
_TAG_BT709 = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"


def render_video(frames: Sequence[VideoFrame], out: Path, options: VideoOptions | None = None) -> VideoResult:
    """Encode ``frames`` into ``out`` (or ``out``'s stem + ``-1``, ``-2``... when the story is split).

    Returns the written parts. Raises RenderError naming the bad file and the fix when an input
    is unusable or the story cannot meet the target's limits; no partial output is left behind.
    """
    options = options or VideoOptions()
    started = time.perf_counter()
    spec = resolve_limits(options.target)
    out = Path(out)
    if not frames:
        raise RenderError("there are no frames to encode", file=out, hint="render the story's frames first")
    if options.fps < spec.min_fps or options.fps > spec.max_fps:
        raise RenderError(
            f"{options.fps} fps is outside what {spec.name} accepts ({spec.min_fps:g}-{spec.max_fps:g} fps)",
            hint="use the default of 30 fps",
        )
    if options.max_part_seconds > spec.max_seconds:
        raise RenderError(
            f"a part of {options.max_part_seconds:g} s is longer than {spec.name} accepts "
            f"({spec.max_seconds:g} s)",
            hint=f"set max_part_seconds to at most {spec.max_seconds:g}",
        )
    digests = [_digest(f.path) for f in frames]
    voices = _check_audio(options, len(frames))
    parts = plan_parts(
        [f.duration for f in frames],
        [f.transition for f in frames[:-1]],
        fps=options.fps,
        transition_seconds=options.transition_duration,
        max_part_seconds=options.max_part_seconds,
        min_part_seconds=spec.min_seconds,
    )
    _check_voice_lengths(voices, parts, options.fps)
    total = sum(p.length for p in parts)
    cache = Path(options.cache_dir) if options.cache_dir else out.parent / ".video-cache" / spec.name
    cache.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    encoder = _encoder_args(spec, options)
    result = VideoResult(parts=[], durations=[], target=spec.name)

    # 1. Segments (cached by content).
    jobs: dict[Path, Segment] = {}
    part_files: list[list[Path]] = []
    for part in parts:
        files = []
        for seg in part.segments:
            key = _segment_key(seg, frames, digests, spec, options, encoder, total)
            path = cache / f"{key}.mp4"
            files.append(path)
            if not path.exists():
                jobs[path] = seg
        part_files.append(files)
    # Decode-check only the images that are about to be encoded: a cached segment proves its bytes.
    for i in sorted({i for seg in jobs.values() for i in (seg.a, seg.b) if i is not None}):
        _check_image(frames[i].path)
    result.segments_reused = sum(len(f) for f in part_files) - len(jobs)
    result.segments_encoded = len(jobs)
    workers = options.jobs or min(4, os.cpu_count() or 1)
    steps = len(jobs) + len(parts)

    def report(done: int, step: str) -> None:
        if options.progress is not None:
            options.progress(VideoProgress(done, steps, step))

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(_encode_segment, seg, frames, spec, options, encoder, total, path)
            for path, seg in jobs.items()
        ]
        for done, fut in enumerate(concurrent.futures.as_completed(futures), start=1):
            result.max_rss_kb = max(result.max_rss_kb, fut.result().max_rss_kb)
            report(done, f"segment {done}/{len(jobs)}")

    # 2. Parts, into temp files next to their final names; replaced only when all are good.
    names = [out] if len(parts) == 1 else [out.with_name(f"{out.stem}-{p.index}{out.suffix}") for p in parts]
    temps: list[Path] = []
    try:
        for part, files, name in zip(parts, part_files, names, strict=True):
            tmp = name.with_name(f".{name.name}.{os.getpid()}.tmp.mp4")
            temps.append(tmp)
            stats = _mux_part(part, files, tmp, name, options, voices)
            result.max_rss_kb = max(result.max_rss_kb, stats.max_rss_kb)
            _fsync(tmp)
            _self_check(tmp, name, spec)
            result.durations.append(part.seconds(options.fps))
            result.sizes.append(tmp.stat().st_size)
            report(len(jobs) + part.index, f"part {part.index}/{len(parts)}")
        for tmp, name in zip(temps, names, strict=True):
            os.replace(tmp, name)
        _fsync_dir(out.parent)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    _remove_stale(out, names)
    _prune_cache(cache, {p for files in part_files for p in files})
    result.parts = names
    result.seconds = time.perf_counter() - started
    return result


# --- validation ---------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    """sha256 of a frame image (the cache key); RenderError when the file is missing."""
    path = Path(path)
    if not path.is_file():
        raise RenderError(
            "the frame image does not exist", file=path, hint="render the frames before the video"
        )
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_image(path: Path) -> None:
    """RenderError naming ``path`` unless Pillow can decode the whole image."""
    data = Path(path).read_bytes()
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as im:
            im.verify()  # checks structure and checksums without decoding every pixel
        with Image.open(BytesIO(data)) as im:
            if im.format not in ("PNG", "JPEG", "WEBP"):
                raise RenderError(
                    f"the frame is a {im.format} image; the video encoder reads PNG, JPEG or WebP",
                    file=path,
                    hint="render frames with --format png or jpg",
                )
            im.load()
    except RenderError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RenderError(
            f"the frame image is corrupt or truncated ({exc})",
            file=path,
            hint="render the frames again (storycast render)",
        ) from None


def _check_audio(options: VideoOptions, n_frames: int) -> dict[int, tuple[Path, float]]:
    """Check the music and voice-over files; returns {frame index: (voice file, seconds)}."""
    if options.music is not None:
        ffmpeg.inspect_audio(Path(options.music), role="background music")
    voices: dict[int, tuple[Path, float]] = {}
    for index, path in sorted((options.voiceover or {}).items()):
        if not 0 <= index < n_frames:
            raise RenderError(
                f"a voice-over is attached to frame {index + 1}, but the story has {n_frames} frames",
                file=path,
                hint="attach voice-overs to existing steps",
            )
        info = ffmpeg.inspect_audio(Path(path), role=f"voice-over for frame {index + 1}")
        voices[index] = (Path(path), info.duration or 0.0)
    return voices


def _check_voice_lengths(voices: dict[int, tuple[Path, float]], parts: list[PartPlan], fps: int) -> None:
    ends = {}
    for part in parts:
        for i in part.frames:
            ends[i] = part.start + part.length  # a voice may run on until the end of its part
    starts = _frame_starts(parts)
    for i, (path, seconds) in voices.items():
        room = (ends[i] - starts[i]) / fps
        if seconds > room + 0.05:
            raise RenderError(
                f"the voice-over lasts {seconds:.1f} s but only {room:.1f} s remain in its part "
                f"after frame {i + 1} starts",
                file=path,
                hint=f"make frame {i + 1} (or the frames after it) last longer, or shorten the recording",
            )


def _frame_starts(parts: list[PartPlan]) -> dict[int, int]:
    """First output frame (from the story start) of each frame's own share of the timeline."""
    starts: dict[int, int] = {}
    for part in parts:
        pos = part.start
        for seg in part.segments:
            if seg.kind == "hold" and seg.a not in starts:
                # The frame's share begins with the second half of its incoming transition.
                starts[seg.a] = pos - (seg.a_offset - seg.a_offset // 2) if seg.a_offset else pos
            pos += seg.frames
    return starts


# --- segments -----------------------------------------------------------------------------------


def _encoder_args(spec: MediaLimits, options: VideoOptions) -> list[str]:
    gop = round(_GOP_SECONDS[spec.encode_codec] * options.fps)
    if spec.encode_codec == "hevc":
        # x265 CRF runs about 4-6 points "higher" than x264 for the same look.
        return [
            "-c:v", "libx265", "-preset", options.preset, "-crf", str(options.crf + 4), "-pix_fmt", "yuv420p",
            "-tag:v", "hvc1", *COLOUR_ARGS,
            "-x265-params", f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:bframes=0:log-level=error",
        ]  # fmt: skip
    # No B-frames: then no composition offsets, no edit list, and segments concatenate cleanly.
    # cabac + 8x8dct keep the stream High profile even with the ultrafast preset.
    return [
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf), "-pix_fmt", "yuv420p",
        "-profile:v", "high", *COLOUR_ARGS,
        "-x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:bframes=0:cabac=1:8x8dct=1",
    ]  # fmt: skip


def _segment_key(
    seg: Segment,
    frames: Sequence[VideoFrame],
    digests: list[str],
    spec: MediaLimits,
    options: VideoOptions,
    encoder: list[str],
    total: int,
) -> str:
    data = {
        "v": CACHE_VERSION,
        "ffmpeg": ffmpeg.ffmpeg_version(),
        "enc": encoder,
        "size": [spec.width, spec.height],
        "fps": options.fps,
        "kind": seg.kind,
        "frames": seg.frames,
        "xfade": seg.xfade,
        "a": digests[seg.a],
        "b": digests[seg.b] if seg.b is not None else None,
        # Only what changes pixels goes in: zoom position, progress-bar position.
        "zoom": [seg.a_offset, seg.a_span, seg.b_offset, seg.b_span] if options.zoom else None,
        "progress": [seg.start, total] if options.progress_bar else None,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def _prep(label: str, n: int, offset: int, span: int, spec: MediaLimits, options: VideoOptions) -> str:
    """Filter chain turning one still image into ``n`` frames at the target size."""
    w, h, fps = spec.width, spec.height, options.fps
    fit = (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease:{_TO_BT709},"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1"
    )
    if options.zoom:
        big_w, big_h = w * ZOOM_OVERSAMPLE, h * ZOOM_OVERSAMPLE
        z = f"1+{ZOOM_AMOUNT}*(on+{offset})/{max(1, span - 1)}"
        return (
            f"{label}{fit},format=yuv420p,scale={big_w}:{big_h}:flags=bicubic:{_TO_BT709},"
            f"zoompan=z='{z}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d={n}:s={w}x{h}:fps={fps},"
            f"settb=1/{fps},setpts=N"
        )
    # Convert to yuv420p once, then duplicate: far cheaper than converting every output frame.
    return f"{label}{fit},format=yuv420p,loop=loop={n - 1}:size=1,settb=1/{fps},setpts=N"


def _progress(src: str, seg: Segment, total: int, spec: MediaLimits, options: VideoOptions) -> str:
    """Overlay an animated progress bar (story-wide) just above the top safe zone.

    A white bar on a light track, inside a thin dark frame so that it reads on light and dark
    frames alike.
    """
    w, h, fps = spec.width, spec.height, options.fps
    margin, bar_h, y = round(w * 60 / 1080), max(4, round(h * 10 / 1920)), round(h * 232 / 1920)
    edge = max(1, round(w * 2 / 1080))
    bw = w - 2 * margin
    pos = f"-{bw}+{bw}*({seg.start}+1+t*{fps})/{total}"
    return (
        f"color=c=black@0.3:s={bw + 2 * edge}x{bar_h + 2 * edge}:r={fps},format=rgba[edge];"
        f"color=c=white@0.4:s={bw}x{bar_h}:r={fps},format=rgba[track];"
        f"color=c=white:s={bw}x{bar_h}:r={fps},format=rgba[bar];"
        f"[track][bar]overlay=x='{pos}':y=0:eval=frame:shortest=1[fill];"
        f"[edge][fill]overlay=x={edge}:y={edge}:shortest=1[pb];"
        f"{src}[pb]overlay=x={margin - edge}:y={y - edge}:shortest=1,format=yuv420p[tagged]"
    )


def segment_graph(seg: Segment, spec: MediaLimits, options: VideoOptions, total: int) -> str:
    """The filter graph of one segment, ending in ``[v]`` (limited-range BT.709 yuv420p)."""
    body = "[body]" if options.progress_bar else "[tagged]"
    if seg.kind == "hold":
        graph = _prep("[0:v]", seg.frames, seg.a_offset, seg.a_span, spec, options) + body
    else:
        graph = (
            _prep("[0:v]", seg.frames, seg.a_offset, seg.a_span, spec, options)
            + "[a];"
            + _prep("[1:v]", seg.frames, seg.b_offset, seg.b_span, spec, options)
            + "[b];"
            + f"[a][b]xfade=transition={seg.xfade}:duration={seg.frames / options.fps:.6f}:offset=0{body}"
        )
    if options.progress_bar:
        graph += ";" + _progress("[body]", seg, total, spec, options)
    return graph + f";[tagged]{_TAG_BT709}[v]"


def _encode_segment(
    seg: Segment,
    frames: Sequence[VideoFrame],
    spec: MediaLimits,
    options: VideoOptions,
    encoder: list[str],
    total: int,
    dest: Path,
) -> ffmpeg.RunStats:
    inputs = ["-i", str(frames[seg.a].path)]
    if seg.b is not None:
        inputs += ["-i", str(frames[seg.b].path)]
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.{id(seg)}.tmp.mp4")
    args = [
        *inputs,
        "-filter_complex", segment_graph(seg, spec, options, total),
        "-map", "[v]", "-frames:v", str(seg.frames), "-r", str(options.fps), "-an",
        *encoder,
        "-use_editlist", "0", "-f", "mp4", "-y", str(tmp),
    ]  # fmt: skip
    try:
        stats = ffmpeg.run(args, what=f"encoding frame {seg.a + 1}", file=frames[seg.a].path)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return stats


# --- parts --------------------------------------------------------------------------------------


def _mux_part(
    part: PartPlan,
    files: list[Path],
    tmp: Path,
    name: Path,
    options: VideoOptions,
    voices: dict[int, tuple[Path, float]],
) -> ffmpeg.RunStats:
    fps = options.fps
    starts = _frame_starts([part])
    part_voices = [((starts[i] - part.start) / fps, voices[i][0]) for i in part.frames if i in voices]
    audio = part_audio(
        first_input=1,
        part_start=part.start / fps,
        part_seconds=part.length / fps,
        music=Path(options.music) if options.music else None,
        voices=part_voices,
        continuation=part.index > 1,
    )
    with tempfile.TemporaryDirectory(prefix="storycast-concat-") as tmpdir:
        listing = Path(tmpdir) / "segments.ffconcat"
        lines = ["ffconcat version 1.0"]
        for f in files:
            quoted = str(f.resolve()).replace("'", "'\\''")
            lines.append(f"file '{quoted}'")
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        args = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        if audio is not None:
            args += [
                *audio.inputs,
                "-filter_complex",
                audio.graph,
                "-map",
                "0:v",
                "-map",
                "[aout]",
                *AUDIO_CODEC_ARGS,
            ]
        else:
            args += ["-map", "0:v"]
        args += [
            # Keep video at t=0 with a constant frame rate: by default the muxer would shift every
            # stream by the AAC priming delay, and edit lists (the usual fix) are not allowed.
            "-c:v", "copy", "-r", str(fps), "-use_editlist", "0", "-avoid_negative_ts", "disabled",
            "-movflags", "+faststart",
            "-f", "mp4", "-y", str(tmp),
        ]  # fmt: skip
        return ffmpeg.run(args, what=f"joining part {part.index}", file=name)


def _self_check(tmp: Path, name: Path, spec: MediaLimits) -> None:
    """Refuse to publish a file that breaks the target spec (e.g. a story over the size limit)."""
    errors = [v for v in check_info(probe(tmp), spec) if v.severity == "error"]
    if errors:
        first = errors[0]
        hint = (
            "raise --crf (smaller files) or shorten the story"
            if first.rule == "size"
            else "report this as a bug"
        )
        raise RenderError(f"the encoded video breaks the {spec.name} spec: {first}", file=name, hint=hint)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # some filesystems refuse to fsync directories; the data itself is synced
        pass


def _remove_stale(out: Path, names: list[Path]) -> None:
    """Remove parts of an earlier render of the same story that this render did not write."""
    keep = {n.resolve() for n in names}
    candidates = [out, *out.parent.glob(f"{out.stem}-[0-9]*{out.suffix}")]
    for old in candidates:
        tail = old.stem[len(out.stem) + 1 :]
        if old != out and not tail.isdigit():
            continue
        if old.exists() and old.resolve() not in keep:
            old.unlink()


def _prune_cache(cache: Path, used: set[Path]) -> None:
    for f in cache.glob("*.mp4"):
        if f not in used and not f.name.startswith("."):
            f.unlink(missing_ok=True)
