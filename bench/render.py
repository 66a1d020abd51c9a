"""Benchmark: the render pipeline against a hand-written Pillow script, measured in the same run.

Each measurement runs in a fresh process (imports, font loading and the Thai dictionary
included, as a user pays them), over the example tutorials in all their languages:

- cold:  ``storycast render reset-router two-factor-login update-firmware --no-cache --jobs 1``
         vs ``bench/pillow_baseline.py`` drawing the same frames without templates;
         target: storycast <= 1.3x the baseline;
- warm:  the same render again with nothing changed; target: >= 20x faster than cold;
- jobs:  ``--jobs 2`` vs ``--jobs 1`` (both cold) over the same 100+ frames; target: >= 1.7x.

The machine is shared, so every pair is measured ``--repeat`` times, interleaved, and the best
time of each side is compared (the least disturbed run).

    python bench/render.py [--repeat 3] [--stories reset-router ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORIES = ["reset-router", "two-factor-login", "update-firmware"]


def timed(cmd: list[str]) -> float:
    """Wall seconds of one command in a fresh process (fails loudly if the command fails)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed


def storycast(out: Path, stories: list[str], *extra: str) -> list[str]:
    runner = "import sys; from storycast.cli import main; main(sys.argv[1:])"
    return [
        sys.executable,
        "-c",
        runner,
        "--project",
        str(ROOT),
        "render",
        *stories,
        "--out",
        str(out),
        "--json",
        *extra,
    ]


def count_frames(out: Path) -> int:
    return sum(1 for _ in out.rglob("[0-9][0-9].jpg"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stories", nargs="*", default=STORIES)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="storycast-bench-"))
    cold, base, warm, jobs1, jobs2 = [], [], [], [], []
    try:
        for i in range(args.repeat):
            out = tmp / f"sc{i}"
            base.append(
                timed(
                    [sys.executable, "bench/pillow_baseline.py", "--out", str(tmp / f"bl{i}"), *args.stories]
                )
            )
            cold.append(timed(storycast(out, args.stories, "--no-cache", "--jobs", "1")))
            warm.append(timed(storycast(out, args.stories, "--jobs", "1")))
            jobs2.append(timed(storycast(tmp / f"j2-{i}", args.stories, "--no-cache", "--jobs", "2")))
            jobs1.append(cold[-1])
            print(
                f"run {i + 1}: baseline {base[-1]:.2f} s, cold {cold[-1]:.2f} s, warm {warm[-1]:.2f} s, "
                f"jobs2 {jobs2[-1]:.2f} s",
                flush=True,
            )
        frames = count_frames(tmp / "sc0")
        assert frames == count_frames(tmp / "bl0"), "storycast and the baseline drew different frame counts"
        b, c, w, j1, j2 = min(base), min(cold), min(warm), min(jobs1), min(jobs2)
        print(f"\n{frames} frames ({', '.join(args.stories)}; all languages), best of {args.repeat}")
        print(f"hand-written Pillow baseline  {b:7.2f} s")
        print(f"storycast cold (--jobs 1)      {c:7.2f} s   ratio {c / b:.2f}x baseline   (target <= 1.30x)")
        print(f"storycast warm (nothing new)   {w:7.2f} s   {c / w:.1f}x faster than cold  (target >= 20x)")
        print(
            f"storycast cold --jobs 2        {j2:7.2f} s   {j1 / j2:.2f}x faster than --jobs 1 (target >= 1.70x)"
        )
        print(f"cpus available: {len(os.sched_getaffinity(0))}; load average now: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
