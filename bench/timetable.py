"""Benchmark: expand 100 recurring schedule entries over one year.

Target: under 1 s. Baseline, measured in the same run: APScheduler 3's CronTrigger walking the
same expressions with get_next_fire_time (the trigger math the reference design first proposed).
Both sides run the same number of times, in turn (alternating which goes first), in this process
(the expansion is a library call inside `plan`, `publish` and the daemon, not a command of its
own); each run reports wall and CPU time (this process), and the ratio is the median of the
pair-by-pair ratios.

    python bench/timetable.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta

from _measure import call, load_line, med, paired, ratio_line, row
from storycast.timetable.cron import parse_cron
from storycast.timetable.model import CronTrigger, Entry
from storycast.timetable.table import Timetable
from storycast.timetable.zones import Blackout

ZONES = ["Europe/Madrid", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Asia/Bangkok", "UTC"]
DAYS = ["*", "mon-fri", "mon,wed,fri", "sat,sun", "tue", "*"]
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def build_entries(n: int = 100) -> list[Entry]:
    rng = random.Random(42)
    out = []
    for i in range(n):
        hours = rng.choice([str(rng.randrange(24)), f"{rng.randrange(6, 10)},{rng.randrange(12, 20)}", "*/4"])
        expr = f"{rng.choice([0, 15, 30, 45])} {hours} * * {rng.choice(DAYS)}"
        blackouts = (Blackout.parse("22:00-07:00"),) if i % 4 == 0 else ()
        out.append(
            Entry(
                key=f"bench-{i}",
                kind="story",
                ref="reset-router",
                tz=ZONES[i % len(ZONES)],
                trigger=CronTrigger(parse_cron(expr)),
                channels=("local",),
                languages=("en", "es"),
                grace=timedelta(minutes=15),
                label="reset-router",
                source=f"schedules/bench.yaml:{i + 1}",
                blackouts=blackouts,
            )
        )
    return out


def run_storycast(entries: list[Entry]) -> int:
    return len(Timetable(entries).occurrences(START, END))


def run_apscheduler(entries: list[Entry]) -> int:
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger as ApsCron

    count = 0
    for entry in entries:
        minute, hour, day, month, dow = entry.trigger.spec.split()
        trig = ApsCron(
            minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=ZoneInfo(entry.tz)
        )
        prev = None
        now = START
        while True:
            nxt = trig.get_next_fire_time(prev, now)
            if nxt is None or nxt >= END:
                break
            count += 1
            prev = now = nxt
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    entries = build_entries()
    counts = {"storycast": run_storycast(entries), "apscheduler": run_apscheduler(entries)}
    got = paired(
        {
            "storycast": lambda r: call(lambda: run_storycast(entries)),
            "apscheduler": lambda r: call(lambda: run_apscheduler(entries)),
        },
        args.rounds,
        warmup=1,
    )
    print(
        f"entries: {len(entries)}, window: {START:%Y-%m-%d} .. {END:%Y-%m-%d}; "
        f"medians of {args.rounds} rounds"
    )
    print(row(f"storycast timetable ({counts['storycast']} occurrences)", got["storycast"], 52))
    print(row(f"APScheduler 3 CronTrigger ({counts['apscheduler']} fire times)", got["apscheduler"], 52))
    print(
        ratio_line(
            "storycast / APScheduler (no blackouts, no dedup)", got["storycast"], got["apscheduler"], "", 52
        )
    )
    print(
        f"target under 1 s (CPU, the figure load does not inflate): "
        f"{'met' if med(got['storycast']) < 1 else 'MISSED'}"
    )
    print(load_line(got))


if __name__ == "__main__":
    main()
