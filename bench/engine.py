"""Benchmark: ledger claim + record overhead, and the daemon's firing lateness.

Targets (issue 3): with 100k rows in the ledger and 500 due items, claim + record overhead at
most 20 ms per item on SQLite; daemon firing lateness p99 at most 1 s.

Baselines, measured in the same run: the same 500 items on an empty ledger (so the ratio shows
what 100k rows of history cost), and a bare APScheduler BlockingScheduler firing date jobs at
the same instants (so the ratio shows what storycast's wake-up path adds).

    python bench/engine.py
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from storycast.context import Context
from storycast.engine.frames import Frame, KindSource, register_kind_source
from storycast.ledger import Ledger, State
from storycast.ledger.models import publication

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _units(
    n: int, prefix: str, due: datetime, grace: timedelta = timedelta(hours=1)
) -> list[dict[str, object]]:
    return [
        {
            "entry_key": f"{prefix}/{i // 1000}",
            "occurrence_key": f"{i:07d}",
            "channel": "local",
            "lang": "en",
            "frame": 1,
            "frame_total": 1,
            "kind": "bench",
            "ref": "b",
            "due_utc": due,
            "deadline_utc": due + grace,
        }
        for i in range(n)
    ]


def claim_and_record(history_rows: int, due_items: int = 500) -> float:
    """Seconds per item to claim, write the attempt, and record the result (no platform call)."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(f"sqlite:///{tmp}/state.db")
        if history_rows:
            ledger.insert_units(_units(history_rows, "old", T0 - timedelta(days=30)), T0)
            with ledger.engine.begin() as c:
                c.execute(update(publication).values(state=State.PUBLISHED.value))
        ledger.insert_units(_units(due_items, "due", T0), T0)
        done = 0
        started = time.perf_counter()
        while True:
            rows = ledger.claim(T0, 8)
            if not rows:
                break
            for r in rows:
                no = ledger.begin_send(r, T0, idempotency_key=f"{r.id:064d}", frame_sha256="0" * 64)
                ledger.finish(r, no, T0, State.PUBLISHED, remote_id=f"r{r.id}")
                done += 1
            ledger.release_token(rows[0].claim_token or "")
        elapsed = time.perf_counter() - started
        ledger.close()
        assert done == due_items, done
        return elapsed / done


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def daemon_lateness(items: int = 30, spacing: float = 0.2) -> tuple[list[float], list[float]]:
    """Run the real daemon over ``items`` rows due ``spacing`` s apart; (wake lateness, publish lateness)."""
    from storycast.engine.daemon import Daemon
    from storycast.project import Project

    def render(project: object, ref: str, lang: str, out: Path) -> list[Frame]:
        path = out / "01.png"
        path.write_bytes(b"bench")
        return [Frame(1, path, "0" * 64)]

    register_kind_source("bench", KindSource(lambda p, r: 1, render))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "storycast.toml").write_text('[channels.local]\ntype = "local"\n')
        (root / "schedules").mkdir()
        (root / "stories").mkdir()
        env = {"STORYCAST_DB": f"sqlite:///{root / 'state.db'}"}
        project = Project.load(root, env)
        start = datetime.now(UTC) + timedelta(seconds=1.5)
        ledger = Ledger.open(env["STORYCAST_DB"])
        rows = []
        for i in range(items):
            rows += _units(1, f"manual/late{i}", start + timedelta(seconds=spacing * i))
        ledger.insert_units(rows, datetime.now(UTC))
        daemon = Daemon(project, Context(environ=env), watch=False, max_sleep=timedelta(seconds=5))

        def stop_when_done() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if ledger.counts().get("published", 0) >= items:
                    break
                time.sleep(0.05)
            daemon.stop()

        threading.Thread(target=stop_when_done, daemon=True).start()
        stats = daemon.run()
        due = {r.remote_id: r.due_utc for r in ledger.rows()}
        ledger.close()
        # When the feed record actually hit the disk, against when the row was due.
        publish_late = []
        for record in (root / "feed").glob("*/*.json"):
            import json

            written = datetime.fromtimestamp(record.stat().st_mtime_ns / 1e9, UTC)
            publish_late.append(
                max((written - due[json.loads(record.read_text())["remote_id"]]).total_seconds(), 0.0)
            )
    return stats.lateness, publish_late


def apscheduler_lateness(items: int = 30, spacing: float = 0.2) -> list[float]:
    """Baseline: a bare BlockingScheduler firing date jobs at the same spacing."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    sched = BlockingScheduler(timezone=UTC)
    late: list[float] = []
    start = datetime.now(UTC) + timedelta(seconds=1)
    for i in range(items):
        when = start + timedelta(seconds=spacing * i)
        sched.add_job(
            lambda w=when: late.append((datetime.now(UTC) - w).total_seconds()),
            "date",
            run_date=when,
            misfire_grace_time=None,
        )

    def stop() -> None:
        while len(late) < items:
            time.sleep(0.05)
        sched.shutdown(wait=False)

    threading.Thread(target=stop, daemon=True).start()
    sched.start()
    return late


def main() -> None:
    base = claim_and_record(0)
    full = claim_and_record(100_000)
    print(f"claim + record, 500 due items, empty ledger:    {base * 1000:7.2f} ms/item (baseline)")
    print(
        f"claim + record, 500 due items, 100k-row ledger: {full * 1000:7.2f} ms/item  "
        f"ratio {full / base:.2f}x"
    )
    print(f"  target <= 20 ms/item: {'PASS' if full <= 0.020 else 'FAIL'}")
    wake, publish = daemon_lateness()
    aps = apscheduler_lateness()
    print(
        f"daemon wake lateness (n={len(wake)}): p50 {statistics.median(wake) * 1000:.1f} ms, "
        f"p99 {_percentile(wake, 0.99) * 1000:.1f} ms, max {max(wake) * 1000:.1f} ms"
    )
    print(
        f"due -> feed record written (n={len(publish)}): p50 {statistics.median(publish) * 1000:.1f} ms, "
        f"p99 {_percentile(publish, 0.99) * 1000:.1f} ms, max {max(publish) * 1000:.1f} ms"
    )
    print(
        f"bare APScheduler date jobs (baseline): p50 {statistics.median(aps) * 1000:.1f} ms, "
        f"p99 {_percentile(aps, 0.99) * 1000:.1f} ms; "
        f"storycast p99 ratio {_percentile(publish, 0.99) / max(_percentile(aps, 0.99), 1e-6):.1f}x"
    )
    print(f"  target p99 <= 1 s: {'PASS' if _percentile(publish, 0.99) <= 1.0 else 'FAIL'}")


if __name__ == "__main__":
    main()
