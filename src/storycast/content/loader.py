"""Load every content file under stories/, validate it, and report every problem at once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import yamlsrc
from ..errors import ContentError, StorycastError
from .models import BrokenContent, ContentSet, Story
from .validate import locate, unknown_languages, validate

if TYPE_CHECKING:
    from ..project import Project


def register_kind(kind: str, loader: Callable[[Any, Path, Project], Any]) -> None:
    """Deprecated: implement the ``register_content_kinds`` hook instead (docs/plugins.md)."""
    from .. import plugins
    from .kinds import ContentKind

    plugins.legacy_add("register_content_kinds", ContentKind(kind, loader), loader.__module__)


def load_story(data: Any, file: Path, project: Project) -> Story:
    try:
        story = validate(Story, data, file, "story")
    except ContentError as exc:
        # Report the languages too, so fixing the schema does not reveal a second round.
        problems = exc.problems or [exc]
        problems += unknown_languages(data, _raw_languages(data), project.languages, file)
        raise ContentError(exc.message, problems=problems, file=file) from None
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


def _raw_languages(data: Any) -> list[str]:
    """The ``languages:`` of a file that failed validation, as far as they can be read."""
    langs = data.get("languages") if isinstance(data, dict) else None
    return [lang for lang in langs if isinstance(lang, str)] if isinstance(langs, list) else []


def refuse_link_out(file: Path, project: Project) -> None:
    """A content or schedule file that is a link out of the project is refused, not read.

    Otherwise a link such as ``stories/x.yaml -> /etc/...`` would pull a file from elsewhere on
    the machine into frames, manifests and error messages.
    """
    real, top = os.path.realpath(file), os.path.realpath(project.root)
    if not real.startswith(top.rstrip(os.sep) + os.sep):
        raise ContentError(
            "this file is a link to a file outside the project",
            hint="copy the file into the project instead of linking to it",
            file=file,
        )


def content_files(project: Project) -> list[Path]:
    if not project.stories_dir.is_dir():
        return []
    return sorted(p for p in project.stories_dir.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_content(project: Project, *, strict: bool = True) -> ContentSet:
    """Load every content file under stories/.

    ``strict`` (commands that work on the whole project): any problem raises one ContentError
    listing every problem. Not strict (the publishing engine): a broken file is set aside in
    ``ContentSet.broken`` with its own error, and everything else loads.
    """
    from .kinds import DEFAULT_KIND, content_kinds

    kinds = content_kinds()
    out = ContentSet()
    problems: list[StorycastError] = []
    seen: dict[str, Path] = {}
    parsed = yamlsrc.ParseCache(parse_cache_path(project))
    for file in content_files(project):
        data: Any = None
        try:
            refuse_link_out(file, project)
            data = parsed.load(file)
            kind = data.get("kind", DEFAULT_KIND) if isinstance(data, dict) else DEFAULT_KIND
            if isinstance(kind, str) and kind in kinds:
                item: Any = kinds[kind].load(data, file, project)
            else:
                line, col = locate(data, ("kind",))
                known = ", ".join([DEFAULT_KIND, *sorted(k for k in kinds if k != DEFAULT_KIND)])
                raise ContentError(
                    f"unknown kind {kind!r}", hint=f"use one of: {known}", file=file, line=line, column=col
                )
        except ContentError as exc:
            problems.extend(exc.problems or [exc])
            out.broken.append(_broken(file, exc, data))
            continue
        if item.id in seen:
            dup = StorycastError(
                f"id {item.id!r} is already used by {seen[item.id]}",
                hint="every story, event and poll needs its own id",
                file=file,
            )
            problems.append(dup)
            out.broken.append(_broken(file, ContentError(f"{file} has 1 problem:", problems=[dup]), data))
            continue
        seen[item.id] = file
        if kind == DEFAULT_KIND:
            out.stories[item.id] = item
        else:
            out.extras.setdefault(kind, {})[item.id] = item
    parsed.save()
    if problems and strict:
        n = len(problems)
        raise ContentError(
            f"the project's content has {n} problem{'s' if n != 1 else ''}:", problems=problems
        )
    return out


def parse_cache_path(project: Project) -> Path:
    """Where the parsed trees of the content files are kept between runs (see yamlsrc.ParseCache)."""
    return project.state_dir / "cache" / "content" / "parsed.json"


def content_stamp(project: Project) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every content file: changes when any file does."""
    out = []
    for file in content_files(project):
        try:
            st = file.stat()
        except OSError:
            continue
        out.append((str(file), st.st_size, st.st_mtime_ns))
    return tuple(out)


_LINE = {
    key: re.compile(rf"^{key}:[ \t]*[\"']?([^\"'#\n]*?)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
    for key in ("id", "kind", "languages")
}


def _broken(file: Path, error: ContentError, data: Any) -> BrokenContent:
    """What a broken file defines, read as far as it can be: parsed keys, else top-level lines."""
    values: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
    if not values:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        for key, pattern in _LINE.items():
            m = pattern.search(text)
            if m and m.group(1).strip():
                raw = m.group(1).strip()
                values[key] = [v.strip() for v in raw.strip("[]").split(",")] if key == "languages" else raw
    cid = values.get("id")
    kind = values.get("kind")
    langs = values.get("languages")
    steps = values.get("steps")
    kind = kind if isinstance(kind, str) and kind else "tutorial"
    return BrokenContent(
        file=file,
        error=error,
        id=cid if isinstance(cid, str) and cid else file.stem,
        kind=kind,
        languages=tuple(x for x in langs if isinstance(x, str) and x) if isinstance(langs, list) else (),
        frames=len(steps) + 2 if kind == "tutorial" and isinstance(steps, list) and steps else None,
    )
