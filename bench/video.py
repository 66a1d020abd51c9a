"""Benchmark: `storycast render --video` against a competent hand-written ffmpeg command.

What is timed is the command a user runs, in a fresh process: ``storycast render STORY --lang L
--video --video-target instagram`` over a build whose frames are current (so the run is the
video step, plus start-up and the frame check), with the video segment cache emptied before each
run. The baseline draws the very same timeline (storycast's own plan of holds and crossfades,
frame for frame) with one ffmpeg command per part, the way an expert writes it: every frame
decoded once, converted to BT.709 limited-range yuv420p once (``format`` then ``split`` and
``loop``), ``xfade`` between the loops (only its frames in yuv444p, which xfade needs), ``concat``
into one stream, one x264 encode. Two baselines:

- same x264 settings as storycast (preset, CRF, High profile, colour tags, closed GOPs of at most
  5 s with B-frames; storycast also starts a GOP with each cached segment): the fair comparison
  of time;
- x264's defaults at the same preset and CRF (B-frames, 250-frame GOP, scene cuts): what a
  person would type, and the file size to beat.

Quality: each output is compared with a lossless encode (x264 ``-qp 0``) of the same filter
graph: SSIM and PSNR (Y, U, V weighted as ffmpeg reports "All"/"average"), and the file sizes.
Targets (issue 22): size <= 1.2x the expert command at equal SSIM, in <= 0.9x its time.

    python bench/video.py [--rounds 3] [--story speed-test] [--lang en]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from _measure import ROOT, Sample, load_line, paired, ratio_line, row, run
from storycast.render.video import encode
from storycast.render.video.ffmpeg import ffmpeg_exe
from storycast.render.video.plan import plan_parts


def storycast_cmd(out: Path, story: str, lang: str) -> list[str]:
    exe = Path(sys.executable).with_name("storycast")
    return [
        *(str(exe), "--project", str(ROOT), "render", story, "--lang", lang, "--out", str(out)),
        *("--video", "--video-target", "instagram"),
    ]


def plan(build: Path, lang: str):  # type: ignore[no-untyped-def]
    """storycast's plan for this build: (parts, frame paths, limits, options), computed as it does."""
    from storycast.render.buildrec import frames_of
    from storycast.render.videos import _inputs

    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    result = SimpleNamespace(frames=frames_of(manifest), lang=lang, out_dir=build)
    variant, frames, options = _inputs(result, "instagram")  # type: ignore[arg-type]
    parts = plan_parts(
        [f.duration for f in frames],
        [f.transition for f in frames[:-1]],
        fps=options.fps,
        transition_seconds=options.transition_duration,
        max_part_seconds=options.max_part_seconds,
        min_part_seconds=variant.limits.min_seconds,
    )
    return parts, [f.path for f in frames], variant.limits, options


