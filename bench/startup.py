"""Benchmark: start-up of `storycast status` and `storycast --help`, as users run them.

Each measurement is the console script in a fresh process (interpreter start, imports, the
command), paired and interleaved with the baseline `python -c pass` on the same interpreter.
CPU (user + system) is quoted beside wall time; the targets are on the absolute CPU time of
the storycast command.

- `storycast --help`, run in the example project at the repository root: as printed from the
  help an earlier run kept (the usual case), and built the usual way (no usable cache folder);
- `storycast status` on a copy of the example project whose ledger `publish --due` filled the
  way cron leaves it after a week (one `publish --due --now T` at every due time of the last
  seven days: every row published);
- `storycast status` on a copy where `publish --due` ran once, now: nothing was due yet, so the
  ledger is empty and status lists what comes next (the timetable is read);
- both as usually run (what the last status kept of the project holds: cli/_statusview.py) and
  with nothing kept (the first status after storycast.toml, a schedule or a story changed: the
  kept file is removed before each of these runs, outside the timing).

The copies live in bench/_out/startup and keep their frame builds between runs (the render
cache makes a second setup quick); their ledgers are made anew every run. Targets (issue 25):
status <= 0.25 s CPU, --help <= 0.10 s CPU.

    python bench/startup.py [--rounds 10] [--before OLD/src]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _measure import ROOT, Sample, bench_env, load_line, paired, ratio, run

OUT = ROOT / "bench" / "_out" / "startup"
PROJECT_PARTS = ("storycast.toml", "stories", "schedules", "templates", "assets")
STORYCAST = str(Path(sys.executable).with_name("storycast"))
ENV = {k: v for k, v in bench_env().items() if k not in ("STORYCAST_PROJECT", "STORYCAST_DB")}


def copy_project(name: str) -> Path:
    """A copy of the example project (frame builds kept from earlier runs, ledger removed)."""
    root = OUT / name
    root.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src, dst = ROOT / part, root / part
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
    shutil.rmtree(root / ".storycast", ignore_errors=True)
    return root


def week_of_cron(root: Path, now: datetime) -> int:
    """`publish --due` at every due time of the seven days before ``now``; the rows it left."""
    start = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    got = subprocess.run(
        [STORYCAST, "plan", "--json", "--from", start, "--days", "7"],
        cwd=root,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    times = sorted({o["due_utc"] for o in json.loads(got.stdout)["occurrences"]})
    for t in times:
        run([STORYCAST, "publish", "--due", "--now", t], cwd=root, env=ENV)
    status = [STORYCAST, "status", "--all", "--json"]
    out = subprocess.run(status, cwd=root, env=ENV, capture_output=True, text=True, check=True)
    return len(json.loads(out.stdout)["rows"])


def fmt(samples: list[Sample], what: str) -> str:
    vals = [getattr(s, what) for s in samples]
    return f"{statistics.median(vals):.3f} s ({min(vals):.3f}-{max(vals):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also time --help and status (week) with another checkout's src/ first on PYTHONPATH",
    )
    args = parser.parse_args()

    now = datetime.now(UTC).replace(microsecond=0)
    week = copy_project("week")
    rows = week_of_cron(week, now)
    fresh = copy_project("fresh")
    run([STORYCAST, "publish", "--due"], cwd=fresh, env=ENV)
    print(f"setup: week ledger {rows} rows (publish --due at each due time of 7 days); fresh ledger empty")

    # A file where the cache folder would be: the root help is built the usual way every time
    # (the first --help after an install or an upgrade).
    blocked = OUT / "no-cache"
    blocked.write_text("", encoding="utf-8")
    no_cache = {**ENV, "XDG_CACHE_HOME": str(blocked)}
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], ROOT, ENV),
        "storycast --help": ([STORYCAST, "--help"], ROOT, ENV),
        "storycast --help (no kept help)": ([STORYCAST, "--help"], ROOT, no_cache),
        "storycast status (a week of publish --due)": ([STORYCAST, "status"], week, ENV),
        "storycast status (empty ledger: upcoming)": ([STORYCAST, "status"], fresh, ENV),
        "storycast status (week, nothing kept)": ([STORYCAST, "status"], week, ENV),
        "storycast status (empty, nothing kept)": ([STORYCAST, "status"], fresh, ENV),
    }
    if args.before:
        old = {**ENV, "PYTHONPATH": str(Path(args.before).resolve())}
        commands["before: storycast --help"] = ([STORYCAST, "--help"], ROOT, old)
        commands["before: storycast status (week)"] = ([STORYCAST, "status"], week, old)

    def side(name: str, cmd: list[str], cwd: Path, env: dict[str, str]):  # type: ignore[no-untyped-def]
        def go(_round: int) -> Sample:
            if "nothing kept" in name:  # the first status after storycast.toml, a schedule or a story changed
                (cwd / ".storycast" / "cache" / "status.json").unlink(missing_ok=True)
            return run(cmd, cwd=cwd, env=env)

        return go

    sides = {name: side(name, cmd, cwd, env) for name, (cmd, cwd, env) in commands.items()}
    got = paired(sides, args.rounds, warmup=1)
    base = got["python -c pass"]
    targets = {
        "storycast --help": 0.10,
        "storycast --help (no kept help)": 0.10,
        "storycast status (a week of publish --due)": 0.25,
        "storycast status (empty ledger: upcoming)": 0.25,
        "storycast status (week, nothing kept)": 0.25,
        "storycast status (empty, nothing kept)": 0.25,
    }
    width = max(map(len, sides))
    print(f"\nmedians of {args.rounds} paired rounds (min-max); python {sys.version.split()[0]}")
    for name, samples in got.items():
        print(f"{name:{width}}  cpu {fmt(samples, 'cpu')}  wall {fmt(samples, 'wall')}")
    if args.before:
        targets |= {"before: storycast --help": 0.10, "before: storycast status (week)": 0.25}
    for name, target in targets.items():
        cpu = statistics.median(s.cpu for s in got[name])
        print(
            f"{name:{width}}  / baseline: cpu {ratio(got[name], base, 'cpu'):.1f}x, wall "
            f"{ratio(got[name], base, 'wall'):.1f}x; cpu {cpu:.3f} s vs target <= {target:.2f} s: "
            f"{'met' if cpu <= target else 'MISSED'}"
        )
    print(load_line(got))


if __name__ == "__main__":
    main()
