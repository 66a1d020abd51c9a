"""The render pipeline: stories -> templates -> frame specs -> pixels -> files.

``render_story`` builds one story in one language; ``render_many`` builds several, drawing the
frames that changed in parallel processes when ``jobs > 1``. Output for a story/language::

    build/<story>/<lang>/01.jpg 02.jpg ... manifest.json contact.png

Guarantees: the same inputs give the same bytes (no timestamps or EXIF; PNGs without time
chunks); a content-hash cache skips frames whose inputs did not change (see ``cache.py``);
every file is written atomically and only after every frame of that story/language rendered,
so bad input never leaves a half-written or mixed build behind.

The work is split by job: ``prepare`` (templates to specs and cache keys), ``scheduler`` (drawing,
in worker processes with ``--jobs``), ``finish`` (manifest, contact sheet, writes) and ``results``
(what a call returns). This module is the public API.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RenderError, StorycastError
from . import buildrec
from . import cache as cache_mod
from .finish import finish
from .frames import palette
from .jobs import FrameJob, FrameOutput, draw_job
from .prepare import font_folders, prepare, template_engine
from .results import CONTACT_NAME, Format, ProgressEvent, ProgressFn, RenderResult
from .scheduler import RenderRun, cpu_count

if TYPE_CHECKING:
    from ..content.models import Story
    from ..project import Project


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
    engine = template_engine(project)
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
    with cache_mod.call_memo():  # the pairs name the same pictures: look each up once
        return _render_pairs(project, pairs, fmt=fmt, cache=cache, jobs=jobs, progress=progress)


def _render_pairs(
    project: Project,
    pairs: Sequence[tuple[Story, str, Path]],
    *,
    fmt: Format | str | None,
    cache: bool,
    jobs: int,
    progress: ProgressFn | None,
) -> list[RenderResult]:
    fmt = fmt or project.config.render.format
    fonts = cache_mod.font_identity(font_folders(project))
    static = buildrec.static_stamp(project)
    langs = sorted({lang for _, lang, _ in pairs})
    run = RenderRun(project, fmt, progress, total=sum(len(s.steps) + 2 for s, _, _ in pairs))
    drawn = False
    try:
        if jobs > 1 and not cache and run.total > 1:
            # Everything will be drawn: fork the workers now, and each story/language is drawn
            # as soon as its templates are rendered, while this process renders the next ones.
            run.start_pool(min(jobs, run.total), langs, stagger=True)
        for story, lang, out in pairs:
            prep = prepare(project, story, lang, out, fmt, cache, fonts, static)
            run.add(prep)
            if prep.error is None and prep.unchanged is None and all(f.state != "miss" for f in prep.frames):
                # Nothing to draw: write it now and let go of its frames' bytes, rather than
                # holding every cached frame of a large library in memory until the end.
                prep.result = finish(project, prep, run.store)
                for f in prep.frames:
                    f.payload = None
            if run.pool is None and jobs > 1 and len(run.todo) > 1:
                run.start_pool(jobs, langs)  # frames to draw after all: start drawing them now
            if run.pool is not None:
                run.flush()
        if run.pool is not None:
            run.templates_done()
            run.collect()
        elif run.todo:
            run.serial()
        drawn = True
    finally:
        if run.pool is not None:
            # Every frame drawn: the workers exit while the results are put together (they are
            # reaped later); after an error or Ctrl-C, wait for them (killing a stuck one).
            run.pool.close(wait=not drawn)
    results: list[RenderResult] = []
    errors: list[StorycastError] = []
    for prep in run.preps:
        if prep.error is not None:
            errors.append(prep.error)
            continue
        results.append(prep.result or finish(project, prep, run.store))
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise RenderError(
            f"{len(errors)} story builds failed (their previous output was kept):",
            problems=errors,
        )
    return results


__all__ = [
    "CONTACT_NAME",
    "Format",
    "ProgressEvent",
    "ProgressFn",
    "RenderResult",
    "cpu_count",
    "default_out",
    "render_frame",
    "render_many",
    "render_pairs",
    "render_story",
]
