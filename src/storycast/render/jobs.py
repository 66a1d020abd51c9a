"""Drawing work units and where they run: in this process, or in a pool of worker processes.

A :class:`FrameJob` carries everything needed to draw one frame (the validated spec, the project
folder, the language, output format); :func:`draw_job` turns it into encoded bytes plus the text
reports. :func:`contact_job` builds a contact sheet. :class:`Pool` runs both in worker processes
that warm up (fonts, the Thai dictionary) while the parent is still rendering templates.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..errors import StorycastError
from . import manifest as manifest_mod

if TYPE_CHECKING:
    from concurrent.futures import Future


@dataclass
class FrameJob:
    """Everything a worker needs to draw one frame: the validated spec and where files live."""

    root: str
    spec: Any  # FrameSpec (pydantic models pickle cleanly)
    lang: str
    fmt: str
    quality: int
    logo: str | None
    thumb: bool = False  # also make the contact-sheet thumbnail (story builds)
    timeout: float | None = None  # seconds drawing may take ([render] frame_timeout)


@dataclass
class FrameOutput:
    """A drawn frame: encoded bytes, the text reports (plain dicts) and warnings."""

    payload: bytes
    texts: list[dict[str, Any]]
    warnings: list[str]
    seconds: float = 0.0
    thumb: Thumb | None = None  # the frame's contact-sheet thumbnail, made where it was drawn
    web: bytes | None = None  # the frame at web size (JPEG, ``web.web_version``), with the thumbnail


@dataclass(frozen=True)
class Thumb:
    """A contact-sheet thumbnail as raw RGB bytes (small to send between processes)."""

    size: tuple[int, int]
    rgb: bytes

    def image(self) -> Any:
        from PIL import Image

        return Image.frombytes("RGB", self.size, self.rgb)


def encode(image: Any, fmt: str, quality: int) -> bytes:
    """Encode a frame deterministically: baseline JPEG without EXIF, or PNG without time chunks."""
    buf = io.BytesIO()
    if fmt == "jpg":
        rgb = image.convert("RGB") if image.mode != "RGB" else image
        # 4:4:4 keeps coloured text edges crisp; optimize=False keeps encoding fast.
        rgb.save(buf, "JPEG", quality=quality, subsampling=0, optimize=False, progressive=False)
    else:
        image.save(buf, "PNG", compress_level=3)
    return buf.getvalue()


def draw_context(root: Path, lang: str, logo: str | None, timeout: float | None = None) -> Any:
    """The DrawContext for a project folder: its assets, fonts (cached per process), logo and time limit."""
    from .draw import DrawContext
    from .images import resolve_image
    from .text import FontLibrary

    asset_dirs = [root / "assets", resources.assets_dir()]
    logo_path = resolve_image(logo, root, asset_dirs, what="brand logo") if logo else None
    return DrawContext(
        root=root,
        asset_dirs=asset_dirs,
        fonts=FontLibrary.for_project(root),
        lang=lang,
        logo=logo_path,
        timeout=timeout,
    )


def draw_job(job: FrameJob) -> FrameOutput:
    """Draw and encode one frame (runs in a worker process or in-process)."""
    from .draw import draw_frame

    started = time.perf_counter()
    result = draw_frame(job.spec, draw_context(Path(job.root), job.lang, job.logo, job.timeout))
    texts = [manifest_mod.text_report_dict(r) for r in result.texts]
    warnings = [str(w) for w in result.warnings]
    payload = encode(result.image, job.fmt, job.quality)
    thumb = web = None
    if job.thumb:
        from .web import web_version

        # Made here, in parallel with the other frames, while the pixels are in memory: the web
        # size, and the contact-sheet thumbnail read from it exactly as from the cached file.
        web = web_version(result.image)
        thumb = _thumb(web)
    return FrameOutput(payload, texts, warnings, time.perf_counter() - started, thumb, web)


def draw_jobs(batch: Sequence[FrameJob]) -> list[FrameOutput | StorycastError]:
    """Draw several frames in order (one pool task); a frame's input error is returned in its
    place, so one bad frame does not hide the others."""
    out: list[FrameOutput | StorycastError] = []
    for job in batch:
        if needs_dictionary(job.lang):
            # A worker that was not given the dictionary at start (it helps another with
            # Thai frames) loads it here the cheap way (collector paused) before drawing.
            _quiet_warm_up(job.root, [job.lang])
        try:
            out.append(draw_job(job))
        except StorycastError as exc:
            out.append(exc)
    return out


def _thumb(src: bytes | str) -> Thumb:
    """The contact-sheet thumbnail of an encoded frame or web image (bytes), or of such a file
    (path). A JPEG is decoded straight at thumbnail scale (libjpeg's DCT scaling)."""
    from PIL import Image

    from .contact import THUMB_H, THUMB_W, thumbnail

    key = _file_key(src) if isinstance(src, str) else None
    if key is not None:
        with _THUMBS_LOCK:
            hit = _THUMBS.get(key)
            if hit is not None:
                _THUMBS.move_to_end(key)
                return hit
    with Image.open(io.BytesIO(src) if isinstance(src, bytes) else src) as im:
        if im.format == "JPEG":
            im.draft("RGB", (THUMB_W, THUMB_H))  # decode at reduced scale: much faster
        if im.mode == "RGB" and im.size == (THUMB_W, THUMB_H):
            thumb = Thumb(im.size, im.tobytes())  # already what thumbnail() would return
        else:
            thumb = Thumb(*_sized(thumbnail(im.convert("RGB"))))
    if key is not None:
        remember_thumb(key[0], thumb, key)
    return thumb


def _sized(img: Any) -> tuple[tuple[int, int], bytes]:
    return img.size, img.tobytes()


# Thumbnails of frame files by (path, mtime, size), for processes that build the same story
# again (the preview after an edit): the unchanged frames' thumbnails are not decoded again.
_THUMBS: OrderedDict[tuple[str, int, int], Thumb] = OrderedDict()
_THUMBS_MAX = 64  # about 25 MB
_THUMBS_LOCK = threading.Lock()


def _file_key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size)


