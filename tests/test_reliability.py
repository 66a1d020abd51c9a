# ruff: noqa: F811
"""Real processes against SQLite and PostgreSQL: concurrency, kill -9, daemon restarts.

The recorder channel (tests/conftest_db.py) writes one file per idempotency key, exclusively, so any
duplicate publication fails loudly in ``calls()``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storycast.ledger.store import Ledger
from tests.conftest_db import (  # noqa: F401  (db_url and pg_database are fixtures)
    CLI_SHIM,
    calls,
    db_url,
    make_engine_project,
    pg_database,
    run_storycast,
    subprocess_env,
)

NOW = "2026-12-01T09:00:00Z"

FIFTY = """\
timezone: UTC
entries:
  - card: card-a
    cron: "* * * * *"
    start: "2026-12-01T08:10"
    until: "2026-12-01T08:59"
    channels: [rec]
    languages: [en, es]
    grace: 2h
"""


def ledger_counts(db_url: str) -> dict[str, int]:
    ledger = Ledger.open(db_url)
    try:
        return ledger.counts()
    finally:
        ledger.close()


@pytest.mark.slow
def test_eight_concurrent_publish_due_publish_500_items_exactly_once(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"fifty.yaml": FIFTY})
    env = subprocess_env(db_url)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CLI_SHIM,
                "--project",
                str(root),
                "publish",
                "--due",
                "--now",
                NOW,
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    published = sum(json.loads(out)["published"] for out, _ in outs)
    got = calls(root)  # fails on any duplicate
    assert len(got) == 500 == published
    assert len({c["key"] for c in got}) == 500
    assert ledger_counts(db_url) == {"published": 500}
    # Frames of each story went out in order, whichever process sent them.
    by_row = {c["row"]: c for c in got}
    ledger = Ledger.open(db_url)
    try:
        rows = ledger.rows()
    finally:
        ledger.close()
    for r in rows:
        if r.frame > 1:
            prev = next(x for x in rows if x.group == r.group and x.frame == r.frame - 1)
            assert by_row[prev.id]["t"] < by_row[r.id]["t"], (prev.id, r.id)
    # A second pass finds nothing to do.
    again = run_storycast(["--project", str(root), "publish", "--due", "--now", NOW, "--json"], env)
    assert again.returncode == 0 and json.loads(again.stdout)["published"] == 0


CRASH_RUNNER = """
import os, sys
from datetime import datetime
from storycast.context import Context
from storycast.engine.tick import TickOptions, tick
from storycast.project import Project

point, k, root, now = sys.argv[1], int(sys.argv[2]), sys.argv[3], datetime.fromisoformat(sys.argv[4])
seen = {"n": 0}

def checkpoint(name, row):
    if name == point:
        seen["n"] += 1
        if seen["n"] == k:
            os._exit(9)

project = Project.load(root)
ctx = Context()
ctx.fixed_clock(now)
tick(project, ctx, now, options=TickOptions(checkpoint=checkpoint, batch=3))
sys.exit(0)
"""

TWENTY = """\
timezone: UTC
entries:
  - card: card-b
    cron: "*/15 * * * *"
    start: "2026-12-01T08:00"
    until: "2026-12-01T08:59"
    channels: [rec]
    languages: [en]
    grace: 2h
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before_claim", "after_claim", "before_send", "mid_send", "after_send"])
def test_kill_9_at_any_point_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, db_url: str, point: str
) -> None:
    root = make_engine_project(tmp_path / "p", {"twenty.yaml": TWENTY})
    rng = random.Random()
    k = rng.randint(1, 8)
    print(f"crash point {point}, occurrence {k}")
    extra = {"SC_CRASH": f"after_call:{k}"} if point == "mid_send" else {}
    env = subprocess_env(db_url, **extra)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_RUNNER, point, str(k), str(root), NOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == 9, crashed.stderr
    sent_before = {c["key"] for c in calls(root)}
    env = subprocess_env(db_url)  # the next runs do not crash
    # Run again, as cron would a minute later: everything not ambiguous goes out, once.
    again = run_storycast(["--project", str(root), "publish", "--due", "--now", "2026-12-01T09:01:00Z"], env)
    counts = ledger_counts(db_url)
    ambiguous = point in ("before_send", "mid_send", "after_send")
    if not ambiguous:
        assert again.returncode == 0, again.stderr
        assert counts == {"published": 20}
        assert len(calls(root)) == 20
        return
    assert again.returncode == 7, again.stdout + again.stderr  # an item ended unknown
    assert counts.get("unknown") == 1
    ledger = Ledger.open(db_url)
    try:
        from storycast.ledger.models import publication as p

        (unknown,) = ledger.rows(p.c.state == "unknown")
        behind = ledger.rows(p.c.entry_key == unknown.entry_key, p.c.occurrence_key == unknown.occurrence_key)
    finally:
        ledger.close()
    # The ambiguous row was never sent again; the frames after it wait for the verdict.
    keys = [c["key"] for c in calls(root)]
    assert keys.count(unknown.idempotency_key) == (0 if point == "before_send" else 1)
    if point != "before_send":
        assert unknown.idempotency_key in sent_before
    waiting = [r for r in behind if r.frame > unknown.frame]
    assert all(r.state == "planned" for r in waiting)
    assert counts.get("published") == 20 - 1 - len(waiting)
    # The user settles it; the rest of that story follows, still exactly once.
    verdict = "failed" if point == "before_send" else "published"
    res = run_storycast(["--project", str(root), "reconcile", "--resolve", f"{unknown.id}={verdict}"], env)
    assert res.returncode == 0, res.stderr
    if verdict == "failed":
        res = run_storycast(
            ["--project", str(root), "retry", str(unknown.id), "--now", "2026-12-01T09:02:00Z"], env
        )
        assert res.returncode == 0, res.stdout + res.stderr
    final = run_storycast(["--project", str(root), "publish", "--due", "--now", "2026-12-01T09:02:00Z"], env)
    assert final.returncode == 0, final.stdout + final.stderr
    assert ledger_counts(db_url) == {"published": 20}
    assert len(calls(root)) == 20


