"""The drawing pool of `render --jobs`: tasks of one key stay with one worker while it has room
(a picture is fitted once), and a worker with nothing of its own helps another."""

from __future__ import annotations

import os
import time
from pathlib import Path

from storycast.render.jobs import Pool


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_tasks_of_one_key_go_to_one_worker(tmp_path: Path) -> None:
    pool = Pool(2, tmp_path, [])
    try:
        futures = [pool.submit(_pid_after, 0.2, key=key) for key in ("a", "b", "a", "b")]
        pids = [f.result(timeout=60) for f in futures]
    finally:
        pool.close()
    assert pids[0] == pids[2] and pids[1] == pids[3] and pids[0] != pids[1]


def test_an_idle_worker_takes_another_workers_key(tmp_path: Path) -> None:
    # Six long tasks of one key: the first worker takes two (its queue is full), and the second
    # worker, with no key of its own waiting, takes the others rather than stand idle.
    pool = Pool(2, tmp_path, [])
    try:
        futures = [pool.submit(_pid_after, 0.3, key="a") for _ in range(6)]
        pids = [f.result(timeout=60) for f in futures]
    finally:
        pool.close()
    assert len(set(pids)) == 2


def test_a_failing_task_reaches_its_caller(tmp_path: Path) -> None:
    pool = Pool(1, tmp_path, [])
    try:
        future = pool.submit(int, "not a number", key="x")
        error = future.exception(timeout=60)
        assert isinstance(error, ValueError)
        assert pool.submit(_pid_after, 0, key="x").result(timeout=60) > 0  # the pool goes on
    finally:
        pool.close()


def _die() -> None:
    os._exit(3)  # as a worker killed for memory or crashed in a C library would


def test_a_worker_that_dies_settles_every_task_and_does_not_hang(tmp_path: Path) -> None:
    from concurrent.futures.process import BrokenProcessPool

    pool = Pool(2, tmp_path, [])
    try:
        futures = [pool.submit(_die, key="a")] + [pool.submit(_pid_after, 0.2, key="a") for _ in range(5)]
        for future in futures:
            future.exception(timeout=30)  # settled, with a result or an error: nobody waits forever
        assert isinstance(futures[0].exception(), BrokenProcessPool)
    finally:
        pool.close()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as f:  # a zombie has exited too
        return f.read().split(")")[-1].split()[0] == "Z"


def test_ctrl_c_reaches_the_parent_and_close_stops_every_worker(tmp_path: Path) -> None:
    import signal

    # Ctrl-C goes to the whole process group: the workers ignore it and finish their task (the
    # parent stops the render); close() then ends every worker, the ones the first forked too.
    pool = Pool(2, tmp_path, [])
    try:
        futures = [pool.submit(_pid_after, 1.0, key=k) for k in ("a", "b")]
        deadline = time.monotonic() + 30
        while not all(f.running() for f in futures) and time.monotonic() < deadline:
            time.sleep(0.02)
        pids = [pid for pid in pool.pids if pid is not None]
        assert len(pids) == 2
        for pid in pids:
            os.kill(pid, signal.SIGINT)
        assert sorted(f.result(timeout=30) for f in futures) == sorted(pids)
    finally:
        pool.close()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in pids)


def test_staggered_the_first_worker_runs_alone_until_the_others_are_started(tmp_path: Path) -> None:
    pool = Pool(2, tmp_path, [], stagger=True)
    try:
        alone = [pool.submit(_pid_after, 0.1, key=k) for k in ("a", "b", "a", "b")]
        first = {f.result(timeout=60) for f in alone}
        pool.start_others()
        later = [pool.submit(_pid_after, 0.3, key="c") for _ in range(6)]
        pids = {f.result(timeout=60) for f in later}
    finally:
        pool.close()
    assert len(first) == 1
    assert len(pids) == 2 and first < pids  # the first worker and the one it forked


def _burn(seconds: float) -> int:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return os.getpid()


def test_every_workers_cpu_time_is_counted_as_the_parents_childrens(tmp_path: Path) -> None:
    # The workers after the first are its children: it reaps them, so their CPU time reaches
    # the parent's RUSAGE_CHILDREN (what `time` and the benches read) once the pool is closed.
    import resource

    def children() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    before = children()
    pool = Pool(2, tmp_path, [])
    try:
        futures = [pool.submit(_burn, 0.4, key=k) for k in ("a", "b")]
        pids = {f.result(timeout=60) for f in futures}
    finally:
        pool.close()
    assert len(pids) == 2
    assert children() - before >= 0.75


def test_a_pool_closed_without_waiting_is_reaped_later_with_its_cpu_time(tmp_path: Path) -> None:
    import resource

    from storycast.render.jobs import reap_workers

    def children() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    before = children()
    pool = Pool(2, tmp_path, [])
    futures = [pool.submit(_burn, 0.4, key=k) for k in ("a", "b")]
    assert len({f.result(timeout=60) for f in futures}) == 2
    pool.close(wait=False)
    reap_workers()
    assert children() - before >= 0.75
    assert pool.first is not None and _gone(pool.first)