def part_cmd(part, paths, spec, options, encoder: list[str], out: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """One ffmpeg command for one part: decode each frame once, hold and crossfade, one encode."""
    w, h, fps = spec.width, spec.height, options.fps
    uses: dict[int, int] = {}
    for seg in part.segments:
        for i in (seg.a, seg.b):
            if i is not None:
                uses[i] = uses.get(i, 0) + 1
    order = sorted(uses)
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    chains, taken = [], {i: 0 for i in order}
    for n, i in enumerate(order):
        args += ["-i", str(paths[i])]
        outs = "".join(f"[f{i}_{k}]" for k in range(uses[i]))
        chains.append(
            f"[{n}:v]scale={w}:{h}:force_original_aspect_ratio=decrease:{encode._TO_BT709},"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,split={uses[i]}{outs}"
        )

    def take(i: int) -> str:
        taken[i] += 1
        return f"[f{i}_{taken[i] - 1}]"

    for j, seg in enumerate(part.segments):
        loop = f"loop=loop={seg.frames - 1}:size=1,settb=1/{fps},setpts=N"
        if seg.kind == "hold":
            chains.append(f"{take(seg.a)}{loop}[s{j}]")
        else:
            # xfade takes only unsubsampled formats: convert the transition's frames alone (left to
            # ffmpeg, every frame of the part would go to yuv444p through RGB and back before concat).
            chains.append(
                f"{take(seg.a)}{loop},format=yuv444p[a{j}];{take(seg.b)}{loop},format=yuv444p[b{j}]"
            )
            chains.append(
                f"[a{j}][b{j}]xfade=transition={seg.xfade}:duration={seg.frames / fps:.6f}:offset=0,"
                f"format=yuv420p[s{j}]"
            )
    segs = "".join(f"[s{j}]" for j in range(len(part.segments)))
    chains.append(f"{segs}concat=n={len(part.segments)}:v=1:a=0,{encode._TAG_BT709}[v]")
    total = sum(seg.frames for seg in part.segments)
    args += ["-filter_complex", ";".join(chains), "-map", "[v]", "-frames:v", str(total), "-r", str(fps)]
    return [*args, *encoder, "-movflags", "+faststart", str(out)]


def run_parts(cmds: list[list[str]]) -> Sample:
    samples = [run(c) for c in cmds]
    return Sample(sum(s.wall for s in samples), sum(s.cpu for s in samples), samples[-1].load)


def quality(test: Path, ref: Path) -> tuple[float, float, int]:
    """(SSIM All, PSNR average dB, frames) of ``test`` against ``ref``."""
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(test), "-i", str(ref), "-lavfi",
         "[0:v]split[a0][a1];[1:v]split[b0][b1];[a0][b0]ssim;[a1][b1]psnr", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    ssim = float(re.search(r"SSIM .*All:([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    psnr = re.search(r"PSNR .*average:([0-9.]+|inf)", out).group(1)  # type: ignore[union-attr]
    frames = int(re.findall(r"frame=\s*(\d+)", out)[-1])
    return ssim, float(psnr), frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--story", default="speed-test")
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="storycast-bench-video-"))
    try:
        out = tmp / "sc"
        run(storycast_cmd(out, args.story, args.lang)[:-3])  # the frames, untimed: they stay current
        build = out / args.story / args.lang
        parts, paths, spec, options = plan(build, args.lang)
        same = encode._encoder_args(spec, options)
        expert = [
            "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf), "-pix_fmt", "yuv420p",
            "-profile:v", "high", *encode.COLOUR_ARGS,
        ]  # fmt: skip
        lossless = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]
        n = len(parts)
        names = ["story.mp4"] if n == 1 else [f"story-{p.index}.mp4" for p in parts]

        def cmds(encoder: list[str], folder: str, ext: str = "mp4") -> list[list[str]]:
            (tmp / folder).mkdir(exist_ok=True)
            return [
                part_cmd(p, paths, spec, options, encoder, tmp / folder / f"part{p.index}.{ext}")
                for p in parts
            ]

        run_parts(cmds(lossless, "ref", "mkv"))

        def ours(r: int) -> Sample:
            shutil.rmtree(build / ".video-cache", ignore_errors=True)  # every segment encoded again
            for name in names:
                (build / name).unlink(missing_ok=True)
            return run(storycast_cmd(out, args.story, args.lang))

        got = paired(
            {
                "storycast": ours,
                "same": lambda r: run_parts(cmds(same, "same")),
                "expert": lambda r: run_parts(cmds(expert, "expert")),
            },
            args.rounds,
        )
        files = {
            "storycast": [build / name for name in names],
            "same": [tmp / "same" / f"part{p.index}.mp4" for p in parts],
            "expert": [tmp / "expert" / f"part{p.index}.mp4" for p in parts],
        }
        refs = [tmp / "ref" / f"part{p.index}.mkv" for p in parts]
        qual = {}
        for key, paths_ in files.items():
            scores = [quality(f, ref) for f, ref in zip(paths_, refs, strict=True)]
            frames = sum(s[2] for s in scores)
            qual[key] = (
                sum(s[0] * s[2] for s in scores) / frames,
                sum(s[1] * s[2] for s in scores) / frames,
                sum(f.stat().st_size for f in paths_),
                frames,
            )
        seconds = sum(seg.frames for p in parts for seg in p.segments) / options.fps
        print(
            f"\n{args.story} ({args.lang}): {len(paths)} frames, {seconds:.1f} s of video in {n} part(s), "
            f"1080x1920 {options.fps} fps, libx264 {options.preset} crf {options.crf}; "
            f"medians of {args.rounds} paired rounds"
        )
        labels = {
            "storycast": "storycast render --video (cold segments)",
            "same": "ffmpeg, decode once, same x264 settings",
            "expert": "ffmpeg, decode once, x264 defaults",
        }
        for key, label in labels.items():
            ssim, psnr, size, frames = qual[key]
            print(row(label, got[key], 42) + f"  {size / 1e6:5.2f} MB  SSIM {ssim:.4f}  PSNR {psnr:.2f} dB")
        print(ratio_line("storycast / same settings (time)", got["storycast"], got["same"], "", 42))
        print(ratio_line("storycast / x264 defaults (time)", got["storycast"], got["expert"], "<= 0.9x", 42))
        print(
            f"{'storycast / x264 defaults (file size)':42} {qual['storycast'][2] / qual['expert'][2]:.2f}x"
            f"   at SSIM {qual['storycast'][0]:.4f} vs {qual['expert'][0]:.4f}"
            "   (target <= 1.2x at equal SSIM)"
        )
        print(load_line(got))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
