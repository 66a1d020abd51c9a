"""Pseudo-locales: made-up languages that show what translation will do to a template.

``en-XA`` is "accented English": every letter swapped for an accented
look-alike and the text padded to about 40 % longer, in brackets, so a box too small for a
longer language, a text cut short or a string drawn from the template instead of the catalogue
shows at a glance. ``ar-XB`` is right-to-left English: every word is wrapped
in a right-to-left override, so the frame lays out as Arabic would (mirrored, right-aligned) with
words an author can still read backwards. Both are derived from the source language on the fly:
they are never stored in a story file and never exported for translation.

Placeholders of interface strings (``{n}``, ``{{``, ``}}``) are kept as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

PSEUDO_LOCALES: dict[str, str] = {"en-XA": "ltr", "ar-XB": "rtl"}
"""Each pseudo-locale and its direction (the codes Android and Chrome use). The right-to-left one
is tagged Arabic so the text engine, the templates' ``dir`` and the bidi algorithm treat it so."""

SOURCE = "en"
"""The language pseudo-locales are derived from (and whose dates and plural rules they use)."""

EXPANSION = 0.4
"""How much longer ``en-XA`` text is than its source."""

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
_PADDING = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Placeholders and escaped braces of interface strings, kept untouched.
_KEEP = re.compile(r"\{\{|\}\}|\{[A-Za-z_][A-Za-z0-9_]*\}")
_RLO, _PDF, _RLM = "\u202e", "\u202c", "\u200f"


def is_pseudo(lang: str) -> bool:
    """Whether ``lang`` is one of the pseudo-locales."""
    return lang in PSEUDO_LOCALES


def pseudo_base(lang: str) -> str:
    """The language a pseudo-locale's text, dates and plural rules come from (``lang`` itself
    for a real language)."""
    return SOURCE if lang in PSEUDO_LOCALES else lang


def is_rtl_pseudo(lang: str) -> bool:
    return PSEUDO_LOCALES.get(lang) == "rtl"


def _pieces(text: str) -> Iterator[tuple[bool, str]]:
    """(translatable, piece) pairs: literal text and the placeholders between it."""
    pos = 0
    for m in _KEEP.finditer(text):
        if m.start() > pos:
            yield True, text[pos : m.start()]
        yield False, m.group(0)
        pos = m.end()
    if pos < len(text):
        yield True, text[pos:]


def _mirrored(piece: str) -> str:
    return re.sub(r"\S+", lambda m: f"{_RLM}{_RLO}{m.group(0)}{_PDF}{_RLM}", piece)


def pseudo_text(text: str, lang: str) -> str:
    """``text`` in the pseudo-locale ``lang`` ('' stays '')."""
    if not text:
        return text
    if is_rtl_pseudo(lang):
        return "".join(_mirrored(p) if free else p for free, p in _pieces(text))
    body = "".join(p.translate(_ACCENTED) if free else p for free, p in _pieces(text))
    want = math.ceil(len(text) * (1 + EXPANSION))
    return f"[{body}{_padding(want - len(text) - 2)}]"


def _padding(chars: int) -> str:
    """Whole words (" one two three ...") adding at least ``chars`` characters, never a word cut
    short: a cut word would look like the very truncation the pseudo-locale is there to show."""
    out = ""
    i = 0
    while len(out) < chars:
        out += " " + _PADDING[i % len(_PADDING)]
        i += 1
    return out


def localized_mappings(
    data: Any, languages: set[str], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every localized value in a content file's data, with its path.

    A localized value is a mapping (never the file itself) whose keys are all language codes of
    ``languages`` and whose values are texts, or lists of texts (a Q&A event's topics). This is
    the convention every content kind follows (docs/content.md), so a third-party kind's
    fields are found without it declaring them.
    """
    if isinstance(data, dict):
        if (
            path
            and data
            and all(isinstance(k, str) and k in languages for k in data)
            and all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                for v in data.values()
            )
        ):
            yield path, data
            return
        for key, value in data.items():
            yield from localized_mappings(value, languages, (*path, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from localized_mappings(value, languages, (*path, i))


def pseudo_content(data: Any, source: str, lang: str) -> Any:
    """A copy of a content file's data with a ``lang`` text derived from ``source`` in every
    localized value, and ``lang`` added to its ``languages``."""
    import copy

    out = copy.deepcopy(_plain(data))
    declared = out.get("languages") if isinstance(out, dict) else None
    langs = set(declared) if isinstance(declared, list) else {source}
    for _path, mapping in list(localized_mappings(out, langs | {source})):
        value = mapping.get(source)
        if isinstance(value, str):
            mapping[lang] = pseudo_text(value, lang)
        elif isinstance(value, list):
            mapping[lang] = [pseudo_text(v, lang) for v in value]
    if isinstance(declared, list) and lang not in declared:
        declared.append(lang)
    return out


def _plain(data: Any) -> Any:
    """Plain dicts and lists (the loader's position-keeping ones do not deep-copy as such)."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def pseudo_strings(
    strings: dict[str, dict[str, Any]], lang: str, source: str = "en"
) -> dict[str, dict[str, Any]]:
    """An interface-string catalogue with ``lang`` derived from its ``source`` texts."""
    out: dict[str, dict[str, Any]] = {}
    for key, per_lang in strings.items():
        entry = per_lang.get(source)
        derived: Any
        if isinstance(entry, str):
            derived = pseudo_text(entry, lang)
        elif isinstance(entry, dict):
            derived = {form: pseudo_text(text, lang) for form, text in entry.items()}
        else:
            out[key] = per_lang
            continue
        out[key] = {**per_lang, lang: derived}
    return out


def pseudo_values(value: Any, lang: str, keep: frozenset[str] = frozenset({"timezone"})) -> Any:
    """Every text in a plain JSON-like value in ``lang`` (keys in ``keep`` stay as they are)."""
    if isinstance(value, str):
        return pseudo_text(value, lang)
    if isinstance(value, list):
        return [pseudo_values(v, lang, keep) for v in value]
    if isinstance(value, dict):
        return {k: v if k in keep else pseudo_values(v, lang, keep) for k, v in value.items()}
    return value


def pseudo_item(item: Any, lang: str, source: str) -> Any:
    """A loaded content item (a story) again, with ``lang`` derived from its ``source`` texts
    (from its first language when it has no ``source`` text)."""
    from .. import yamlsrc

    if getattr(item, "source", None) is None:
        return item
    declared = list(getattr(item, "languages", []) or [])
    base = source if source in declared or not declared else declared[0]
    data = pseudo_content(yamlsrc.load(item.source), base, lang)
    out = type(item).model_validate(data)
    out.source = item.source
    return out
