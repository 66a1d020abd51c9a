"""Scale-out on PostgreSQL with procrastinate: real worker processes, real database, real kills.

The `pgrecorder` channel (tests/scaleout_support.py) records each call in a table with a UNIQUE
idempotency key: a second call for the same post is refused by PostgreSQL and logged in
``sc_duplicates``, which every test asserts is empty.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree
from tests.conftest_db import CLI_SHIM, run_storycast, subprocess_env
from tests.scaleout_support import (
    TICK_SOURCE,
    admin_dsn,
    fresh_database,
    overlaps,
    scale_project,
    worker_env,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(admin_dsn() is None, reason="PostgreSQL is not reachable on 127.0.0.1:5432"),
]


@pytest.fixture
def pg() -> Iterator[tuple[str, str]]:
    """A throwaway database: (SQLAlchemy URL, libpq conninfo)."""
    with fresh_database() as urls:
        yield urls


def q(dsn: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql, args or None)  # type: ignore[arg-type]
        return list(cur.fetchall()) if cur.description else []


def states(dsn: str) -> dict[str, int]:
    try:
        return {str(s): int(n) for s, n in q(dsn, "SELECT state, count(*) FROM publication GROUP BY 1")}  # type: ignore[call-overload]
    except Exception:  # the ledger tables appear when the first worker starts
        return {}


def wait_for(
    pred: Callable[[], bool],
    timeout: float,
    what: str,
    step: float = 0.25,
    workers: list[subprocess.Popen[str]] | None = None,
    dsn: str | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / step) + 1):
        if pred():
            return
        if time.monotonic() > deadline:
            break
        time.sleep(step)
    logs = ""
    for w in workers or []:  # what the workers said explains most timeouts
        if w.poll() is None:  # and where each thread of a stuck worker is waiting
            w.send_signal(signal.SIGUSR1)
            time.sleep(1)
        stop([w])
        logs += f"\n--- worker {w.pid} stderr ---\n" + (w.stderr.read()[-12000:] if w.stderr else "")
    if dsn is not None:  # where the rows and the queue's jobs stood
        rows = q(
            dsn,
            "SELECT channel, lang, state, coalesce(reason, ''), claimed_by FROM publication"
            " ORDER BY channel, lang",
        )
        jobs = q(dsn, "SELECT task_name, lock, status, args FROM procrastinate_jobs ORDER BY id")
        logs += (
            "\n--- rows ---\n" + "\n".join(map(str, rows)) + "\n--- jobs ---\n" + "\n".join(map(str, jobs))
        )
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{logs}")


def start_worker(root: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI_SHIM, "--project", str(root), "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a kill reaches ffmpeg children too
    )


def stop(procs: list[subprocess.Popen[str]], timeout: float = 30) -> list[int | None]:
    """SIGTERM each (drain), wait; kill what is left. Returns the exit codes."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            codes.append(p.wait(timeout=10))
    return codes


