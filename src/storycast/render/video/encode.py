"""``render_video``: still frames -> platform-compliant story MP4s with ffmpeg filter graphs.

Pipeline (see docs/video.md for why):

1. Validate every input up front (frames decode, audio files exist and decode, transitions are
   known, no frame is longer than a part may be) so a bad input fails before anything is encoded.
2. Plan parts, holds and transitions (``plan.py``) in whole output frames.
3. Group them into the segments that are encoded and cached (``pieces``): a transition and the
   hold after it are one segment, so a segment shows one frame's arrival and its time on screen.
4. Encode each segment that is not already in the cache, in one ffmpeg command: every image is
   decoded and converted once (``format=yuv420p``, then ``split`` and ``loop``: convert once, then
   duplicate), a transition blends two frames with ``xfade``; ``zoompan`` only when the slow zoom
   is on. Every segment starts with an IDR picture and is a sequence of closed GOPs with
   B-frames, written with signed composition offsets (``ctts`` version 1), so it presents from
   t = 0 without an edit list and segments join without re-encoding.
5. Join each part's segments with the concat demuxer (``-c copy``), add the audio, write with
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
# 3: a transition and the hold after it are one cached piece, with B-frames and 5 s GOPs;
# 2: limited-range BT.709 output (1 wrote full-range yuvj420p from JPEG frames)
CACHE_VERSION = 3
# Longest GOP: Facebook asks for a closed GOP of 2-5 s (and takes the Instagram file), Telegram for
# a key frame every second. Every piece also starts with an IDR picture; inside a piece the key
# frames are spread evenly (``_key_frames``), so most GOPs are shorter than the longest allowed.
_GOP_SECONDS = {"h264": 5.0, "hevc": 1.0}
# Signed composition offsets (ctts version 1): with B-frames the first frame is presented at t = 0
# without the edit list that platforms refuse (unsigned offsets would show it a few frames late).
_NO_EDIT_LIST = ["-use_editlist", "0"]
_SIGNED_CTS = "+negative_cts_offsets"
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

    # 1. Pieces (cached by content).
    jobs: dict[Path, Piece] = {}
    part_files: list[list[Path]] = []
    for part in parts:
        files = []
        for piece in pieces(part):
            key = _piece_key(piece, frames, digests, spec, options, encoder, total)
            path = cache / f"{key}.mp4"
            files.append(path)
            if not path.exists():
                jobs[path] = piece
        part_files.append(files)
    # Decode-check only the images that are about to be encoded: a cached piece proves its bytes.
    for i in sorted({i for piece in jobs.values() for i in _images(piece)}):
        _check_image(frames[i].path)
    result.segments_reused = sum(len(f) for f in part_files) - len(jobs)
    result.segments_encoded = len(jobs)
    # One more segment at a time than there are CPUs: the next one decodes its images and builds
    # its filter graph while the others encode, and the CPUs stay busy to the last segment.
    cpus = os.cpu_count() or 1
    workers = options.jobs or min(4, cpus + 1)
    # Segments are the parallel work: the CPUs are shared between those encoded at once rather
    # than each x264 also starting threads for every CPU (x264's output does not depend on its
    # thread count, so the cache key leaves it out; x265's can, so it keeps its default).
    run_args = list(encoder)
    if spec.encode_codec == "h264":
        run_args += ["-threads", str(max(1, cpus // max(1, min(workers, len(jobs)))))]
    steps = len(jobs) + len(parts)

    def report(done: int, step: str) -> None:
        if options.progress is not None:
            options.progress(VideoProgress(done, steps, step))

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        # Longest first, so that no long segment starts last and runs alone.
        longest = sorted(jobs.items(), key=lambda job: -sum(seg.frames for seg in job[1]))
        futures = [
            pool.submit(_encode_piece, piece, frames, spec, options, run_args, total, path)
            for path, piece in longest
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

#: One cached segment: the plan's steps it encodes, a hold alone or a transition and the hold after it.
Piece = tuple[Segment, ...]


def pieces(part: PartPlan) -> list[Piece]:
    """``part``'s steps grouped into cached segments: each transition with the hold that follows it.

    A transition starts from the previous frame's picture, so an IDR picture there costs little,
    and the hold after it is coded as changes from the transition (a segment of its own would
    start with a full picture of that frame). A changed frame still re-encodes only the segment
    it arrives in and the one it leaves in.
    """
    out: list[Piece] = []
    for seg in part.segments:
        if seg.kind == "hold" and out and out[-1][-1].kind == "transition":
            out[-1] = (*out[-1], seg)
        else:
            out.append((seg,))
    return out


def _images(piece: Piece) -> list[int]:
    """The frame indices a segment shows, each once, in order of first use."""
    return list(dict.fromkeys(i for seg in piece for i in (seg.a, seg.b) if i is not None))


def _encoder_args(spec: MediaLimits, options: VideoOptions) -> list[str]:
    gop = round(_GOP_SECONDS[spec.encode_codec] * options.fps)
    if spec.encode_codec == "hevc":
        # x265 CRF runs about 4-6 points "higher" than x264 for the same look.
        return [
            "-c:v", "libx265", "-preset", options.preset, "-crf", str(options.crf + 4), "-pix_fmt", "yuv420p",
            "-tag:v", "hvc1", *COLOUR_ARGS,
            "-x265-params", f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:bframes=0:log-level=error",
        ]  # fmt: skip
    # B-frames predict a crossfade from the pictures on either side, and a still frame is mostly
    # skipped blocks: runs of 8 B-frames (the presets allow 3) take a tenth off the bytes of the
    # stories at the same SSIM. The pattern is fixed (b-adapt 0): x264's B-frame decision takes a
    # third of its time on a still frame. Closed GOPs keep every segment self-contained.
    # cabac + 8x8dct keep the stream High profile even with the ultrafast preset.
    return [
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf), "-pix_fmt", "yuv420p",
        "-profile:v", "high", *COLOUR_ARGS, "-forced-idr", "1",
        "-x264-params", f"keyint={gop}:scenecut=0:open-gop=0:bframes=8:b-adapt=0:cabac=1:8x8dct=1",
    ]  # fmt: skip


def _key_frames(frames: int, spec: MediaLimits, options: VideoOptions) -> list[int]:
    """Where a segment of ``frames`` frames starts a GOP: as few GOPs as the longest allowed one
    permits, of even length (a 9 s hold is two GOPs of 4.5 s, not 5 s and 4 s)."""
    gop = round(_GOP_SECONDS[spec.encode_codec] * options.fps)
    count = max(1, -(-frames // gop))
    return [round(k * frames / count) for k in range(count)]


def _piece_key(
    piece: Piece,
    frames: Sequence[VideoFrame],
    digests: list[str],
    spec: MediaLimits,
    options: VideoOptions,
    encoder: list[str],
    total: int,
) -> str:
    steps = [
        {
            "kind": seg.kind,
            "frames": seg.frames,
            "xfade": seg.xfade,
            "a": digests[seg.a],
            "b": digests[seg.b] if seg.b is not None else None,
            # Only what changes pixels goes in: zoom position, progress-bar position.
            "zoom": [seg.a_offset, seg.a_span, seg.b_offset, seg.b_span] if options.zoom else None,
            "progress": [seg.start, total] if options.progress_bar else None,
        }
        for seg in piece
    ]
    data = {
        "v": CACHE_VERSION,
        "ffmpeg": ffmpeg.ffmpeg_version(),
        "enc": encoder,
        "size": [spec.width, spec.height],
        "fps": options.fps,
        "steps": steps,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def _fit(spec: MediaLimits) -> str:
    """Scale and pad one image to the target size, as limited-range BT.709 yuv420p."""
    w, h = spec.width, spec.height
    return (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease:{_TO_BT709},"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
    )


def _still(label: str, n: int, offset: int, span: int, spec: MediaLimits, options: VideoOptions) -> str:
    """Filter chain turning one fitted still image into ``n`` frames."""
    w, h, fps = spec.width, spec.height, options.fps
    if options.zoom:
        big_w, big_h = w * ZOOM_OVERSAMPLE, h * ZOOM_OVERSAMPLE
        z = f"1+{ZOOM_AMOUNT}*(on+{offset})/{max(1, span - 1)}"
        return (
            f"{label}scale={big_w}:{big_h}:flags=bicubic:{_TO_BT709},"
            f"zoompan=z='{z}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d={n}:s={w}x{h}:fps={fps},"
            f"settb=1/{fps},setpts=N"
        )
    # Converted to yuv420p once (``_fit``), then duplicated: far cheaper than converting every frame.
    return f"{label}loop=loop={n - 1}:size=1,settb=1/{fps},setpts=N"


def _progress(src: str, start: int, total: int, spec: MediaLimits, options: VideoOptions) -> str:
    """Overlay an animated progress bar (story-wide) just above the top safe zone.

    A white bar on a light track, inside a thin dark frame so that it reads on light and dark
    frames alike. ``start`` is the segment's first output frame, counted from the story start.
    """
    w, h, fps = spec.width, spec.height, options.fps
    margin, bar_h, y = round(w * 60 / 1080), max(4, round(h * 10 / 1920)), round(h * 232 / 1920)
    edge = max(1, round(w * 2 / 1080))
    bw = w - 2 * margin
    pos = f"-{bw}+{bw}*({start}+1+t*{fps})/{total}"
    return (
        f"color=c=black@0.3:s={bw + 2 * edge}x{bar_h + 2 * edge}:r={fps},format=rgba[edge];"
        f"color=c=white@0.4:s={bw}x{bar_h}:r={fps},format=rgba[track];"
        f"color=c=white:s={bw}x{bar_h}:r={fps},format=rgba[bar];"
        f"[track][bar]overlay=x='{pos}':y=0:eval=frame:shortest=1[fill];"
        f"[edge][fill]overlay=x={edge}:y={edge}:shortest=1[pb];"
        f"{src}[pb]overlay=x={margin - edge}:y={y - edge}:shortest=1,format=yuv420p[tagged]"
    )


def segment_graph(piece: Piece, spec: MediaLimits, options: VideoOptions, total: int) -> str:
    """The filter graph of one segment, ending in ``[v]`` (limited-range BT.709 yuv420p).

    Its inputs are ``_images(piece)`` in order; each is decoded and converted once, then ``split``
    between the steps that show it.
    """
    images = _images(piece)
    uses = {i: sum((seg.a == i) + (seg.b == i) for seg in piece) for i in images}
    chains = []
    for n, i in enumerate(images):
        outs = "".join(f"[f{i}_{k}]" for k in range(uses[i]))
        chains.append(f"[{n}:v]{_fit(spec)}" + (f",split={uses[i]}{outs}" if uses[i] > 1 else outs))
    taken = dict.fromkeys(images, 0)

    def take(i: int) -> str:
        taken[i] += 1
        return f"[f{i}_{taken[i] - 1}]"

    fps = options.fps
    for j, seg in enumerate(piece):
        a = _still(take(seg.a), seg.frames, seg.a_offset, seg.a_span, spec, options)
        if seg.b is None:
            chains.append(f"{a}[s{j}]")
        else:
            b = _still(take(seg.b), seg.frames, seg.b_offset, seg.b_span, spec, options)
            # xfade takes only unsubsampled formats. Asked for here, only the transition's frames
            # are converted; left to ffmpeg, it picks yuv444p for every link up to the concat and
            # converts each frame of the hold there and back, through RGB.
            chains.append(f"{a},format=yuv444p[a{j}];{b},format=yuv444p[b{j}]")
            chains.append(
                f"[a{j}][b{j}]xfade=transition={seg.xfade}:duration={seg.frames / fps:.6f}:offset=0,"
                f"format=yuv420p[s{j}]"
            )
    body = "[body]" if options.progress_bar else "[tagged]"
    steps = "".join(f"[s{j}]" for j in range(len(piece)))
    chains.append(f"{steps}concat=n={len(piece)}:v=1:a=0{body}" if len(piece) > 1 else f"{steps}null{body}")
    if options.progress_bar:
        chains.append(_progress("[body]", piece[0].start, total, spec, options))
    chains.append(f"[tagged]{_TAG_BT709}[v]")
    return ";".join(chains)


def _encode_piece(
    piece: Piece,
    frames: Sequence[VideoFrame],
    spec: MediaLimits,
    options: VideoOptions,
    encoder: list[str],
    total: int,
    dest: Path,
) -> ffmpeg.RunStats:
    inputs = [a for i in _images(piece) for a in ("-i", str(frames[i].path))]
    count = sum(seg.frames for seg in piece)
    keys = "+".join(f"eq(n,{k})" for k in _key_frames(count, spec, options))
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.{id(piece)}.tmp.mp4")
    shown = piece[-1].a  # the frame this segment holds (a transition's hold shows the frame it leads to)
    args = [
        *inputs,
        "-filter_complex", segment_graph(piece, spec, options, total),
        "-map", "[v]", "-frames:v", str(count), "-r", str(options.fps), "-an",
        *encoder, "-force_key_frames", f"expr:{keys}",
        *_NO_EDIT_LIST, "-movflags", _SIGNED_CTS, "-f", "mp4", "-y", str(tmp),
    ]  # fmt: skip
    try:
        stats = ffmpeg.run(args, what=f"encoding frame {shown + 1}", file=frames[shown].path)
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
            "-c:v", "copy", "-r", str(fps), *_NO_EDIT_LIST, "-avoid_negative_ts", "disabled",
            "-movflags", f"+faststart{_SIGNED_CTS}",
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
