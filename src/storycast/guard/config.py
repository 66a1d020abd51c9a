"""Moved to :mod:`storycast.config.guard`; these names stay importable from here for now."""

from __future__ import annotations

from ..config.guard import (
    BUILTIN_ID_FORMATS,
    DEFAULT_MAX_WORDS,
    DEFAULT_OFF_CHANNEL_TOPICS,
    DEFAULT_ORDER_PATTERNS,
    LANG_IDS,
    LANG_REGIONS,
    GuardConfig,
    RuleSetting,
    id_formats,
    phone_regions,
)

__all__ = [
    "BUILTIN_ID_FORMATS",
    "DEFAULT_MAX_WORDS",
    "DEFAULT_OFF_CHANNEL_TOPICS",
    "DEFAULT_ORDER_PATTERNS",
    "LANG_IDS",
    "LANG_REGIONS",
    "GuardConfig",
    "RuleSetting",
    "id_formats",
    "phone_regions",
]
