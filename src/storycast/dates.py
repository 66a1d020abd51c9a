"""Dates and times in the languages storycast ships, in patterns pinned here rather than by CLDR.

Babel resolves skeletons and named formats ("short", "long") against the CLDR data of its release,
and that changes with minor releases: Babel 2.19 turned the English session date "Thu, Dec 3" into
"Thu, December 3", dropped the Serbian comma and added "น." to Thai short times. A frame, a caption
or a page must not change because a dependency did, so for every shipped language each format
below is a pattern chosen here (what Babel 2.14 to 2.18 resolved). Babel still supplies the month
and weekday names. Other tags, regional ones included (``en-GB``, ``es-MX``), keep Babel's own
resolution: a pattern of one region would put the other's names in the wrong order.
tests/test_dates.py pins every output.
"""

from __future__ import annotations

from datetime import date, datetime

# The languages with pinned patterns: the five of the example project, and Arabic (right-to-left).
PINNED_LANGS = ("en", "es", "th", "hi", "sr", "ar")

# Weekday, day and month: the Q&A session date (Babel skeleton MMMMEEEEd).
SESSION_DATE = {
    "en": "E, MMM d",
    "es": "E, d 'de' MMMM",
    "th": "EEEEที่ d MMMM",
    "hi": "E, d MMMM",
    "sr": "E, d. MMMM",
    "ar": "E، d MMMM",
}
# A clock time (Babel's "short" time format).
SHORT_TIME = {
    "en": "h:mm\u202fa",
    "es": "H:mm",
    "th": "HH:mm",
    "hi": "h:mm a",
    "sr": "HH:mm",
    "ar": "h:mm a",
}
# Day, month and year: the knowledge base's "last updated" (Babel's "long" date format).
LONG_DATE = {
    "en": "MMMM d, y",
    "es": "d 'de' MMMM 'de' y",
    "th": "d MMMM G y",
    "hi": "d MMMM y",
    "sr": "d. MMMM y.",
    "ar": "d MMMM y",
}
# Day and abbreviated month (a support-hours holiday): an explicit pattern for every language.
DAY_MONTH = "d MMM"


def _locale(lang: str) -> str:
    return lang.replace("-", "_")


def session_date(value: date, lang: str) -> str:
    """``Thu, Dec 3``, ``jue, 3 de diciembre``: weekday, day and month of a local date or datetime."""
    from babel.dates import format_date, format_skeleton

    pattern = SESSION_DATE.get(lang)
    if pattern is None:
        return str(format_skeleton("MMMMEEEEd", value, locale=_locale(lang)))
    return str(format_date(value, pattern, locale=_locale(lang)))


def short_time(value: datetime, lang: str) -> str:
    """``6:00 PM``, ``18:00``: the clock time of an aware local datetime, as shown (no conversion)."""
    from babel.dates import format_time

    return str(format_time(value, SHORT_TIME.get(lang, "short"), locale=_locale(lang)))


def long_date(value: date, lang: str) -> str:
    """``December 3, 2026``, ``3 de diciembre de 2026``: day, month and year."""
    from babel.dates import format_date

    return str(format_date(value, LONG_DATE.get(lang, "long"), locale=_locale(lang)))


def day_month(value: date, lang: str) -> str:
    """``25 Dec``, ``25 dic``: day and abbreviated month."""
    from babel.dates import format_date

    return str(format_date(value, DAY_MONTH, locale=_locale(lang)))
