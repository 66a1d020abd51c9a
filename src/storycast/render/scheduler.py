"""The drawing part of one render call: which frames to draw, in this process or in ``--jobs``
worker processes, progress events and results as frames arrive."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import StorycastError
from . import cache as cache_mod
from .diagnose import frame_error
from .finish import finish
from .jobs import ExecutorPool, FrameJob, FrameOutput, Pool, draw_job, draw_jobs, warm_up
from .prepare import Prepared, PreparedFrame
from .results import ProgressEvent, ProgressFn

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..project import Project


class RenderRun:
    """The drawing part of one render call: which frames to draw, where, progress, results."""

    def __init__(self, project: Project, fmt: str, progress: ProgressFn | None, total: int) -> None:
        self.project = project
        self.store = cache_mod.FrameCache(project.state_dir / "cache" / "frames")
        self.fmt = fmt
        self.progress = progress
        self.total = total
        self.done = 0
        self.preps: list[Prepared] = []
        self.todo: list[tuple[Prepared, PreparedFrame]] = []
        self.pool: Pool | ExecutorPool | None = None
        self.meta: dict[Future[Any], list[tuple[Prepared, PreparedFrame]]] = {}
        self.waiting: list[tuple[Prepared, PreparedFrame]] = []  # for the pool, not yet handed out
        self.remaining: dict[int, int] = {}

    def add(self, prep: Prepared) -> None:
        """Take one prepared story/language: report its cached frames, queue (or submit) the rest."""
        self.preps.append(prep)
        if prep.unchanged is not None:
            for record in prep.unchanged.get("frames", []):
                self.done += 1
                if self.progress is not None:
                    self.progress(
                        ProgressEvent(
                            prep.story.id, prep.lang, record.get("index", 0), True, self.done, self.total
                        )
                    )
        for frame in prep.frames:
            if frame.state != "miss":
                self.report(prep, frame, True)
                continue
            self.todo.append((prep, frame))
            if self.pool is not None:
                self.waiting.append((prep, frame))

    def report(self, prep: Prepared, frame: PreparedFrame, cached: bool) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(
                ProgressEvent(prep.story.id, prep.lang, frame.plan.index, cached, self.done, self.total)
            )

    def job(self, prep: Prepared, frame: PreparedFrame) -> FrameJob:
        cfg = self.project.config
        return FrameJob(
            root=str(self.project.root),
            spec=frame.spec,
            lang=prep.lang,
            fmt=self.fmt,
            quality=cfg.render.quality,
            logo=cfg.brand.logo,
            thumb=True,
            timeout=cfg.render.frame_timeout,
        )

    def accept(self, prep: Prepared, frame: PreparedFrame, out: FrameOutput | StorycastError) -> None:
        if isinstance(out, StorycastError):
            if prep.error is None:
                prep.error = frame_error(prep.story, prep.lang, frame.plan, out, self.project.config_path)
        else:
            frame.output = out
            frame.payload = out.payload
            prep.seconds += out.seconds
        self.report(prep, frame, False)

    def start_pool(self, workers: int, langs: Sequence[str], *, stagger: bool = False) -> None:
        """Fork the drawing workers (fonts and the Thai dictionary loaded first, so they share
        them) and hand them every frame still to draw.

        With ``--no-cache`` this happens before the first template is rendered: the workers
        draw each story/language as soon as this process has prepared it, while it prepares
        the next ones. ``stagger``: one worker draws while this process renders templates (the
        two cores are busy), and it forks the others when :meth:`templates_done` says the
        templates are all rendered: they start with its caches (the cards' and backgrounds'
        tiles, fitted pictures, measured text) instead of making them again.
        """
        if sys.platform.startswith("linux"):
            self.pool = Pool(workers, self.project.root, langs, stagger=stagger)
        else:
            self.pool = ExecutorPool(workers, self.project.root, langs)
        self.waiting.extend(self.todo)

    def templates_done(self) -> None:
        """Every template is rendered: start the staggered workers now."""
        if isinstance(self.pool, Pool):
            self.pool.start_others()

    def draw_here(self, prep: Prepared, frame: PreparedFrame) -> None:
        """Draw one frame in this process."""
        try:
            out: FrameOutput | StorycastError = draw_job(self.job(prep, frame))
        except StorycastError as exc:
            out = exc
        self.accept(prep, frame, out)

    def serial(self) -> None:
        warm_up(self.project.root, sorted({p.lang for p, _ in self.todo}))
        for prep, frame in self.todo:
            self.draw_here(prep, frame)

    def flush(self) -> None:
        """Hand the waiting frames to the pool, one task per frame position of a story.

        Frame n of a story looks alike in every language: same picture, same shapes, same
        layout boxes. The pool sends every language's frame n to the same worker, which fits
        the picture once instead of once per worker.
        """
        assert self.pool is not None
        groups: dict[tuple[str, int], list[tuple[Prepared, PreparedFrame]]] = {}
        for prep, frame in self.waiting:
            groups.setdefault((prep.story.id, frame.plan.index), []).append((prep, frame))
        self.waiting = []
        for key, batch in groups.items():
            fut = self.pool.submit(draw_jobs, [self.job(prep, frame) for prep, frame in batch], key=key)
            self.meta[fut] = batch
            for prep, _ in batch:
                self.remaining[id(prep)] = self.remaining.get(id(prep), 0) + 1

    def collect(self) -> None:
        """Wait for the pool; a story/language whose frames are all drawn is finished here at
        once (its contact sheet from the thumbnails the workers made, its files written) while
        the workers draw the other frames.

        Every template was rendered before collecting started (template errors have stopped
        the build by now), so a complete story/language can be written. Finishing as frames
        arrive, rather than queueing contact sheets behind the frames still to draw, keeps the
        end of the build short: only the last story/language is finished after the last frame.
        """
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        assert self.pool is not None
        pending = set(self.meta)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                batch = self.meta.pop(fut)
                try:
                    outputs: list[FrameOutput | StorycastError] = fut.result()
                except BrokenProcessPool as exc:
                    raise StorycastError(
                        "a drawing worker stopped unexpectedly (killed, or out of memory); the "
                        "stories and languages it had not finished keep their previous build",
                        hint="run the command again; with --jobs 1 every frame is drawn in this process",
                    ) from exc
                for (prep, frame), out in zip(batch, outputs, strict=True):
                    self.accept(prep, frame, out)
                    self.remaining[id(prep)] -= 1
                    if self.remaining[id(prep)] == 0 and prep.error is None:
                        prep.result = finish(self.project, prep, self.store)
                        for done in prep.frames:  # written: let go of its bytes (frame, web size, thumbnail)
                            done.payload = done.output = None


def cpu_count() -> int:
    """CPUs this process may use (for the ``--jobs`` default and messages)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
