"""The render pipeline: stories -> templates -> frame specs -> pixels -> files.

``render_story`` builds one story in one language; ``render_many`` builds several, drawing the
frames that changed in parallel processes when ``jobs > 1``. Output for a story/language::

    build/<story>/<lang>/01.jpg 02.jpg ... manifest.json contact.png

Guarantees: the same inputs give the same bytes (no timestamps or EXIF; PNGs without time
chunks); a content-hash cache skips frames whose inputs did not change (see ``cache.py``);
every file is written atomically and only after every frame of that story/language rendered,
so bad input never leaves a half-written or mixed build behind.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import __version__, resources
from ..errors import RenderError, StorycastError, TemplateError
from . import buildrec
from . import cache as cache_mod
from . import manifest as manifest_mod
from .diagnose import frame_error
from .frames import FramePlan, palette, plan_story, story_source
from .jobs import FrameJob, FrameOutput, Pool, Thumb, contact_job, draw_job, draw_jobs, warm_up
from .strings import text_direction

# Jinja (templating) is imported where templates are rendered: a warm build that the build
# record finds current never needs it.

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..content.models import Story
    from ..project import Project
    from .templating import TemplateEngine

Format = Literal["jpg", "png"]
CONTACT_NAME = "contact.png"
_FRAME_FILE = re.compile(r"^\d{2,3}\.(jpg|png)$")


@dataclass
class ProgressEvent:
    """One frame finished (drawn, or taken from the cache)."""

    story: str
    lang: str
    frame: int
    cached: bool
    done: int  # frames finished so far, over the whole call
    total: int  # frames in the whole call


ProgressFn = Callable[[ProgressEvent], None]


@dataclass
class RenderResult:
    """What one story/language build produced."""

    story: str
    lang: str
    out_dir: Path
    frames: list[manifest_mod.FrameRecord]
    rendered: int
    cached: int
    seconds: float
    manifest: Path
    contact: Path | None
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [self.out_dir / f.file for f in self.frames]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (what ``storycast render --json`` prints)."""
        return {
            "story": self.story,
            "lang": self.lang,
            "out_dir": str(self.out_dir),
            "frames": len(self.frames),
            "rendered": self.rendered,
            "cached": self.cached,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "manifest": str(self.manifest),
            "contact_sheet": str(self.contact) if self.contact else None,
            "files": [str(p) for p in self.files],
        }


# ---------------------------------------------------------------------------------------------
# Preparation: templates -> specs -> cache keys (cheap; no fonts, no drawing)


@dataclass
class _Frame:
    plan: FramePlan
    text: str  # the rendered spec YAML
    key: str
    file: str
    spec: Any = None  # validated FrameSpec, only for frames that must be drawn
    state: str = "miss"  # unchanged | cached | miss
    payload: bytes | None = None
    cached_meta: dict[str, Any] | None = None
    output: FrameOutput | None = None


@dataclass
class _Prepared:
    story: Story
    lang: str
    out_dir: Path
    fmt: str
    frames: list[_Frame]
    previous: dict[str, Any] | None
    seconds: float  # preparation time; drawing and writing are added as they happen
    error: StorycastError | None = None
    contact: bytes | None = None  # the contact sheet, when a worker already made it
    result: RenderResult | None = None  # once written (with --jobs, as soon as it is complete)
    fingerprint: str | None = None  # of the template inputs (see buildrec)
    extra_files: list[Path] = field(default_factory=list)
    unchanged: dict[str, Any] | None = None  # the manifest, when the build record says all is current


def _asset_roots(project: Project) -> list[Path]:
    return [project.root, project.assets_dir, resources.assets_dir(), resources.data_root()]


def _font_folders(project: Project) -> list[Path]:
    return [project.assets_dir / "fonts", resources.assets_dir() / "fonts"]


def _engine(project: Project) -> TemplateEngine:
    from .templating import engine_for

    render = project.config.render
    return engine_for(
        project.templates_dir,
        project.root,
        timeout=render.template_timeout,
        max_output=render.template_max_output,
    )


