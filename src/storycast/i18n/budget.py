"""Character budgets: how much text the frame has room for, measured on the source language.

The frames of a tutorial story are planned in the source language and their templates rendered
to frame specs (no drawing). Each text layer whose text is a unit's source text gives that unit
its place on the frame (frame, layer, box) and its budget: the box's width at the layer's
smallest size, divided by the source text's own average character advance in the brand font
(measured by the text engine), times the lines the box allows, less a tenth for the ragged ends
of wrapped lines. It is an estimate in characters, what translation tools show as a length
limit; ``storycast lint`` lays each language out for real (``layout.overflow``).

Polls and Q&A events are drawn by the engagement frames, which sit above this package: their
texts get no budget, only the description of where they appear.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StorycastError

if TYPE_CHECKING:
    from ..project import Project
    from .units import Unit

SLACK = 0.9  # wrapped lines end short of the box: keep a tenth in hand
LINE_EM = 1.25  # line pitch assumed when a layer gives no max_lines

_KIND_PLACES = {
    "poll": "the poll frames (question and answer options)",
    "qa": "the Q&A announcement frames (before, at the start of and after the session)",
}


@dataclass
class Place:
    frame: int
    frames: int
    kind: str
    step: int | None
    layer: str
    role: str
    box: tuple[int, int, int, int]
    lines: int
    size: tuple[int, int]
    budget: int

    def describe(self) -> str:
        x, y, w, h = self.box
        frame = f"frame {self.frame} of {self.frames} ({self.kind}{f' {self.step}' if self.step else ''})"
        size = f"{self.size[0]} px" if self.size[0] == self.size[1] else f"{self.size[0]}-{self.size[1]} px"
        lines = f"{self.lines} line{'s' if self.lines != 1 else ''}"
        return (
            f"{frame}, layer {self.layer!r} ({self.role}): a {w}x{h} px box at {x},{y}, "
            f"up to {lines} at {size}"
        )


def _places(project: Project, story: Any, lang: str) -> dict[str, list[Place]]:
    """Source text -> where it is drawn, for one tutorial story."""
    from ..render.frames import palette, plan_story
    from ..render.layers.text import text_request
    from ..render.prepare import template_engine
    from ..render.spec import TextLayer
    from ..render.text import FontLibrary, layout_text

    plans = plan_story(project, story, lang)
    engine = template_engine(project)
    pal = palette(project)
    fonts = FontLibrary.for_project(project.root)
    out: dict[str, list[Place]] = {}
    for plan in plans:
        try:
            spec, _ = engine.render_spec(plan.template, plan.context, pal)
        except StorycastError:
            continue
        for layer in spec.layers:
            if not isinstance(layer, TextLayer) or not layer.text.strip():
                continue
            x, y, w, h = (int(v) for v in layer.box)
            request = text_request(layer, lang)
            smallest = request.size_min
            lines = layer.max_lines or max(1, int(h // (smallest * LINE_EM)))
            advance = 0.5 * smallest
            try:
                layout = layout_text(request, w, h, fonts)
                drawn = sum(len(line.text) for line in layout.lines)
                if drawn:
                    advance = sum(line.width for line in layout.lines) / drawn * smallest / layout.size
            except StorycastError:
                pass
            budget = max(1, math.floor(w / max(advance, 1e-6) * lines * SLACK))
            place = Place(
                plan.index,
                len(plans),
                plan.kind,
                plan.step,
                layer.id or layer.role,
                layer.role,
                (x, y, w, h),
                lines,
                (request.size_min, request.size_max),
                budget,
            )
            out.setdefault(layer.text, []).append(place)
    return out


def _template_uses(project: Project) -> dict[str, list[str]]:
    """Interface string id -> the templates that call it (``t("id"``)."""
    from .. import resources

    pattern = re.compile(r"""\bt\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")
    out: dict[str, list[str]] = {}
    for root in (project.templates_dir, resources.templates_dir()):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.j2")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            name = path.relative_to(root).as_posix()
            for sid in pattern.findall(text):
                names = out.setdefault(sid, [])
                if name not in names:
                    names.append(name)
    return out


def annotate(project: Project, units: list[Unit], source_lang: str) -> None:
    """Fill each unit's ``where`` and ``budget`` (where the layout tells them)."""
    content = project.content
    cache: dict[str, dict[str, list[Place]]] = {}
    uses: dict[str, list[str]] | None = None
    for unit in units:
        if unit.item == "ui":
            if uses is None:
                uses = _template_uses(project)
            names = uses.get(str(unit.path[0]), [])
            unit.where = (
                "interface text drawn by " + ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
                if names
                else "interface text of the feed, knowledge base or report"
            )
            continue
        if unit.kind != "tutorial":
            unit.where = _KIND_PLACES.get(unit.kind, f"the {unit.kind} frames")
            continue
        if unit.item not in cache:
            story = content.stories.get(unit.item)
            try:
                cache[unit.item] = _places(project, story, source_lang) if story is not None else {}
            except StorycastError:
                cache[unit.item] = {}
        places = cache[unit.item].get(unit.source, [])
        if not places:
            if unit.path and unit.path[-1] == "alt":
                unit.where = "alt text of the step's picture (not drawn; read by screen readers)"
            elif unit.path and unit.path[0] == "tags":
                unit.where = "a tag (not drawn)"
            else:
                unit.where = "not drawn on the frames by the current templates"
            continue
        tightest = min(places, key=lambda p: p.budget)
        unit.budget = tightest.budget
        unit.where = "; ".join(p.describe() for p in places[:3])


def relative(project: Project, path: Path) -> str:
    try:
        return path.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return str(path)
