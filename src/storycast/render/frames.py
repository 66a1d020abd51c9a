"""Which frames a story has, and the template context of each.

A tutorial story renders as: a cover, one frame per step, an outro. The story's ``template``
names a set folder (``templates/<set>/cover.j2``, ``step.j2``, ``outro.j2``). Every template gets
the project-wide context (``brand``, ``canvas``, ``safe``, ``lang``, ``dir``, ``script``, ``start``,
``end``, ``t``, ``project``, ``support_hours``) plus per-frame ``story``, ``step`` (on step frames)
and ``frame``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..content.pseudo import is_pseudo, pseudo_base, pseudo_strings, pseudo_values
from ..versions import version_of
from .strings import STRINGS_FILE, Strings, Translator, load_strings, support_hours_context

if TYPE_CHECKING:
    from ..content.models import Story
    from ..project import Project


@dataclass
class FramePlan:
    """One frame to render: its template, context and alt text (before templating)."""

    index: int  # 1-based
    kind: str  # cover | step | outro | ...
    template: str
    context: dict[str, Any]
    alt: str
    step: int | None = None  # 1-based step number on step frames
    duration: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def brand_context(project: Project) -> dict[str, Any]:
    """The ``brand`` variable: colours, font, logo path (project-relative) and corner radius."""
    b = project.config.brand
    logo: str | None = None
    if b.logo and (project.resolve_path(b.logo).is_file() or (resources.data_root() / b.logo).is_file()):
        logo = b.logo
    return {
        "name": b.name or project.config.project.name,
        "primary": b.primary,
        "secondary": b.secondary,
        "accent": b.accent,
        "background": b.background,
        "surface": b.surface,
        "text": b.text,
        "ink": b.ink,
        "muted": b.muted,
        "font": b.font,
        "logo": logo,
        "corner_radius": b.corner_radius,
    }


def palette(project: Project) -> dict[str, str]:
    """Brand colours by name, so a spec may write ``color: primary``."""
    ctx = brand_context(project)
    return {k: v for k, v in ctx.items() if isinstance(v, str) and v.startswith("#")}


def catalogue_files(project: Project) -> list[Path]:
    """The interface-string files the frames read, later ones winning per string and language."""
    return [resources.templates_dir() / STRINGS_FILE, project.templates_dir / STRINGS_FILE]


def catalogue_key(paths: Sequence[Path]) -> list[Any] | None:
    """Each file's path with its ``[size, mtime_ns]`` (None when missing); None when one is a
    link, whose target may change without its own stamp changing."""
    key: list[Any] = []
    for path in paths:
        try:
            st = os.lstat(path)
        except OSError:
            key.append([str(path), None])
            continue
        if stat.S_ISLNK(st.st_mode):
            return None
        key.append([str(path), [st.st_size, st.st_mtime_ns]])
    return key


# The merged catalogue of the files as ``catalogue_key`` last saw them: the builds of one
# process share it (parsing the two files is most of planning a build), and a caller that read
# and checked it already (``kb build`` keeps it between runs) hands it over.
_CATALOGUE: list[Any] = []


def remember_catalogue(key: list[Any], strings: Strings) -> None:
    """Take ``strings`` as what ``load_strings`` gives for the files of ``key`` (``catalogue_key``
    of :func:`catalogue_files`, taken before the files were read)."""
    _CATALOGUE[:] = [key, strings]


def catalogue(project: Project) -> Strings:
    """``load_strings`` of :func:`catalogue_files`, read again only when a file's stamp changed."""
    paths = catalogue_files(project)
    key = catalogue_key(paths)
    if key is not None and _CATALOGUE and _CATALOGUE[0] == key:
        return _CATALOGUE[1]  # type: ignore[no-any-return]
    strings = load_strings(*paths)
    if key is not None:
        remember_catalogue(key, strings)
    return strings


def translator(project: Project, lang: str) -> Translator:
    """``t`` for ``lang``: packaged strings with the project's strings.yaml merged over them."""
    strings = catalogue(project)
    if is_pseudo(lang):  # a pseudo-locale's strings are derived from English (content/pseudo.py)
        strings = pseudo_strings(strings, lang)
    return Translator(strings, lang)


@dataclass(frozen=True)
class Side:
    """``start`` and ``end`` for templates: x positions that follow the reading direction.

    ``start(offset, width)`` is the x of a box ``width`` px wide whose start edge (left in
    English, right in Arabic) is ``offset`` px from the canvas's start edge; ``end(offset,
    width)`` measures from the end edge. With ``width`` 0 they place a point (a circle's
    centre). A template written with them lays out mirrored for right-to-left languages.
    A plain value (not a closure), so warm-build fingerprints can hash it.
    """

    canvas_width: int
    rtl: bool
    from_end: bool = False

    def __call__(self, offset: float, width: float = 0) -> float:
        from_left = self.rtl == self.from_end  # start in LTR, end in RTL: measured from the left
        x = offset if from_left else self.canvas_width - offset - width
        return _whole(x)


def _whole(x: float) -> float:
    """Integers stay integers in the YAML (``90``, not ``90.0``), so specs read as written."""
    return int(x) if float(x).is_integer() else x


def script_context(project: Project, lang: str) -> dict[str, Any]:
    """The ``script`` variable: the language's script, direction and measured line pitch."""
    from .text import FontLibrary
    from .text.langinfo import language_info

    fonts = FontLibrary.for_project(project.root)
    family = project.config.brand.font
    if not fonts.has_family(family):
        family = "Noto Sans"
    return language_info(lang, fonts, family).as_context()


