"""The interface-string catalogue (``t("step_of", n=2, total=5)``, ``t("steps_count", count=3)``)
and localized support hours.

Every word storycast itself draws or prints around the content (frame chrome, the local feed, the
knowledge base, the report) lives in ``templates/strings.yaml``, keyed by string id, then
language, so a translator sees every language of one string together. A project's own
``templates/strings.yaml`` is merged over the packaged catalogue (per string, per language).

A string that depends on a number gives one text per CLDR plural category of the language
(``zero``, ``one``, ``two``, ``few``, ``many``, ``other``); ``t(key, count=n)`` picks the form
through Babel's plural rules, so Arabic gets its six forms and Serbian its three. A language
without a translation falls back to English when drawn, and ``storycast lint`` reports it as an
error (rule ``copy.missing-ui-string``), so it never reaches a channel unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .. import yamlsrc
from ..errors import TemplateError
from .paths import inside

FALLBACK_LANG = "en"
STRINGS_FILE = "strings.yaml"


MAX_STRING_CHARS = 1000
"""Longest UI string (one language of one id) strings.yaml may hold."""

PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
"""CLDR plural categories, in CLDR's order; a plural entry maps some of them to texts."""

Entry = str | dict[str, str]
"""One language of one string: a text, or texts by plural category."""
Strings = dict[str, dict[str, Entry]]
"""A catalogue: string id -> language -> entry."""

# Placeholders are plain names: "{n}". Attribute access ("{n.x}"), indexing ("{n[0]}"),
# conversions ("{n!r}"), format specs ("{n:>9}") and positional fields ("{}", "{0}") are refused:
# str.format would walk attributes and items of the values, so "{n.__globals__...}" could read
# anything the value can reach, and a width could build a text of any size.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class _Slot:
    name: str


@lru_cache(maxsize=4096)
def parse_ui_string(text: str) -> tuple[str | _Slot, ...]:
    """Split a UI string into literal text and ``{name}`` slots; ValueError says what is wrong."""
    out: list[str | _Slot] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            out.append(text[pos : m.start()])
        token = m.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
        elif token in ("{", "}"):
            raise ValueError(f"a single {token!r} must be doubled ({token * 2}) to show it")
        elif _NAME.match(m.group(1)):
            out.append(_Slot(m.group(1)))
        else:
            raise ValueError(
                f"{token} is not a plain placeholder: write {{name}} (letters, digits and _), "
                "with no attribute, index, conversion or format"
            )
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return tuple(out)


def _problem(strings: Mapping[str, Mapping[str, Entry]]) -> tuple[str, str, str] | None:
    """The first (id, language, reason) that is not a valid UI string, or None."""
    for key, per_lang in strings.items():
        for lang, entry in per_lang.items():
            if isinstance(entry, dict):
                unknown = [form for form in entry if form not in PLURAL_FORMS]
                if unknown:
                    return (
                        key,
                        lang,
                        (f"{unknown[0]!r} is not a plural category (use {', '.join(PLURAL_FORMS)})"),
                    )
                if "other" not in entry:
                    return key, lang, "a plural entry needs an 'other' form"
                texts = list(entry.values())
            else:
                texts = [entry]
            for text in texts:
                if len(text) > MAX_STRING_CHARS:
                    return key, lang, f"it is {len(text):,} characters long (at most {MAX_STRING_CHARS:,})"
                try:
                    parse_ui_string(text)
                except ValueError as exc:
                    return key, lang, str(exc)
    return None


