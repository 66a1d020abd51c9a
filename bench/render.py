"""Benchmark: `storycast render` against a hand-written Pillow script, paired in the same run.

Every measurement is the command a user runs, in a fresh process (start-up, imports, fonts and
the Thai dictionary included), over the example tutorials in the five languages the baseline
draws (en, es, th, hi, sr):

- cold:  ``storycast render STORIES --lang ... --no-cache --jobs 1`` vs ``bench/pillow_baseline.py``
         (the same frames drawn straight with Pillow, story YAML read with PyYAML);
         target: storycast CPU <= 1.0x the baseline;
- warm:  ``storycast render`` again over a build where nothing changed; target: >= 50x less than cold;
- jobs:  ``--jobs 2`` vs ``--jobs 1`` (both cold); target: >= 1.8x faster (wall) on 2 cores.

Each round runs every side once, in alternating order; ratios are taken within a round and the
median is quoted, with CPU time (user + system, children included) beside wall time and the load.

The cold and ``--jobs 2`` runs also record when each frame is drawn (``bench/_timeline.py`` wraps
the frame drawing call of the same command): for ``--jobs 2`` the bench prints when the first
frame starts drawing (the serial part: start-up, loading the project, warming up, rendering the
first templates), how long the workers draw, and what follows the last frame (finishing the last
story/language, recording the build, exit). These are wall times, so they grow with the load.
Beside them, the CPU time of the command's own process and of the drawing workers (each counted
to its last frame), which, unlike the wall times, the load hardly changes.

    python bench/render.py [--rounds 5] [--stories reset-router ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _measure import ROOT, Sample, load_line, paired, ratio_line, row, run

STORIES = ["reset-router", "two-factor-login", "update-firmware"]
LANGS = "en,es,th,hi,sr"


def storycast(out: Path, stories: list[str], *extra: str) -> list[str]:
    exe = Path(sys.executable).with_name("storycast")
    return [str(exe), "--project", str(ROOT), "render", *stories, "--lang", LANGS, "--out", str(out), *extra]


def count_frames(out: Path) -> int:
    return sum(1 for _ in out.rglob("[0-9][0-9].jpg"))


def timed(cmd: list[str], timeline: Path, into: list[dict[str, float]]) -> Sample:
    """Run a storycast command through ``_timeline.py``; keep when its frames were drawn."""
    timeline.unlink(missing_ok=True)
    started = time.time()
    sample = run(
        [sys.executable, str(ROOT / "bench" / "_timeline.py"), str(timeline), str(started), *cmd[1:]]
    )
    records = [json.loads(line) for line in timeline.read_text(encoding="utf-8").splitlines()]
    frames = [r for r in records if "exit" not in r]
    command = next(r for r in records if "exit" in r)
    workers: dict[int, float] = {}  # a worker's CPU time when it finished its last frame
    for f in frames:
        if f["pid"] != command["pid"]:
            workers[f["pid"]] = max(workers.get(f["pid"], 0.0), f["cpu"])
    into.append(
        {
            "first": min(f["start"] for f in frames),
            "last": max(f["end"] for f in frames),
            "tail": sample.wall - max(f["end"] for f in frames),
            "procs": len({f["pid"] for f in frames}),
            "command_cpu": command["cpu"],
            "workers_cpu": sum(workers.values()),
            "spread": (max(workers.values()) - min(workers.values())) if len(workers) > 1 else 0.0,
        }
    )
    return sample


def timeline_line(label: str, got: list[dict[str, float]], width: int = 44) -> str:
    def m(key: str) -> str:
        vals = [g[key] for g in got]
        return f"{statistics.median(vals):.2f} s ({min(vals):.2f}-{max(vals):.2f})"

    text = (
        f"{label:{width}} first frame from {m('first')}, last done at {m('last')}, "
        f"then {m('tail')} to the end; {max(g['procs'] for g in got):.0f} drawing processes; "
        f"CPU of the command's process {m('command_cpu')}"
    )
    if any(g["workers_cpu"] for g in got):
        text += f", of the workers {m('workers_cpu')} (between the busiest and the least {m('spread')})"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stories", nargs="*", default=STORIES)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="storycast-bench-"))
    stories = args.stories

    def fresh(name: str) -> Path:
        shutil.rmtree(tmp / name, ignore_errors=True)
        return tmp / name

    lines: dict[str, list[dict[str, float]]] = {"cold": [], "jobs2": []}
    sides = {
        "baseline": lambda r: run(
            [sys.executable, "bench/pillow_baseline.py", "--lang", LANGS, "--out", str(fresh("bl")), *stories]
        ),
        "cold": lambda r: timed(
            storycast(fresh("cold"), stories, "--no-cache", "--jobs", "1"), tmp / "cold.jsonl", lines["cold"]
        ),
        "warm": lambda r: run(storycast(tmp / "warm", stories, "--jobs", "1")),
        "jobs2": lambda r: timed(
            storycast(fresh("j2"), stories, "--no-cache", "--jobs", "2"), tmp / "j2.jsonl", lines["jobs2"]
        ),
    }
    try:
        run(storycast(tmp / "warm", stories, "--jobs", "1"))  # the build the warm runs find unchanged
        print(
            f"render bench: {args.rounds} rounds after 1 warm-up, sides in alternating order", file=sys.stderr
        )
        got: dict[str, list[Sample]] = paired(sides, args.rounds, warmup=1)
        frames = count_frames(tmp / "cold")
        if frames != count_frames(tmp / "bl"):
            raise SystemExit("bench: storycast and the baseline drew different frame counts")
        print(f"\n{frames} frames ({', '.join(stories)}; {LANGS}); medians of {args.rounds} paired rounds")
        print(row("hand-written Pillow baseline", got["baseline"]))
        print(row("storycast render --no-cache --jobs 1 (cold)", got["cold"]))
        print(row("storycast render, nothing changed (warm)", got["warm"]))
        print(row("storycast render --no-cache --jobs 2", got["jobs2"]))
        print(ratio_line("cold / baseline", got["cold"], got["baseline"], "cpu <= 1.0x"))
        print(ratio_line("cold / warm (times faster)", got["cold"], got["warm"], ">= 50x"))
        print(ratio_line("jobs 1 / jobs 2 (times faster)", got["cold"], got["jobs2"], "wall >= 1.8x"))
        rounds = slice(len(lines["cold"]) - args.rounds, None)  # without the warm-up round
        print(timeline_line("--jobs 1, when frames are drawn (wall)", lines["cold"][rounds]))
        print(timeline_line("--jobs 2, when frames are drawn (wall)", lines["jobs2"][rounds]))
        print(load_line(got))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
