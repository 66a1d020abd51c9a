"""Shared timing for the benches: whole commands, CPU beside wall, paired and interleaved.

Every bench on this machine runs beside other work, so a single wall time says little. Each
measurement here records the wall time and the CPU time (user + system) of the process and all
the children it waited for (``resource.getrusage``), and the one-minute load average when it
ended. Two or more sides are run in turn within each round (A B, then B A the next round, so
neither side always runs first); ratios are taken pair by pair inside a round and the median
of those ratios is quoted.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    """One run: wall seconds, CPU seconds (user + system, self and waited-for children), load."""

    wall: float
    cpu: float
    load: float


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def bench_env(**extra: str) -> dict[str, str]:
    """The environment for timed commands: fixed hash seed, bytecode caches allowed."""
    env = {**os.environ, "PYTHONHASHSEED": "0", **extra}
    # Installed packages run from cached bytecode; a shell that disables it would time the
    # compiler on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(cmd: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Sample:
    """Run ``cmd`` to completion in a fresh process; its wall and CPU time (children included)."""
    before = _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        list(cmd), cwd=cwd or ROOT, env=dict(env or bench_env()), capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    cpu = _cpu(resource.RUSAGE_CHILDREN) - before
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"bench: command failed ({proc.returncode}): {' '.join(cmd)}")
    return Sample(wall, cpu, os.getloadavg()[0])


def call(fn: Callable[[], object]) -> Sample:
    """Time ``fn()`` in this process: wall, and CPU of this process plus children it waited for."""
    before = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    fn()
    wall = time.perf_counter() - started
    cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - before
    return Sample(wall, cpu, os.getloadavg()[0])


def paired(
    sides: Mapping[str, Callable[[int], Sample]],
    rounds: int,
    *,
    warmup: int = 0,
    progress: bool = True,
) -> dict[str, list[Sample]]:
    """Run every side once per round, in turn, alternating the order; ``sides[name](round)``.

    Warm-up rounds run the same way and are thrown away (page cache, bytecode, font caches).
    """
    names = list(sides)
    out: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(-warmup, rounds):
        order = names if r % 2 == 0 else names[::-1]
        got = {n: sides[n](r) for n in order}
        if r < 0:
            continue
        for n in names:
            out[n].append(got[n])
        if progress:
            shown = ", ".join(f"{n} {s.wall:.2f}/{s.cpu:.2f}" for n, s in got.items())
            print(
                f"  round {r + 1}/{rounds} (wall/cpu s): {shown}; load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
    return out


def med(samples: Sequence[Sample], what: str = "cpu") -> float:
    return statistics.median(getattr(s, what) for s in samples)


def ratio(a: Sequence[Sample], b: Sequence[Sample], what: str = "cpu") -> float:
    """Median of the pair-by-pair ratios a/b (same round)."""
    return statistics.median(
        getattr(x, what) / max(getattr(y, what), 1e-9) for x, y in zip(a, b, strict=True)
    )


def spread(samples: Sequence[Sample], what: str = "cpu") -> str:
    vals = [getattr(s, what) for s in samples]
    return f"{min(vals):.2f}-{max(vals):.2f}"


def row(name: str, samples: Sequence[Sample], width: int = 44) -> str:
    """``name  wall med (min-max)  cpu med (min-max)``."""
    return (
        f"{name:{width}} wall {med(samples, 'wall'):7.2f} s ({spread(samples, 'wall')})"
        f"  cpu {med(samples, 'cpu'):7.2f} s ({spread(samples, 'cpu')})"
    )


def ratio_line(
    label: str, a: Sequence[Sample], b: Sequence[Sample], target: str = "", width: int = 44
) -> str:
    text = f"{label:{width}} cpu {ratio(a, b, 'cpu'):6.2f}x   wall {ratio(a, b, 'wall'):6.2f}x"
    return text + (f"   (target {target})" if target else "")


def load_line(samples: Mapping[str, Sequence[Sample]] | None = None) -> str:
    """The machine: CPUs, load average now, and the load seen during the runs."""
    one, five, _ = os.getloadavg()
    text = f"machine: {len(os.sched_getaffinity(0))} cpus; load average now {one:.1f} (5 min {five:.1f})"
    if samples:
        loads = [s.load for v in samples.values() for s in v]
        if loads:
            text += f"; during the runs {min(loads):.1f}-{max(loads):.1f}"
    return text