def _entry_ok(value: Any) -> bool:
    """A text, or a mapping of plural categories to texts."""
    if isinstance(value, str):
        return True
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _entries(per_lang: dict[Any, Any]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for lang, value in per_lang.items():
        out[str(lang)] = value if isinstance(value, str) else {str(f): t for f, t in value.items()}
    return out


def _fast_strings(path: Path) -> Strings | None:
    """The common case, parsed with libyaml: a well-formed file needs no positions."""
    from .yamlfast import fast_load, fast_ok

    try:
        text = path.read_text(encoding="utf-8")
        if not fast_ok(text):
            return None
        data = fast_load(text)
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    out: Strings = {}
    for key, per_lang in data.items():
        if not isinstance(per_lang, dict) or not all(_entry_ok(v) for v in per_lang.values()):
            return None
        out[str(key)] = _entries(per_lang)
    return out


@lru_cache(maxsize=32)
def _load_file(path: Path, mtime_ns: int) -> Strings:
    """Parse one strings.yaml (cached by path and mtime so edits are picked up)."""
    fast = _fast_strings(path)
    if fast is not None:
        problem = _problem(fast)
        if problem is None:
            return fast
    data = yamlsrc.load(path)  # slow path: positions for a precise error (and depth/alias checks)
    if not isinstance(data, dict):
        raise TemplateError(
            "strings.yaml must map string ids to {language: text} mappings",
            hint="write one entry per string id, like  "
            'step_of: {en: "Step {n} of {total}", es: "Paso {n} de {total}"}',
            file=path,
            line=1,
        )
    out: Strings = {}
    for key, per_lang in data.items():
        pos = yamlsrc.where(data, key)
        if not isinstance(per_lang, dict) or not all(_entry_ok(v) for v in per_lang.values()):
            raise TemplateError(
                f"string {key!r} must be a mapping from language code to text "
                "(or, for a string with a number, to texts by plural category)",
                hint='write it as  step_of: {en: "Step {n} of {total}", es: "Paso {n} de {total}"}, or  '
                'steps_count: {en: {one: "{count} step", other: "{count} steps"}}',
                file=path,
                line=pos.line if pos else None,
            )
        out[str(key)] = _entries(per_lang)
    problem = _problem(out)
    if problem is not None:
        key, lang, reason = problem
        pos = yamlsrc.where(data.get(key), lang)
        raise TemplateError(
            f"UI string {key!r} ({lang}) cannot be used: {reason}",
            hint="placeholders are plain names such as {n} or {total}; "
            "write a literal brace twice ({{ or }}); plural forms are zero, one, two, few, many, other",
            file=path,
            line=pos.line if pos else None,
        )
    return out


def load_strings(*paths: Path) -> Strings:
    """Merge strings files; later files win per string and language. Missing files are skipped.

    Each ``<folder>/templates/strings.yaml`` must stay inside ``<folder>``: a link pointing out
    of the project is refused.
    """
    merged: Strings = {}
    for path in paths:
        if not path.is_file():
            continue
        if not inside(path, [path.parent.parent]):
            raise TemplateError(
                "templates/strings.yaml is a link to a file outside the project",
                hint="copy the file into the project's templates/ folder instead of linking to it",
                file=path,
            )
        for key, per_lang in _load_file(path, path.stat().st_mtime_ns).items():
            merged.setdefault(key, {}).update(per_lang)
    return merged


def plural_category(lang: str, count: float) -> str:
    """The CLDR plural category of ``count`` in ``lang`` (Babel's rules; ``other`` when unknown)."""
    return _plural_rule(lang)(count)


@lru_cache(maxsize=64)
def _plural_rule(lang: str) -> Any:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang.replace("-", "_")).plural_form
    except (UnknownLocaleError, ValueError, TypeError):
        return lambda _n: "other"


def plural_categories(lang: str) -> tuple[str, ...]:
    """The plural categories ``lang`` uses, in CLDR order (``other`` always among them)."""
    rule = _plural_rule(lang)
    tags = set(getattr(rule, "tags", ())) | {"other"}
    return tuple(form for form in PLURAL_FORMS if form in tags)


def catalogue(project_templates: Path | None = None) -> Strings:
    """The packaged catalogue with a project's ``templates/strings.yaml`` merged over it."""
    from .. import resources

    paths = [resources.templates_dir() / STRINGS_FILE]
    if project_templates is not None:
        paths.append(project_templates / STRINGS_FILE)
    return load_strings(*paths)


