"""Run ``storycast`` with the given arguments and record when each frame is drawn (for bench/render.py).

    python bench/_timeline.py TIMELINE_FILE START storycast-arguments...

``START`` is the bench's clock (``time.time()``) just before it started this process. One JSON
line per frame drawn, in whichever process drew it: ``{"pid", "start", "end", "cpu"}``, the times
in seconds since ``START`` and ``cpu`` the CPU time (user + system) that process had used when the
frame was done. At exit the command's own process adds ``{"pid", "exit", "cpu"}``: its CPU time
without its children's (the drawing workers). The command is the same one a user runs
(``storycast.cli.main`` in this interpreter); only the frame drawing call is wrapped, which costs
microseconds per frame.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time


def _write(path: str, record: dict[str, float]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


def main() -> None:
    path, start = sys.argv[1], float(sys.argv[2])
    import storycast.render.jobs as jobs
    import storycast.render.scheduler as scheduler

    drawn = jobs.draw_job
    command = os.getpid()

    def draw_job(job: jobs.FrameJob) -> jobs.FrameOutput:
        began = time.time() - start
        out = drawn(job)
        end = time.time() - start
        _write(path, {"pid": os.getpid(), "start": began, "end": end, "cpu": time.process_time()})
        return out

    def at_exit() -> None:
        if os.getpid() == command:
            _write(path, {"pid": command, "exit": time.time() - start, "cpu": time.process_time()})

    jobs.draw_job = draw_job  # type: ignore[assignment]
    scheduler.draw_job = draw_job  # type: ignore[assignment]
    atexit.register(at_exit)
    from storycast.cli import main as storycast_main

    sys.argv = ["storycast", *sys.argv[3:]]
    storycast_main()


if __name__ == "__main__":
    main()