def remember_thumb(path: str, thumb: Thumb, key: tuple[str, int, int] | None = None) -> None:
    """Keep ``thumb`` as the thumbnail of the frame file at ``path`` (as it is now)."""
    key = key or _file_key(path)
    if key is None:
        return
    with _THUMBS_LOCK:
        _THUMBS[key] = thumb
        _THUMBS.move_to_end(key)
        while len(_THUMBS) > _THUMBS_MAX:
            _THUMBS.popitem(last=False)


def contact_job(sources: Sequence[Thumb | bytes | str]) -> bytes:
    """A contact sheet PNG from thumbnails, encoded frames (bytes) or frame files (paths)."""
    from .contact import contact_sheet, png_bytes

    thumbs = [(src if isinstance(src, Thumb) else _thumb(src)).image() for src in sources]
    return png_bytes(contact_sheet(thumbs))


def needs_dictionary(lang: str) -> bool:
    """Whether drawing ``lang`` loads a word dictionary (Thai line breaking: about 0.25 s)."""
    return lang.split("-")[0] == "th"


def warm_up(root: Path | str, langs: Sequence[str]) -> None:
    """Load fonts and the Thai dictionary now (once per process) instead of inside the first frame."""
    import gc

    from .text import FontLibrary
    from .text.linebreak import warm_up as warm_linebreak

    # What is loaded here lives as long as the process: the Thai dictionary alone is a trie of
    # a few hundred thousand objects. Building it with the collector on costs several full
    # collections that walk the growing heap (about 0.3 s), and every later full collection
    # would walk it again (in forked workers that walk also copies the pages the parent
    # shared). So the collector is paused while loading, and what was loaded is frozen:
    # kept out of its sight for good.
    # Done once per (fonts folder, dictionary), so a long-running process freezes only what it
    # loaded, not the garbage of later renders.
    want = (str(Path(root).resolve()), any(needs_dictionary(lang) for lang in langs))
    if want in _warmed or (str(want[0]), True) in _warmed:
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        FontLibrary.for_project(Path(root))
        if want[1]:
            warm_linebreak()
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
    _warmed.add(want)