ONCE = """\
timezone: UTC
entries:
  - card: card-b
    cron: "0 * * * *"
    channels: [rec]
    languages: [en]
    grace: 30m
"""


def test_daemon_restart_inside_and_outside_grace(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"hourly.yaml": ONCE})
    env = subprocess_env(db_url, SC_FRAMES="1")

    def run_once(now: str) -> subprocess.CompletedProcess[str]:
        res = run_storycast(["--project", str(root), "run", "--once", "--no-watch", "--now", now], env)
        assert res.returncode == 0, res.stderr
        return res

    run_once("2026-12-01T08:50:00Z")  # up before 09:00: plans it, publishes nothing
    assert calls(root) == []
    run_once("2026-12-01T09:20:00Z")  # down 08:50-09:20: 09:00 is 20 min late, inside 30 min grace
    assert [c["row"] for c in calls(root)] == [1]
    res = run_once("2026-12-01T11:45:00Z")  # down 09:20-11:45: 10:00 and 11:00 are past grace
    assert len(calls(root)) == 1
    assert "missed" in res.stderr
    status = run_storycast(["--project", str(root), "status", "--json", "--all"], env)
    rows = json.loads(status.stdout)["rows"]
    by_key = {r["occurrence_key"]: r["state"] for r in rows}
    assert by_key["2026-12-01T09:00"] == "published"
    assert by_key["2026-12-01T10:00"] == "missed"
    assert by_key["2026-12-01T11:00"] == "missed"
    assert by_key["2026-12-01T12:00"] == "planned"


def _wait(pred, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_daemon_sleeps_until_due_reloads_schedules_and_stops_cleanly(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"hourly.yaml": ONCE})
    env = subprocess_env(db_url, SC_FRAMES="2")
    log = tmp_path / "daemon.log"
    with log.open("w") as fh:
        daemon = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CLI_SHIM,
                "--project",
                str(root),
                "run",
                "--json-logs",
                "--now",
                "2026-12-01T08:59:58Z",
            ],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        assert _wait(lambda: "started" in log.read_text()), log.read_text()
        # A second daemon for the same project refuses to start.
        second = run_storycast(["--project", str(root), "run", "--once"], env, timeout=60)
        assert second.returncode == 1 and "already running" in second.stderr
        # 09:00 arrives about two seconds later; the daemon wakes and publishes both frames.
        assert _wait(lambda: len(calls(root)) == 2), log.read_text()
        # A new schedule file is picked up without a restart.
        (root / "schedules" / "extra.yaml").write_text(
            'timezone: UTC\nentries:\n  - card: card-a\n    at: "2026-12-01T09:00"\n'
            "    channels: [rec]\n    languages: [es]\n    grace: 30m\n"
        )
        assert _wait(lambda: len(calls(root)) == 4), log.read_text()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    events = [json.loads(line)["event"] for line in log.read_text().splitlines() if line.startswith("{")]
    assert "reload" in events and events[-1] == "stopped"
    assert ledger_counts(db_url)["published"] == 4
    assert os.path.exists(root / ".storycast" / "daemon.lock")
