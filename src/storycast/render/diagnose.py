"""Turn a drawing failure into an error that names the story file, line, frame and fix.

A text that does not fit is the content author's problem, so the error points at the story's
text (file and line of that language's value) rather than at the template that laid it out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RenderError, StorycastError, TemplateError

if TYPE_CHECKING:
    from ..content.models import Story
    from .frames import FramePlan

# Which story field a default template's text layer shows, by frame kind and layer id.
_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("step", "title"): ("steps", "{step}", "title"),
    ("step", "body"): ("steps", "{step}", "text"),
    ("step", "card-title"): ("steps", "{step}", "title"),
    ("cover", "title"): ("title",),
    ("cover", "summary"): ("summary",),
    ("outro", "cta"): ("cta",),
}


def frame_error(
    story: Story, lang: str, plan: FramePlan, exc: BaseException, config: Path | None = None
) -> StorycastError:
    """Name the story file (and the line of the text at fault), the frame and step, and the fix.

    A font family the library does not know comes from ``[brand] font`` (or a template), and the
    brand logo from ``[brand] logo``, so they point at ``config`` (storycast.toml) rather than at
    the story.
    """
    what = f"frame {plan.index:02d} ({plan.kind}" + (f", step {plan.step}" if plan.step else "") + ")"
    if not isinstance(exc, StorycastError):
        return RenderError(
            f"{story.id} [{lang}] {what}: drawing failed: {type(exc).__name__}: {exc}",
            hint="rerun with --traceback and report it if the inputs look right",
            file=story.source,
        )
    msg = f"{story.id} [{lang}] {what}: {exc.message}"
    err_cls = type(exc) if isinstance(exc, (RenderError, TemplateError)) else RenderError
    if exc.file is not None:  # the problem is in a file of its own (an image, a font)
        return err_cls(msg, hint=exc.hint, file=exc.file, line=exc.line, column=exc.column)
    if config is not None and ("font family" in exc.message.lower() or "brand logo" in exc.message):
        return err_cls(msg, hint=exc.hint, file=config)
    hint = exc.hint
    line = None
    m = re.search(r"id '([^']+)'", exc.message)
    field_path = _FIELDS.get((plan.kind, m.group(1))) if m else None
    if field_path is None and plan.kind == "step" and "fit" in exc.message:
        field_path = _FIELDS[("step", "body")]
    if field_path is not None and story.source is not None:
        path = tuple(plan.step - 1 if p == "{step}" and plan.step else p for p in field_path)
        line = _line_of(story.source, (*path, lang))
        if "fit" in exc.message:
            name = f"step {plan.step} {field_path[-1]}" if plan.step else f"`{field_path[-1]}`"
            hint = (
                f"shorten the {lang} {name} in the story "
                "(or raise the layer's max_lines / lower size.min in the template)"
            )
    return err_cls(msg, hint=hint, file=story.source, line=line)


def _line_of(source: Path, path: tuple[str | int, ...]) -> int | None:
    from .. import yamlsrc
    from ..content.validate import locate

    try:
        data = yamlsrc.load(source)
    except StorycastError:
        return None
    line, _ = locate(data, path)
    return line