_warmed: set[tuple[str, bool]] = set()


class _Feeder:
    """What both pools share: tasks wait in ``waiting`` until ``_hand_out`` gives them to a
    worker with room; ``submit`` returns a future that the pool settles."""

    lock: Any  # reentrant: result callbacks may run in the reader thread or the caller's
    waiting: list[tuple[Any, Callable[..., Any], tuple[Any, ...], Future[Any]]]

    def submit(self, fn: Callable[..., Any], *args: Any, key: Any = None) -> Future[Any]:
        from concurrent.futures import Future

        proxy: Future[Any] = Future()
        with self.lock:
            self.waiting.append((key, fn, args, proxy))
            self._hand_out()
        return proxy

    def _hand_out(self) -> None:
        raise NotImplementedError


class Pool(_Feeder):
    """Worker processes for drawing, forked, each with its own queue of tasks.

    The parent loads the fonts (it measures text with them while it renders templates) and
    forks the first worker. That worker warms up while the parent renders the first
    templates (the Thai dictionary, about 0.2 s, when a language needs it; the drawing code's
    imports, about 0.15 s) and then forks the other workers, which start with all of that
    instead of doing it again: with two processes on two cores there is no idle core to hide
    that work on. Tasks are handed out once every worker is up. With ``stagger`` the first
    worker draws alone until :meth:`start_others` (while the parent renders templates, which
    keeps the other core busy), and the others start with its caches too. Each worker reads
    tasks from its own pipe and writes results to its own; a thread of the parent reads the
    results and hands out waiting tasks.

    Tasks wait here and are handed out as workers free up (at most ``DEPTH`` queued per
    worker), so the load stays even whatever each task costs. A task with a ``key`` goes, where
    it can, to the worker that ran that key before: frame n of a story shows the same picture
    in every language, so keyed by (story, n) each picture is fitted and cached in one worker.
    A worker with nothing of its own to do takes another's task rather than wait.

    Workers ignore Ctrl-C (the parent stops them by closing their pipes); a worker that dies
    settles its tasks with ``BrokenProcessPool``.
    """

    DEPTH = 2
    PIPE_SIZE = 1 << 20  # a frame's result (about 0.65 MB with its web size and thumbnail) fits

    def __init__(self, workers: int, root: Path, langs: Sequence[str], *, stagger: bool = False) -> None:
        import atexit
        import threading
        from multiprocessing.connection import Pipe

        reap_workers(block=False)  # those of earlier pools in this process (a daemon's renders)
        if not _unreaped_hook:
            atexit.register(reap_workers)
            _unreaped_hook.append(True)
        _quiet_warm_up(str(root), [lang for lang in langs if not needs_dictionary(lang)])
        self.routes: dict[Any, int] = {}
        self.waiting: list[tuple[Any, Callable[..., Any], tuple[Any, ...], Future[Any]]] = []
        self.running: list[dict[int, Future[Any]]] = [{} for _ in range(workers)]
        # Every worker counts as full until all have said they are ready (or died), so the
        # first tasks' keys are spread over all of them; staggered, the first starts alone.
        self.open = [self.DEPTH] * workers
        self.ready = [False] * workers
        self.stagger = stagger and workers > 1
        self.dead = [False] * workers
        self.pids: list[int | None] = [None] * workers
        self.next_id = 0
        self.closing = False
        # Result callbacks run in the reader thread, or in this one: hence reentrant.
        self.lock = threading.RLock()
        pipes = []
        for _ in range(workers):
            task_r, task_w = Pipe(duplex=False)
            result_r, result_w = Pipe(duplex=False)
            for conn in (task_w, result_w):
                _grow_pipe(conn.fileno(), self.PIPE_SIZE)
            pipes.append((task_r, task_w, result_r, result_w))
        self.tasks = [p[1] for p in pipes]
        self.results = [p[2] for p in pipes]
        warm = functools.partial(_warm_worker, str(root), list(langs))
        pid = os.fork()
        if pid == 0:  # the first worker: it forks the others later
            for _, task_w, result_r, _ in pipes:
                task_w.close()
                result_r.close()
            later = [(p[0], p[3]) for p in pipes[1:]]
            _worker_main(pipes[0][0], pipes[0][3], warm, later, self.stagger)
        self.first = pid
        for task_r, _, _, result_w in pipes:
            task_r.close()
            result_w.close()
        self.reader = threading.Thread(target=self._read, name="storycast-draw-results", daemon=True)
        self.reader.start()

    def _hand_out(self) -> None:
        """Give waiting tasks to workers with room (call with the lock held)."""
        while self.waiting and not self.closing:
            live = [i for i, gone in enumerate(self.dead) if not gone]
            if not live:
                _settle_broken([proxy for *_rest, proxy in self.waiting])
                self.waiting.clear()
                return
            free = sorted((i for i in live if self.open[i] < self.DEPTH), key=self.open.__getitem__)
            if not free:
                return
            worker, index = _pick(free, self.waiting, self.routes)
            key, fn, args, proxy = self.waiting.pop(index)
            if not proxy.set_running_or_notify_cancel():
                continue
            if key is not None:
                self.routes.setdefault(key, worker)
            task = self.next_id
            self.next_id += 1
            try:
                self.tasks[worker].send((task, fn, args))
            except (OSError, ValueError):  # the worker is gone: its reader settles the rest
                _settle_broken([proxy])
                continue
            except Exception as exc:  # the task itself cannot be sent (pickling)
                proxy.set_exception(exc)
                continue
            self.running[worker][task] = proxy
            self.open[worker] += 1

    def _read(self) -> None:
        """Read the workers' results until every worker has closed its pipe (runs in a thread)."""
        from multiprocessing.connection import wait

        live: dict[Any, int] = {conn: i for i, conn in enumerate(self.results)}
        while live:
            ready: list[Any] = wait(list(live))
            for conn in ready:
                worker = live[conn]
                message: tuple[Any, ...]
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    del live[conn]
                    self._lost(worker)
                    continue
                except Exception as exc:  # a result that cannot be read back
                    message = ("done", None, False, exc)
                self._received(worker, message)

    def _received(self, worker: int, message: tuple[Any, ...]) -> None:
        with self.lock:
            if message[0] == "ready":
                self.pids[worker] = message[1]
                self.ready[worker] = True
                self._start_when_all_up()
                self._hand_out()
                return
            _, task, ok, value = message
            proxy = self.running[worker].pop(task, None) if task is not None else None
            if proxy is None and self.running[worker]:  # unreadable: it was the oldest task
                proxy = self.running[worker].pop(min(self.running[worker]))
            self.open[worker] -= 1
            if proxy is not None:
                if ok:
                    proxy.set_result(value)
                else:
                    proxy.set_exception(value)
            self._hand_out()

    def _lost(self, worker: int) -> None:
        with self.lock:
            self.dead[worker] = True
            self.pids[worker] = None
            _settle_broken(list(self.running[worker].values()))
            self.running[worker].clear()
            self._start_when_all_up()
            self._hand_out()

    def start_others(self) -> None:
        """Staggered: let the first worker fork the others now (with what it has cached)."""
        with self.lock:
            if not self.stagger:
                return
            self.stagger = False
            try:
                self.tasks[0].send((None, None, None))
            except (OSError, ValueError):
                pass  # the first worker is gone: its reader settles the rest

    def _start_when_all_up(self) -> None:
        if self.stagger and self.ready[0] and not self.dead[0]:
            if self.open[0] == self.DEPTH and not self.running[0]:
                self.open[0] = 0
            return
        if all(up or gone for up, gone in zip(self.ready, self.dead, strict=True)):
            for i, up in enumerate(self.ready):
                if up and not self.dead[i] and self.open[i] == self.DEPTH and not self.running[i]:
                    self.open[i] = 0

    def close(self, wait: bool = True) -> None:
        """Stop the workers: no more tasks (they exit when their pipe closes), the waiting tasks
        cancelled; a worker still busy after a while is killed.

        ``wait=False`` (every task settled, nothing left running): return at once and let the
        workers exit (freeing their caches takes tens of milliseconds) while this process goes
        on; they are reaped by :func:`reap_workers`, at the latest when this process exits, so
        their CPU time still counts as this process's children's.
        """
        import signal

        with self.lock:
            self.closing = True
            for *_rest, proxy in self.waiting:
                proxy.cancel()
            self.waiting.clear()
            for conn in self.tasks:
                conn.close()
            idle = not any(self.running)
        if not wait and idle:
            _unreaped.append(self.first)
            return
        self.reader.join(timeout=10)
        if self.reader.is_alive():
            with self.lock:
                pids = [pid for pid in self.pids if pid is not None]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.reader.join(timeout=10)
        try:
            os.waitpid(self.first, 0)
        except ChildProcessError:
            pass
        if not self.reader.is_alive():
            for conn in self.results:
                conn.close()


