"""The ledger's value types: rows, unit keys, filters and queries, and its time conventions.

Times are stored naive UTC (:func:`naive`) and handed out aware (:func:`aware`). Nothing here
opens a connection; :class:`RowFilter` and :class:`RowQuery` turn into SQL conditions only
inside the ledger's own methods.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

# These types are what :mod:`.reading` (sqlite3) hands out too, so this module needs no SQL
# toolkit; ``RowFilter.condition`` and ``oversized`` import SQLAlchemy's pieces when called.


def naive(dt: datetime) -> datetime:
    """Aware -> naive UTC (how the ledger stores times)."""
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else (dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt)


def actor() -> str:
    """``host:pid`` of this process, stored with claims and attempts."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Row:
    """One publication row, with aware UTC times."""

    id: int
    entry_key: str
    occurrence_key: str
    channel: str
    lang: str
    frame: int
    frame_total: int
    kind: str
    ref: str
    label: str
    source: str
    due_utc: datetime
    deadline_utc: datetime
    state: str
    reason: str | None
    retryable: bool | None
    attempts: int
    next_attempt_utc: datetime | None
    claim_token: str | None
    claimed_by: str | None
    lease_until_utc: datetime | None
    frame_sha256: str | None
    idempotency_key: str | None
    remote_id: str | None
    remote_url: str | None
    published_utc: datetime | None
    expires_utc: datetime | None
    created_utc: datetime
    updated_utc: datetime
    checked_utc: datetime | None
    lang_seq: int = 0  # the language's place in its entry's order (0: planned before 0004)

    @classmethod
    def from_mapping(cls, m: Any) -> Row:
        values: dict[str, Any] = {}
        for f in fields(cls):
            v = m[f.name]
            values[f.name] = aware(v) if isinstance(v, datetime) else v
        return cls(**values)

    @property
    def group(self) -> tuple[str, str, str, str]:
        """The frames of one story in one language on one channel share this."""
        return (self.entry_key, self.occurrence_key, self.channel, self.lang)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v
        for private in ("claim_token",):
            out.pop(private, None)
        return out


@dataclass(frozen=True)
class ChannelLimits:
    """How much one channel may take: rows in flight at once, and a token bucket."""

    concurrency: int | None = None
    rate_per_minute: float | None = None
    album: int = 1  # frames of one story claimed together and sent as one post (Telegram albums)


WAITING = "waiting for a fix: "  # the reason of a planned row held back by a broken file or channel
AWAITING = "awaiting approval: "  # the reason of a planned row the approval gate holds back


def _like_prefix(column: Any, prefix: str) -> Any:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


@dataclass(frozen=True)
class RowFilter:
    """Rows that belong to something broken: a content id, a schedule file, an entry, a channel.

    A row matches when any field matches. ``refs`` are content ids; a Q&A announcement's ref
    (``weekly-qa@20261203T1700Z.T-1h``) matches its event's id.
    """

    refs: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()  # schedule files relative to the project (schedules/x.yaml)
    entries: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.refs or self.sources or self.entries or self.channels or self.ids)

    def __or__(self, other: RowFilter) -> RowFilter:
        return RowFilter(
            self.refs | other.refs,
            self.sources | other.sources,
            self.entries | other.entries,
            self.channels | other.channels,
            self.ids | other.ids,
        )

    def matches(self, ref: str, source: str, entry_key: str, channel: str) -> bool:
        """Whether a row with these values matches (in Python, like :meth:`condition` in SQL)."""
        return (
            ref in self.refs
            or ref.partition("@")[0] in self.refs
            or source.rpartition(":")[0] in self.sources
            or entry_key in self.entries
            or channel in self.channels
        )

    def condition(self) -> Any:
        """The SQL condition on :data:`publication` (False when the filter is empty)."""
        from sqlalchemy import false, or_

        from .tables import publication as p

        parts: list[Any] = []
        if self.refs:
            parts.append(p.c.ref.in_(sorted(self.refs)))
            parts.extend(_like_prefix(p.c.ref, r + "@") for r in sorted(self.refs))
        parts.extend(_like_prefix(p.c.source, s + ":") for s in sorted(self.sources))
        if self.entries:
            parts.append(p.c.entry_key.in_(sorted(self.entries)))
        if self.channels:
            parts.append(p.c.channel.in_(sorted(self.channels)))
        if self.ids:
            parts.append(p.c.id.in_(sorted(self.ids)))
        return or_(*parts) if parts else false()


_KEY_HINTS = {
    "entry_key": "give the entry a shorter id: (or its schedule file a shorter name)",
    "occurrence_key": "use shorter phase names in announce:",
    "ref": "use a shorter id for the story, event or poll",
    "channel": "use a shorter channel name in storycast.toml",
    "lang": "use a shorter language code",
    "kind": "use a shorter entry kind name",
}


