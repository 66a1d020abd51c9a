"""Language names and directions for the knowledge base.

Its interface strings (navigation, labels) live in the one catalogue, ``templates/strings.yaml``,
with every other string storycast draws; :func:`ui` reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..render.strings import Strings

# Each language's own name, for the language switcher (a reader looks for their language in it).
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "th": "ไทย",
    "hi": "हिन्दी",
    "sr": "Српски",
    "ar": "العربية",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "id": "Bahasa Indonesia",
    "vi": "Tiếng Việt",
    "ja": "日本語",
    "zh": "中文",
    "ru": "Русский",
    "uk": "Українська",
    "tr": "Türkçe",
    "pl": "Polski",
    "nl": "Nederlands",
}

RTL = {"ar", "he", "fa", "ur"}


def ui(strings: Strings, lang: str, key: str, **values: Any) -> str:
    """The catalogue string ``key`` in ``lang`` (English when missing; lint reports that)."""
    from ..render.strings import Translator

    return Translator(strings, lang)(key, **values)


def native_name(lang: str) -> str:
    """A language's name in that language (the code itself when unknown)."""
    return NATIVE_NAMES.get(lang) or NATIVE_NAMES.get(lang.split("-")[0]) or lang


def direction(lang: str) -> str:
    """``rtl`` for right-to-left scripts, else ``ltr``."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"