# First workers that were closed without waiting for them: reaped by reap_workers.
_unreaped: list[int] = []
_unreaped_hook: list[bool] = []  # reap_workers registered to run at exit


def reap_workers(block: bool = True) -> None:
    """Reap the closed pools' workers (``block=False``: only those that have exited)."""
    for pid in list(_unreaped):
        try:
            done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _unreaped.remove(pid)


def _pick(free: Sequence[int], waiting: Sequence[tuple[Any, ...]], routes: dict[Any, int]) -> tuple[int, int]:
    """(worker, index into ``waiting``) of the next task to hand out: for the freest worker first,
    a task whose key it ran before, else one whose key nobody ran yet; with neither for any free
    worker, the oldest task goes to the freest one (it helps out rather than wait)."""
    for worker in free:
        for index, (key, *_rest) in enumerate(waiting):
            if routes.get(key, worker) == worker:
                return worker, index
    return free[0], 0


def _settle_broken(proxies: Sequence[Future[Any]]) -> None:
    from concurrent.futures.process import BrokenProcessPool

    for proxy in proxies:
        if not proxy.done():
            proxy.set_exception(BrokenProcessPool("a drawing worker stopped unexpectedly"))


def _grow_pipe(fd: int, size: int) -> None:
    import fcntl

    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except OSError:
        pass  # the system's limit is lower: smaller writes, same results


