"""Dates and times in every shipped language, pinned: the same text whatever Babel release resolves it.

Each expected string was checked against Babel 2.14, 2.18 and 2.19; 2.19's own skeleton and
"short" time resolution (CLDR 49) would give "Thu, December 3", "чет 3. децембар" and "18:00 น."
instead.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_skeleton, format_time

from storycast import dates

MADRID = ZoneInfo("Europe/Madrid")
EVENING = datetime(2026, 12, 3, 18, 0, tzinfo=MADRID)
MORNING = datetime(2026, 12, 3, 9, 5, tzinfo=MADRID)

PINNED = {
    # lang: (session date, evening time, morning time, long date, day and month)
    "en": ("Thu, Dec 3", "6:00\u202fPM", "9:05\u202fAM", "December 3, 2026", "25 Dec"),
    "es": ("jue, 3 de diciembre", "18:00", "9:05", "3 de diciembre de 2026", "25 dic"),
    "th": ("วันพฤหัสบดีที่ 3 ธันวาคม", "18:00", "09:05", "3 ธันวาคม ค.ศ. 2026", "25 ธ.ค."),
    "hi": ("गुरु, 3 दिसंबर", "6:00 pm", "9:05 am", "3 दिसंबर 2026", "25 दिस॰"),
    "sr": ("чет, 3. децембар", "18:00", "09:05", "3. децембар 2026.", "25 дец"),
    "ar": ("الخميس، 3 ديسمبر", "6:00 م", "9:05 ص", "3 ديسمبر 2026", "25 ديسمبر"),
}


def test_every_shipped_language_has_every_pattern() -> None:
    assert set(PINNED) == set(dates.PINNED_LANGS)
    for table in (dates.SESSION_DATE, dates.SHORT_TIME, dates.LONG_DATE):
        assert set(table) == set(dates.PINNED_LANGS)


@pytest.mark.parametrize("lang", sorted(PINNED))
def test_pinned_formats(lang: str) -> None:
    session, evening, morning, long, day_month = PINNED[lang]
    assert dates.session_date(EVENING, lang) == session
    assert dates.session_date(EVENING.date(), lang) == session
    assert dates.short_time(EVENING, lang) == evening
    assert dates.short_time(MORNING, lang) == morning
    assert dates.long_date(date(2026, 12, 3), lang) == long
    assert dates.day_month(date(2026, 12, 25), lang) == day_month


def test_a_time_is_shown_on_its_own_clock() -> None:
    # An aware datetime is shown as it is, never converted (to UTC or the machine's zone).
    bangkok = EVENING.astimezone(ZoneInfo("Asia/Bangkok"))
    assert dates.short_time(bangkok, "en") == "12:00\u202fAM"
    assert dates.session_date(bangkok, "en") == "Fri, Dec 4"


@pytest.mark.parametrize("lang", ["en-GB", "es-MX", "de", "sr-Latn"])
def test_other_languages_follow_babel(lang: str) -> None:
    # A pattern pinned for one region would put another region's names in the wrong order.
    locale = lang.replace("-", "_")
    assert dates.session_date(EVENING, lang) == format_skeleton("MMMMEEEEd", EVENING, locale=locale)
    assert dates.short_time(EVENING, lang) == format_time(EVENING, "short", locale=locale)
    assert dates.long_date(date(2026, 12, 3), lang) == format_date(date(2026, 12, 3), "long", locale=locale)