def _prepare(
    project: Project,
    story: Story,
    lang: str,
    out_dir: Path,
    fmt: str,
    use_cache: bool,
    fonts: str,
    static: str | None = None,
) -> _Prepared:
    started = time.perf_counter()
    if lang not in story.languages:
        raise TemplateError(
            f"story {story.id!r} has no {lang!r} version (it has {', '.join(story.languages)})",
            hint="add the language to the story's `languages:` and texts, or pick another --lang",
            file=story.source,
        )
    roots = _asset_roots(project)
    # The logo layer names no file in the spec; the brand logo is part of every frame's key.
    logo = project.config.brand.logo
    extra_files = cache_mod.referenced_files({"logo": logo}, roots) if logo else []
    plans = plan_story(project, story, lang)
    fp = buildrec.fingerprint(
        project,
        story,
        lang,
        plans,
        fmt=fmt,
        fonts=fonts,
        source=story_source(project, story),
        static=static,
    )
    if use_cache and fp is not None:
        current = buildrec.check(project, out_dir, fp, roots, _FRAME_FILE)
        if current is not None:
            return _Prepared(
                story,
                lang,
                out_dir,
                fmt,
                [],
                current,
                time.perf_counter() - started,
                fingerprint=fp,
                extra_files=extra_files,
                unchanged=current,
            )
    engine = _engine(project)
    pal = palette(project)
    quality = project.config.render.quality
    size = (project.config.render.width, project.config.render.height)
    previous = manifest_mod.load(out_dir / manifest_mod.MANIFEST_NAME) if use_cache else None
    prev_frames = {f.get("index"): f for f in (previous or {}).get("frames", [])}
    store = cache_mod.FrameCache(project.state_dir / "cache" / "frames")
    frames: list[_Frame] = []
    for plan in plans:
        text, filename = engine.render_text(plan.template, plan.context)
        key = cache_mod.frame_key(
            spec_text=text,
            files=[*extra_files, *cache_mod.files_in_text(text, roots)],
            fonts=fonts,
            fmt=fmt,
            quality=quality,
            lang=lang,
            size=size,
        )
        frame = _Frame(plan=plan, text=text, key=key, file=f"{plan.index:02d}.{fmt}")
        if use_cache:
            prev = prev_frames.get(plan.index)
            target = out_dir / frame.file
            if (
                prev is not None
                and prev.get("cache_key") == key
                and prev.get("file") == frame.file
                and target.is_file()
                and cache_mod.file_sha256(target) == prev.get("sha256")
            ):
                frame.state = "unchanged"
                frame.cached_meta = prev
            else:
                hit = store.get(key, fmt)
                try:
                    payload = hit[0].read_bytes() if hit is not None else b""
                except OSError:  # pruned (`storycast cache prune`) between lookup and read: a miss
                    hit, payload = None, b""
                # The store may hold hard links to old outputs: trust it only if the bytes match.
                if hit is not None and cache_mod.bytes_sha256(payload) == hit[1].get("sha256"):
                    frame.state = "cached"
                    frame.payload = payload
                    frame.cached_meta = hit[1]
        if frame.state == "miss":
            # Parse and validate only what must be drawn: a cache hit was valid when it was made.
            rendered = engine.parse_yaml(text, plan.template, filename)
            from .templating import parse_rendered

            frame.spec = parse_rendered(rendered, engine._display(filename, plan.template), pal)
        frames.append(frame)
    return _Prepared(
        story,
        lang,
        out_dir,
        fmt,
        frames,
        previous,
        time.perf_counter() - started,
        fingerprint=fp,
        extra_files=extra_files,
    )


# ---------------------------------------------------------------------------------------------
# Finishing: records, manifest, contact sheet, atomic writes


def _records(prep: _Prepared) -> list[manifest_mod.FrameRecord]:
    out = []
    for f in prep.frames:
        if f.output is not None:
            texts, warnings = f.output.texts, f.output.warnings
            assert f.payload is not None
            sha = cache_mod.bytes_sha256(f.payload)
        else:
            meta = f.cached_meta or {}
            texts, warnings = meta.get("texts", []), meta.get("warnings", [])
            sha = meta.get("sha256") or cache_mod.bytes_sha256(f.payload or b"")
        out.append(
            manifest_mod.FrameRecord(
                index=f.plan.index,
                file=f.file,
                sha256=sha,
                kind=f.plan.kind,
                template=f.plan.template,
                alt=f.plan.alt,
                cache_key=f.key,
                duration=f.plan.duration,
                step=f.plan.step,
                texts=texts,
                warnings=warnings,
            )
        )
    return out


def _contact_sources(prep: _Prepared) -> list[Thumb | bytes | str]:
    out: list[Thumb | bytes | str] = []
    for f in prep.frames:
        if f.output is not None and f.output.thumb is not None:
            out.append(f.output.thumb)
        else:
            out.append(f.payload if f.payload is not None else str(prep.out_dir / f.file))
    return out