def _warm_worker(root: str, langs: Sequence[str]) -> None:
    """A first worker's warm-up: the Thai dictionary when needed, and the drawing code's imports."""
    _quiet_warm_up(root, langs)
    try:
        from . import contact, draw, web  # noqa: F401
    except Exception:
        pass  # the first frame imports them again and reports a real problem


def _worker_main(
    tasks: Any, results: Any, warm: Callable[[], None], later: list[tuple[Any, Any]], stagger: bool = False
) -> None:
    """A worker's life (never returns): warm up, fork the ``later`` workers (which start
    warm), run tasks until the pipe closes."""
    import signal

    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        warm()
        later_pids = _fork_later(tasks, results, later) if later and not stagger else []
        results.send(("ready", os.getpid()))
        while True:
            try:
                task, fn, args = tasks.recv()
            except EOFError:
                break
            if task is None:  # staggered: the others start now, with this worker's caches
                if later and not later_pids:
                    later_pids = _fork_later(tasks, results, later)
                continue
            _run_task(results, task, fn, args)
        for pid in later_pids:  # reaped here, so their CPU time counts as this process's children's
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _fork_later(tasks: Any, results: Any, later: list[tuple[Any, Any]]) -> list[int]:
    pids = []
    for index, (their_tasks, their_results) in enumerate(later):
        pid = os.fork()
        if pid == 0:
            tasks.close()
            results.close()
            for other, (t, r) in enumerate(later):
                if other != index:
                    t.close()
                    r.close()
            _worker_main(their_tasks, their_results, _nothing, [])
        pids.append(pid)
    for their_tasks, their_results in later:
        their_tasks.close()
        their_results.close()
    return pids


def _nothing() -> None:
    return None


