"""Localized words of engagement frames, and their dates, times and countdowns.

The UI strings shared with tutorials live in ``templates/strings.yaml``; these few phrases belong
to the announcement series and poll frames, so they live next to the code that picks them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import dates

PHRASES: dict[str, dict[str, str]] = {
    "live_now": {
        "en": "Live now",
        "es": "En directo ahora",
        "th": "กำลังไลฟ์อยู่ตอนนี้",
        "hi": "अभी लाइव",
        "sr": "Уживо сада",
    },
    "recap": {
        "en": "Thanks for joining!",
        "es": "¡Gracias por participar!",
        "th": "ขอบคุณที่ร่วมรับชม!",
        "hi": "जुड़ने के लिए धन्यवाद!",
        "sr": "Хвала што сте били с нама!",
    },
    "took_place": {
        "en": "The session took place",
        "es": "La sesión fue el",
        "th": "ไลฟ์จัดขึ้นเมื่อ",
        "hi": "सत्र हुआ था",
        "sr": "Сесија је одржана",
    },
    "recap_ask": {
        "en": "Answers are in our help center →",
        "es": "Las respuestas están en el centro de ayuda →",
        "th": "ดูคำตอบได้ที่ศูนย์ช่วยเหลือ →",
        "hi": "जवाब हमारे सहायता केंद्र में हैं →",
        "sr": "Одговори су у центру за помоћ →",
    },
    "reply_to_join": {
        "en": "Reply to this story to join",
        "es": "Responde a esta historia para participar",
        "th": "ตอบกลับสตอรี่นี้เพื่อร่วมถาม",
        "hi": "जुड़ने के लिए इस स्टोरी का जवाब दें",
        "sr": "Одговорите на ову причу да бисте учествовали",
    },
    "reply_with": {
        "en": "Reply with {numbers}",
        "es": "Responde con {numbers}",
        "th": "ตอบกลับด้วย {numbers}",
        "hi": "{numbers} लिखकर जवाब दें",
        "sr": "Одговорите са {numbers}",
    },
    "or": {"en": "or", "es": "o", "th": "หรือ", "hi": "या", "sr": "или"},
}

SCALES: dict[str, dict[str, list[str]]] = {
    # Satisfaction scale labels, worst to best (option 1 = 1 point ... option 5 = 5 points).
    "1-5": {
        "en": ["Very unhappy", "Unhappy", "Okay", "Happy", "Very happy"],
        "es": [
            "Muy insatisfecho",
            "Insatisfecho",
            "Normal",
            "Satisfecho",
            "Muy satisfecho",
        ],
        "th": ["ไม่พอใจมาก", "ไม่พอใจ", "เฉยๆ", "พอใจ", "พอใจมาก"],
        "hi": ["बहुत असंतुष्ट", "असंतुष्ट", "ठीक-ठाक", "संतुष्ट", "बहुत संतुष्ट"],
        "sr": [
            "Веома незадовољни",
            "Незадовољни",
            "У реду",
            "Задовољни",
            "Веома задовољни",
        ],
    },
}
# The emoji scale publishes emoji natively (Telegram, Discord) and these words on frames, whose
# fonts carry no colour emoji.
EMOJI = ["😡", "🙁", "😐", "🙂", "😍"]


def phrase(key: str, lang: str, **values: str) -> str:
    """One phrase in ``lang`` (falling back to English), formatted with ``values``."""
    table = PHRASES[key]
    text = table.get(lang) or table.get(lang.split("-")[0]) or table["en"]
    return text.format(**values) if values else text


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
