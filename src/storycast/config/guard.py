"""The ``[guard]`` section of storycast.toml: which lint rules run and what they look for.

Every key has a default that works for the five languages the example project speaks, so an
empty ``[guard]`` (or none at all) gives useful checks. Keys that depend on the project's
languages (phone regions, national ID formats) default to ``None`` and are derived from
``[project] languages`` when the rules run (see :func:`phone_regions`, :func:`id_formats`).
"""

from __future__ import annotations

import importlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RuleSetting = bool | Literal["off", "error", "warning", "info"]

# Language -> phone regions, used when ``regions`` is not set.
# Every language storycast ships a script for has its main markets, so a local number written
# the way its readers write one ("055 123 4567" in Riyadh) is found without configuration.
LANG_REGIONS: dict[str, list[str]] = {
    "en": ["US", "GB"],
    "es": ["ES"],
    "th": ["TH"],
    "hi": ["IN"],
    "sr": ["RS"],
    "ar": ["SA", "AE", "EG"],
    "he": ["IL"],
    "bn": ["BD", "IN"],
    "ta": ["IN", "LK"],
    "km": ["KH"],
    "lo": ["LA"],
    "my": ["MM"],
    "vi": ["VN"],
    "zh": ["CN", "TW", "HK"],
    "ja": ["JP"],
    "ko": ["KR"],
}

# Language -> national ID formats (python-stdnum module names, or storycast's own "rs.jmbg"),
# used when ``national_ids`` is not set. English has none by default: the US SSN format matches
# any nine-digit number, so a project has to ask for it.
LANG_IDS: dict[str, list[str]] = {
    "es": ["es.dni", "es.nie"],
    "th": ["th.pin"],
    "hi": ["in_.aadhaar", "in_.pan"],
    "sr": ["rs.jmbg"],
}

# Formats storycast validates itself because python-stdnum has no module for them.
BUILTIN_ID_FORMATS = {"rs.jmbg"}

_KNOWN_FORMATS = {"iban", "es.ccc", "us.ssn", *(f for fmts in LANG_IDS.values() for f in fmts)}

DEFAULT_ORDER_PATTERNS = [
    # "ORD-2024-558812", "TKT#123456", "case 7712345" (a prefix word, then 5+ digits).
    r"(?i)\b(?:ord(?:er)?|tkt|ticket|case|inc|pedido|orden|caso|narud[žz]bina|поруџбина|тикет|टिकट|ऑर्डर)"
    r"\s*(?:no\.?|n[º°o]\.?|number|#|:|-)?\s*#?\s*(?:[A-Z]{1,4}-)?\d[\d-]{4,}\d\b",
    # A bare "#1234567": support tools print ticket numbers like this.
    r"#\d{6,}\b",
]

DEFAULT_OFF_CHANNEL_TOPICS: dict[str, list[str]] = {
    "en": [
        "billing dispute",
        "dispute a charge",
        "disputed charge",
        "refund",
        "chargeback",
        "password reset link",
        "reset your account password",
        "account recovery",
        "recover your account",
        "hacked account",
        "account was hacked",
        "fraudulent charge",
    ],
    "es": [
        "disputa de facturación",
        "reclamación de factura",
        "reclamar un cargo",
        "reembolso",
        "devolución del dinero",
        "contracargo",
        "restablecer la contraseña de tu cuenta",
        "recuperar tu cuenta",
        "recuperación de cuenta",
        "cuenta hackeada",
        "cargo fraudulento",
    ],
    "th": [
        "โต้แย้งค่าบริการ",
        "ข้อพิพาทการเรียกเก็บเงิน",
        "คืนเงิน",
        "การปฏิเสธการชำระเงิน",
        "รีเซ็ตรหัสผ่านบัญชี",
        "กู้คืนบัญชี",
        "บัญชีถูกแฮก",
    ],
    "hi": [
        "बिलिंग विवाद",
        "बिल पर विवाद",
        "रिफ़ंड",
        "रिफंड",
        "धनवापसी",
        "चार्जबैक",
        "अकाउंट रिकवरी",
        "खाता पुनर्प्राप्ति",
        "अकाउंट हैक",
    ],
    "sr": [
        "спор око рачуна",
        "рекламација рачуна",
        "поврат новца",
        "повраћај новца",
        "чарџбек",
        "опоравак налога",
        "хакован налог",
        "spor oko računa",
        "reklamacija računa",
        "povrat novca",
        "povraćaj novca",
        "oporavak naloga",
        "hakovan nalog",
    ],
}

DEFAULT_MAX_WORDS: dict[str, int] = {"en": 40, "es": 40, "sr": 40, "hi": 40, "th": 45}


