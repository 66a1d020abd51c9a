"""Detectors for personal and confidential data in one piece of text, in any language.

Each detector returns :class:`Hit` spans; :func:`scan` runs them in an order where the most
specific formats claim their characters first (an IBAN is not also reported as a phone number).
Hits carry a kind and a position, never the matched value: findings must not repeat secrets.

Number boundaries are ASCII-only on purpose: Thai and Hindi text often has no space next to a
number or an e-mail address ("โทร081-234-5678ครับ"), so ``\\b`` (Unicode word boundary) would miss it.

Every digit system counts: :func:`fold_digits` turns any Unicode decimal digit (Arabic-Indic
٠١٢, Persian ۰۱۲, Devanagari ०१२, Thai ๐๑๒, full-width ０１２...) into its ASCII digit before the
detectors run, one character for one, so hit offsets still point into the original text.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..config.guard import BUILTIN_ID_FORMATS


@dataclass(frozen=True)
class Hit:
    """A span of personal or confidential data: rule id, human kind, start/end offsets."""

    rule: str
    kind: str
    start: int
    end: int


_A = r"(?<![A-Za-z0-9])"  # ASCII start boundary
_Z = r"(?![A-Za-z0-9])"  # ASCII end boundary

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}" + _Z
)
CARD = re.compile(_A + r"\d(?:[ \-]?\d){12,18}" + _Z)
IBAN = re.compile(_A + r"[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){10,32}" + _Z)

# API keys and tokens by vendor prefix; detect-secrets adds more vendors when it is installed.
SECRET_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("AWS access key", re.compile(_A + r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}" + _Z)),
    ("GitHub token", re.compile(_A + r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})")),
    ("Slack token", re.compile(_A + r"xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Slack webhook", re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+")),
    ("Stripe key", re.compile(_A + r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("Google API key", re.compile(_A + r"AIza[0-9A-Za-z_\-]{35}")),
    ("OpenAI key", re.compile(_A + r"sk-(?:proj-)?[A-Za-z0-9_\-]{20,}")),
    ("JSON web token", re.compile(_A + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("Telegram bot token", re.compile(_A + r"\d{8,10}:AA[A-Za-z0-9_\-]{33}" + _Z)),
]

# detect-secrets plugins that look for vendor formats (no entropy or keyword guessing, which
# would flag ordinary prose). Used only when the package is importable.
_DS_PLUGINS = [
    ("aws", "AWSKeyDetector"),
    ("github_token", "GitHubTokenDetector"),
    ("gitlab_token", "GitLabTokenDetector"),
    ("slack", "SlackDetector"),
    ("stripe", "StripeDetector"),
    ("twilio", "TwilioKeyDetector"),
    ("sendgrid", "SendGridDetector"),
    ("mailchimp", "MailchimpDetector"),
    ("npm", "NpmDetector"),
    ("pypi_token", "PypiTokenDetector"),
    ("openai", "OpenAIDetector"),
    ("discord", "DiscordBotTokenDetector"),
    ("jwt", "JwtTokenDetector"),
    ("private_key", "PrivateKeyDetector"),
    ("square_oauth", "SquareOAuthDetector"),
    ("azure_storage_key", "AzureStorageKeyDetector"),
    ("basic_auth", "BasicAuthDetector"),
]

# Words that introduce a password, in every language the project speaks (and Russian,
# which Serbian readers also meet). Latin words get word boundaries; others cannot.
_PASSWORD_WORDS_LATIN = [
    "password",
    "passwd",
    "pwd",
    "passcode",
    "contraseña",
    "contrasena",
    "lozinka",
    "šifra",
]
_PASSWORD_WORDS_OTHER = ["รหัสผ่าน", "पासवर्ड", "лозинка", "пароль", "шифра", "كلمة المرور", "كلمة السر"]
_PASSWORD_SEP = r"\s*(?:[:=]|\bis\b|\bes\b|คือ|है|је|je|هي)?\s*"
PASSWORD = re.compile(
    r"(?i)(?:\b(?:" + "|".join(_PASSWORD_WORDS_LATIN) + r")\b|" + "|".join(_PASSWORD_WORDS_OTHER) + ")"
    r"(?P<sep>" + _PASSWORD_SEP + r")(?P<value>[^\s,;]+)(?P<after>\s*[.!?]?\s*(?:$|\n|[.!?]))?"
)
_OTP_WORDS_LATIN = [
    "code",
    "otp",
    "pin",
    "passcode",
    "verification code",
    "código",
    "codigo",
    "clave",
    "kod",
    "šifra",
]
_OTP_WORDS_OTHER = ["รหัส", "โอทีพี", "कोड", "ओटीपी", "код", "шифра", "رمز", "كود"]
OTP = re.compile(
    r"(?i)(?:\b(?:" + "|".join(_OTP_WORDS_LATIN) + r")\b|" + "|".join(_OTP_WORDS_OTHER) + r")"
    r"[^\d\n]{0,24}?" + _A + r"(?P<value>\d{4,8}|\d{3}[ -]\d{3})" + _Z
)
# "error code 651" and friends are not one-time codes.
_NOT_OTP_BEFORE = re.compile(r"(?i)(?:error|fehler|errores?|erro|ошибк\w*|грешк\w*|त्रुटि|ข้อผิดพลาด|خطأ)\W*$")

# Candidate shapes for national ID formats storycast knows; other stdnum modules use _GENERIC_ID.
_ID_SHAPES: dict[str, str] = {
    "es.dni": r"\d{8}[ \-]?[A-Za-z]",
    "es.nie": r"[XYZxyz][ \-]?\d{7}[ \-]?[A-Za-z]",
    "th.pin": r"\d(?:[ \-]?\d){12}",
    "in_.aadhaar": r"\d{4}[ \-]?\d{4}[ \-]?\d{4}",
    "in_.vid": r"\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4}",
    "in_.pan": r"[A-Za-z]{5}\d{4}[A-Za-z]",
    "rs.jmbg": r"\d{13}",
    "us.ssn": r"\d{3}[ \-]?\d{2}[ \-]?\d{4}",
    "es.ccc": r"\d{4}[ \-]?\d{4}[ \-]?\d{2}[ \-]?\d{10}",
}
_GENERIC_ID = r"[A-Za-z0-9](?:[ \-./]?[A-Za-z0-9]){5,34}"

_ID_NAMES = {
    "es.dni": "Spanish DNI",
    "es.nie": "Spanish NIE",
    "th.pin": "Thai national ID",
    "in_.aadhaar": "Aadhaar number",
    "in_.vid": "Aadhaar virtual ID",
    "in_.pan": "Indian PAN",
    "rs.jmbg": "Serbian JMBG",
    "us.ssn": "US social security number",
    "es.ccc": "Spanish bank account (CCC)",
    "iban": "IBAN",
}


# Arabic decimal and thousands separators read as '.' and ','; bidi marks that sit inside
# numbers in right-to-left text read as spaces. Each maps one character to one.
_SEPARATORS = {"\u066b": ".", "\u066c": ",", "\u060c": ","}
_BIDI_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def fold_digits(text: str) -> str:
    """``text`` with every Unicode decimal digit as its ASCII digit (same length, same offsets)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        value = unicodedata.decimal(ch, None)
        if value is not None:
            out.append(str(value))
        elif ch in _SEPARATORS:
            out.append(_SEPARATORS[ch])
        elif ch in _BIDI_MARKS:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


