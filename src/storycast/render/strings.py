"""UI strings for templates (``t("step_of", n=2, total=5)``) and localized support hours.

Strings live in ``templates/strings.yaml`` keyed by string id, then language, so a translator
sees every language of one string together. A project's own ``templates/strings.yaml`` is
merged over the packaged defaults (per string, per language). A language without a translation
falls back to English, never to an empty string.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import yamlsrc
from ..errors import TemplateError

FALLBACK_LANG = "en"
STRINGS_FILE = "strings.yaml"


def _fast_strings(path: Path) -> dict[str, dict[str, str]] | None:
    """The common case, parsed with libyaml: a well-formed file needs no positions."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    out: dict[str, dict[str, str]] = {}
    for key, per_lang in data.items():
        if not isinstance(per_lang, dict) or not all(isinstance(v, str) for v in per_lang.values()):
            return None
        out[str(key)] = {str(k): v for k, v in per_lang.items()}
    return out


@lru_cache(maxsize=32)
def _load_file(path: Path, mtime_ns: int) -> dict[str, dict[str, str]]:
    """Parse one strings.yaml (cached by path and mtime so edits are picked up)."""
    fast = _fast_strings(path)
    if fast is not None:
        return fast
    data = yamlsrc.load(path)  # slow path: positions for a precise error
    if not isinstance(data, dict):
        raise TemplateError(
            "strings.yaml must map string ids to {language: text} mappings", file=path, line=1
        )
    out: dict[str, dict[str, str]] = {}
    for key, per_lang in data.items():
        pos = yamlsrc.where(data, key)
        if not isinstance(per_lang, dict) or not all(isinstance(v, str) for v in per_lang.values()):
            raise TemplateError(
                f"string {key!r} must be a mapping from language code to text",
                hint='write it as  step_of: {en: "Step {n} of {total}", es: "Paso {n} de {total}"}',
                file=path,
                line=pos.line if pos else None,
            )
        out[str(key)] = {str(k): v for k, v in per_lang.items()}
    return out


def load_strings(*paths: Path) -> dict[str, dict[str, str]]:
    """Merge strings files; later files win per string and language. Missing files are skipped."""
    merged: dict[str, dict[str, str]] = {}
    for path in paths:
        if not path.is_file():
            continue
        for key, per_lang in _load_file(path, path.stat().st_mtime_ns).items():
            merged.setdefault(key, {}).update(per_lang)
    return merged


class _SafeFormat(string.Formatter):
    """str.format that names the missing placeholder instead of raising a bare KeyError."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            raise KeyError(key)
        return super().get_value(key, args, kwargs)


@dataclass
class Translator:
    """The ``t`` callable templates receive: ``t("step_of", n=2, total=5)``."""

    strings: dict[str, dict[str, str]]
    lang: str
    source: str = "templates/strings.yaml"
    _fmt: _SafeFormat = field(default_factory=_SafeFormat, repr=False)

    def text(self, key: str) -> str:
        """The raw (unformatted) string for this language, falling back to English."""
        per_lang = self.strings.get(key)
        if per_lang is None:
            raise TemplateError(
                f"unknown UI string {key!r}",
                hint=f"add it to {self.source} (known: {', '.join(sorted(self.strings)[:12])} ...)",
            )
        base = self.lang.split("-")[0]
        for candidate in (self.lang, base, FALLBACK_LANG):
            if candidate in per_lang:
                return per_lang[candidate]
        return next(iter(per_lang.values()), "")

    def __call__(self, key: str, **values: Any) -> str:
        raw = self.text(key)
        try:
            return self._fmt.format(raw, **values)
        except KeyError as exc:
            raise TemplateError(
                f"UI string {key!r} needs a value for {{{exc.args[0]}}}",
                hint=f"call it as t({key!r}, {exc.args[0]}=...)",
            ) from None
        except (ValueError, IndexError) as exc:
            raise TemplateError(f"UI string {key!r} is not a valid format string: {exc}") from None


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