def _unchanged_result(prep: _Prepared) -> RenderResult:
    """The result of a build the record found current: nothing to write."""
    assert prep.unchanged is not None
    frames = buildrec.frames_of(prep.unchanged)
    return RenderResult(
        story=prep.story.id,
        lang=prep.lang,
        out_dir=prep.out_dir,
        frames=frames,
        rendered=0,
        cached=len(frames),
        seconds=prep.seconds,
        manifest=prep.out_dir / manifest_mod.MANIFEST_NAME,
        contact=prep.out_dir / CONTACT_NAME,
        warnings=list(prep.unchanged.get("warnings", [])),
    )


def _finish(project: Project, prep: _Prepared, store: cache_mod.FrameCache) -> RenderResult:
    if prep.unchanged is not None:
        return _unchanged_result(prep)
    started = time.perf_counter()
    story, lang = prep.story, prep.lang
    records = _records(prep)
    title = story.title.get(lang, "")
    manifest = manifest_mod.build_manifest(
        story=story.id,
        lang=lang,
        direction=text_direction(lang),
        title=title,
        source=story_source(project, story),
        fmt=prep.fmt,
        size=(project.config.render.width, project.config.render.height),
        frames=records,
        contact_sheet=CONTACT_NAME,
        engine=f"storycast {__version__} {cache_mod.ENGINE_VERSION}",
    )
    manifest_bytes = manifest_mod.dumps(manifest)
    manifest_path = prep.out_dir / manifest_mod.MANIFEST_NAME
    contact_path = prep.out_dir / CONTACT_NAME
    all_unchanged = all(f.state == "unchanged" for f in prep.frames)
    same_manifest = manifest_path.is_file() and manifest_path.read_bytes() == manifest_bytes
    files: dict[str, bytes] = {}
    for f in prep.frames:
        if f.state != "unchanged" and f.payload is not None:
            files[f.file] = f.payload
    if not (all_unchanged and same_manifest and contact_path.is_file()):
        files[CONTACT_NAME] = (
            prep.contact if prep.contact is not None else contact_job(_contact_sources(prep))
        )
    if not same_manifest:
        files[manifest_mod.MANIFEST_NAME] = manifest_bytes
    # Frames first, manifest last: a reader that sees the new manifest sees the new frames.
    order = sorted(files, key=lambda n: (n == manifest_mod.MANIFEST_NAME, n))
    for name in order:
        cache_mod.atomic_write(prep.out_dir / name, files[name])
    keep = {f.file for f in prep.frames}
    if prep.out_dir.is_dir():
        for old in prep.out_dir.iterdir():
            if _FRAME_FILE.match(old.name) and old.name not in keep:
                old.unlink()
    for f in prep.frames:
        if f.output is not None and f.payload is not None:
            store.put(
                f.key,
                prep.fmt,
                f.payload,
                {
                    "sha256": cache_mod.bytes_sha256(f.payload),
                    "texts": f.output.texts,
                    "warnings": f.output.warnings,
                },
                written=prep.out_dir / f.file,
            )
    buildrec.write(
        project,
        prep.out_dir,
        prep.fingerprint,
        [f.text for f in prep.frames],
        prep.extra_files,
        _asset_roots(project),
        [*(f.file for f in prep.frames), CONTACT_NAME, manifest_mod.MANIFEST_NAME],
    )
    rendered = sum(1 for f in prep.frames if f.output is not None)
    return RenderResult(
        story=story.id,
        lang=lang,
        out_dir=prep.out_dir,
        frames=records,
        rendered=rendered,
        cached=len(prep.frames) - rendered,
        seconds=prep.seconds + time.perf_counter() - started,
        manifest=manifest_path,
        contact=contact_path,
        warnings=list(manifest["warnings"]),
    )


# ---------------------------------------------------------------------------------------------
# Errors


# ---------------------------------------------------------------------------------------------
# Public API


def _resolve_story(project: Project, story: Story | str) -> Story:
    return project.content.story(story) if isinstance(story, str) else story


def default_out(project: Project, out_dir: Path | None, story_id: str, lang: str) -> Path:
    """``<out>/<story>/<lang>`` where ``<out>`` defaults to ``[render] out`` (build/)."""
    base = out_dir if out_dir is not None else project.build_dir
    return Path(base) / story_id / lang


