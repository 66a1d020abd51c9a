"""Preparation: templates -> frame specs -> cache keys (cheap; no fonts, no drawing).

Jinja (templating) is imported where templates are rendered: a warm build that the build
record finds current never needs it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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


# What a language's writing measures to (langinfo: script, direction, line pitch) is kept on disk,
# so that a warm build does not lay out the month names again, which for Thai means loading the
# word dictionary (about half a second): the biggest part of a warm `storycast render` after
# start-up. The key holds everything the measurement reads: the language, the font family and
# files, the text code, Babel's data and the system font folders (CJK fonts come through fontconfig).
_SCRIPTS_FILE = "scripts.json"
_SYSTEM_FONT_DIRS = ("/var/cache/fontconfig", "/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts")
_scripts_memo: dict[str, dict[str, Any]] = {}


def _scripts_key(lang: str, family: str, fonts: str) -> str:
    memo = cache_mod.active_memo()
    if memo is not None:
        key = memo.get(("scripts", lang, family, fonts))
        if key is None:
            key = memo[("scripts", lang, family, fonts)] = _scripts_key_now(lang, family, fonts)
        return str(key)
    return _scripts_key_now(lang, family, fonts)


def _scripts_key_now(lang: str, family: str, fonts: str) -> str:
    import babel

    from .. import __version__

    text_dir = Path(__file__).resolve().parent / "text"
    code = [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(text_dir.glob("*.py"))]
    system = []
    for folder in _SYSTEM_FONT_DIRS:
        try:
            system.append([folder, Path(folder).stat().st_mtime_ns])
        except OSError:
            system.append([folder, None])
    data = [lang, family, fonts, code, system, babel.__version__, __version__]
    return hashlib.sha256(json.dumps(data).encode("utf-8")).hexdigest()


def _seed_language_info(project: Project, lang: str, fonts: str) -> Callable[[], None]:
    """Put the stored measurement of ``lang`` where ``language_info`` finds it; returns a
    function to call after planning that stores a fresh measurement. Never fails a build."""
    try:
        from .text import FontLibrary, langinfo

        lib = FontLibrary.for_project(project.root)
        family = project.config.brand.font
        if not lib.has_family(family):
            family = "Noto Sans"  # as frames.script_context falls back
        path = project.state_dir / "cache" / _SCRIPTS_FILE
        memo = _scripts_memo.get(str(path))
        if memo is None:
            try:
                memo = json.loads(path.read_text(encoding="utf-8"))
                memo = memo if isinstance(memo, dict) else {}
            except (OSError, ValueError):
                memo = {}
            _scripts_memo[str(path)] = memo
        key = _scripts_key(lang, family, fonts)
        slot = (lang, id(lib), family)
        held = langinfo._cache.get(slot)
        if (held is None or held[0] is not lib) and isinstance(memo.get(key), dict):
            langinfo._cache[slot] = (lib, langinfo.LanguageInfo(**memo[key]))
    except Exception:  # a stale or odd memo only costs the measurement
        return lambda: None

    def save() -> None:
        held = langinfo._cache.get(slot)
        if held is None or held[0] is not lib or key in memo:
            return
        memo[key] = held[1].as_context()
        while len(memo) > 64:
            memo.pop(next(iter(memo)))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            cache_mod.atomic_write(path, json.dumps(memo).encode("utf-8"))
        except OSError:
            pass  # a read-only state folder only costs the next build the measurement

    return save


# Rendered template text by (engine, template, context digest, templates' stamp), for processes
# that render the same story again (the preview after an edit, the daemon): a frame whose
# context did not change is not templated again. Bounded; a miss only costs the rendering.
_TEXTS: OrderedDict[tuple[int, str, str, str], tuple[Any, str, str | None]] = OrderedDict()
_TEXTS_MAX = 512
_TEXTS_LOCK = threading.Lock()


def _render_text(
    engine: TemplateEngine, plan: FramePlan, digest: str | None, static: str
) -> tuple[str, str | None]:
    if digest is None:
        return engine.render_text(plan.template, plan.context)
    key = (id(engine), plan.template, digest, static)
    with _TEXTS_LOCK:
        hit = _TEXTS.get(key)
        if hit is not None and hit[0] is engine:  # the same engine, not a new one at its address
            _TEXTS.move_to_end(key)
            return hit[1], hit[2]
    text, filename = engine.render_text(plan.template, plan.context)
    with _TEXTS_LOCK:
        _TEXTS[key] = (engine, text, filename)
        while len(_TEXTS) > _TEXTS_MAX:
            _TEXTS.popitem(last=False)
    return text, filename


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
    save_script = _seed_language_info(project, lang, fonts)
    plans = plan_story(project, story, lang)
    save_script()
    static = static if static is not None else buildrec.static_stamp(project)
    digests = buildrec.context_digests(plans)
    fp = (
        buildrec.fingerprint(
            project,
            story,
            lang,
            plans,
            fmt=fmt,
            fonts=fonts,
            source=story_source(project, story),
            static=static,
            digests=digests,
        )
        if digests is not None
        else None
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
    for i, plan in enumerate(plans):
        text, filename = _render_text(engine, plan, digests[i] if digests is not None else None, static)
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
