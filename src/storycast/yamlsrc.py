"""YAML loading that remembers where every value came from.

Content and schedule errors must name file:line:column. PyYAML's composer knows the position
of every node; this loader keeps it on the dicts and lists it builds, so validation code can
point at the exact key or item that is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError


class Pos:
    """A 1-based line/column position inside a file."""

    __slots__ = ("column", "file", "line")

    def __init__(self, file: Path | None, line: int, column: int) -> None:
        self.file = file
        self.line = line
        self.column = column

    def __repr__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class PosDict(dict[str, Any]):
    """A dict that knows its own position and the position of each key's value."""

    pos: Pos
    key_pos: dict[str, Pos]

    def where(self, key: str | None = None) -> Pos:
        """Position of ``key``'s value, or of the mapping itself."""
        if key is not None and key in self.key_pos:
            return self.key_pos[key]
        return self.pos


class PosList(list[Any]):
    """A list that knows its own position and the position of each item."""

    pos: Pos
    item_pos: list[Pos]

    def where(self, index: int | None = None) -> Pos:
        if index is not None and 0 <= index < len(self.item_pos):
            return self.item_pos[index]
        return self.pos


def _pos(file: Path | None, node: yaml.Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


# libyaml's parser is several times faster and still reports marks; fall back to pure Python.
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    source: Path | None = None


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> PosDict:
    loader.flatten_mapping(node)
    out = PosDict()
    out.pos = _pos(loader.source, node)
    out.key_pos = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ContentError(
                "a mapping key must be a plain value",
                file=loader.source,
                line=key_node.start_mark.line + 1,
                column=key_node.start_mark.column + 1,
            )
        skey = str(key) if not isinstance(key, str) else key
        if skey in out:
            raise ContentError(
                f"the key {skey!r} appears twice in the same mapping",
                hint="remove or rename one of them",
                file=loader.source,
                line=key_node.start_mark.line + 1,
                column=key_node.start_mark.column + 1,
            )
        out[skey] = loader.construct_object(value_node, deep=True)
        out.key_pos[skey] = _pos(loader.source, value_node)
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> PosList:
    out = PosList(loader.construct_object(child, deep=True) for child in node.value)
    out.pos = _pos(loader.source, node)
    out.item_pos = [_pos(loader.source, child) for child in node.value]
    return out


def _construct_timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates and times stay text: the schema parses them in the right time zone.
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)  # type: ignore[arg-type]
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)  # type: ignore[arg-type]


def loads(text: str, source: str | Path | None = None) -> Any:
    """Parse YAML text; syntax errors become ContentError with file:line:column."""
    path = Path(source) if source is not None else None
    loader = _Loader(text)
    loader.source = path
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "check indentation, and quote values that contain ':' or start with '{', '[', '*' or '#'"
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            hint = "YAML indents with spaces, never tabs: replace the tab at this position with spaces"
        raise ContentError(
            f"YAML syntax error: {problem}",
            hint=hint,
            file=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"YAML error: {exc}", file=path) from None
    finally:
        loader.dispose()


def load(path: str | Path) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"file not found: {p}", file=p) from None
    except UnicodeDecodeError as exc:
        raise ContentError(
            f"the file is not valid UTF-8 (byte {exc.start})", hint="save it as UTF-8", file=p
        ) from None
    return loads(text, p)


def where(data: Any, key: str | int | None = None) -> Pos | None:
    """Best-known position of ``data[key]`` (or of ``data``), if ``data`` came from this loader."""
    if isinstance(data, PosDict):
        return data.where(key if isinstance(key, str) else None)
    if isinstance(data, PosList):
        return data.where(key if isinstance(key, int) else None)
    return None
