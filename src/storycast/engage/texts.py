"""Localized words of engagement frames, and their dates, times and countdowns.

The words themselves (``live_now``, ``recap``, the 1-5 scale's labels...) live in the one
interface-string catalogue, ``templates/strings.yaml``, with every other string storycast draws.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import dates

if TYPE_CHECKING:
    from ..render.strings import Translator

SCALE_KEYS = {"1-5": ("scale_1", "scale_2", "scale_3", "scale_4", "scale_5")}
"""Catalogue ids of the satisfaction scale's labels, worst to best (option 1 = 1 point ... 5 = 5)."""

# The emoji scale publishes emoji natively (Telegram, Discord) and these words on frames, whose
# fonts carry no colour emoji.
EMOJI = ["😡", "🙁", "😐", "🙂", "😍"]


def _translator(lang: str) -> Translator:
    from ..render.strings import Translator, catalogue

    return Translator(catalogue(), lang)


def phrase(key: str, lang: str, **values: str) -> str:
    """One catalogue string in ``lang`` (English when missing; lint reports that), with ``values``."""
    return _translator(lang)(key, **values)


def scale_labels(scale: str, lang: str) -> list[str]:
    """The labels of a satisfaction scale's options in ``lang``, worst to best."""
    t = _translator(lang)
    return [t(key) for key in SCALE_KEYS[scale]]


def _locale(lang: str) -> str:
    return lang.replace("-", "_")


def format_session_date(local: datetime, lang: str) -> str:
    """Weekday, day and month of a session, in the pattern pinned for the language (storycast.dates)."""
    return dates.session_date(local, lang)


def format_session_time(local: datetime, lang: str) -> str:
    """The session's local clock time, in the pattern pinned for the language (storycast.dates)."""
    return dates.short_time(local, lang)


def format_when(local: datetime, lang: str) -> str:
    """``jue, 3 de diciembre · 18:00``: the line an announcement shows."""
    return f"{format_session_date(local, lang)} · {format_session_time(local, lang)}"


def format_countdown(delta: timedelta, lang: str) -> str:
    """``dentro de 1 hora``: time left until a session, rounded to a readable unit (Babel)."""
    from babel.dates import format_timedelta

    return str(
        format_timedelta(delta, add_direction=True, threshold=1.0, granularity="minute", locale=_locale(lang))
    )


def format_list(items: list[str], lang: str) -> str:
    """``1, 2 o 3``: a list joined the way the language joins alternatives (Babel ``or`` style)."""
    from babel.lists import format_list as babel_list

    try:
        return str(babel_list(items, style="or", locale=_locale(lang)))
    except ValueError:  # an old CLDR without "or" patterns
        return ", ".join(items[:-1]) + f" {phrase('or', lang)} " + items[-1]
