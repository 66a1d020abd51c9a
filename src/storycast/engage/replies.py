"""Response times of replies and mentions.

Messages are stored per conversation (``thread``: the customer's id) by ``engage/inbound.py``
from what each channel type parses out of its webhook deliveries. An agent's answer that the
channel shows us (an Instagram echo, a Telegram reply to the customer's message) closes the
customer's open messages, which is how first-response time is measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from statistics import median
from typing import Any


def first_response_times(rows: Sequence[Mapping[str, Any]]) -> dict[int, timedelta]:
    """Customer message id -> time until the first agent message after it in the same thread.

    Every customer message waiting when the agent answers gets its own wait (a customer who wrote
    three times before the answer waited three different times).
    """
    waiting: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    out: dict[int, timedelta] = {}
    for r in sorted(rows, key=lambda r: (r["at_utc"], r["id"])):
        key = (r["channel"], r["thread"])
        if r["kind"] == "agent":
            for m in waiting.pop(key, []):
                out[m["id"]] = r["at_utc"] - m["at_utc"]
        else:
            waiting.setdefault(key, []).append(r)
    return out


def median_response(rows: Sequence[Mapping[str, Any]]) -> timedelta | None:
    """Median first-response time of the given messages (None when no answer was seen)."""
    times = list(first_response_times(rows).values())
    return timedelta(seconds=median(t.total_seconds() for t in times)) if times else None