class GuardConfig(BaseModel):
    """[guard]: lint rules (see docs/lint.md for every rule and key)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    rules: dict[str, RuleSetting] = Field(
        default_factory=dict,
        description="Per rule id: false/'off' disables it, true enables it, or a severity overrides its own.",
    )
    regions: list[str] | None = Field(
        default=None,
        description="Phone-number regions (ISO 3166 alpha-2). Default: from [project] languages.",
    )
    national_ids: list[str] | None = Field(
        default=None, description="National ID formats (python-stdnum module names). Default: from languages."
    )
    account_numbers: list[str] = Field(
        default_factory=lambda: ["iban", "es.ccc"],
        description="Bank account formats (python-stdnum module names).",
    )
    order_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_ORDER_PATTERNS))
    allow: list[str] = Field(
        default_factory=list,
        description="Regexes of text that is never personal data (the team's public e-mail or phone).",
    )
    off_channel_topics: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_OFF_CHANNEL_TOPICS.items()},
        description="Per language (or '*' for all), keywords of topics kept off public channels.",
    )
    public_channels: list[str] | None = Field(
        default=None, description="Channel names considered public. Default: every channel."
    )
    max_words: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_MAX_WORDS))
    max_words_default: int = Field(default=40, ge=1)
    min_size_body: int = Field(default=44, ge=1, description="px at 1080 wide, body text")
    min_size_small: int = Field(default=24, ge=1, description="px at 1080 wide, captions and labels")
    min_size_heading: int = Field(default=64, ge=1, description="px at 1080 wide")
    large_text_size: int = Field(
        default=64, ge=1, description="px at 1080 wide from which 3:1 contrast suffices"
    )
    min_contrast: float = Field(default=4.5, ge=1, le=21)
    min_contrast_large: float = Field(default=3.0, ge=1, le=21)
    contrast_percentile: float = Field(default=10, ge=0, le=50)
    max_frames: int = Field(default=10, ge=1)
    max_duration: float = Field(
        default=60, gt=0, description="seconds, whole story (story videos stop at 60 s)"
    )
    max_frame_duration: float = Field(default=15, gt=0, description="seconds, one frame")
    default_frame_duration: float = Field(
        default=5, gt=0, description="seconds assumed for a frame with none"
    )
    image_templates: list[str] = Field(
        default_factory=lambda: ["tutorial"],
        description="Templates whose step frames expect an image.",
    )
    poll_channel_types: list[str] = Field(
        default_factory=lambda: ["telegram", "discord", "mastodon", "local"],
        description="Channel types that carry a poll natively (others get it baked in or handed off).",
    )

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        import phonenumbers

        known = phonenumbers.SUPPORTED_REGIONS
        for region in v:
            if region not in known:
                raise ValueError(
                    f"{region!r} is not a phone region; use ISO 3166 codes like ES, TH, IN, RS, US"
                )
        return v

    @field_validator("national_ids", "account_numbers")
    @classmethod
    def _stdnum(cls, v: list[str] | None) -> list[str] | None:
        for name in v or []:
            if name in BUILTIN_ID_FORMATS or name in _KNOWN_FORMATS:
                continue  # known to exist: skip importing python-stdnum at every config load
            try:
                module = importlib.import_module(f"stdnum.{name}")
            except ImportError:
                raise ValueError(
                    f"{name!r} is not a python-stdnum format; use module names like es.dni, th.pin, "
                    "in_.aadhaar, iban (or rs.jmbg, which storycast checks itself)"
                ) from None
            if not hasattr(module, "is_valid"):
                raise ValueError(f"stdnum.{name} has no is_valid(); pick a number format module")
        return v

    @field_validator("order_patterns", "allow")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return v

    @field_validator("rules")
    @classmethod
    def _rule_ids(cls, v: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        # The rules come from the plugin manager (the guard package and plugins register them):
        # read only when rule ids are set (loading every plugin costs a command ~0.1 s).
        if not v:
            return v
        from .. import plugins

        known = set(plugins.view("register_lint_rules"))
        for rule_id in v:
            if rule_id not in known:
                import difflib

                close = difflib.get_close_matches(rule_id, sorted(known), n=1)
                tip = f" (did you mean {close[0]}?)" if close else ""
                raise ValueError(
                    f"unknown rule id {rule_id!r}{tip}; `storycast lint --list-rules` shows them"
                )
        return v


def phone_regions(guard: GuardConfig, languages: list[str]) -> list[str]:
    """Regions used to read local phone numbers: ``regions``, else derived from languages."""
    if guard.regions is not None:
        return list(guard.regions)
    out: list[str] = []
    for lang in languages:
        for region in LANG_REGIONS.get(lang.split("-")[0], []):
            if region not in out:
                out.append(region)
    return out or ["US"]


def id_formats(guard: GuardConfig, languages: list[str]) -> list[str]:
    """National ID formats checked: ``national_ids``, else derived from languages."""
    if guard.national_ids is not None:
        return list(guard.national_ids)
    out: list[str] = []
    for lang in languages:
        for fmt in LANG_IDS.get(lang.split("-")[0], []):
            if fmt not in out:
                out.append(fmt)
    return out
