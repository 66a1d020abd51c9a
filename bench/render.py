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
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORIES = ["reset-router", "two-factor-login", "update-firmware"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one command, run fresh."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    # Installed packages run from cached bytecode; a shell that disables it (some dev tools set
    # PYTHONDONTWRITEBYTECODE) would time the compiler on every run, for both sides alike.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


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


IN_PROCESS = """
import sys, time
from pathlib import Path
import storycast.engage
from storycast.project import Project
from storycast.render import cache, frames, pipeline, templating
project = Project.load(sys.argv[1])
out, stories = Path(sys.argv[2]), sys.argv[3:]
t, c = time.perf_counter(), time.process_time()
pipeline.render_many(project, stories, None, out=out, cache=False)
cold = (time.perf_counter() - t, time.process_time() - c)
# Forget what this process memoized, so the warm call does the full cache check from disk.
cache._file_hashes.clear(); frames._HOURS_MEMO.clear(); templating._engine_for.cache_clear()
t, c = time.perf_counter(), time.process_time()
pipeline.render_many(Project.load(sys.argv[1]), stories, None, out=out, cache=True)
warm = (time.perf_counter() - t, time.process_time() - c)
print(cold[0], cold[1], warm[0], warm[1])
"""


def in_process(out: Path, stories: list[str]) -> tuple[float, float, float, float]:
    """Cold then warm ``render_many`` calls in one fresh process (the API, without start-up)."""
    proc = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(ROOT), str(out), *stories],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    a, b, c, d = (float(v) for v in proc.stdout.split())
    return a, b, c, d


def fmt(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f}/{pair[1]:.2f}"


def count_frames(out: Path) -> int:
    return sum(1 for _ in out.rglob("[0-9][0-9].jpg"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stories", nargs="*", default=STORIES)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="storycast-bench-"))
    runs: dict[str, list[tuple[float, float]]] = {"base": [], "cold": [], "warm": [], "jobs2": []}
    try:
        for i in range(args.repeat):
            out = tmp / f"sc{i}"
            runs["base"].append(
                timed(
                    [sys.executable, "bench/pillow_baseline.py", "--out", str(tmp / f"bl{i}"), *args.stories]
                )
            )
            runs["cold"].append(timed(storycast(out, args.stories, "--no-cache", "--jobs", "1")))
            runs["warm"].append(timed(storycast(out, args.stories, "--jobs", "1")))
            runs["jobs2"].append(timed(storycast(tmp / f"j2-{i}", args.stories, "--no-cache", "--jobs", "2")))
            last = {k: fmt(v[-1]) for k, v in runs.items()}
            print(
                f"run {i + 1} (wall/cpu s): baseline {last['base']}, cold {last['cold']}, "
                f"warm {last['warm']}, jobs2 {last['jobs2']}; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        api = in_process(tmp / "api", args.stories)
        frames = count_frames(tmp / "sc0")
        assert frames == count_frames(tmp / "bl0"), "storycast and the baseline drew different frame counts"
        best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
        (bw, bc), (cw, cc), (ww, wc), (jw, _) = best["base"], best["cold"], best["warm"], best["jobs2"]
        print(f"\n{frames} frames ({', '.join(args.stories)}; all languages), best of {args.repeat}")
        print(f"hand-written Pillow baseline   wall {bw:6.2f} s  cpu {bc:6.2f} s")
        print(
            f"storycast cold (--jobs 1)      wall {cw:6.2f} s  cpu {cc:6.2f} s   "
            f"ratio wall {cw / bw:.2f}x, cpu {cc / bc:.2f}x baseline (target <= 1.30x)"
        )
        print(
            f"storycast warm (nothing new)   wall {ww:6.2f} s  cpu {wc:6.2f} s   "
            f"{cw / ww:.1f}x (wall), {cc / wc:.1f}x (cpu) faster than cold (target >= 20x)"
        )
        print(
            f"render_many() cold / warm      wall {api[0]:6.2f} / {api[2]:.2f} s, "
            f"cpu {api[1]:.2f} / {api[3]:.2f} s   {api[0] / api[2]:.1f}x (wall), "
            f"{api[1] / api[3]:.1f}x (cpu): the API, no interpreter start-up"
        )
        print(
            f"storycast cold --jobs 2        wall {jw:6.2f} s                "
            f"{cw / jw:.2f}x faster than --jobs 1 (target >= 1.70x)"
        )
        print(
            f"cpus available: {len(os.sched_getaffinity(0))}; load average now: {os.getloadavg()[0]:.2f} "
            "(a shared machine makes wall times noisy; cpu times are the steadier comparison)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