def oversized(unit: dict[str, Any]) -> tuple[str, str, int] | None:
    """(field, hint, limit) of the first key field of ``unit`` too long for its column, or None.

    PostgreSQL refuses such a value (and with it the whole batch), SQLite would store it; checking
    first makes both behave the same, and lets the caller hold that one occurrence.
    """
    from .tables import publication

    for name, hint in _KEY_HINTS.items():
        limit = getattr(publication.c[name].type, "length", None)
        if limit is not None and len(str(unit[name])) > limit:
            return name, hint, limit
    return None


class Unit(NamedTuple):
    """What the ledger holds for one unit key (see :meth:`Ledger.existing_units`)."""

    state: str
    frame_total: int
    ref: str
    source: str
    kind: str = ""


UnitKey = tuple[str, str, str, str, int]
"""(entry, occurrence, channel, language, frame): the unique key of a publication row."""


@dataclass(frozen=True)
class RowQuery:
    """Which publication rows :meth:`Ledger.find` returns: every field that is set narrows it.

    ``due_from`` and ``due_to`` are both inclusive; ``checked_before`` keeps rows never checked
    by reconcile or last checked before that time. ``order`` is by due time (then id) or by id.
    """

    ids: Sequence[int] | None = None
    states: Sequence[str] | None = None
    ref: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    checked_before: datetime | None = None
    order: Literal["due", "id"] = "due"
    limit: int | None = None


@dataclass(frozen=True)
class PostRef:
    """What a remote post id stands for in the ledger."""

    publication_id: int | None
    kind: str
    ref: str
    lang: str
    frame: int
    frame_total: int
    channel: str


@dataclass
class HistoryItem:
    """One line of ``storycast history``: an attempt or an operator/engine event."""

    at_utc: datetime
    publication_id: int | None
    what: str
    detail: str
    ref: str = ""
    channel: str = ""
    lang: str = ""
    frame: int | None = None

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["at_utc"] = self.at_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        return d


def newest_history(attempts: Iterable[Any], events: Iterable[Any], limit: int) -> list[HistoryItem]:
    """The ``limit`` newest of attempts (with their row's ref, channel, lang and frame) and
    events, newest first; both readers of the ledger build history here."""
    items: list[HistoryItem] = []
    for m in attempts:
        bits = [f"attempt {m['attempt_no']}", f"by {m['actor']}"]
        for k in ("request_id", "remote_id"):
            if m[k]:
                bits.append(f"{k}={m[k]}")
        if m["forced"]:
            bits.append("forced past lint")
        if m["detail"]:
            bits.append(str(m["detail"]))
        items.append(
            HistoryItem(
                aware(m["finished_utc"] or m["started_utc"]),  # type: ignore[arg-type]
                m["publication_id"],
                m["outcome"],
                "; ".join(bits),
                m["ref"],
                m["channel"],
                m["lang"],
                m["frame"],
            )
        )
    for m in events:
        items.append(HistoryItem(aware(m["at_utc"]), m["publication_id"], m["action"], m["detail"]))  # type: ignore[arg-type]
    items.sort(key=lambda i: i.at_utc, reverse=True)
    return items[:limit]


def delivery_counts_of(delivery_rows: Iterable[Any]) -> dict[int, dict[str, int]]:
    """Per publication row, how its subscribers' messages ended (see ``Ledger.delivery_counts``),
    from the ``delivery`` table's rows, oldest message first."""
    out: dict[int, dict[str, int]] = {}
    newest: dict[tuple[int, str], Any] = {}
    for r in delivery_rows:
        if r["publication_id"] is None:
            continue
        newest[(r["publication_id"], r["subscriber"] or r["message_id"])] = r
    for (pid, _), r in newest.items():
        counts = out.setdefault(
            pid,
            dict.fromkeys(
                ("messages", "delivered", "read", "failed", "resend", "deferred", "undeliverable"), 0
            ),
        )
        counts["messages"] += 1
        if r["status"] in ("delivered", "read"):
            counts["delivered"] += 1
        if r["status"] == "read":
            counts["read"] += 1
        if r["status"] == "failed":
            counts["failed"] += 1
            if r["outcome"] in counts:
                counts[r["outcome"]] += 1
    return out


def delivery_line_of(row: Any, counts: Mapping[int, Mapping[str, int]]) -> dict[str, Any]:
    """One entry of ``Ledger.delivery_report``: a publication row's place and its delivery counts."""
    return {
        "id": row["id"],
        "channel": row["channel"],
        "kind": row["kind"],
        "ref": row["ref"],
        "lang": row["lang"],
        "frame": row["frame"],
        "due_utc": aware(row["due_utc"]),
        **counts[row["id"]],
    }
