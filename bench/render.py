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

    python bench/render.py [--rounds 5] [--stories reset-router ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import ROOT, Sample, load_line, paired, ratio_line, row, run

STORIES = ["reset-router", "two-factor-login", "update-firmware"]
LANGS = "en,es,th,hi,sr"


def storycast(out: Path, stories: list[str], *extra: str) -> list[str]:
    exe = Path(sys.executable).with_name("storycast")
    return [str(exe), "--project", str(ROOT), "render", *stories, "--lang", LANGS, "--out", str(out), *extra]


def count_frames(out: Path) -> int:
    return sum(1 for _ in out.rglob("[0-9][0-9].jpg"))


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

    sides = {
        "baseline": lambda r: run(
            [sys.executable, "bench/pillow_baseline.py", "--lang", LANGS, "--out", str(fresh("bl")), *stories]
        ),
        "cold": lambda r: run(storycast(fresh("cold"), stories, "--no-cache", "--jobs", "1")),
        "warm": lambda r: run(storycast(tmp / "warm", stories, "--jobs", "1")),
        "jobs2": lambda r: run(storycast(fresh("j2"), stories, "--no-cache", "--jobs", "2")),
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
        print(load_line(got))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
