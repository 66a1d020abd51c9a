"""Write translations into YAML files by editing only the texts that change.

A YAML library that loads and dumps a file rewrites it: quoting, indentation, line width and
sometimes comments come out its own way. Here the file is composed once to learn where each node
starts and ends (PyYAML's marks), and each change is a splice of the original text: a value
replaced in place, or one ``lang: text`` line (or ``, lang: text`` in a ``{...}`` mapping)
inserted after the mapping's last entry. Everything else, comments, key order, quoting, blank
lines and line endings, stays byte for byte; a file with no change is not written at all.

A new text keeps the style of the text it replaces (or, for a new language, of the source text
beside it) when that style can hold it, and is written double-quoted otherwise. After the
splices the new text is parsed again and every changed value is checked, so a splice that went
wrong is an error, never a damaged story.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import yamlsrc
from ..errors import ContentError

PathT = tuple[str | int, ...]
Sub = int | str | None  # list index, plural category, or None for a plain text


@dataclass
class Edit:
    """The texts of one language of one localized value: ``{None: text}``, ``{index: text}``
    (items of a list of texts) or ``{form: text}`` (plural forms)."""

    path: PathT
    lang: str
    values: dict[Sub, str]
    source_lang: str | None = None  # the sibling whose style a new entry copies
    key: str = ""  # for messages


@dataclass
class Result:
    text: str
    changed: bool
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)


class _Skip(Exception):
    pass


def _plain_ok(value: str, flow: bool) -> bool:
    if not value or value != value.strip() or "\n" in value or "\r" in value or "\t" in value:
        return False
    if flow and any(c in value for c in ",[]{}"):
        return False
    doc = "{k: " + value + "}" if flow else "k: " + value
    try:
        return yaml.safe_load(doc) == {"k": value}
    except yaml.YAMLError:
        return False


def _quoted(value: str) -> str:
    # JSON's string syntax is a subset of YAML's double-quoted scalars.
    return json.dumps(value, ensure_ascii=False)


def scalar(value: str, *, flow: bool, like: Any = None) -> str:
    """``value`` as a YAML scalar, in the style of the node ``like`` when that style can hold it."""
    style = getattr(like, "style", None)
    if style in (None, "") and _plain_ok(value, flow):
        return value
    if style == "'" and "\n" not in value and "\r" not in value and value == value.strip() and value:
        return "'" + value.replace("'", "''") + "'"
    if like is None and _plain_ok(value, flow):
        return value
    return _quoted(value)


_LITERAL_HEAD = re.compile(r"\|[+-]?([ \t]*(?:#.*)?)$")


def _literal(span: str, value: str, nl: str) -> str | None:
    """``value`` as a literal block (``|``) in the shape of ``span``, the block it replaces: its
    header comment, its indentation and the blank lines after it stay. None when a literal block
    cannot hold ``value`` as it is (leading spaces, blank lines at its end, control characters)."""
    head, sep, rest = span.partition("\n")
    m = _LITERAL_HEAD.match(head.rstrip("\r"))
    if m is None or not sep or not value or value[0] in " \t\n" or "\r" in value:
        return None
    if not all(c.isprintable() or c in "\n\t" for c in value):
        return None
    body = value[:-1] if value.endswith("\n") else value
    if body.endswith("\n"):
        return None  # blank lines at the end need |+ and would merge with the ones after it
    lines = rest.splitlines(keepends=True)
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return None
    first, last = lines[filled[0]], lines[filled[-1]]
    indent = first[: len(first) - len(first.lstrip(" "))]
    if not indent:
        return None
    ending = last[len(last.rstrip("\r\n")) :]
    tail = "".join(lines[filled[-1] + 1 :])
    chomp = "" if value.endswith("\n") else "-"
    text = nl.join(indent + line if line else "" for line in body.split("\n"))
    new = f"|{chomp}{m.group(1)}{nl}{text}{ending}{tail}"
    try:  # the same block under a key of its own must give back the value
        ok = yaml.safe_load("k: " + new) == {"k": value}
    except yaml.YAMLError:
        ok = False
    return new if ok else None


def _find(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _own(key: yaml.Node, value: yaml.Node, what: str) -> yaml.Node:
    # A value that starts before its key was reached through an alias (*name): writing there
    # would change every place that shares the anchor.
    if value.start_mark.index < key.end_mark.index:
        raise _Skip(f"{what} comes from an anchor (*alias); write the translation there by hand")
    return value


def _walk(root: yaml.Node, path: PathT) -> yaml.Node:
    node = root
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, yaml.SequenceNode) or part >= len(node.value):
                raise _Skip("the value is no longer where the file had it")
            node = node.value[part]
        else:
            if not isinstance(node, yaml.MappingNode):
                raise _Skip("the value is no longer where the file had it")
            found = _find(node, part)
            if found is None:
                raise _Skip(f"{part!r} is not written in this file (merged from elsewhere?)")
            node = _own(*found, what=repr(part))
    return node


class _Splicer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.nl = "\r\n" if "\r\n" in text else "\n"
        self.splices: list[tuple[int, int, int, str]] = []  # start, end, order, replacement

    def replace(self, node: yaml.ScalarNode, value: str, flow: bool) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        new = scalar(value, flow=flow, like=node)
        literal = _literal(self.text[start:end], value, self.nl) if node.style == "|" else None
        if literal is not None:
            new = literal
        elif node.style in ("|", ">"):
            span = self.text[start:end]
            body = span.rstrip(" \r\n")
            tail = span[len(body) :]
            cut = tail.find("\n")
            new = _quoted(value) + (
                tail[cut - 1 if tail[cut - 1 : cut] == "\r" else cut :] if cut >= 0 else ""
            )
        if self.text[start:end] != new:
            self.splices.append((start, end, len(self.splices), new))

    def insert_pair(self, mapping: yaml.MappingNode, key: str, rendered: str) -> None:
        _, last_value = mapping.value[-1]
        if mapping.flow_style:
            pos = last_value.end_mark.index
            self.splices.append((pos, pos, len(self.splices), f", {key}: {rendered}"))
            return
        indent = mapping.value[0][0].start_mark.column
        pos = last_value.end_mark.index
        prefix = ""
        if not (pos > 0 and self.text[pos - 1] == "\n"):
            nl = self.text.find("\n", pos)
            if nl < 0:
                pos, prefix = len(self.text), self.nl
            else:
                pos = nl + 1
        self.splices.append(
            (pos, pos, len(self.splices), f"{prefix}{' ' * indent}{key}: {rendered}{self.nl}")
        )

    def append_top(self, key: str, body: list[str]) -> None:
        pos = len(self.text)
        prefix = "" if not self.text or self.text.endswith("\n") else self.nl
        lines = [f"{key}:", *(f"  {line}" for line in body)]
        self.splices.append((pos, pos, len(self.splices), prefix + self.nl.join(lines) + self.nl))

    def result(self) -> str:
        out = self.text
        for start, end, _, new in sorted(self.splices, key=lambda s: (s[0], s[2]), reverse=True):
            out = out[:start] + new + out[end:]
        return out


def _flow_list(values: list[str]) -> str:
    return "[" + ", ".join(scalar(v, flow=True) for v in values) + "]"


def _flow_map(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in values.items()) + "}"


_FORMS = ("zero", "one", "two", "few", "many", "other")


def _new_value(edit: Edit) -> str | None:
    """The YAML of a language entry that does not exist yet (None: nothing complete to write)."""
    keys = list(edit.values)
    if keys == [None]:
        return None  # a plain text: rendered by the caller next to its sibling
    if all(isinstance(k, int) for k in keys):
        idx = sorted(k for k in keys if isinstance(k, int))
        if idx != list(range(len(idx))):
            raise _Skip("a new language of a list needs every item translated")
        return _flow_list([edit.values[i] for i in idx])
    forms = {k: v for k, v in edit.values.items() if isinstance(k, str)}
    if "other" not in forms:
        raise _Skip("a new plural entry needs its 'other' form")
    return _flow_map({f: forms[f] for f in _FORMS if f in forms})


def _apply_one(sp: _Splicer, root: yaml.Node, edit: Edit) -> None:
    if len(edit.path) == 1 and isinstance(root, yaml.MappingNode) and _find(root, str(edit.path[0])) is None:
        # An interface string this strings.yaml does not have yet (the packaged one does).
        new = _new_value(edit)
        value = scalar(edit.values[None], flow=False) if new is None else new
        sp.append_top(str(edit.path[0]), [f"{edit.lang}: {value}"])
        return
    mapping = _walk(root, edit.path)
    if not isinstance(mapping, yaml.MappingNode):
        raise _Skip("the value is no longer a {language: text} mapping")
    flow = bool(mapping.flow_style)
    found = _find(mapping, edit.lang)
    if found is None:
        new = _new_value(edit)
        if new is None:
            sibling = _find(mapping, edit.source_lang) if edit.source_lang else None
            like = sibling[1] if sibling and isinstance(sibling[1], yaml.ScalarNode) else None
            if like is not None and like.style in ("|", ">"):
                like = None
            new = scalar(edit.values[None], flow=flow, like=like)
        sp.insert_pair(mapping, edit.lang, new)
        return
    node = _own(*found, what=f"the {edit.lang} text")
    for sub, text in edit.values.items():
        if sub is None:
            if not isinstance(node, yaml.ScalarNode):
                raise _Skip("the file holds a list or plural forms here, not one text")
            sp.replace(node, text, flow)
        elif isinstance(sub, int):
            if not isinstance(node, yaml.SequenceNode) or sub >= len(node.value):
                raise _Skip(f"the {edit.lang} list has no item {sub + 1}")
            item = node.value[sub]
            if not isinstance(item, yaml.ScalarNode):
                raise _Skip(f"item {sub + 1} is not a text")
            sp.replace(item, text, bool(node.flow_style))
        else:
            if isinstance(node, yaml.ScalarNode) and sub == "other" and len(edit.values) == 1:
                sp.replace(node, text, flow)  # one text serves a language with one form
                continue
            if not isinstance(node, yaml.MappingNode):
                raise _Skip(f"the {edit.lang} text has no plural forms to put {sub!r} in")
            form = _find(node, sub)
            if form is None:
                sp.insert_pair(node, sub, scalar(text, flow=bool(node.flow_style)))
            elif isinstance(form[1], yaml.ScalarNode):
                sp.replace(form[1], text, bool(node.flow_style))
            else:
                raise _Skip(f"the {sub!r} form is not a text")


def _value_at(data: Any, path: PathT, lang: str) -> Any:
    node = data
    for part in (*path, lang):
        node = node[part]
    return node


def _check(new_text: str, file: Path, edits: list[Edit], skipped: set[str]) -> None:
    data = yamlsrc.loads(new_text, file)
    for edit in edits:
        if edit.key in skipped:
            continue
        try:
            value = _value_at(data, edit.path, edit.lang)
            for sub, text in edit.values.items():
                got = value if sub is None or (isinstance(value, str) and sub == "other") else value[sub]
                if got != text:
                    raise KeyError(sub)
        except (KeyError, IndexError, TypeError):
            raise ContentError(
                f"writing the {edit.lang} text of {edit.key} would not give back that text; "
                "the file was left as it was",
                hint="write this translation into the file by hand, and report the case",
                file=file,
            ) from None


def apply(text: str, edits: list[Edit], file: Path) -> Result:
    """Splice ``edits`` into the YAML ``text`` of ``file``; edits that cannot be made are skipped
    with their reason (the rest still apply)."""
    yamlsrc.loads(text, file)  # the same limits as any load: depth, aliases, syntax
    root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    sp = _Splicer(text)
    skipped: list[tuple[str, str]] = []
    if root is None or not isinstance(root, yaml.MappingNode):
        root = yaml.MappingNode("tag:yaml.org,2002:map", [])
    for edit in edits:
        before = len(sp.splices)
        try:
            _apply_one(sp, root, edit)
        except _Skip as exc:
            del sp.splices[before:]
            skipped.append((edit.key, str(exc)))
    new_text = sp.result()
    if new_text == text:
        return Result(text, False, skipped)
    _check(new_text, file, edits, {k for k, _ in skipped})
    return Result(new_text, True, skipped)