def _shown(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class Translator:
    """The ``t`` callable templates receive: ``t("step_of", n=2, total=5)``.

    A string with plural forms takes ``count``: ``t("steps_count", count=3)`` picks the form of
    3 in the language (CLDR rules through Babel) and fills ``{count}``. Placeholders are filled
    with plain text: a value must be text or a number, and a string's placeholders are plain
    names (see :func:`parse_ui_string`).
    """

    strings: Strings = field(repr=False)
    lang: str
    source: str = "templates/strings.yaml"

    def has(self, key: str) -> bool:
        """Whether the catalogue knows ``key`` (in any language)."""
        return isinstance(key, str) and key in self.strings

    def entry(self, key: str) -> Entry:
        """This language's entry for ``key`` (a text or plural forms), falling back to English."""
        per_lang = self.strings.get(key) if isinstance(key, str) else None
        if per_lang is None:
            raise TemplateError(
                f"unknown UI string {_shown(key)!r}",
                hint=f"add it to {self.source} (known: {', '.join(sorted(self.strings)[:12])} ...)",
            )
        base = self.lang.split("-")[0]
        for candidate in (self.lang, base, FALLBACK_LANG):
            if candidate in per_lang:
                return per_lang[candidate]
        return next(iter(per_lang.values()), "")

    def text(self, key: str, count: float | None = None) -> str:
        """The raw (unformatted) string for this language, in the plural form of ``count``."""
        entry = self.entry(key)
        if isinstance(entry, str):
            return entry
        if count is None:
            raise TemplateError(
                f"UI string {key!r} has plural forms and needs a count",
                hint=f"call it as t({key!r}, count=...) with the number it counts",
            )
        form = plural_category(self.lang, count)
        return entry.get(form) or entry.get("other") or next(iter(entry.values()), "")

    def __call__(self, key: str, **values: Any) -> str:
        count = values.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, (int, float))):
            raise TemplateError(
                f"t({key!r}): count must be a number, not {type(count).__name__}",
                hint="pass the number the string counts, such as count=story.step_count",
            )
        raw = self.text(key, count)
        try:
            pieces = parse_ui_string(raw)
        except ValueError as exc:
            raise TemplateError(
                f"UI string {key!r} is not a valid UI string: {exc}", hint=f"fix it in {self.source}"
            ) from None
        out: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            if piece.name not in values:
                raise TemplateError(
                    f"UI string {key!r} needs a value for {{{piece.name}}}",
                    hint=f"call it as t({key!r}, {piece.name}=...)",
                )
            value = values[piece.name]
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                from jinja2 import Undefined

                if isinstance(value, Undefined):
                    str(value)  # raises the template's own "unknown variable" error
                raise TemplateError(
                    f"t({key!r}): the value of {{{piece.name}}} must be text or a number, "
                    f"not {type(value).__name__}",
                    hint="pass a text or a number (build text with ~ first)",
                )
            out.append(str(value))
        return "".join(out)


# --- support hours -------------------------------------------------------------------------------

_DAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _span(text: str) -> str:
    # "09:00-18:00" -> "09:00–18:00" (an en dash reads as a range in every script we ship)
    return text.replace("-", "–")


def support_hours_context(section: Any, lang: str, t: Translator, project_tz: str) -> dict[str, Any]:
    """Localized support hours for templates.

    Returns ``{rows: [{days, hours, closed}], lines: ["Monday – Thursday 09:00–18:00", ...],
    timezone, timezone_name, holiday_note, holidays: [localized dates], configured}``. Consecutive
    weekdays with identical spans are grouped; closed days are grouped the same way.
    """
    from babel.dates import get_day_names, get_timezone_name

    from ..dates import day_month

    names = get_day_names("wide", locale=lang.replace("-", "_"))
    week: dict[str, list[str]] = section.week()
    rows: list[dict[str, Any]] = []
    group: list[str] = []

    def flush() -> None:
        if not group:
            return
        first, last = names[_DAY_INDEX[group[0]]], names[_DAY_INDEX[group[-1]]]
        days = _cap(first) if len(group) == 1 else f"{_cap(first)} – {last}"
        spans = week[group[0]]
        closed = not spans
        hours = t("closed") if closed else ", ".join(_span(s) for s in spans)
        rows.append({"days": days, "hours": hours, "closed": closed})

    for day in week:
        if group and week[group[-1]] != week[day]:
            flush()
            group = []
        group.append(day)
    flush()
    tz = section.timezone or project_tz
    try:
        tz_name = get_timezone_name(tz, locale=lang.replace("-", "_"))
    except (LookupError, ValueError):
        tz_name = tz
    holidays = []
    for iso in section.holidays:
        holidays.append(day_month(date.fromisoformat(iso), lang))
    return {
        "configured": bool(section.configured),
        "rows": rows,
        "lines": [f"{r['days']}  {r['hours']}" for r in rows],
        "timezone": tz,
        "timezone_name": tz_name,
        "holidays": holidays,
        "holiday_note": t("holiday_note") if section.holidays else "",
    }


RTL_LANGS = frozenset({"ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv"})


def text_direction(lang: str) -> str:
    """``rtl`` for right-to-left languages, else ``ltr``."""
    return "rtl" if lang.split("-")[0].lower() in RTL_LANGS else "ltr"
