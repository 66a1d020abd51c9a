"""Support outcomes: conversations, time to first response and time to resolution.

A **conversation** is one customer's thread on one channel (``replies.thread``, as each channel
type parses it), from the customer's first message until it is resolved. It is resolved by

- an agent's message that carries one of ``[outcomes] resolved_markers`` (default ``#resolved``)
  as a word, anywhere in the text, or
- the customer's answer to a satisfaction poll (``[outcomes] csat_resolves``): a vote on a
  ``scale:`` poll by the same channel user, or their reply that is only a score to a poll post.

The next customer message after a resolution opens a new conversation in the same thread. A
conversation takes its tutorial and language from the first of its messages that answers one of
our posts. A help desk resolves a conversation either by answering in the channel with the
marker, or through its webhook (``POST /hooks/helpdesk``, :mod:`storycast.web.helpdesk`), which
the ledger keeps as a row of kind ``resolution`` (``Ledger.resolution_rows``): it closes the
thread's open conversation at its time, resolved by ``helpdesk``; with none open it does nothing.

Everything here is derived from the ledger's ``replies`` and ``votes`` tables; nothing is stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

#: How a conversation was resolved.
BY_MARKER = "marker"
BY_CSAT = "csat"
BY_HELPDESK = "helpdesk"
#: The kind of a reply row that is a help desk's resolution, not a message.
RESOLUTION = "resolution"


@dataclass
class Conversation:
    """One customer's thread on one channel, from their first message to its resolution."""

    channel: str
    thread: str
    opened: datetime
    ref: str = ""
    lang: str = ""
    messages: int = 1
    first_response: datetime | None = None
    resolved: datetime | None = None
    resolved_by: str = ""

    @property
    def response_wait(self) -> timedelta | None:
        return None if self.first_response is None else self.first_response - self.opened

    @property
    def resolution_wait(self) -> timedelta | None:
        return None if self.resolved is None else self.resolved - self.opened

    @property
    def is_open(self) -> bool:
        return self.resolved is None

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "story": self.ref,
            "lang": self.lang,
            "opened_utc": self.opened.isoformat(),
            "messages": self.messages,
            "first_response_s": _seconds(self.response_wait),
            "resolution_s": _seconds(self.resolution_wait),
            "resolved_by": self.resolved_by or None,
        }


def _seconds(td: timedelta | None) -> int | None:
    return None if td is None else int(td.total_seconds())


def marker_pattern(markers: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any marker as a whole word (``#resolved`` but not ``#resolvedx``)."""
    words = [m for m in markers if m]
    if not words:
        return None
    alts = "|".join(re.escape(m) for m in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w#/])(?:{alts})(?![\w])", re.IGNORECASE)


def conversations(
    messages: Sequence[Mapping[str, Any]],
    *,
    markers: Iterable[str] = ("#resolved",),
    csat_answers: Mapping[str, Sequence[datetime]] | None = None,
    is_score_reply: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[Conversation]:
    """Cut reply rows (``Ledger.reply_rows``, with ``Ledger.resolution_rows`` among them when a
    help desk reports resolutions) into conversations, oldest first.

    ``csat_answers``: voter key (the hashed ``channel:thread`` that :mod:`.polls` stores)
    -> when that user answered a satisfaction poll. ``is_score_reply``: tells a customer message
    that is only a score to a satisfaction poll post; it resolves instead of opening.
    """
    find = marker_pattern(markers)
    answers = {k: sorted(v) for k, v in (csat_answers or {}).items()}
    from .polls import _voter_key as voter_key

    open_now: dict[tuple[str, str], Conversation] = {}
    done: list[Conversation] = []

    def close(conv: Conversation, at: datetime, by: str) -> None:
        conv.resolved, conv.resolved_by = at, by
        done.append(conv)
        del open_now[(conv.channel, conv.thread)]

    def csat_before(conv: Conversation, until: datetime | None) -> datetime | None:
        key = voter_key(f"{conv.channel}:{conv.thread}")
        for at in answers.get(key, ()):
            if at >= conv.opened and (until is None or at <= until):
                return at
        return None

    for m in sorted(messages, key=lambda r: (r["at_utc"], r["id"])):
        key = (m["channel"], m["thread"])
        conv = open_now.get(key)
        at = m["at_utc"]
        if conv is not None and answers:
            # A score given before this message closed the conversation then.
            got = csat_before(conv, at)
            if got is not None:
                close(conv, got, BY_CSAT)
                conv = None
        if m["kind"] == RESOLUTION:
            if conv is not None:
                close(conv, at, BY_HELPDESK)
            continue  # no conversation open: an old ticket, or one already closed here
        if m["kind"] == "agent":
            if conv is None:
                continue  # an agent's message outside a conversation (a broadcast, a follow-up)
            if conv.first_response is None:
                conv.first_response = at
            if find is not None and find.search(m.get("text") or ""):
                close(conv, at, BY_MARKER)
            continue
        if is_score_reply is not None and is_score_reply(m):
            if conv is not None:
                close(conv, at, BY_CSAT)
            continue
        if conv is None:
            conv = open_now[key] = Conversation(
                m["channel"], m["thread"], at, m["ref"] or "", m["lang"] or ""
            )
            continue
        conv.messages += 1
        if not conv.ref and m["ref"]:
            conv.ref, conv.lang = m["ref"], m["lang"] or ""
    for conv in list(open_now.values()):
        got = csat_before(conv, None) if answers else None
        if got is not None:
            close(conv, got, BY_CSAT)
        else:
            done.append(conv)
    return sorted(done, key=lambda c: (c.opened, c.channel, c.thread))


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value that at least ``p`` percent of values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Waits:
    """Median and p90 of a set of waits (None when there are none)."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None

    @classmethod
    def of(cls, waits: Iterable[timedelta]) -> Waits:
        secs = [w.total_seconds() for w in waits]
        if not secs:
            return cls()
        p90 = percentile(secs, 90)
        return cls(len(secs), timedelta(seconds=median(secs)), timedelta(seconds=p90 or 0))

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "median_s": _seconds(self.median), "p90_s": _seconds(self.p90)}


@dataclass
class OutcomeLine:
    """Outcomes of the conversations that share one channel, language or tutorial."""

    dimension: str  # "all" | "channel" | "lang" | "story"
    value: str
    conversations: int = 0
    open: int = 0
    first_response: Waits = field(default_factory=Waits)
    resolution: Waits = field(default_factory=Waits)

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.dimension,
            "value": self.value,
            "conversations": self.conversations,
            "open": self.open,
            "first_response": self.first_response.to_json(),
            "resolution": self.resolution.to_json(),
        }


def outcome_lines(convs: Sequence[Conversation]) -> list[OutcomeLine]:
    """One line for all conversations, then one per channel, language and tutorial."""
    groups: dict[tuple[str, str], list[Conversation]] = {("all", ""): list(convs)}
    for c in convs:
        groups.setdefault(("channel", c.channel), []).append(c)
        groups.setdefault(("lang", c.lang or "–"), []).append(c)
        groups.setdefault(("story", c.ref or "–"), []).append(c)
    order = {"all": 0, "channel": 1, "lang": 2, "story": 3}
    out = []
    for (dim, value), mine in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        out.append(
            OutcomeLine(
                dim,
                value,
                conversations=len(mine),
                open=sum(1 for c in mine if c.is_open),
                first_response=Waits.of(w for c in mine if (w := c.response_wait) is not None),
                resolution=Waits.of(w for c in mine if (w := c.resolution_wait) is not None),
            )
        )
    return out
