"""Load every content file under stories/, validate it, and report every problem at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import yamlsrc
from ..errors import ContentError, StorycastError
from .models import ContentSet, Story
from .validate import locate, unknown_languages, validate

if TYPE_CHECKING:
    from ..project import Project

# kind -> loader(data, file, project) returning an object with an ``id`` attribute.
KindLoader = Callable[[Any, Path, "Project"], Any]
CONTENT_KINDS: dict[str, KindLoader] = {}


def register_kind(kind: str, loader: KindLoader) -> None:
    """Register a content kind (``kind: qa`` ...) so stories/ can hold it."""
    if kind in CONTENT_KINDS or kind == "tutorial":
        raise ValueError(f"content kind {kind!r} is already registered")
    CONTENT_KINDS[kind] = loader


def load_story(data: Any, file: Path, project: Project) -> Story:
    story = validate(Story, data, file, "story")
    story.source = file
    problems = unknown_languages(data, story.languages, project.languages, file)
    for i, step in enumerate(story.steps):
        if step.image:
            path = project.resolve_path(step.image)
            if not path.is_file():
                line, col = locate(data, ("steps", i, "image"))
                problems.append(
                    StorycastError(
                        f"step {i + 1}: image not found: {step.image}",
                        hint="paths are relative to the project folder (for example assets/samples/x.png)",
                        file=file,
                        line=line,
                        column=col,
                    )
                )
    if problems:
        raise ContentError(f"{file} has {len(problems)} problem(s):", problems=problems, file=file)
    return story


def content_files(project: Project) -> list[Path]:
    if not project.stories_dir.is_dir():
        return []
    return sorted(p for p in project.stories_dir.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_content(project: Project) -> ContentSet:
    from ..builtins import ensure_loaded

    ensure_loaded()  # qa/poll content kinds
    out = ContentSet()
    problems: list[StorycastError] = []
    seen: dict[str, Path] = {}
    for file in content_files(project):
        try:
            data = yamlsrc.load(file)
            kind = data.get("kind", "tutorial") if isinstance(data, dict) else "tutorial"
            if kind == "tutorial":
                item: Any = load_story(data, file, project)
            elif kind in CONTENT_KINDS:
                item = CONTENT_KINDS[kind](data, file, project)
            else:
                line, col = locate(data, ("kind",))
                known = ", ".join(["tutorial", *sorted(CONTENT_KINDS)])
                raise ContentError(
                    f"unknown kind {kind!r}", hint=f"use one of: {known}", file=file, line=line, column=col
                )
        except ContentError as exc:
            problems.extend(exc.problems or [exc])
            continue
        if item.id in seen:
            problems.append(
                StorycastError(
                    f"id {item.id!r} is already used by {seen[item.id]}",
                    hint="every story, event and poll needs its own id",
                    file=file,
                )
            )
            continue
        seen[item.id] = file
        if kind == "tutorial":
            out.stories[item.id] = item
        else:
            out.extras.setdefault(kind, {})[item.id] = item
    if problems:
        n = len(problems)
        raise ContentError(
            f"the project's content has {n} problem{'s' if n != 1 else ''}:", problems=problems
        )
    return out
