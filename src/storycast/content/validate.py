"""Pydantic validation whose errors point at file:line:column of the offending YAML value."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ContentError, StorycastError
from ..yamlsrc import PosDict, PosList

M = TypeVar("M", bound=BaseModel)


def locate(data: Any, loc: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """Walk ``loc`` through position-aware YAML data; return the deepest known line/column."""
    line = col = None
    node = data
    if isinstance(node, (PosDict, PosList)):
        line, col = node.pos.line, node.pos.column
    for key in loc:
        if isinstance(node, PosDict) and isinstance(key, str):
            if key in node.key_pos:
                p = node.key_pos[key]
                line, col = p.line, p.column
            node = node.get(key)
        elif isinstance(node, PosList) and isinstance(key, int) and 0 <= key < len(node):
            p = node.item_pos[key]
            line, col = p.line, p.column
            node = node[key]
        else:
            break
    return line, col


def problems_from(exc: ValidationError, data: Any, file: Path) -> list[StorycastError]:
    out: list[StorycastError] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line, col = locate(data, loc)
        key = ".".join(str(k) for k in loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        hint = None
        if err["type"] == "extra_forbidden":
            msg, hint = "unknown key", "check its spelling against docs/content.md, or remove it"
        elif err["type"] == "missing":
            hint = f"add `{loc[-1]}:` here"
        out.append(StorycastError(f"{key}: {msg}", hint=hint, file=file, line=line, column=col))
    return out


def validate(model: type[M], data: Any, file: Path, what: str = "content file") -> M:
    """Validate ``data`` (from yamlsrc) against ``model``; raise ContentError with every problem."""
    if not isinstance(data, dict):
        raise ContentError(
            f"this {what} must be a YAML mapping (key: value lines)", file=file, line=1, column=1
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = problems_from(exc, data, file)
        n = len(problems)
        raise ContentError(
            f"{file} has {n} problem{'s' if n != 1 else ''}:", problems=problems, file=file
        ) from None


def unknown_languages(
    data: Any, languages: list[str], declared: list[str], file: Path
) -> list[StorycastError]:
    """One problem per language of a content file that the project does not declare."""
    out: list[StorycastError] = []
    for i, lang in enumerate(languages):
        if lang not in declared:
            line, col = locate(data, ("languages", i))
            out.append(
                StorycastError(
                    f"language {lang!r} is not in the project's languages {sorted(declared)}",
                    hint="add it to [project] languages in storycast.toml, or remove it here",
                    file=file,
                    line=line,
                    column=col,
                )
            )
    return out
