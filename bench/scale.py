"""Benchmark: the procrastinate engine with real worker processes on the local PostgreSQL.

1. Render throughput with 1, 2 and 4 `storycast worker --queues render` processes: the example
   tutorials in every language, frames only, each run in a fresh project copy (no cache). The
   ratio is against the 1-process run.
   The workers' CPU time (start-up to stop, from the operating system's accounting of the reaped
   processes) is printed beside the wall time, and the load average after each run.
2. Publishing N items (default 1000) to a fake platform with 50 ms latency per call, spread over
   several accounts (channels), with 3 workers. Baseline, measured in the same run: one
   sequential tick of the embedded engine (what `storycast publish --due` runs, called in this
   process) over a sample of the same items, measured again in every round, in turn with the
   scale-out run; the ratio is taken within the round. Per-account limits are checked from the
   fake's call log: no two calls of one account overlap.

The fake platform is the tests' `pgrecorder` channel: each call sleeps the latency and records
itself in a table with a UNIQUE idempotency key, so a duplicate would be refused and counted.

    python bench/scale.py [--items 1000] [--accounts 25] [--latency-ms 50] [--repeat 3] [--render-langs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest_db import CLI_SHIM  # noqa: E402
from tests.scaleout_support import fresh_database, overlaps, scale_project, worker_env  # noqa: E402

TUTORIALS = ("reset-router", "speed-test", "two-factor-login", "update-firmware", "wifi-password")
LANGS = ("en", "es", "th", "hi", "sr")


_CONNS: dict[str, object] = {}


def q(dsn: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Run one query on a connection kept per database: the bench polls every 50 ms, and a new
    connection each time (a forked PostgreSQL backend) would take CPU from the workers it times."""
    import psycopg

    conn = _CONNS.get(dsn)
    if conn is None or conn.closed:  # type: ignore[attr-defined]
        conn = _CONNS[dsn] = psycopg.connect(dsn, autocommit=True)
    try:
        cur = conn.execute(sql, args or None)  # type: ignore[attr-defined]
        return list(cur.fetchall()) if cur.description else []
    except psycopg.OperationalError:
        _CONNS.pop(dsn, None)
        raise


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """A fresh database (see tests/scaleout_support.py); the polling connection closes first."""
    with fresh_database() as (url, dsn):
        try:
            yield url, dsn
        finally:
            conn = _CONNS.pop(dsn, None)
            if conn is not None:
                conn.close()  # type: ignore[attr-defined]