def _run_task(results: Any, task: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        message = ("done", task, True, fn(*args))
    except BaseException as exc:
        message = ("done", task, False, exc)
    try:
        results.send(message)
    except (OSError, ValueError):
        raise
    except Exception as exc:  # the result or the error does not pickle
        results.send(("done", task, False, RuntimeError(f"{message[3]!r} could not be sent back: {exc}")))


class ExecutorPool(_Feeder):
    """Worker processes for drawing where ``fork`` is unavailable or not the default (macOS,
    Windows): one ``ProcessPoolExecutor`` per worker, each with its own queue.

    The parent loads the fonts (it measures text with them while it renders templates) and
    then forks: every worker shares them (copy-on-write) instead of loading its own copy. The
    Thai dictionary (about 0.2 s) is not loaded in the parent, where it would delay the first
    frame: the first worker loads it as it starts, while the parent renders the first
    templates, and another worker when it first draws Thai (``draw_jobs``). Where fork is
    unavailable, each worker warms up as it starts.

    Tasks wait here and are handed out as workers free up (at most ``DEPTH`` queued per
    worker), so the load stays even whatever each task costs. A task with a ``key`` goes, where
    it can, to the worker that ran that key before: frame n of a story shows the same picture
    in every language, so keyed by (story, n) each picture is fitted and cached in one worker.
    A worker with nothing of its own to do takes another's task rather than wait.
    """

    DEPTH = 2

    def __init__(self, workers: int, root: Path, langs: Sequence[str]) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        forking = sys.platform.startswith("linux")
        ctx = multiprocessing.get_context("fork" if forking else None)
        self.routes: dict[Any, int] = {}
        if forking:
            dictionaries = [lang for lang in langs if needs_dictionary(lang)]
            _quiet_warm_up(str(root), [lang for lang in langs if not needs_dictionary(lang)])
            load = functools.partial(_quiet_warm_up, str(root), dictionaries) if dictionaries else None
            self.executors = [
                ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=load if i == 0 else None)
                for i in range(workers)
            ]
        else:
            self.executors = [
                ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=ctx,
                    initializer=_quiet_warm_up,
                    initargs=(str(root), list(langs)),
                )
                for _ in range(workers)
            ]
        self.open = [0] * workers  # tasks handed to each worker and not finished
        self.waiting: list[tuple[Any, Callable[..., Any], tuple[Any, ...], Future[Any]]] = []
        # Done callbacks run in the executors' threads, or at once in this one for a task that
        # finished before its callback was added: hence reentrant.
        self.lock = threading.RLock()
        # Start every worker now rather than on the first frame.
        for ex in self.executors:
            ex.submit(_noop)

    def _hand_out(self) -> None:
        """Give waiting tasks to workers with room (call with the lock held)."""
        while self.waiting:
            free = sorted((i for i, n in enumerate(self.open) if n < self.DEPTH), key=self.open.__getitem__)
            if not free:
                return
            worker, index = _pick(free, self.waiting, self.routes)
            key, fn, args, proxy = self.waiting.pop(index)
            if key is not None:
                self.routes.setdefault(key, worker)
            try:
                fut = self.executors[worker].submit(fn, *args)
            except Exception as exc:  # the worker died (BrokenProcessPool): the caller reports it
                if not proxy.done():
                    proxy.set_exception(exc)
                continue
            self.open[worker] += 1
            fut.add_done_callback(functools.partial(self._done, worker, proxy))

    def _done(self, worker: int, proxy: Future[Any], fut: Future[Any]) -> None:
        from concurrent.futures import InvalidStateError

        exc = fut.exception()
        try:
            if exc is not None:
                proxy.set_exception(exc)
            else:
                proxy.set_result(fut.result())
        except InvalidStateError:  # cancelled by close()
            pass
        with self.lock:
            self.open[worker] -= 1
            self._hand_out()

    def close(self, wait: bool = True) -> None:  # always waits for its workers
        with self.lock:
            for *_rest, proxy in self.waiting:
                proxy.cancel()
            self.waiting.clear()
        for ex in self.executors:
            ex.shutdown(wait=True, cancel_futures=True)


def _noop() -> None:
    return None


def _quiet_warm_up(root: str, langs: Sequence[str]) -> None:
    # Warming up is only an optimisation. If it fails (a broken font file, say), the frame that
    # needs it fails again with a proper error; a raising initializer would break the whole pool.
    try:
        warm_up(root, langs)
    except Exception:
        pass