def test_three_workers_two_tick_sources_publish_1000_items_exactly_once(
    tmp_path: Path, pg: tuple[str, str]
) -> None:
    url, dsn = pg
    n_workers, concurrency = 3, 6
    channels = [f"acct{i}" for i in range(20)]
    root = scale_project(tmp_path / "p", dsn, channels=channels, minutes=25)  # 25 x 20 x 2 = 1000 rows
    # Every worker takes part by arrangement, not by luck (a worker still starting on a loaded
    # machine used to find the queue drained): the platform holds each call until all three
    # processes have made one. That cannot deadlock: a held call holds its account's lock, but two
    # workers run at most 2 x 6 jobs at once, so the last worker always finds an account free.
    assert len(channels) > (n_workers - 1) * concurrency
    env = worker_env(url, SC_HOLD_UNTIL_PIDS=str(n_workers))
    workers = [start_worker(root, env, "--concurrency", str(concurrency)) for _ in range(n_workers)]
    # Two more tick sources besides the workers' periodic tick: processes claiming in a loop.
    ticks = [
        subprocess.Popen(
            [sys.executable, "-c", TICK_SOURCE, str(root), "40", "0.2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        wait_for(lambda: states(dsn).get("published") == 1000, 180, "1000 published rows", workers=workers)
        for t in ticks:
            _, err = t.communicate(timeout=60)
            assert t.returncode == 0, err
    finally:
        codes = stop(workers)
        for t in ticks:
            if t.poll() is None:
                t.kill()
    assert codes == [0] * n_workers, [w.stderr.read() if w.stderr else "" for w in workers]
    # Exactly once: one call per row, no duplicate refused by the platform, one attempt each.
    assert q(dsn, "SELECT count(*) FROM sc_duplicates") == [(0,)]
    assert q(dsn, "SELECT count(*), count(DISTINCT row_id), count(DISTINCT key) FROM sc_calls") == [
        (1000, 1000, 1000)
    ]
    assert states(dsn) == {"published": 1000}
    assert q(dsn, "SELECT count(*) FROM attempt") == [(1000,)]  # never a retry
    # Only the workers published (the tick sources only queue), each of them; and each channel
    # (account) saw one call at a time.
    assert {r[0] for r in q(dsn, "SELECT DISTINCT pid FROM sc_calls")} == {w.pid for w in workers}
    for ch in channels:
        spans = q(dsn, "SELECT started, finished FROM sc_calls WHERE channel = %s", ch)
        assert overlaps(spans) == 0, ch  # type: ignore[arg-type]
    # The queue drained: no publish job waiting or running; the periodic tick ran once per period.
    assert q(
        dsn,
        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
        "AND queue_name = 'publish'",
    ) == [(0,)]
    per_period = q(
        dsn,
        "SELECT defer_timestamp, count(*) FROM procrastinate_periodic_defers GROUP BY 1 HAVING count(*) > 1",
    )
    assert per_period == []


def test_worker_killed_mid_send_is_recovered_without_a_second_post(
    tmp_path: Path, pg: tuple[str, str]
) -> None:
    url, dsn = pg
    channels = ["acct0", "acct1", "acct2"]
    root = scale_project(tmp_path / "p", dsn, channels=channels, minutes=5)  # 30 rows
    # Worker A hangs inside the platform call, after the platform recorded the post.
    a = start_worker(root, worker_env(url, SC_HANG="120"), "--concurrency", "1")
    others: list[subprocess.Popen[str]] = []
    try:
        wait_for(lambda: q(dsn, "SELECT count(*) FROM sc_calls") == [(1,)], 60, "worker A's first call")
        (killed_row,) = q(dsn, "SELECT row_id FROM sc_calls")[0]
        os.killpg(a.pid, signal.SIGKILL)
        a.wait(timeout=10)
        assert states(dsn).get("sending") == 1  # the attempt was committed before the call
        others = [start_worker(root, worker_env(url), "--concurrency", "4") for _ in range(2)]
        # Recovery waits for the heartbeat to go stale (4 s) and the next tick (every 2 s):
        # 5-7 s here. (It once took minutes: the fixture's cron ticked only in even minutes.)
        wait_for(lambda: states(dsn) == {"published": 30}, 120, "every row published", workers=others)
    finally:
        codes = stop(others)
        if a.poll() is None:
            os.killpg(a.pid, signal.SIGKILL)
    assert codes == [0, 0]
    assert q(dsn, "SELECT count(*) FROM sc_duplicates") == [(0,)]
    assert q(dsn, "SELECT count(*), count(DISTINCT row_id) FROM sc_calls") == [(30, 30)]
    # The killed row: one attempt, marked unknown when its worker went silent, then reconciled
    # by the channel's lookup as published. Never sent again.
    attempts = q(dsn, "SELECT attempt_no FROM attempt WHERE publication_id = %s", killed_row)
    assert attempts == [(1,)]
    remote = q(dsn, "SELECT state, remote_id FROM publication WHERE id = %s", killed_row)
    assert remote[0][0] == "published" and str(remote[0][1]).startswith("pg-")
    # The stalled job was recovered (retried as a no-op), not left holding its channel's lock.
    assert q(
        dsn,
        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
        "AND queue_name = 'publish'",
    ) == [(0,)]


VIDEO_STORY = MINIMAL_STORY.replace(
    "      es: Espera a que la luz se ponga verde.\n",
    "      es: Espera a que la luz se ponga verde.\n    duration: 8\n",
)


@pytest.mark.slow
def test_render_job_killed_mid_encode_leaves_no_partial_file(tmp_path: Path, pg: tuple[str, str]) -> None:
    url, dsn = pg
    toml = MINIMAL_TOML + '\n[engine]\nkind = "procrastinate"\ntick_cron = "* * * * * */2"\n'
    toml += "heartbeat_seconds = 1\nstalled_after_seconds = 4\nrender_lead_minutes = 0\n"
    root = build_file_tree(tmp_path / "p", {"storycast.toml": toml, "stories/sample.yaml": VIDEO_STORY})
    out = root / ".storycast" / "renders" / "story" / "sample" / "en"
    env = subprocess_env(url)
    a = start_worker(root, env, "--queues", "render,control")
    b: subprocess.Popen[str] | None = None
    try:
        wait_for(
            lambda: bool(q(dsn, "SELECT to_regclass('procrastinate_jobs') IS NOT NULL")[0][0]), 60, "schema"
        )
        q(
            dsn,
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('render', 'storycast.render', 0, NULL, "
            "NULL, %s::jsonb, NULL)::procrastinate_job_to_defer_v1])",
            '{"kind": "story", "ref": "sample", "lang": "en", "video": true}',
        )

        def encoding() -> bool:  # ffmpeg is writing a segment or the story's MP4
            return out.is_dir() and any(out.rglob(".*.tmp.mp4"))

        wait_for(encoding, 120, "the encoder's temp file", step=0.05)
        os.killpg(a.pid, signal.SIGKILL)  # the worker and its ffmpeg, mid-encode
        a.wait(timeout=10)
        time.sleep(0.5)
        assert not (out / "story.mp4").exists()  # nothing under the final name
        left = [f.name for f in out.rglob("*") if f.is_file() and f.suffix == ".mp4"]
        assert left and all(name.startswith(".") for name in left), left  # only hidden temps
        # Another worker recovers the job once A's heartbeat is stale; it re-renders and clears
        # the dead process's temp files.
        b = start_worker(root, env, "--queues", "render,control")
        wait_for(lambda: (out / "story.mp4").exists(), 150, "the recovered render")
        wait_for(lambda: not list(out.rglob(".*.tmp*")), 30, "temp files cleared")
    finally:
        stop([p for p in (a, b) if p is not None])
    from storycast.render.video.probe import probe

    info = probe(out / "story.mp4")
    assert info.duration and info.duration > 1


MIGRATE_SCHEDULE = """\
timezone: UTC
entries:
  - card: card-a
    cron: "*/10 * * * *"
    start: "2026-12-01T08:00"
    until: "2026-12-01T08:59"
    channels: [rec]
    languages: [en, es]
    grace: 2h
"""


def test_sqlite_ledger_migrates_to_postgresql_row_for_row(tmp_path: Path, pg: tuple[str, str]) -> None:
    from sqlalchemy import select

    from storycast.ledger.models import Base
    from storycast.ledger.store import Ledger
    from tests.conftest_db import make_engine_project

    url, _dsn = pg
    root = make_engine_project(tmp_path / "p", {"m.yaml": MIGRATE_SCHEDULE})
    lite = f"sqlite:///{tmp_path / 'state.db'}"
    env = subprocess_env(lite, SC_FRAMES="2")
    done = run_storycast(["--project", str(root), "publish", "--due", "--now", "2026-12-01T09:00:00Z"], env)
    assert done.returncode == 0, done.stderr
    ledger = Ledger.open(lite)
    try:
        ledger.set_meta("migration-test", "ünïcødé ✓")
        from datetime import UTC, datetime

        ledger.add_event(1, "note", {"text": "before the move ✓"}, datetime(2026, 12, 1, 10, tzinfo=UTC))
        src_counts = ledger.counts()
    finally:
        ledger.close()
    assert sum(src_counts.values()) >= 20

    res = run_storycast(["--project", str(root), "db", "migrate-to", url, "--json"], env)
    assert res.returncode == 0, res.stderr
    import json

    report = json.loads(res.stdout)
    assert report["total"] > 40 and "postgres@" in report["target"]

    def dump(db: str) -> dict[str, list[tuple[object, ...]]]:
        led = Ledger.open(db)
        try:
            with led.engine.connect() as c:
                return {
                    t.name: [tuple(r) for r in c.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in Base.metadata.sorted_tables
                }
        finally:
            led.close()

    before, after = dump(lite), dump(url)
    assert before == after
    assert before["publication"] and before["attempt"] and before["meta"]
    # New rows continue after the copied ids (sequences were moved on).
    led = Ledger.open(url)
    try:
        top = max(r[0] for r in before["event"])  # type: ignore[type-var]
        led.add_event(None, "after-migration", "x", datetime(2026, 12, 2, tzinfo=UTC))
        assert max(r[0] for r in dump(url)["event"]) > top  # type: ignore[type-var,operator]
    finally:
        led.close()
    # Never into a ledger that has rows.
    again = run_storycast(["--project", str(root), "db", "migrate-to", url], env)
    assert again.returncode == 6 and "already has ledger rows" in again.stderr


def test_worker_refuses_sqlite_with_a_clear_error(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "p", {"storycast.toml": 'engine = "procrastinate"\n' + MINIMAL_TOML})
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}")
    res = run_storycast(["--project", str(root), "worker"], env, timeout=60)
    assert res.returncode == 3, res.stderr
    assert "needs a PostgreSQL ledger" in res.stderr and "migrate-to" in res.stderr
    embedded = build_file_tree(tmp_path / "e", {"storycast.toml": MINIMAL_TOML})
    res = run_storycast(["--project", str(embedded), "worker"], env, timeout=60)
    assert res.returncode == 3 and "embedded" in res.stderr


def test_queue_status_reports_depth_workers_and_stuck_jobs(tmp_path: Path, pg: tuple[str, str]) -> None:
    from storycast.engine.scaleout import ensure_schema, queue_status
    from storycast.project import Project

    url, dsn = pg
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=2)
    project = Project.load(root, {**os.environ, "STORYCAST_DB": url})
    assert queue_status(project).schema is False
    ensure_schema(dsn)
    assert ensure_schema(dsn) is False  # idempotent
    q(
        dsn,
        "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('publish', 'storycast.publish', 0, NULL, NULL, "
        "'{\"row_ids\": []}'::jsonb, NULL)::procrastinate_job_to_defer_v1])",
    )
    wid = q(
        dsn,
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') RETURNING id",
    )
    q(dsn, "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s", wid[0][0])
    st = queue_status(project)
    assert st.depth == {"publish": {"doing": 1}}
    assert (st.workers_alive, st.workers_stalled) == (0, 1)
    assert [j["task"] for j in st.stuck] == ["storycast.publish"]
    assert any("stuck job" in line for line in st.lines())
    # `storycast status` shows the same, after the ledger's counts.
    res = run_storycast(["--project", str(root), "status"], worker_env(url), timeout=60)
    assert res.returncode == 0, res.stderr
    assert "queue publish: doing 1" in res.stdout and "workers: 0 alive, 1 silent" in res.stdout
    assert "stuck job" in res.stdout


def test_ticks_resume_after_a_periodic_defer_left_without_its_job(
    tmp_path: Path, pg: tuple[str, str]
) -> None:
    """procrastinate#1495: a worker that died between recording a periodic defer and creating its
    job leaves a row with a NULL job id; a restarted worker must keep ticking."""
    from storycast.engine.scaleout import ensure_schema

    url, dsn = pg
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=2)  # 4 rows
    ensure_schema(dsn)
    now = int(time.time())
    for ts in (now - 2, now - 1, now):  # the orphaned records a crash would leave
        q(
            dsn,
            "INSERT INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp, job_id) "
            "VALUES ('storycast.tick', 'tick', %s, NULL)",
            ts,
        )
    w = start_worker(root, worker_env(url), "--concurrency", "2")

    def newest() -> int:
        got = q(dsn, "SELECT max(defer_timestamp) FROM procrastinate_periodic_defers")[0][0]
        return int(got) if isinstance(got, int) else 0

    try:
        wait_for(lambda: states(dsn) == {"published": 4}, 60, "ticks after the orphaned defers")
        wait_for(lambda: newest() > now + 2, 120, "periods after the orphaned ones")
    finally:
        assert stop([w]) == [0]


def test_publish_due_queues_for_the_workers_and_run_points_to_them(
    tmp_path: Path, pg: tuple[str, str]
) -> None:
    """Under procrastinate, cron's `publish --due` claims onto the queue; only workers publish."""
    import json

    url, dsn = pg
    # A yearly tick: the worker's own periodic tick stays out of the way of this test's.
    channels = ["acct0", "acct1", "acct2"]
    root = scale_project(tmp_path / "p", dsn, channels=channels, minutes=2, engine={"tick_cron": "0 0 1 1 *"})
    env = worker_env(url)
    res = run_storycast(["--project", str(root), "publish", "--due", "--json"], env)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    # Each occurrence's English row first; its Spanish row follows once the English one is out.
    assert (report["queued"], report["published"]) == (6, 0)
    assert states(dsn) == {"claimed": 6, "planned": 6}
    assert q(dsn, "SELECT count(*) FROM sc_calls") == [(0,)]  # nothing sent from the cron process
    jobs = q(dsn, "SELECT lock, count(*) FROM procrastinate_jobs WHERE queue_name = 'publish' GROUP BY 1")
    assert sorted(jobs) == [("account:acct0", 1), ("account:acct1", 1), ("account:acct2", 1)]
    # Plain output says where the rows went.
    again = run_storycast(["--project", str(root), "publish", "--due"], env)
    assert again.returncode == 0 and "published 0" in again.stdout

    worker = start_worker(root, env, "--concurrency", "3")
    try:
        wait_for(
            lambda: states(dsn) == {"published": 12},
            120,
            "the queued rows published",
            workers=[worker],
            dsn=dsn,
        )
    finally:
        assert stop([worker]) == [0]
    assert q(dsn, "SELECT count(*), count(DISTINCT row_id) FROM sc_calls") == [(12, 12)]

    daemon = run_storycast(["--project", str(root), "run", "--once"], env, timeout=60)
    assert daemon.returncode == 3, daemon.stderr
    assert "storycast worker" in daemon.stderr and "procrastinate" in daemon.stderr


def _fetch_as_a_worker(dsn: str) -> int:
    """Take the next publish job as a worker would (status ``doing``); return its id."""
    wid = q(dsn, "INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")[0][0]
    got = q(dsn, "SELECT id FROM procrastinate_fetch_job_v2(ARRAY['publish'], %s)", wid)
    assert got and got[0][0] is not None
    return int(got[0][0])  # type: ignore[call-overload]


def _publish_jobs(dsn: str) -> list[tuple[object, ...]]:
    return q(
        dsn,
        "SELECT id, status::text, args->'row_ids' FROM procrastinate_jobs "
        "WHERE task_name = 'storycast.publish' ORDER BY id",
    )


def test_a_publish_job_goes_on_with_its_channels_next_rows_and_records_them(
    tmp_path: Path, pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job publishes what its rows let go next (the next language), then takes over the job
    waiting behind its lock; every row it takes is in its own row_ids (what recovery reads)."""
    from storycast.context import Context
    from storycast.engine.scaleout import ensure_schema, make_app
    from storycast.project import Project

    url, dsn = pg
    monkeypatch.setenv("SC_FRAMES", "1")
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=2)  # en, es x 2 occurrences
    ensure_schema(dsn)
    scale = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
    try:
        assert scale.runtime.tick_once().count("queued") == 2  # the English rows; Spanish waits
        (job, _, queued), *_ = _publish_jobs(dsn)
        en1, en2 = queued  # type: ignore[misc]
        # Split the tick's job in two, as a tick that ran while the first was running leaves it:
        # the second waits behind the first's lock.
        q(
            dsn,
            "UPDATE procrastinate_jobs SET args = jsonb_build_object('row_ids', jsonb_build_array(%s::int))"
            " WHERE id = %s",
            en1,
            job,
        )
        q(
            dsn,
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('publish', 'storycast.publish', 0, "
            "'account:acct0', NULL, jsonb_build_object('row_ids', jsonb_build_array(%s::int)), NULL)"
            "::procrastinate_job_to_defer_v1])",
            en2,
        )
        assert _fetch_as_a_worker(dsn) == job
        assert scale.runtime.publish_rows([en1], job_id=job) == ["published"]  # type: ignore[list-item]
    finally:
        scale.runtime.close()
    rows = dict(q(dsn, "SELECT id, lang FROM publication"))
    sent = [r[0] for r in q(dsn, "SELECT row_id FROM sc_calls ORDER BY started")]
    assert [rows[r] for r in sent] == ["en", "es", "en", "es"]  # each language after its English
    assert sent[0] == en1 and sent[2] == en2
    assert states(dsn) == {"published": 4}
    assert q(dsn, "SELECT count(*) FROM attempt") == [(4,)]
    jobs = _publish_jobs(dsn)
    assert [(j[1], j[2]) for j in jobs] == [("doing", sent)]  # the waiting job was taken over


def test_a_job_taken_for_dead_claims_nothing_more(
    tmp_path: Path, pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose worker was taken for dead (the job retried elsewhere) publishes its own rows
    but claims no next row for itself: the claim would be in no job's row_ids."""
    from storycast.context import Context
    from storycast.engine.scaleout import ensure_schema, make_app
    from storycast.project import Project

    url, dsn = pg
    monkeypatch.setenv("SC_FRAMES", "1")
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=1)  # en, es
    ensure_schema(dsn)
    scale = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
    try:
        assert scale.runtime.tick_once().count("queued") == 1
        (job, _, (en,)), *_ = _publish_jobs(dsn)  # type: ignore[misc]
        assert _fetch_as_a_worker(dsn) == job
        q(dsn, "UPDATE procrastinate_jobs SET status = 'todo', worker_id = NULL WHERE id = %s", job)
        assert scale.runtime.publish_rows([en], job_id=job) == ["published"]
    finally:
        scale.runtime.close()
    assert states(dsn) == {"published": 1, "planned": 1}  # Spanish: for the next tick
    assert [(j[1], j[2]) for j in _publish_jobs(dsn)] == [("todo", [en])]


def test_rows_claimed_for_a_channel_whose_job_runs_go_to_that_job(
    tmp_path: Path, pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim for a channel whose publish job is running adds the rows to that job instead of
    queueing a job behind its lock; the job publishes them before it closes its list, and a
    closed job takes no more."""
    import psycopg

    from storycast.context import Context
    from storycast.engine.scaleout import ensure_schema, make_app
    from storycast.engine.scaleout.jobtable import hand_to_running
    from storycast.project import Project

    url, dsn = pg
    monkeypatch.setenv("SC_FRAMES", "1")
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=2)
    ensure_schema(dsn)
    scale = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
    try:
        assert scale.runtime.tick_once().count("queued") == 2
        (job, _, english), *_ = _publish_jobs(dsn)
        assert _fetch_as_a_worker(dsn) == job
        # The English rows go out by another way while the job runs (as a re-delivered job's
        # would); the Spanish rows they let go are claimed and handed to the running job.
        assert scale.runtime.publish_rows(english) == ["published", "published"]  # type: ignore[arg-type]
        assert states(dsn) == {"published": 2, "claimed": 2}
        (_, _, handed), *more = _publish_jobs(dsn)
        assert more == [] and len(handed) == 4  # type: ignore[arg-type]
        assert scale.runtime.publish_rows(english, job_id=job) == ["noop:published"] * 2  # type: ignore[arg-type]
    finally:
        scale.runtime.close()
    assert states(dsn) == {"published": 4}
    assert q(dsn, "SELECT count(*) FROM sc_calls") == [(4,)]
    assert q(dsn, "SELECT args->'closed' FROM procrastinate_jobs WHERE id = %s", job) == [(True,)]
    with psycopg.connect(dsn) as conn:
        assert not hand_to_running(conn, "storycast.publish", "account:acct0", {"row_ids": [1]})


def test_a_tick_defers_each_channels_job_under_its_lock_or_hands_its_rows_to_the_running_one(
    tmp_path: Path, pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One tick claiming for several channels defers their jobs together: one job per channel
    under that channel's lock, except a channel whose job is running with its list open, which
    takes the rows itself. A job that closed its list takes none."""
    from storycast.context import Context
    from storycast.engine.scaleout import ensure_schema, make_app
    from storycast.project import Project

    url, dsn = pg
    monkeypatch.setenv("SC_FRAMES", "1")
    root = scale_project(tmp_path / "p", dsn, channels=["acct0", "acct1", "acct2"], minutes=1)
    ensure_schema(dsn)
    scale = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
    for channel in ("acct1", "acct2"):  # a running job each: acct1's list open, acct2's closed
        q(
            dsn,
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('publish', 'storycast.publish', 0, %s, NULL, "
            "jsonb_build_object('row_ids', '[]'::jsonb), NULL)::procrastinate_job_to_defer_v1])",
            f"account:{channel}",
        )
    running, closed = _fetch_as_a_worker(dsn), _fetch_as_a_worker(dsn)
    q(dsn, """UPDATE procrastinate_jobs SET args = args || '{"closed": true}' WHERE id = %s""", closed)
    try:
        assert scale.runtime.tick_once().count("queued") == 3  # each channel's English row
    finally:
        scale.runtime.close()
    english = dict(q(dsn, "SELECT channel, id FROM publication WHERE lang = 'en'"))
    jobs = q(
        dsn,
        "SELECT id, queue_name, lock, status::text, args->'row_ids' FROM procrastinate_jobs"
        " WHERE task_name = 'storycast.publish' ORDER BY id",
    )
    assert jobs[:2] == [
        (running, "publish", "account:acct1", "doing", [english["acct1"]]),
        (closed, "publish", "account:acct2", "doing", []),
    ]
    assert sorted(j[1:] for j in jobs[2:]) == [
        ("publish", "account:acct0", "todo", [english["acct0"]]),
        ("publish", "account:acct2", "todo", [english["acct2"]]),
    ]


def test_a_worker_reads_the_content_before_its_first_jobs(
    tmp_path: Path, pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runtime.warm (a worker's start) reads the project's content, so the publish jobs that
    start together do not each read it (every Publisher refreshes it) before their first post."""
    from storycast.context import Context
    from storycast.engine.scaleout import ensure_schema, make_app
    from storycast.project import Project

    url, dsn = pg
    monkeypatch.setenv("SC_FRAMES", "1")
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=1)
    ensure_schema(dsn)
    scale = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
    try:
        assert "content" not in scale.project.__dict__
        scale.runtime.warm(1)
        read = scale.project.__dict__.get("content")
        assert read is not None
        assert scale.project.refresh_content() is read  # nothing changed: not read again
    finally:
        scale.runtime.close()


def test_a_worker_loads_the_frame_sources_before_its_first_jobs(tmp_path: Path, pg: tuple[str, str]) -> None:
    """Runtime.warm loads the entry kinds' frame sources (the engage plugin's modules among them)
    in a fresh worker process, before any publish job asks for a row's frames."""
    url, dsn = pg
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=1)
    code = (
        "import sys; from storycast.context import Context; "
        "from storycast.engine.scaleout import ensure_schema, make_app; "
        "from storycast.project import Project; "
        f"ensure_schema({dsn!r}); scale = make_app(Project.load({str(root)!r}), Context()); "
        "before = 'storycast.engage.frames' in sys.modules; scale.runtime.warm(1); "
        "print(before, 'storycast.engage.frames' in sys.modules); scale.runtime.close()"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], env=worker_env(url), capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "True"]


def test_running_jobs_of_many_channels_take_their_rows_in_one_statement(pg: tuple[str, str]) -> None:
    """jobtable.hand_many: each channel's running job with an open list and the same force flag
    takes its rows; a closed list, a different force flag or no running job takes none."""
    import psycopg

    from storycast.engine.scaleout import ensure_schema
    from storycast.engine.scaleout.jobtable import hand_many

    _, dsn = pg
    ensure_schema(dsn)
    for channel in ("a", "b", "c"):
        q(
            dsn,
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('publish', 'storycast.publish', 0, %s, NULL, "
            "jsonb_build_object('row_ids', '[1]'::jsonb), NULL)::procrastinate_job_to_defer_v1])",
            f"account:{channel}",
        )
    a, b, c = (_fetch_as_a_worker(dsn) for _ in range(3))
    q(dsn, """UPDATE procrastinate_jobs SET args = args || '{"closed": true}' WHERE id = %s""", b)
    jobs: list[tuple[str, dict[str, object]]] = [
        ("account:a", {"row_ids": [7, 8]}),
        ("account:b", {"row_ids": [9]}),
        ("account:c", {"row_ids": [10], "force": True}),
        ("account:d", {"row_ids": [11]}),
    ]
    with psycopg.connect(dsn) as conn:
        assert hand_many(conn, "storycast.publish", jobs) == {"account:a"}
        assert hand_many(conn, "storycast.publish", []) == set()
    got: dict[object, object] = dict(
        q(dsn, "SELECT id, args->'row_ids' FROM procrastinate_jobs WHERE id = ANY(%s)", [a, b, c])  # type: ignore[arg-type]
    )
    assert got == {a: [1, 7, 8], b: [1], c: [1]}


def test_a_tick_plans_again_only_when_the_files_changed_or_the_plan_is_30_s_old(
    tmp_path: Path, pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ticks seconds apart do not read the whole plan back while nothing it was made from
    changed; a changed schedule, a broken file or a plan 30 s old makes the next tick plan."""
    from datetime import UTC, datetime, timedelta

    from storycast.context import Context
    from storycast.engine.scaleout import ensure_schema, make_app
    from storycast.project import Project

    url, dsn = pg
    monkeypatch.setenv("SC_FRAMES", "1")
    root = scale_project(tmp_path / "p", dsn, channels=["acct0"], minutes=2)
    ensure_schema(dsn)
    scale = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
    schedule = root / "schedules" / "load.yaml"
    t0 = datetime.now(UTC).replace(microsecond=0)
    try:
        tick = scale.runtime.tick_once
        assert tick(t0).materialized is not None
        assert tick(t0 + timedelta(seconds=1)).materialized is None  # same files, 1 s later
        # Another worker (a second App on the same ledger) relies on the same plan.
        other = make_app(Project.load(root, {**os.environ, "STORYCAST_DB": url}), Context())
        try:
            assert other.runtime.tick_once(t0 + timedelta(seconds=2)).materialized is None
        finally:
            other.runtime.close()
        # A changed schedule (Spanish dropped): planned again at the next tick, a second later.
        text = schedule.read_text(encoding="utf-8").replace("languages: [en, es]", "languages: [en]")
        schedule.write_text(text, encoding="utf-8")
        report = tick(t0 + timedelta(seconds=3))
        assert report.materialized is not None and report.materialized.cancelled == 2  # es left
        assert tick(t0 + timedelta(seconds=4)).materialized is None
        # A broken schedule: every tick plans (and holds), until it is fixed.
        schedule.write_text(text + "  - card: [\n", encoding="utf-8")
        assert tick(t0 + timedelta(seconds=5)).materialized is not None
        assert tick(t0 + timedelta(seconds=6)).materialized is not None
        schedule.write_text(text, encoding="utf-8")
        assert tick(t0 + timedelta(seconds=7)).materialized is not None
        assert tick(t0 + timedelta(seconds=8)).materialized is None
        # The plan is 30 s old: planned again (the horizon's far end moves on).
        assert tick(t0 + timedelta(seconds=37)).materialized is not None
        assert tick(t0 + timedelta(seconds=38)).materialized is None
    finally:
        scale.runtime.close()
    assert states(dsn) == {"cancelled": 2, "claimed": 2}