def render_story(
    project: Project,
    story: Story | str,
    lang: str,
    *,
    out_dir: Path | None = None,
    fmt: Format | None = None,
    cache: bool = True,
) -> RenderResult:
    """Render one story in one language into ``out_dir`` (default ``build/<story>/<lang>``)."""
    s = _resolve_story(project, story)
    target = Path(out_dir) if out_dir is not None else default_out(project, None, s.id, lang)
    return render_pairs(project, [(s, lang, target)], fmt=fmt, cache=cache, jobs=1, progress=None)[0]


def render_many(
    project: Project,
    story_ids: Sequence[str | Story],
    langs: Sequence[str] | None,
    *,
    out: Path | None = None,
    fmt: Format | None = None,
    cache: bool = True,
    jobs: int = 1,
    progress: ProgressFn | None = None,
) -> list[RenderResult]:
    """Render every (story, language) pair; ``langs=None`` means each story's own languages.

    Frames that need drawing are spread over ``jobs`` processes. A template error stops
    everything before any file is written; a drawing error keeps that story/language's previous
    build and is raised after the other pairs were written.
    """
    pairs = []
    for sid in story_ids:
        s = _resolve_story(project, sid)
        for lang in langs if langs is not None else s.languages:
            pairs.append((s, lang, default_out(project, out, s.id, lang)))
    return render_pairs(project, pairs, fmt=fmt, cache=cache, jobs=jobs, progress=progress)


def render_frame(
    project: Project,
    template: str,
    lang: str,
    context: dict[str, Any] | None = None,
    *,
    kind: str = "frame",
    out: Path | None = None,
    fmt: Format | str = "png",
) -> FrameOutput:
    """Render one standalone frame (Q&A announcement, poll, support hours) from ``template``.

    ``context`` adds template variables (``event``, ``poll`` ...) to the project-wide ones. The
    encoded image is written atomically to ``out`` when given. No caching: these frames are
    cheap and their data changes every time.
    """
    from .frames import base_context

    ctx = {**base_context(project, lang), "frame": {"index": 1, "total": 1, "kind": kind, "number": "01"}}
    ctx.update(context or {})
    engine = _engine(project)
    pal = palette(project)
    rendered = engine.render_data(template, ctx)
    from .templating import parse_rendered

    spec = parse_rendered(rendered, engine._display(rendered.filename, template), pal)
    job = FrameJob(
        root=str(project.root),
        spec=spec,
        lang=lang,
        fmt=str(fmt),
        quality=project.config.render.quality,
        logo=project.config.brand.logo,
        timeout=project.config.render.frame_timeout,
    )
    result = draw_job(job)
    if out is not None:
        cache_mod.atomic_write(Path(out), result.payload)
    return result


def render_pairs(
    project: Project,
    pairs: Sequence[tuple[Story, str, Path]],
    *,
    fmt: Format | str | None = None,
    cache: bool = True,
    jobs: int = 1,
    progress: ProgressFn | None = None,
) -> list[RenderResult]:
    """Render explicit (story, language, output folder) triples; see ``render_many``."""
    fmt = fmt or project.config.render.format
    fonts = cache_mod.font_identity(_font_folders(project))
    static = buildrec.static_stamp(project)
    langs = sorted({lang for _, lang, _ in pairs})
    run = _Run(project, fmt, progress, total=sum(len(s.steps) + 2 for s, _, _ in pairs))
    # A build that will draw (--no-cache) starts its workers after the first story/language,
    # so each one is drawn as soon as its templates are rendered, while this process renders
    # the next ones.
    early = jobs > 1 and not cache and run.total > 1
    try:
        for i, (story, lang, out) in enumerate(pairs):
            run.add(_prepare(project, story, lang, out, fmt, cache, fonts, static))
            if early and run.pool is None:
                run.start_pool(min(jobs, run.total), langs)
            if run.pool is not None and (i + 1 == len(pairs) or pairs[i + 1][0].id != story.id):
                run.flush()  # every language of this story is prepared: hand its frames out
        if run.pool is None and len(run.todo) > 1 and jobs > 1:
            run.start_pool(min(jobs, len(run.todo)), langs)
            run.flush()
        if run.pool is not None:
            run.collect()
        elif run.todo:
            run.serial()
    finally:
        if run.pool is not None:
            run.pool.close()
    results: list[RenderResult] = []
    errors: list[StorycastError] = []
    for prep in run.preps:
        if prep.error is not None:
            errors.append(prep.error)
            continue
        results.append(prep.result or _finish(project, prep, run.store))
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise RenderError(
            f"{len(errors)} story builds failed (their previous output was kept):",
            problems=errors,
        )
    return results


