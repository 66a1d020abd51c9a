"""Pydantic validation whose errors point at file:line:column of the offending YAML value."""

from __future__ import annotations

import difflib
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


def problems_from(
    exc: ValidationError, data: Any, file: Path, model: type[BaseModel] | None = None
) -> list[StorycastError]:
    """One problem per pydantic error, at the YAML position of the value; ``model`` adds "did you mean"."""
    out: list[StorycastError] = []
    errors = exc.errors()
    # A misspelt key also makes its real name "missing": the "did you mean" line says both.
    meant = {
        (*tuple(e["loc"])[:-1], _closest(model, tuple(e["loc"])))
        for e in errors
        if model and e["type"] == "extra_forbidden"
    }
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc in meant:
            continue
        line, col = locate(data, loc)
        key = dotted(loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        hint = f"see {loc[-1] if loc else 'the file format'} in docs/content.md"
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
            hint = (
                _unknown_key_hint(model, loc)
                if model
                else "check its spelling against docs/content.md, or remove it"
            )
        elif err["type"] == "missing":
            hint = f"add `{loc[-1]}:` here"
        out.append(StorycastError(f"{key}: {msg}", hint=hint, file=file, line=line, column=col))
    return sorted(out, key=lambda p: (p.line or 0, p.column or 0))


def dotted(loc: tuple[str | int, ...]) -> str:
    """``("steps", 0, "txt")`` -> ``steps.1.txt``: list items count from 1, as lint and i18n count them."""
    return ".".join(str(k + 1) if isinstance(k, int) else str(k) for k in loc)


def _yaml_kind(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    return "single value" if not isinstance(data, dict) else "mapping"


def _closest(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> str | None:
    """The known key at ``loc``'s level that ``loc[-1]`` most likely misspells, if any."""
    from ..config import known_keys

    if model is None:
        return None
    close = difflib.get_close_matches(str(loc[-1]), known_keys(model, loc[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key_hint(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    close = _closest(model, loc)
    if close:
        return f"did you mean {close}? (or remove it; see docs/content.md)"
    return "check its spelling against docs/content.md, or remove it"


def validate(model: type[M], data: Any, file: Path, what: str = "content file") -> M:
    """Validate ``data`` (from yamlsrc) against ``model``; raise ContentError with every problem."""
    if data is None:
        raise ContentError(
            f"this {what} is empty",
            hint=f"write the {what} (see docs/content.md), or delete the file",
            file=file,
            line=1,
            column=1,
        )
    if not isinstance(data, dict):
        raise ContentError(
            f"this {what} must be a YAML mapping (key: value lines), not a {_yaml_kind(data)}",
            hint="start the file with keys such as `id: my-story` at the left margin (see docs/content.md)",
            file=file,
            line=1,
            column=1,
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = problems_from(exc, data, file, model)
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
