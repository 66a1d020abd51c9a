"""Benchmark: story MP4s from still frames (docs/video.md, "Performance").

Same run, same frames (5 steps, 1080x1920, 3 s each, 0.5 s crossfades, libx264 veryfast crf 20):

- storycast ``render_video`` with a cold segment cache;
- the naive moviepy pipeline (ImageClip + CrossFadeIn + concatenate_videoclips + write_videofile);
- a hand-written ffmpeg xfade command (``-loop 1`` inputs, the way it is usually written), and the
  same command with each image decoded once (``loop`` filter) and converted to yuv420p first;
- peak memory of the ffmpeg children for a 60 s story (20 steps);
- an incremental re-render after one step's text changes.

Targets: >= 6x faster than moviepy, <= 1.05x the hand-written xfade time, <= 300 MB per ffmpeg child.

    python bench/video.py [--quick]     (--quick skips moviepy)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storycast.render.video import VideoFrame, VideoOptions, render_video
from storycast.render.video.ffmpeg import ffmpeg_exe

W, H, FPS, STEP, XFADE, PRESET, CRF = 1080, 1920, 30, 3.0, 0.5, "veryfast", 20
ROUNDS = 5
MOVIEPY_ROUNDS = 3


def make_frame(path: Path, number: int, text: str = "Tap Settings, then Privacy") -> Path:
    """A 1080x1920 test frame: a vertical gradient, a big number and a line of text."""
    from PIL import Image, ImageDraw, ImageFont

    top, bottom = (30 + 40 * (number % 5), 40, 160), (220, 90 + 25 * (number % 6), 60)
    grad = Image.linear_gradient("L").resize((W, H))
    im = Image.composite(Image.new("RGB", (W, H), bottom), Image.new("RGB", (W, H), top), grad)
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((90, 1250, W - 90, 1480), radius=40, fill=(255, 255, 255))
    draw.text((W / 2, 820), str(number), font=ImageFont.load_default(size=520), fill="white", anchor="mm")
    draw.text((W / 2, 1365), text, font=ImageFont.load_default(size=60), fill=(30, 30, 60), anchor="mm")
    im.save(path)
    return path


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_storycast(paths: list[Path], out: Path, jobs: int = 0) -> float:
    cache = out.parent / "cache"

    def go() -> None:
        shutil.rmtree(cache, ignore_errors=True)  # cold cache: every segment is encoded
        render_video(
            [VideoFrame(p, STEP) for p in paths],
            out,
            VideoOptions(preset=PRESET, crf=CRF, cache_dir=cache, jobs=jobs),
        )

    return timed(go)


def handwritten_cmd(paths: list[Path], out: Path, decode_once: bool) -> list[str]:
    """The xfade chain a person would write; same 15 s timeline as storycast (transitions centred on cuts)."""
    n = len(paths)
    lengths = [STEP + XFADE / 2 * ((i > 0) + (i < n - 1)) for i in range(n)]
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    chains = []
    for i, p in enumerate(paths):
        if decode_once:
            args += ["-i", str(p)]
            frames = round(lengths[i] * FPS)
            chains.append(f"[{i}:v]format=yuv420p,loop=loop={frames - 1}:size=1,settb=1/{FPS},setpts=N[s{i}]")
        else:
            args += ["-loop", "1", "-framerate", str(FPS), "-t", f"{lengths[i]}", "-i", str(p)]
            chains.append(f"[{i}:v]settb=1/{FPS}[s{i}]")
    last, offset = "[s0]", 0.0
    for i in range(1, n):
        offset += lengths[i - 1] - XFADE
        chains.append(f"{last}[s{i}]xfade=transition=fade:duration={XFADE}:offset={offset:.3f}[x{i}]")
        last = f"[x{i}]"
    tail = "format=yuv420p" if not decode_once else "null"
    chains.append(f"{last}{tail}[v]")
    args += ["-filter_complex", ";".join(chains), "-map", "[v]", "-r", str(FPS)]
    args += ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-movflags", "+faststart", str(out)]
    return args


def run_handwritten(paths: list[Path], out: Path, decode_once: bool) -> float:
    cmd = handwritten_cmd(paths, out, decode_once)
    return timed(lambda: subprocess.run(cmd, check=True))


def run_moviepy(paths: list[Path], out: Path) -> float:
    from moviepy import ImageClip, concatenate_videoclips, vfx

    def go() -> None:
        clips = [ImageClip(str(p)).with_duration(STEP + (XFADE if i else 0)) for i, p in enumerate(paths)]
        clips = [clips[0], *(c.with_effects([vfx.CrossFadeIn(XFADE)]) for c in clips[1:])]
        video = concatenate_videoclips(clips, method="compose", padding=-XFADE)
        video.write_videofile(
            str(out), fps=FPS, codec="libx264", preset=PRESET, ffmpeg_params=["-crf", str(CRF)], logger=None
        )

    return timed(go)


def memory_60s(tmp: Path) -> int:
    paths = [make_frame(tmp / f"long{i:02d}.png", i + 1) for i in range(20)]
    result = render_video(
        [VideoFrame(p, STEP) for p in paths],
        tmp / "long" / "story.mp4",
        VideoOptions(preset=PRESET, crf=CRF, cache_dir=tmp / "long-cache", progress_bar=True),
    )
    assert result.durations == [60.0], result.durations
    return result.max_rss_kb


def incremental(paths: list[Path], tmp: Path) -> tuple[float, float, int, int]:
    out, cache = tmp / "inc" / "story.mp4", tmp / "inc-cache"
    frames = [VideoFrame(p, STEP) for p in paths]
    opts = VideoOptions(preset=PRESET, crf=CRF, cache_dir=cache)
    t = time.perf_counter()
    render_video(frames, out, opts)
    full = time.perf_counter() - t
    make_frame(paths[2], 3, "Tap Settings, then General")  # one step's text changes
    t = time.perf_counter()
    again = render_video(frames, out, opts)
    return full, time.perf_counter() - t, again.segments_encoded, again.segments_reused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow moviepy baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storycast-bench-") as d:
        tmp = Path(d)
        paths = [make_frame(tmp / f"{i:02d}.png", i + 1) for i in range(5)]
        # Rounds interleave the pipelines, and every ratio is taken inside one round, so that load
        # from other processes on a shared machine hits both sides of a ratio alike.
        runs: dict[str, list[float]] = {k: [] for k in ("ours", "ours1", "hand", "once", "moviepy")}
        ratios: dict[str, list[float]] = {k: [] for k in ("ours1", "hand", "once", "moviepy")}
        for r in range(ROUNDS):
            ours = run_storycast(paths, tmp / "ours" / "story.mp4")
            row = {
                "ours1": run_storycast(paths, tmp / "ours1" / "story.mp4", jobs=1),
                "hand": run_handwritten(paths, tmp / "hand.mp4", decode_once=False),
                "once": run_handwritten(paths, tmp / "hand-once.mp4", decode_once=True),
            }
            if not args.quick and r < MOVIEPY_ROUNDS:
                row["moviepy"] = run_moviepy(paths, tmp / "moviepy.mp4")
                ours = (ours + run_storycast(paths, tmp / "ours" / "story.mp4")) / 2  # bracket it
            runs["ours"].append(ours)
            for key, secs in row.items():
                runs[key].append(secs)
                ratios[key].append(secs / ours)
            done = ", ".join(f"{k} {v:.2f} s" for k, v in {"ours": ours, **row}.items())
            print(f"round {r + 1}: {done}", file=sys.stderr)
        rss = memory_60s(tmp)
        full, inc, encoded, reused = incremental(paths, tmp)

    names = {
        "ours": "storycast render_video (cold cache)",
        "ours1": "storycast render_video, jobs=1",
        "hand": "hand-written xfade (-loop 1 inputs)",
        "once": "hand-written xfade (decode once, yuv first)",
        "moviepy": "moviepy 2.2.1 ImageClip + CrossFadeIn",
    }
    med = {k: statistics.median(v) for k, v in runs.items() if v}
    ratio = {k: statistics.median(v) for k, v in ratios.items() if v}
    print(
        f"5 steps x {STEP:g} s, 1080x1920, {XFADE} s crossfades, libx264 {PRESET} crf {CRF}; "
        f"{ROUNDS} interleaved rounds (moviepy: {MOVIEPY_ROUNDS}); medians"
    )
    print(f"{'pipeline':46} {'seconds':>8} {'time / storycast (same round)':>30}")
    for key, secs in med.items():
        shown = "1.00" if key == "ours" else f"{ratio[key]:.2f}"
        print(f"{names[key]:46} {secs:8.2f} {shown:>29}x")
    print()
    print(f"storycast / hand-written (-loop 1):      {1 / ratio['hand']:.2f}  (target <= 1.05)")
    print(f"storycast / hand-written (decode once):  {1 / ratio['once']:.2f}  (target <= 1.05)")
    if "moviepy" in ratio:
        print(f"moviepy / storycast:                      {ratio['moviepy']:.1f}x  (target >= 6)")
    print(f"peak RSS of one ffmpeg child, 60 s story: {rss / 1024:.0f} MB  (target <= 300)")
    print(
        f"re-render after one step's text changed:  {inc:.2f} s vs {full:.2f} s full "
        f"({encoded} segments encoded, {reused} reused)"
    )
    ok = 1 / ratio["once"] <= 1.05 and rss / 1024 <= 300 and ratio.get("moviepy", 6) >= 6
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