class _Run:
    """The drawing part of one render call: which frames to draw, where, progress, results."""

    def __init__(self, project: Project, fmt: str, progress: ProgressFn | None, total: int) -> None:
        self.project = project
        self.store = cache_mod.FrameCache(project.state_dir / "cache" / "frames")
        self.fmt = fmt
        self.progress = progress
        self.total = total
        self.done = 0
        self.preps: list[_Prepared] = []
        self.todo: list[tuple[_Prepared, _Frame]] = []
        self.pool: Pool | None = None
        self.meta: dict[Future[Any], list[tuple[_Prepared, _Frame]] | _Prepared] = {}
        self.waiting: list[tuple[_Prepared, _Frame]] = []  # for the pool, not yet handed out
        self.remaining: dict[int, int] = {}

    def add(self, prep: _Prepared) -> None:
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

    def report(self, prep: _Prepared, frame: _Frame, cached: bool) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(
                ProgressEvent(prep.story.id, prep.lang, frame.plan.index, cached, self.done, self.total)
            )

    def job(self, prep: _Prepared, frame: _Frame) -> FrameJob:
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

    def accept(self, prep: _Prepared, frame: _Frame, out: FrameOutput | StorycastError) -> None:
        if isinstance(out, StorycastError):
            if prep.error is None:
                prep.error = frame_error(prep.story, prep.lang, frame.plan, out, self.project.config_path)
        else:
            frame.output = out
            frame.payload = out.payload
            prep.seconds += out.seconds
        self.report(prep, frame, False)

    def start_pool(self, workers: int, langs: Sequence[str]) -> None:
        """Draw one frame here, then fork the workers and hand them every frame still to draw.

        The frame drawn first fills this process's caches (fonts at their sizes, the background,
        the glow and other shared tiles, the opening-layers snapshot); the forked workers
        inherit them instead of each building its own, which is most of what parallel
        drawing used to cost on top of serial drawing.
        """
        pending = list(self.todo)
        if len(pending) > 1:
            warm_up(self.project.root, langs)
            prep, frame = pending.pop(0)
            self.draw_here(prep, frame)
        self.pool = Pool(workers, self.project.root, langs)
        self.waiting.extend(pending)

    def draw_here(self, prep: _Prepared, frame: _Frame) -> None:
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
        layout boxes. Drawing all its languages in one worker fits the picture once instead of
        once per worker, and the tasks stay small enough to keep every worker busy.
        """
        assert self.pool is not None
        groups: dict[tuple[str, int], list[tuple[_Prepared, _Frame]]] = {}
        for prep, frame in self.waiting:
            groups.setdefault((prep.story.id, frame.plan.index), []).append((prep, frame))
        self.waiting = []
        for batch in groups.values():
            fut = self.pool.submit(draw_jobs, [self.job(prep, frame) for prep, frame in batch])
            self.meta[fut] = batch
            for prep, _ in batch:
                self.remaining[id(prep)] = self.remaining.get(id(prep), 0) + 1

    def collect(self) -> None:
        """Wait for the pool; a story/language whose frames are all drawn gets its contact sheet
        made there too, while other frames are still drawing."""
        from concurrent.futures import FIRST_COMPLETED, wait

        assert self.pool is not None
        pending = set(self.meta)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                entry = self.meta.pop(fut)
                if not isinstance(entry, list):  # a contact sheet
                    entry.contact = fut.result()
                    # Every template was rendered before collecting started (template errors
                    # have stopped the build by now), so a complete story/language can be
                    # written while the others are still drawing.
                    entry.result = _finish(self.project, entry, self.store)
                    continue
                outputs: list[FrameOutput | StorycastError] = fut.result()
                for (prep, frame), out in zip(entry, outputs, strict=True):
                    self.accept(prep, frame, out)
                    self.remaining[id(prep)] -= 1
                    if self.remaining[id(prep)] == 0 and prep.error is None:
                        sheet = self.pool.submit(contact_job, _contact_sources(prep))
                        self.meta[sheet] = prep
                        pending.add(sheet)


def cpu_count() -> int:
    """CPUs this process may use (for the ``--jobs`` default and messages)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