def base_context(project: Project, lang: str) -> dict[str, Any]:
    """Variables every template sees, whatever the frame."""
    cfg = project.config
    w, h = cfg.render.width, cfg.render.height
    sz = cfg.render.safe_zone
    t = translator(project, lang)
    script = script_context(project, lang)
    rtl = script["dir"] == "rtl"
    return {
        "brand": brand_context(project),
        "canvas": {"width": w, "height": h},
        "safe": {
            "top": sz.top,
            "bottom": sz.bottom,
            "left": sz.left,
            "right": sz.right,
            "x": sz.left,
            "y": sz.top,
            "w": w - sz.left - sz.right,
            "h": h - sz.top - sz.bottom,
        },
        "lang": lang,
        "dir": script["dir"],
        "script": script,
        "start": Side(w, rtl),
        "end": Side(w, rtl, from_end=True),
        "t": t,
        "project": {"name": cfg.project.name},
        "support_hours": _support_hours(project, lang, t),
    }


def _support_hours(project: Project, lang: str, t: Translator) -> dict[str, Any]:
    """Localized support hours, memoized on disk: Babel's locale data is slow to load and a warm
    build should not pay for it."""
    import hashlib
    import json

    cfg = project.config
    strings = {k: t.strings.get(k, {}) for k in ("closed", "holiday_note")}
    key = hashlib.sha256(
        json.dumps(
            [
                cfg.support_hours.model_dump(mode="json"),
                cfg.project.timezone,
                lang,
                strings,
                version_of("babel"),
            ],
            sort_keys=True,
            ensure_ascii=False,
        ).encode("utf-8")
    ).hexdigest()
    memo = _HOURS_MEMO.get(key)
    if memo is not None:
        return memo
    path = project.state_dir / "cache" / "support-hours" / f"{key}.json"
    try:
        value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # Babel has no data for a pseudo-locale: its day names are the base language's, derived.
        base = pseudo_base(lang)
        tb = t if base == lang else Translator(t.strings, base)
        value = support_hours_context(cfg.support_hours, base, tb, cfg.project.timezone)
        if base != lang:
            value = pseudo_values(value, lang)
        try:
            from .cache import atomic_write

            atomic_write(path, json.dumps(value, ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass  # a read-only project still renders; it just recomputes next time
    _HOURS_MEMO[key] = value
    return value


_HOURS_MEMO: dict[str, dict[str, Any]] = {}


def _category_label(t: Translator, category: str) -> str:
    key = f"category_{category.replace('-', '_')}"
    if key in t.strings:
        return t(key)
    return category.replace("-", " ").replace("_", " ").capitalize()


def story_context(story: Story, lang: str, t: Translator) -> dict[str, Any]:
    """The ``story`` variable."""
    return {
        "id": story.id,
        "title": story.title.get(lang, ""),
        "summary": story.summary.get(lang, ""),
        "category": story.category,
        "category_label": _category_label(t, story.category),
        "cta": story.cta.get(lang, ""),
        "step_count": len(story.steps),
        "first_image": next((s.image for s in story.steps if s.image), None),
        "tags": list(story.tags),
    }


def kb_link(project: Project, story: str, lang: str) -> dict[str, str] | None:
    """The ``story.kb_link`` variable: the article's short link and how to show it, or None.

    The link names no channel: a frame is drawn once for every channel it goes to."""
    kb = project.config.kb
    mode = kb.link_mode(story)
    url = kb.go_link(story, lang) if mode != "none" else None
    if url is None:
        return None
    return {"mode": mode, "url": url, "text": url.split("://", 1)[-1]}


def plan_story(project: Project, story: Story, lang: str) -> list[FramePlan]:
    """Cover, steps and outro of a tutorial story in ``lang``, with contexts and alt texts."""
    base = base_context(project, lang)
    t: Translator = base["t"]
    sctx = story_context(story, lang, t)
    sctx["kb_link"] = kb_link(project, story.id, lang)
    total = len(story.steps) + 2
    tset = story.template
    plans: list[FramePlan] = []

    def frame(index: int, kind: str) -> dict[str, Any]:
        return {"index": index, "total": total, "kind": kind, "number": f"{index:02d}"}

    plans.append(
        FramePlan(
            index=1,
            kind="cover",
            template=f"{tset}/cover.j2",
            context={**base, "story": sctx, "frame": frame(1, "cover")},
            alt=t("cover_alt", title=sctx["title"], count=len(story.steps)),
        )
    )
    for i, step in enumerate(story.steps, start=1):
        title, text = step.title.get(lang, ""), step.text.get(lang, "")
        image_alt = step.alt.get(lang, "")
        stx = {
            "index": i,
            "number": i,
            "total": len(story.steps),
            "title": title,
            "text": text,
            "image": step.image,
            "alt": image_alt,
            "duration": step.duration,
        }
        alt = t("step_alt", n=i, total=len(story.steps), title=title.rstrip("."), text=text).strip()
        if image_alt:
            alt = f"{alt} {image_alt.rstrip('.')}."
        plans.append(
            FramePlan(
                index=i + 1,
                kind="step",
                template=f"{tset}/step.j2",
                context={**base, "story": sctx, "step": stx, "frame": frame(i + 1, "step")},
                alt=alt,
                step=i,
                duration=step.duration,
            )
        )
    cta = sctx["cta"] or t("reply")
    plans.append(
        FramePlan(
            index=total,
            kind="outro",
            template=f"{tset}/outro.j2",
            context={**base, "story": sctx, "frame": frame(total, "outro")},
            alt=t("outro_alt", title=sctx["title"], cta=cta).strip(),
        )
    )
    return plans


def story_source(project: Project, story: Story) -> str | None:
    """The story file, relative to the project when possible (for manifests and errors)."""
    if story.source is None:
        return None
    try:
        return str(Path(story.source).resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(story.source)
