"""Run ``storycast`` with the given arguments and record when each frame is drawn (for bench/render.py).

    python bench/_timeline.py TIMELINE_FILE START storycast-arguments...

``START`` is the bench's clock (``time.time()``) just before it started this process. One JSON
line per frame drawn, in whichever process drew it: ``{"pid", "start", "end"}`` in seconds since
``START``. The command is the same one a user runs (``storycast.cli.main`` in this interpreter);
only the frame drawing call is wrapped, which costs microseconds per frame.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    path, start = sys.argv[1], float(sys.argv[2])
    import storycast.render.jobs as jobs
    import storycast.render.scheduler as scheduler

    drawn = jobs.draw_job

    def draw_job(job: jobs.FrameJob) -> jobs.FrameOutput:
        began = time.time() - start
        out = drawn(job)
        line = json.dumps({"pid": os.getpid(), "start": began, "end": time.time() - start}) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return out

    jobs.draw_job = draw_job  # type: ignore[assignment]
    scheduler.draw_job = draw_job  # type: ignore[assignment]
    from storycast.cli import main as storycast_main

    sys.argv = ["storycast", *sys.argv[3:]]
    storycast_main()


if __name__ == "__main__":
    main()
