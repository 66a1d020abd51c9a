"""YAML loading that remembers where every value came from.

Content and schedule errors must name file:line:column. PyYAML's composer knows the position
of every node; this loader keeps it on the dicts and lists it builds, so validation code can
point at the exact key or item that is wrong.

Merge keys (``<<: *defaults``) work as YAML 1.1 defines them: the mapping's own keys override
merged ones. A key written twice in one mapping is an error. Aliases that would expand into a
huge tree ("billion laughs") and absurdly deep nesting are refused before anything is built.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError
from .files import read_text

# Nesting deeper than any story, schedule or frame spec needs; it guards the recursive parts of
# the loader (and pydantic after it) against a file made of ten thousand "[".
MAX_DEPTH = 100
# Values that aliases may add on top of those written out. "Billion laughs" files reach 10**9
# from a few lines; a real file that leans on anchors adds at most a few hundred.
MAX_ALIAS_EXPANSION = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


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
    # id(mapping node) -> ids of the key nodes that merge keys brought into it.
    merged: dict[int, set[int]]

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        own = {id(k) for k, _ in node.value if k.tag != _MERGE_TAG}
        super().flatten_mapping(node)
        brought = {id(k) for k, _ in node.value if id(k) not in own}
        if brought:
            self.merged.setdefault(id(node), set()).update(brought)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> PosDict:
    loader.flatten_mapping(node)
    merged = loader.merged.get(id(node), set())
    out = PosDict()
    out.pos = _pos(loader.source, node)
    out.key_pos = {}
    # Merged pairs come first, in override order; the mapping's own keys follow and win.
    own_keys: set[str] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ContentError(
                "a mapping key must be a plain value",
                hint="use a word or a number as the key (quote it if it starts with [ or {)",
                file=loader.source,
                line=key_node.start_mark.line + 1,
                column=key_node.start_mark.column + 1,
            )
        skey = str(key) if not isinstance(key, str) else key
        if id(key_node) not in merged:
            if skey in own_keys:
                raise ContentError(
                    f"the key {skey!r} appears twice in the same mapping",
                    hint="remove or rename one of them (to override a key brought in by "
                    "`<<: *anchor`, write it once after the merge key)",
                    file=loader.source,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                )
            own_keys.add(skey)
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
    loader.merged = {}
    try:
        deep = first_too_deep(text) if len(text) > _SHORT_TEXT else None
        if deep is not None:
            raise _too_deep(path, deep)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_shape(node, path)
        return loader.construct_document(node)
    except RecursionError:
        raise _too_deep(path, None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # libyaml's own limit, far above ours
            raise _too_deep(path, mark) from None
        hint = "check indentation, and quote values that contain ':' or start with '{', '[', '*' or '#'"
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            hint = "YAML indents with spaces, never tabs: replace the tab at this position with spaces"
        if exc.problem == "but found another document":
            problem = "the file holds more than one YAML document (a line '---' starts another)"
            hint = (
                "keep one item per file: remove the '---' line and what follows, or move it to its own file"
            )
        context = exc.context or ""
        if context.startswith("while parsing a flow") and exc.context_mark is not None:
            bracket = "[" if "sequence" in context else "{"
            problem += f" (the '{bracket}' on line {exc.context_mark.line + 1} is never closed)"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        opened = _unclosed_quote(text, mark.line if mark else text.count("\n"))
        if opened is not None:
            # The parser trips where the runaway string ends (often the end of the file); the
            # mistake is where it began.
            found = problem.removeprefix("found ").replace("unexpected end of stream", "the end of the file")
            problem = (
                "the quoted value that starts here is not closed on its line, so YAML read on and "
                f"failed at line {line}: {found}"
            )
            hint = (
                'end the value with the same quote mark on this line; inside "..." write a quote '
                "as \\\", inside '...' as ''"
            )
            line, column = opened[0] + 1, opened[1] + 1
        raise ContentError(
            f"YAML syntax error: {problem}", hint=hint, file=path, line=line, column=column
        ) from None
    except yaml.reader.ReaderError as exc:
        # A control character YAML does not allow (the position counts characters of ``text``).
        before = text[: exc.position]
        raise ContentError(
            f"YAML cannot contain the control character U+{exc.character:04X}"
            if isinstance(exc.character, int)
            else "the YAML text cannot be read",
            hint="delete that character (it is invisible in most editors; retype the line)",
            file=path,
            line=before.count("\n") + 1,
            column=exc.position - (before.rfind("\n") + 1) + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(
            f"YAML error: {exc}", hint="check the file against docs/content.md", file=path
        ) from None
    finally:
        loader.dispose()


# A value that starts with a quote: after "key: ", "- " or both, at the start of a line.
_QUOTED_VALUE = re.compile(r"""^\s*(?:-\s+)*(?:[^\s#'"\-][^#'"]*?:\s+)?(-\s+)*(["'])""")


def _unclosed_quote(text: str, last_line: int) -> tuple[int, int] | None:
    """(line, column), 0-based, of the first quoted value up to ``last_line`` left open on its line.

    Only asked once parsing has failed: a quoted value may legally run over several lines, but
    in a file that does not parse, the first one that does is the likely culprit.
    """
    for number, line in enumerate(text.split("\n")[: last_line + 1]):
        found = _QUOTED_VALUE.match(line)
        if found is None:
            continue
        quote, start = found.group(2), found.end(2)
        rest = line[start:]
        closed = (
            re.search(r'(?<!\\)(?:\\\\)*"', rest) is not None
            if quote == '"'
            else re.search(r"'(?!')", rest.replace("''", "")) is not None
        )
        if not closed:
            return number, start - 1
    return None


def first_too_deep(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """Where ``text`` first nests deeper than ``max_depth`` (a yaml Mark), or None.

    libyaml composes nested collections recursively in C: some tens of thousands of "[" crash
    the process before ``_check_shape`` sees the tree. Its parser's events come without
    recursion, so any depth is safe to scan; the scan stops at the first level too deep.
    Syntax errors are left to the real parse.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Base):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > max_depth:
                    return event.start_mark
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


_SHORT_TEXT = 8192  # a text this short cannot nest deep enough to crash libyaml (past 20,000)


def _too_deep(path: Path | None, mark: yaml.Mark | None) -> ContentError:
    return ContentError(
        f"the YAML is nested more than {MAX_DEPTH} levels deep",
        hint="flatten the structure; no storycast file needs that many levels",
        file=path,
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
    )


def _check_shape(root: yaml.Node, path: Path | None) -> None:
    """Refuse alias bombs, recursive aliases and deep nesting before anything is constructed.

    Iterative on purpose: the point is to survive inputs that would exhaust Python's stack.
    """
    sizes: dict[int, int] = {}  # id(node) -> node count of its subtree with aliases expanded
    open_nodes: set[int] = set()  # nodes on the current path (an alias to one of them is a cycle)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        if leaving:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), 100 * MAX_ALIAS_EXPANSION)
            continue
        if id(node) in sizes:
            continue  # an alias of a node already measured
        if id(node) in open_nodes:
            raise ContentError(
                "an alias (*name) refers to the mapping or list that contains it",
                hint="YAML can express a structure that contains itself, but no storycast file "
                "can use one: write the values out",
                file=path,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        if depth > MAX_DEPTH:
            raise _too_deep(path, node.start_mark)
        open_nodes.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children)
    extra = sizes[id(root)] - len(sizes)
    if extra > MAX_ALIAS_EXPANSION:
        raise ContentError(
            f"aliases (*name) expand this YAML by more than {MAX_ALIAS_EXPANSION:,} values",
            hint="write the values out, or use fewer nested anchors (an alias of an alias "
            "multiplies the size)",
            file=path,
            line=root.start_mark.line + 1,
            column=root.start_mark.column + 1,
        )


def load(path: str | Path) -> Any:
    """Read and parse a YAML file (UTF-8; see :func:`storycast.files.read_text`)."""
    p = Path(path)
    return loads(read_text(p, what="YAML file"), p)


def where(data: Any, key: str | int | None = None) -> Pos | None:
    """Best-known position of ``data[key]`` (or of ``data``), if ``data`` came from this loader."""
    if isinstance(data, PosDict):
        return data.where(key if isinstance(key, str) else None)
    if isinstance(data, PosList):
        return data.where(key if isinstance(key, int) else None)
    return None


# --- parsed trees kept between runs ---------------------------------------------------------

_CACHE_VERSION = 1


class _Uncacheable(Exception):
    """A tree holding something the cache does not store (aliased nodes, binary, sets)."""


def _freeze(value: Any) -> Any:
    """``value`` (a tree this module built) as JSON: containers are lists tagged "m" or "s"
    with their position, then (key, line, column, value) or (line, column, value) per item."""
    seen: set[int] = set()

    def walk(v: Any) -> Any:
        kind = type(v)
        if kind is PosDict or kind is PosList:
            if id(v) in seen:  # an alias: the same object twice, which a copy would split
                raise _Uncacheable
            seen.add(id(v))
            if kind is PosDict:
                out: list[Any] = ["m", v.pos.line, v.pos.column]
                for key, item in v.items():
                    p = v.key_pos[key]
                    out += (key, p.line, p.column, walk(item))
                return out
            out = ["s", v.pos.line, v.pos.column]
            for p, item in zip(v.item_pos, v, strict=True):
                out += (p.line, p.column, walk(item))
            return out
        if v is None or kind in (str, float, bool) or (kind is int and -(2**63) <= v < 2**63):
            return v
        raise _Uncacheable  # a huge int: JSON text of it may exceed Python's digit limit

    return walk(value)


def _thaw(value: Any, file: Path) -> Any:
    """A fresh tree from :func:`_freeze`'s JSON; ValueError when it is not such JSON."""

    def pos(line: Any, column: Any) -> Pos:
        if type(line) is not int or type(column) is not int:
            raise ValueError("not a position")
        return Pos(file, line, column)

    def walk(v: Any, depth: int) -> Any:
        kind = type(v)
        if kind is not list:
            if v is None or kind in (str, int, float, bool):
                return v
            raise ValueError("not a value")
        if depth > MAX_DEPTH or len(v) < 3:
            raise ValueError("not a container")
        if v[0] == "m" and len(v) % 4 == 3:
            d = PosDict()
            d.pos = pos(v[1], v[2])
            d.key_pos = {}
            for i in range(3, len(v), 4):
                key = v[i]
                if type(key) is not str:
                    raise ValueError("not a key")
                d.key_pos[key] = pos(v[i + 1], v[i + 2])
                d[key] = walk(v[i + 3], depth + 1)
            return d
        if v[0] == "s" and len(v) % 3 == 0:
            seq = PosList()
            seq.pos = pos(v[1], v[2])
            seq.item_pos = []
            for i in range(3, len(v), 3):
                seq.item_pos.append(pos(v[i], v[i + 1]))
                seq.append(walk(v[i + 2], depth + 1))
            return seq
        raise ValueError("not a container")

    return walk(value, 1)


def _code_key() -> list[Any]:
    """What the trees depend on besides the text: PyYAML, its parser and this module."""
    try:
        st = Path(__file__).stat()
        here: list[Any] = [st.st_size, st.st_mtime_ns]
    except OSError:
        here = []
    return [_CACHE_VERSION, yaml.__version__, _Base.__name__, here]


class ParseCache:
    """Parsed trees of YAML files, kept in one JSON file between runs.

    :meth:`load` reads and checks a file as :func:`load` does, then returns the tree kept for
    the same path and the same text (its SHA-256), or parses it. Each call returns a new tree,
    so a caller that changes one cannot change what the next caller gets. Only trees that
    parsed are kept; a tree with aliased nodes, binary values or sets is parsed every time.
    :meth:`save` keeps the trees of the files loaded since the cache was opened. A missing,
    unreadable or damaged cache file costs parsing, never a different tree.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._old: dict[str, Any] = {}
        self._new: dict[str, list[Any]] = {}
        self._changed = False
        try:
            loaded = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            loaded = None
        if isinstance(loaded, dict) and loaded.get("code") == _code_key():
            files = loaded.get("files")
            if isinstance(files, dict):
                self._old = files

    def load(self, path: str | Path) -> Any:
        """The tree of ``path`` (see the class docstring)."""
        p = Path(path)
        text = read_text(p, what="YAML file")
        name = str(p)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        held = self._old.get(name)
        if isinstance(held, list) and len(held) == 2 and held[0] == key:
            try:
                tree = _thaw(held[1], p)
            except (ValueError, TypeError, RecursionError):
                pass
            else:
                self._new[name] = held
                return tree
        tree = loads(text, p)
        try:
            self._new[name] = [key, _freeze(tree)]
        except (_Uncacheable, RecursionError):
            self._new.pop(name, None)
        self._changed = True
        return tree

    def save(self) -> None:
        """Write the trees of the files loaded since the cache was opened, when they differ from
        the file's (a read-only folder only costs the next run its parsing)."""
        from .files import replace_atomically

        if not self._changed and self._new.keys() == self._old.keys():
            return
        data = {"code": _code_key(), "files": self._new}
        try:
            replace_atomically(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except OSError:
            return
        self._old = dict(self._new)
        self._changed = False
