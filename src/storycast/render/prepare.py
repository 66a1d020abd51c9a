"""Preparation: templates -> frame specs -> cache keys (cheap; no fonts, no drawing).

Jinja (templating) is imported where templates are rendered: a warm build that the build
record finds current never needs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..errors import StorycastError, TemplateError
from . import buildrec
from . import cache as cache_mod
from . import manifest as manifest_mod
from .frames import FramePlan, palette, plan_story, story_source
from .jobs import FrameOutput
from .results import FRAME_FILE, RenderResult

if TYPE_CHECKING:
    from ..content.models import Story
    from ..project import Project
    from .templating import TemplateEngine


@dataclass
class PreparedFrame:
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
class Prepared:
    story: Story
    lang: str
    out_dir: Path
    fmt: str
    frames: list[PreparedFrame]
    previous: dict[str, Any] | None
    seconds: float  # preparation time; drawing and writing are added as they happen
    error: StorycastError | None = None
    contact: bytes | None = None  # the contact sheet, when a worker already made it
    result: RenderResult | None = None  # once written (with --jobs, as soon as it is complete)
    fingerprint: str | None = None  # of the template inputs (see buildrec)
    extra_files: list[Path] = field(default_factory=list)
    unchanged: dict[str, Any] | None = None  # the manifest, when the build record says all is current


def asset_roots(project: Project) -> list[Path]:
    return [project.root, project.assets_dir, resources.assets_dir(), resources.data_root()]


def font_folders(project: Project) -> list[Path]:
    return [project.assets_dir / "fonts", resources.assets_dir() / "fonts"]


def template_engine(project: Project) -> TemplateEngine:
    from .templating import engine_for

    render = project.config.render
    return engine_for(
        project.templates_dir,
        project.root,
        timeout=render.template_timeout,
        max_output=render.template_max_output,
    )


def prepare(
    project: Project,
    story: Story,
    lang: str,
    out_dir: Path,
    fmt: str,
    use_cache: bool,
    fonts: str,
    static: str | None = None,
) -> Prepared:
    started = time.perf_counter()
    if lang not in story.languages:
        raise TemplateError(
            f"story {story.id!r} has no {lang!r} version (it has {', '.join(story.languages)})",
            hint="add the language to the story's `languages:` and texts, or pick another --lang",
            file=story.source,
        )
    roots = asset_roots(project)
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
        current = buildrec.check(project, out_dir, fp, roots, FRAME_FILE)
        if current is not None:
            return Prepared(
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
    engine = template_engine(project)
    pal = palette(project)
    quality = project.config.render.quality
    size = (project.config.render.width, project.config.render.height)
    previous = manifest_mod.load(out_dir / manifest_mod.MANIFEST_NAME) if use_cache else None
    prev_frames = {f.get("index"): f for f in (previous or {}).get("frames", [])}
    store = cache_mod.FrameCache(project.state_dir / "cache" / "frames")
    frames: list[PreparedFrame] = []
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
        frame = PreparedFrame(plan=plan, text=text, key=key, file=f"{plan.index:02d}.{fmt}")
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
    return Prepared(
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
