"""``layout.overflow``: text that does not fit its box, found before anything is rendered.

The frames of a story are planned and their templates rendered to frame specs, and every text
layer is laid out by the text engine exactly as the renderer would (same request, same fonts),
without drawing a pixel. A layer whose text had to be cut, after shrinking to its minimum size
and breaking long words, is an error: the rendered frame would show an ellipsis where the rest
of the sentence should be. The finding names the frame, the layer, the text and how much it is
over (lines and pixels, characters cut).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config.guard import GuardConfig
from ..errors import StorycastError
from .registry import Emitter, Finding
from .render import story_path
from .texts import Locator

if TYPE_CHECKING:
    from ..project import Project

RULE = "layout.overflow"
PREVIEW = 48  # characters of the text shown in a finding


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "\u2026"


def overflow_rules(project: Project, story: Any, lang: str) -> list[Finding]:
    """``layout.overflow`` findings for one tutorial story in ``lang`` (no rendering).

    Items that are not tutorial stories (polls, Q&A events) and stories whose templates fail
    are skipped: rendering reports those problems itself.
    """
    guard: GuardConfig = getattr(project.config, "guard", None) or GuardConfig()
    out = Emitter(guard, {"story": getattr(story, "id", None), "lang": lang})
    if not out.active(RULE) or not hasattr(story, "steps") or lang not in getattr(story, "languages", []):
        return []
    from ..render.frames import palette, plan_story
    from ..render.layers.text import layer_label, text_request
    from ..render.prepare import template_engine
    from ..render.spec import TextLayer
    from ..render.text import FontLibrary, layout_text

    try:
        plans = plan_story(project, story, lang)
        engine = template_engine(project)
        pal = palette(project)
    except StorycastError:
        return []
    fonts = FontLibrary.for_project(project.root)
    locator = Locator(getattr(story, "source", None), project.root)
    n_frames = len(plans)
    for plan in plans:
        try:
            spec, _ = engine.render_spec(plan.template, plan.context, pal)
        except StorycastError:
            continue
        for layer in spec.layers:
            # ``ellipsis: true`` marks text a template lets be cut (a brand name, a host line);
            # after rendering, layout.truncated still reports it.
            if not isinstance(layer, TextLayer) or layer.ellipsis:
                continue
            _, _, w, h = layer.box
            try:
                layout = layout_text(text_request(layer, lang), w, h, fonts)
            except StorycastError:
                continue  # an unknown font or a bad box: the render names it
            if not layout.truncated or layout.overflow is None:
                continue
            lid = layer.id or layer.role
            frame = {"kind": plan.kind, "step": plan.step}
            path = story_path(frame, plan.index, n_frames, {"id": lid, "role": layer.role})
            where = locator.at((*path, lang))
            out.emit(
                RULE,
                f"frame {plan.index} {layer_label(layer)}: {_preview(layer.text)!r} does not fit its "
                f"{w}x{h} px box even at {layout.size} px: {layout.overflow.describe()} "
                f"({_preview(layout.overflow.hidden)!r})",
                frame=plan.index,
                layer=lid,
                **where,
            )
    return out.findings