def wait(pred, timeout: float, what: str, step: float = 0.05) -> float:  # type: ignore[no-untyped-def]
    """Poll ``pred`` until true. A table the workers have not created yet (their first migration
    runs after they start, later under load) counts as not yet, not as a failure."""
    import psycopg

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            if pred():
                return time.perf_counter()
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction):
            pass
        time.sleep(step)
    raise SystemExit(f"bench: timed out waiting for {what}")


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process reaped so far (the workers, once stopped)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def proc_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each live process has used so far, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def backends(dsn: str) -> list[int]:
    """The PostgreSQL server processes serving this database (the bench's own poller included)."""
    return [int(r[0]) for r in q(dsn, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]  # type: ignore[call-overload]


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU used since ``before`` by ``pids`` (a process that started meanwhile counts whole)."""
    now = proc_cpu(pids)
    return sum(v - before.get(pid, 0.0) for pid, v in now.items())


def workers(root: Path, env: dict[str, str], n: int, *args: str) -> list[subprocess.Popen[bytes]]:
    # An installed storycast has its bytecode cached; PYTHONDONTWRITEBYTECODE (set on some
    # machines) would have the workers compile every module they import lazily, every run.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return [
        subprocess.Popen(
            [sys.executable, "-c", CLI_SHIM, "--project", str(root), "worker", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()


def live_workers(dsn: str) -> int:
    try:
        return int(q(dsn, "SELECT count(*) FROM procrastinate_workers")[0][0])  # type: ignore[call-overload]
    except Exception:
        return 0


# -- 1. render ---------------------------------------------------------------------------------


def example_project(dest: Path, langs: tuple[str, ...]) -> Path:
    for folder in ("stories", "templates", "assets"):
        shutil.copytree(REPO / folder, dest / folder)
    for f in (dest / "stories").iterdir():
        if f.stem not in TUTORIALS:
            f.unlink()
    toml = (REPO / "storycast.toml").read_text(encoding="utf-8")
    toml += '\n[engine]\nkind = "procrastinate"\nheartbeat_seconds = 1\nstalled_after_seconds = 5\n'
    toml += "render_lead_minutes = 0\n"
    toml += 'tick_cron = "0 0 1 1 *"\n'  # no ticks during the render benchmark
    (dest / "storycast.toml").write_text(toml, encoding="utf-8")
    (dest / "schedules").mkdir(exist_ok=True)
    return dest


def render_run(n_workers: int, langs: tuple[str, ...]) -> tuple[float, int, float]:
    """(seconds from defer to done, frames, CPU seconds of the workers from start to stop)."""
    with tempfile.TemporaryDirectory(prefix="sc-bench-render-") as tmp, database() as (url, dsn):
        root = example_project(Path(tmp) / "p", langs)
        env = worker_env(url)
        cpu0 = children_cpu()
        procs = workers(root, env, n_workers, "--queues", "render", "--concurrency", "1")
        try:
            wait(lambda: live_workers(dsn) == n_workers, 120, "render workers")
            # One job per story with its languages, as the tick defers them.
            args = [json.dumps({"kind": "story", "ref": s, "langs": list(langs)}) for s in TUTORIALS]
            t0 = time.perf_counter()
            q(
                dsn,
                "SELECT procrastinate_defer_jobs_v1(array_agg(ROW('render', 'storycast.render', 0, NULL, "
                "NULL, a::jsonb, NULL)::procrastinate_job_to_defer_v1)) FROM unnest(%s::text[]) a",
                args,
            )
            t1 = wait(
                lambda: (
                    q(dsn, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo','doing')")
                    == [(0,)]
                ),
                1800,
                "renders",
                step=0.1,
            )
            failed = q(dsn, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")[0][0]
            if failed:
                raise SystemExit(f"bench: {failed} render jobs failed")
            frames = sum(
                1 for f in (root / ".storycast" / "renders").rglob("*.jpg") if not f.name.startswith(".")
            )
        finally:
            stop(procs)
    return t1 - t0, frames, children_cpu() - cpu0


# -- 2. publish --------------------------------------------------------------------------------


def publish_scaleout(items: int, accounts: int, latency_ms: int, n_workers: int) -> dict[str, float]:
    minutes = items // (accounts * 2)
    with tempfile.TemporaryDirectory(prefix="sc-bench-pub-") as tmp, database() as (url, dsn):
        channels = [f"acct{i:02d}" for i in range(accounts)]
        root = scale_project(
            Path(tmp) / "p",
            dsn,
            channels=channels,
            minutes=minutes,
            delay_ms=latency_ms,
            engine={"tick_cron": "* * * * * *", "publish_concurrency": 12},
        )
        schedule = (root / "schedules" / "load.yaml").read_text(encoding="utf-8")
        (root / "schedules" / "load.yaml").unlink()  # workers start with nothing due
        total = minutes * accounts * 2
        cpu0 = children_cpu()
        procs = workers(root, worker_env(url), n_workers)
        try:
            wait(lambda: live_workers(dsn) == n_workers, 120, "publish workers")
            time.sleep(1.5)  # let the first (empty) ticks pass
            pids = [p.pid for p in procs]
            cpu_w0, cpu_pg0 = proc_cpu(pids), proc_cpu(backends(dsn))
            t0 = time.perf_counter()
            db_t0 = q(dsn, "SELECT clock_timestamp()")[0][0]
            (root / "schedules" / "load.yaml").write_text(schedule, encoding="utf-8")
            try:
                t1 = wait(
                    lambda: (
                        q(dsn, "SELECT count(*) FROM publication WHERE state = 'published'") == [(total,)]
                    ),
                    300,
                    "publications",
                    step=0.05,
                )
                # The CPU the publishing took, read before the workers stop: theirs and the
                # database server's (its processes serving this database).
                cpu_w = cpu_since(cpu_w0, pids)
                cpu_pg = cpu_since(cpu_pg0, backends(dsn))
            except SystemExit:
                print("  rows by state:", q(dsn, "SELECT state, count(*) FROM publication GROUP BY 1"))
                print(
                    "  jobs by task and status:",
                    q(dsn, "SELECT task_name, status, count(*) FROM procrastinate_jobs GROUP BY 1, 2"),
                )
                raise
        finally:
            stop(procs)
        cpu = children_cpu() - cpu0
        first, last = q(dsn, "SELECT min(started), max(finished) FROM sc_calls")[0]
        phases = {
            "first_call": (first - db_t0).total_seconds(),  # type: ignore[operator]
            "last_call": (last - db_t0).total_seconds(),  # type: ignore[operator]
        }
        dups = q(dsn, "SELECT count(*) FROM sc_duplicates")[0][0]
        calls = q(dsn, "SELECT count(*) FROM sc_calls")[0][0]
        worst = 0
        for ch in channels:
            worst += overlaps(q(dsn, "SELECT started, finished FROM sc_calls WHERE channel = %s", ch))  # type: ignore[arg-type]
    return {
        "items": total,
        "seconds": t1 - t0,
        "calls": calls,
        "duplicates": dups,
        "overlaps": worst,
        "cpu": cpu,
        "cpu_workers": cpu_w,
        "cpu_pg": cpu_pg,
        **phases,
    }  # type: ignore[dict-item]


def publish_sequential(sample: int, latency_ms: int) -> dict[str, float]:
    """One embedded tick (in this process) over ``sample`` items on one account: the baseline.

    The ledger is created before the clock starts, as it would exist on a running system; the
    tick itself plans the items (as the scale-out tick does) and publishes them one by one.
    """
    import os

    from storycast.context import Context
    from storycast.engine.tick import tick
    from storycast.ledger import open_ledger
    from storycast.project import Project

    os.environ["SC_FRAMES"] = "1"
    minutes = sample // 2
    with tempfile.TemporaryDirectory(prefix="sc-bench-seq-") as tmp, database() as (url, dsn):
        root = scale_project(
            Path(tmp) / "p", dsn, channels=["acct00"], minutes=minutes, delay_ms=latency_ms, engine={}
        )
        toml = (root / "storycast.toml").read_text(encoding="utf-8")
        (root / "storycast.toml").write_text(toml.replace('kind = "procrastinate"', 'kind = "embedded"'))
        project = Project.load(root, {**os.environ, "STORYCAST_DB": url})
        ledger = open_ledger(project)
        try:
            pg0 = proc_cpu(backends(dsn))
            t0, c0 = time.perf_counter(), time.process_time()
            report = tick(project, Context(), ledger=ledger)
            t1, c1 = time.perf_counter(), time.process_time()
            cpu_pg = cpu_since(pg0, backends(dsn))
        finally:
            ledger.close()
    return {"items": report.count("published"), "seconds": t1 - t0, "cpu": c1 - c0, "cpu_pg": cpu_pg}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=25)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--baseline-items", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="scale-out publish runs (median reported)")
    ap.add_argument("--render-langs", type=int, default=5, help="languages per tutorial (1-5)")
    ap.add_argument("--skip-render", action="store_true")
    ap.add_argument("--skip-publish", action="store_true")
    args = ap.parse_args()

    if not args.skip_render:
        langs = LANGS[: max(1, min(args.render_langs, 5))]
        print(f"render: {len(TUTORIALS)} tutorials x {len(langs)} languages, frames only")
        base = None
        for n in (1, 2, 4):
            secs, frames, cpu = render_run(n, langs)
            rate = frames / secs
            base = base or rate
            print(
                f"  {n} worker process(es): {frames} frames in {secs:6.1f} s wall = {rate:5.2f} frames/s  "
                f"(x{rate / base:.2f} vs 1 process); workers' cpu {cpu:.1f} s (start-up to stop); "
                f"load {os.getloadavg()[0]:.1f}"
            )

    if args.skip_publish:
        return
    print(f"publish: {args.items} items, {args.accounts} accounts, {args.latency_ms} ms per call")
    ratios = []
    for run in range(1, args.repeat + 1):
        # Each round measures the baseline again, before or after the scale-out run in turn, and
        # the ratio is taken within the round: load from other work hits both sides alike.
        seq = out = None
        for side in ("seq", "scale") if run % 2 else ("scale", "seq"):
            if side == "seq":
                seq = publish_sequential(args.baseline_items, args.latency_ms)
            else:
                out = publish_scaleout(args.items, args.accounts, args.latency_ms, args.workers)
        assert seq is not None and out is not None
        seq_rate = seq["items"] / seq["seconds"]
        rate = out["items"] / out["seconds"]
        ratios.append(rate / seq_rate)
        print(
            f"  round {run}: baseline, one sequential tick: {seq['items']:.0f} items in "
            f"{seq['seconds']:.1f} s wall (cpu {seq['cpu']:.2f} s = "
            f"{1000 * seq['cpu'] / seq['items']:.1f} ms per item; PostgreSQL {seq['cpu_pg']:.2f} s) "
            f"= {seq_rate:.1f} items/s"
        )
        print(
            f"  round {run}, {args.workers} workers: {out['items']:.0f} items in {out['seconds']:.1f} s = "
            f"{rate:.1f} items/s (x{rate / seq_rate:.1f} vs the sequential tick); workers' cpu while "
            f"publishing {out['cpu_workers']:.2f} s = {1000 * out['cpu_workers'] / out['items']:.1f} ms per "
            f"item (PostgreSQL {out['cpu_pg']:.2f} s), {out['cpu']:.1f} s start-up to stop; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"    first call {out['first_call']:.1f} s after the schedule appeared (tick period, plan, "
            f"claim + defer); last call done at {out['last_call']:.1f} s; calls {out['calls']:.0f}, "
            f"duplicates {out['duplicates']:.0f}, overlapping calls within one account {out['overlaps']:.0f}"
        )
        if out["duplicates"] or out["overlaps"] or out["calls"] != out["items"]:
            raise SystemExit("bench: exactly-once or per-account limit violated")
    per_account = args.items / args.accounts
    print(
        f"  median x{statistics.median(ratios):.1f} (range x{min(ratios):.1f}-x{max(ratios):.1f}); the floor "
        f"is one account's chain: {per_account:.0f} calls x {args.latency_ms} ms = "
        f"{per_account * args.latency_ms / 1000:.1f} s of pure latency, plus the first tick"
    )


if __name__ == "__main__":
    main()