# Links that carry a credential: a sign-in link, a password-reset link, a session in the URL.
URL = re.compile(r"(?i)(?<![A-Za-z0-9@])(?:https?://|www\.)[^\s<>\"']{4,2000}")
_TOKEN_KEYS = {
    "token",
    "access_token",
    "id_token",
    "refresh_token",
    "auth",
    "auth_token",
    "authtoken",
    "authorization",
    "session",
    "sessionid",
    "session_id",
    "sid",
    "jsessionid",
    "phpsessid",
    "aspsessionid",
    "key",
    "apikey",
    "api_key",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pass",
    "pwd",
    "otp",
    "code",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-goog-signature",
    "reset",
    "reset_token",
    "resettoken",
    "magic",
    "login_token",
    "invite",
    "ticket",
}


def link_tokens(text: str) -> Iterable[tuple[int, int]]:
    """Spans of URLs whose query, fragment or path parameters carry a token or session id."""
    for m in URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?)]}")
        try:
            parts = urlsplit(url if "://" in url else "https://" + url)
        except ValueError:
            continue
        params = [*parse_qsl(parts.query, keep_blank_values=True)]
        params += parse_qsl(parts.fragment, keep_blank_values=True)
        # ;jsessionid=... path parameters
        params += [tuple(p.split("=", 1)) for p in parts.path.split(";")[1:] if "=" in p]  # type: ignore[misc]
        for key, value in params:
            if key.strip().lower() in _TOKEN_KEYS and len(value.strip()) >= 6:
                yield m.start(), m.start() + len(url)
                break


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a string of digits (payment cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def jmbg_ok(value: str) -> bool:
    """Serbian JMBG: 13 digits, a plausible date of birth, and the mod-11 control digit."""
    digits = re.sub(r"\D", "", value)
    if len(digits) != 13:
        return False
    day, month = int(digits[0:2]), int(digits[2:4])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    weights = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    m = 11 - sum(int(d) * w for d, w in zip(digits[:12], weights, strict=True)) % 11
    control = 0 if m > 9 else m
    return control == int(digits[12])


@cache
def _validator(name: str) -> Callable[[str], bool]:
    if name in BUILTIN_ID_FORMATS:
        return jmbg_ok
    module: Any = importlib.import_module(f"stdnum.{name}")

    def check(value: str) -> bool:
        try:
            return bool(module.is_valid(value))
        except Exception:
            return False

    return check


def id_label(name: str) -> str:
    """Human name of a number format ('Thai national ID' for th.pin)."""
    return _ID_NAMES.get(name, name)


@cache
def _shape(name: str) -> re.Pattern[str]:
    return re.compile(_A + "(?:" + _ID_SHAPES.get(name, _GENERIC_ID) + ")" + _Z)


@cache
def _ds_detectors() -> tuple[Any, ...]:
    try:
        plugins = importlib.import_module("detect_secrets.plugins")
    except ImportError:
        return ()
    out = []
    for mod_name, cls_name in _DS_PLUGINS:
        try:
            module = importlib.import_module(f"{plugins.__name__}.{mod_name}")
            out.append(getattr(module, cls_name)())
        except (ImportError, AttributeError):
            continue
    return tuple(out)


class _Claims:
    """Spans already reported, so one number is reported once, by its most specific rule."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.spans)

    def take(self, start: int, end: int) -> None:
        self.spans.append((start, end))


def _secrets(text: str) -> Iterable[tuple[str, int, int]]:
    for kind, pattern in SECRET_PATTERNS:
        for m in pattern.finditer(text):
            yield kind, m.start(), m.end()
    for offset, line in _lines(text):
        for detector in _ds_detectors():
            try:
                found = detector.analyze_line(filename="story", line=line, line_number=1)
            except Exception:
                continue
            for secret in found:
                value = secret.secret_value or ""
                pos = line.find(value) if value else -1
                start = offset + max(pos, 0)
                end = start + (len(value) if pos >= 0 else len(line))
                yield str(secret.type), start, end


def _lines(text: str) -> Iterable[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


# Dates the phone matcher can take for a number in some region ("01-05-2024", "2024/05/01").
_DATE_SHAPE = re.compile(r"^(?:\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})$")


def _phones(text: str, regions: list[str]) -> Iterable[tuple[int, int]]:
    import phonenumbers
    from phonenumbers import Leniency

    seen: set[tuple[int, int]] = set()
    # "ZZ" (no region) still reads international numbers: `regions = []` must not hide "+..." ones.
    for region in regions or ["ZZ"]:
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            span = (m.start, m.end)
            if _DATE_SHAPE.match(m.raw_string.strip()):
                continue
            if span not in seen:
                seen.add(span)
                yield span


def _iban(text: str) -> Iterable[tuple[int, int]]:
    check = _validator("iban")
    for m in IBAN.finditer(text):
        candidate = m.group(0)
        # The pattern may swallow a following code word; drop trailing groups until it checks.
        while len(re.sub(r"[ \-]", "", candidate)) >= 14:
            if check(candidate):
                yield m.start(), m.start() + len(candidate)
                break
            cut = max(candidate.rfind(" "), candidate.rfind("-"))
            if cut <= 0:
                break
            candidate = candidate[:cut]


def scan(
    text: str,
    *,
    regions: list[str],
    id_formats: list[str],
    account_formats: list[str],
    order_patterns: list[re.Pattern[str]],
    allow: list[re.Pattern[str]] | None = None,
    active: Callable[[str], bool] = lambda rule: True,
) -> list[Hit]:
    """Every piece of personal or confidential data in ``text``, most specific first.

    ``active(rule_id)`` lets the caller skip switched-off rules (their spans are then free for
    other rules, which is what the author asked for by switching one off).
    """
    text = fold_digits(text)
    hits: list[Hit] = []
    claims = _Claims()
    allowed = [m.span() for p in allow or [] for m in p.finditer(text)]

    def add(rule: str, kind: str, start: int, end: int) -> None:
        if not claims.free(start, end):
            return
        if any(s <= start and end <= e for s, e in allowed):
            return
        claims.take(start, end)
        hits.append(Hit(rule, kind, start, end))

    if active("pii.secret"):
        for kind, start, end in _secrets(text):
            add("pii.secret", kind, start, end)
    if active("pii.link-token"):
        for start, end in link_tokens(text):
            add("pii.link-token", "link carrying a token or session id", start, end)
    if active("pii.email"):
        for m in EMAIL.finditer(text):
            add("pii.email", "e-mail address", m.start(), m.end())
    if active("pii.account"):
        for fmt in account_formats:
            if fmt == "iban":
                for start, end in _iban(text):
                    add("pii.account", "IBAN", start, end)
                continue
            for m in _shape(fmt).finditer(text):
                if _validator(fmt)(m.group(0)):
                    add("pii.account", id_label(fmt), m.start(), m.end())
    if active("pii.national-id"):
        for fmt in id_formats:
            for m in _shape(fmt).finditer(text):
                if _validator(fmt)(m.group(0)):
                    add("pii.national-id", id_label(fmt), m.start(), m.end())
    if active("pii.card"):
        for m in CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            # Issuer numbers start with 2-6; a Luhn pass alone is one number in ten.
            if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits):
                add("pii.card", "payment card number", m.start(), m.end())
    if active("pii.password"):
        for m in PASSWORD.finditer(text):
            value = m.group("value")
            has_sep = bool(m.group("sep").strip())
            secretish = value.isascii() and len(value) >= 4 and any(c.isdigit() for c in value)
            # A bare word after "password:" that ends the sentence is a password too ("password: sunshine").
            lone_word = has_sep and value.isascii() and len(value) >= 4 and m.group("after") is not None
            if secretish or lone_word:
                add("pii.password", "password", m.start(), m.end("value"))
    if active("pii.order"):
        for pattern in order_patterns:
            for m in pattern.finditer(text):
                add("pii.order", "order or ticket number", m.start(), m.end())
    if active("pii.otp"):
        for m in OTP.finditer(text):
            if _NOT_OTP_BEFORE.search(text[: m.start()]):
                continue
            add("pii.otp", "one-time code", m.start("value"), m.end("value"))
    if active("pii.phone"):
        for start, end in _phones(text, regions):
            add("pii.phone", "phone number", start, end)
    return sorted(hits, key=lambda h: h.start)
