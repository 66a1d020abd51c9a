"""Sizes and durations as people write them in ``storycast.toml`` and content files.

Two duration grammars live here, each kept exactly as it was:

- *ages* (``[cache] max_age``, ``cache prune --older-than``): one number, decimals allowed, and
  one unit of s, m, h, d or w, in seconds (``30d``, ``1.5h``);
- *durations* (schedules, Q&A events, polls): whole numbers with units of s, m, h or d, which may
  be combined (``90s``, ``1h30m``), as a ``timedelta``.
"""

from __future__ import annotations

import re
from datetime import timedelta

SIZE_FORMS = "a number of bytes with an optional unit: 500MB, 2GB, 1.5GiB, 800K or 0"
AGE_FORMS = "a number with a unit: 90m, 12h, 30d, 2w (s, m, h, d or w)"
DURATION_FORMS = AGE_FORMS  # the name render.prune used for the age grammar

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(b|[kmgt]i?b?)?$", re.IGNORECASE)
_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(text: str) -> int:
    """Bytes in ``text`` (``2GB`` = 2*10^9, ``2GiB`` = 2*2^30); ValueError naming the forms."""
    m = _SIZE.match(str(text).strip())
    if m is None:
        raise ValueError(f"{text!r} is not a size; write {SIZE_FORMS}")
    unit = (m.group(2) or "b").lower()
    factor = 1 if unit == "b" else (1024 if "i" in unit else 1000) ** ("kmgt".index(unit[0]) + 1)
    return int(float(m.group(1)) * factor)


def format_size(n: int) -> str:
    """``1.5 MB``-style text (decimal units, like ``parse_size``)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover - the loop always returns


def parse_age(text: str) -> float:
    """Seconds in ``text`` (``30d``, ``12h``); ValueError naming the accepted forms."""
    m = _AGE.match(str(text).strip())
    if m is None:
        raise ValueError(f"{text!r} is not a duration; write {AGE_FORMS}")
    return float(m.group(1)) * _AGE_UNITS[m.group(2).lower()]


def format_age(seconds: float) -> str:
    """``3d``/``5h``/``12m``/``40s``: how long ago, roughly."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{max(0, int(seconds))}s"


_DURATION = re.compile(r"(\d+)([smhd])")
_DURATION_FULL = re.compile(r"^(?:\d+[smhd])+$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: object) -> timedelta:
    """'90s', '15m', '2h', '1h30m', '1d' -> timedelta; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration; write it with a unit, like 90s, 15m or 2h")
    s = "".join(text.lower().split())
    if s == "0":
        return timedelta(0)
    if not _DURATION_FULL.match(s):
        raise ValueError(f"{text!r} is not a duration; write it with a unit, like 90s, 15m, 2h or 1h30m")
    total = sum(int(n) * _DURATION_UNITS[u] for n, u in _DURATION.findall(s))
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise ValueError(f"{text!r} is far too long a duration") from None


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration`, for messages and JSON ('1h30m')."""
    secs = int(value.total_seconds())
    if secs == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= size:
            out += f"{secs // size}{unit}"
            secs %= size
    return out
