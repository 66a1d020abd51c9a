"""Every piece of localized text in a content item, with where it is drawn and where it is written.

Works on any content kind (tutorials, Q&A events, polls) by walking the model's data for
localized mappings (``{en: ..., th: ...}``). For tutorials it also knows which frame shows each
value: the cover (1) shows the title and summary, step *i* is frame *i* + 1, the outro (last)
shows the call to action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import yamlsrc
from ..content.validate import locate
from ..errors import ContentError

Role = Literal["heading", "body", "caption", "alt", "other"]
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Field:
    """One localized value of a content item (all its languages)."""

    path: Path_  # ("steps", 2, "text")
    values: dict[str, str]
    frame: int | None
    role: Role

    def label(self) -> str:
        """Human name: 'step 3 text', 'title', 'poll options 2'."""
        parts = list(self.path)
        if len(parts) >= 2 and parts[0] == "steps" and isinstance(parts[1], int):
            rest = " ".join(str(p) for p in parts[2:])
            return f"step {parts[1] + 1} {rest}".strip()
        return " ".join(str(p + 1) if isinstance(p, int) else str(p) for p in parts)


def _dump(item: Any) -> Any:
    if hasattr(item, "model_dump"):
        return item.model_dump(exclude={"source"}, mode="python")
    if hasattr(item, "__dict__"):
        return {k: v for k, v in vars(item).items() if not k.startswith("_") and k != "source"}
    return item


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _is_localized(value: Any, langs: set[str]) -> bool:
    """``{lang: text}`` or ``{lang: [text, ...]}`` (Q&A topics) with only known language keys."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and k in langs for k in value)
        and all(_is_text(v) for v in value.values())
    )


def _walk(data: Any, langs: set[str], path: Path_) -> Iterator[tuple[Path_, dict[str, str]]]:
    if _is_localized(data, langs):
        # Lists of texts are checked as one text per language, one line per item.
        yield path, {k: v if isinstance(v, str) else "\n".join(v) for k, v in data.items()}
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, langs, (*path, str(key)))
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            yield from _walk(value, langs, (*path, i))


def _tutorial_place(path: Path_, n_steps: int) -> tuple[int | None, Role]:
    head = path[0] if path else None
    last = path[-1] if path else None
    if head == "title" and len(path) == 1:
        return 1, "heading"
    if head == "summary":
        return 1, "body"
    if head == "cta":
        return n_steps + 2, "body"
    if head == "steps" and len(path) >= 3 and isinstance(path[1], int):
        role: Role = {"title": "heading", "text": "body", "alt": "alt"}.get(str(last), "other")  # type: ignore[assignment]
        return path[1] + 2, role
    return None, "other"


def fields(item: Any, languages: list[str]) -> list[Field]:
    """Localized values of ``item`` in document order (``languages``: every known code)."""
    langs = set(languages) | set(getattr(item, "languages", []) or [])
    kind = getattr(item, "kind", "tutorial")
    steps = getattr(item, "steps", None)
    n_steps = len(steps) if isinstance(steps, list) else 0
    out = []
    for path, values in _walk(_dump(item), langs, ()):
        if kind == "tutorial" and steps is not None:
            frame, role = _tutorial_place(path, n_steps)
        else:
            frame, role = None, "other"
        out.append(Field(path, values, frame, role))
    return out


class Locator:
    """Maps a data path to file/line/column by reading the story file again with positions."""

    def __init__(self, source: Path | None, root: Path | None = None) -> None:
        self.source = source
        self.root = root
        self.data: Any = None
        if source is not None:
            try:
                self.data = yamlsrc.load(source)
            except ContentError:
                self.data = None  # a file that no longer parses still gets findings, without lines

    @property
    def file(self) -> str | None:
        """The story file, relative to the project root when it is inside it."""
        if self.source is None:
            return None
        if self.root is not None:
            try:
                return str(self.source.resolve().relative_to(self.root.resolve()))
            except ValueError:
                pass
        return str(self.source)

    def at(self, path: Path_) -> dict[str, Any]:
        """``file``/``line``/``column`` keyword arguments for a finding."""
        line, column = locate(self.data, path) if self.data is not None else (None, None)
        return {"file": self.file, "line": line, "column": column}
