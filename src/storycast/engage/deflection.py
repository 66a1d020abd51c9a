"""Deflection: did a tutorial send people to its article instead of into a conversation?

For each story, over the days after each time it went out (``[kb] deflection_days``, 7 by
default), this relates three counts the ledger holds:

- **views**: people who saw the story's first frame, per published post (the best insight of
  the post: a webhook's over a pull's; local-feed views counted one per viewer), like the report;
- **visits**: opens of the story's article through its short link (``kb_visit`` day counters,
  by language and by the channel the link named; links on frames name none);
- **conversations** opened on the story's topic: a customer thread that replies to one of the
  story's posts, or whose messages carry one of the story's tags as a hashtag (``#wifi``).

A conversation is one customer's thread on one channel; it opens with the customer's first
message, and again after the thread was quiet for a day (or the caller passes its own
conversations, such as the report's, which open after a resolution). A visit counts in a window
when its day is on or after the day the story went out and before the window's end; windows of
posts that overlap are merged, so a weekly story's visits count once.

Figures: ``visit_rate`` (visits per 100 views), ``conversations_per_1000`` (per 1,000 views) and
``self_service`` (visits / (visits + conversations), in %: of the people who needed more than
the story, the share who read the article rather than ask). None when a figure has no
denominator. Everything is computed from rows; nothing is stored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ..engine.frames import STORY_KINDS  # a story's frames, or its video parts
from ..ledger.engagement import post_views

QUIET = timedelta(hours=24)  # a thread silent this long opens a new conversation
_HASHTAG = re.compile(r"#([\w-]+)")


class Opened(Protocol):
    """A conversation as the caller counts them (the report's have these attributes)."""

    channel: str
    thread: str
    opened: datetime
    ref: str


@dataclass
class Counts:
    """Views, visits and conversations of one story on one channel or in one language."""

    views: int = 0
    visits: int = 0
    conversations: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"views": self.views, "visits": self.visits, "conversations": self.conversations}


def _rate(n: int, d: int, per: int) -> float | None:
    return round(per * n / d, 1) if d else None


@dataclass
class StoryDeflection:
    """One story's deflection over the windows after its posts."""

    ref: str
    title: str
    posted: list[date] = field(default_factory=list)  # days a window starts (merged)
    views: int = 0
    visits: int = 0
    conversations: int = 0
    helpful: int = 0
    not_helpful: int = 0
    by_channel: dict[str, Counts] = field(default_factory=dict)  # "" : links that named no channel
    by_lang: dict[str, Counts] = field(default_factory=dict)

    @property
    def visit_rate(self) -> float | None:
        """Article visits per 100 views."""
        return _rate(self.visits, self.views, 100)

    @property
    def conversations_per_1000(self) -> float | None:
        """Conversations on the topic per 1,000 views."""
        return _rate(self.conversations, self.views, 1000)

    @property
    def self_service(self) -> float | None:
        """Visits as a share of visits and conversations, in %."""
        return _rate(self.visits, self.visits + self.conversations, 100)

    @property
    def helpful_share(self) -> float | None:
        """Share of "Was this helpful?" answers that said yes, in %."""
        return _rate(self.helpful, self.helpful + self.not_helpful, 100)

    def to_json(self) -> dict[str, Any]:
        return {
            "story": self.ref,
            "title": self.title,
            "posted": [d.isoformat() for d in self.posted],
            "views": self.views,
            "visits": self.visits,
            "conversations": self.conversations,
            "visit_rate": self.visit_rate,
            "conversations_per_1000": self.conversations_per_1000,
            "self_service": self.self_service,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "helpful_share": self.helpful_share,
            "by_channel": {k: v.to_json() for k, v in sorted(self.by_channel.items())},
            "by_lang": {k: v.to_json() for k, v in sorted(self.by_lang.items())},
        }


@dataclass
class Deflection:
    """Every story's deflection, and the totals."""

    days: int
    stories: list[StoryDeflection] = field(default_factory=list)
    unmatched_visits: int = 0  # visits outside every window (old links, bookmarks)

    @property
    def views(self) -> int:
        return sum(s.views for s in self.stories)

    @property
    def visits(self) -> int:
        return sum(s.visits for s in self.stories)

    @property
    def conversations(self) -> int:
        return sum(s.conversations for s in self.stories)

    def to_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "views": self.views,
            "visits": self.visits,
            "conversations": self.conversations,
            "visit_rate": _rate(self.visits, self.views, 100),
            "conversations_per_1000": _rate(self.conversations, self.views, 1000),
            "self_service": _rate(self.visits, self.visits + self.conversations, 100),
            "unmatched_visits": self.unmatched_visits,
            "stories": [s.to_json() for s in self.stories],
        }


# --- the pieces ---------------------------------------------------------------------------------


def _windows(starts: Iterable[datetime], days: int) -> list[tuple[datetime, datetime]]:
    """Merged [start, start + days) intervals."""
    span = timedelta(days=days)
    merged: list[tuple[datetime, datetime]] = []
    for s in sorted(starts):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], s + span))
        else:
            merged.append((s, s + span))
    return merged


def _in_day_windows(day: date, windows: Sequence[tuple[datetime, datetime]]) -> bool:
    # Visits are day counters: a day counts when it starts on or after the post's day and
    # before the window's end.
    return any(a.date() <= day < b.date() for a, b in windows)


@dataclass
class _Conv:
    channel: str
    thread: str
    opened: datetime
    ref: str
    lang: str
    tags: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)


def open_conversations(replies: Sequence[Mapping[str, Any]], quiet: timedelta = QUIET) -> list[_Conv]:
    """Conversations from reply rows: a customer's message opens one when the thread is new or
    was quiet for ``quiet``; every message until the next opening belongs to it."""
    out: list[_Conv] = []
    current: dict[tuple[str, str], _Conv] = {}
    last: dict[tuple[str, str], datetime] = {}
    for r in sorted(replies, key=lambda r: (r["at_utc"], r["id"])):
        key = (r["channel"], r["thread"])
        at = r["at_utc"]
        conv = current.get(key)
        if r["kind"] != "agent" and (conv is None or at - last[key] >= quiet):
            conv = current[key] = _Conv(
                r["channel"], r["thread"], at, r.get("ref") or "", r.get("lang") or ""
            )
            out.append(conv)
        last[key] = at
        if conv is None:
            continue  # an agent's message before any customer message
        _absorb(conv, r)
    return out


def _absorb(conv: _Conv, r: Mapping[str, Any]) -> None:
    if r.get("ref"):
        conv.refs.add(r["ref"])
        if not conv.ref:
            conv.ref, conv.lang = r["ref"], r.get("lang") or ""
    conv.tags.update(t.casefold() for t in _HASHTAG.findall(r.get("text") or ""))


def _given(conversations: Sequence[Opened], replies: Sequence[Mapping[str, Any]]) -> list[_Conv]:
    """The caller's conversations, with the refs and hashtags of their messages."""
    starts: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    convs: list[_Conv] = []
    for c in conversations:
        conv = _Conv(c.channel, c.thread, c.opened, c.ref or "", getattr(c, "lang", "") or "")
        if conv.ref:
            conv.refs.add(conv.ref)
        convs.append(conv)
        starts[(c.channel, c.thread)].append(c.opened)
    by_key: dict[tuple[str, str], list[_Conv]] = defaultdict(list)
    for conv in sorted(convs, key=lambda c: c.opened):
        by_key[(conv.channel, conv.thread)].append(conv)
    for r in replies:
        mine = [c for c in by_key.get((r["channel"], r["thread"]), []) if c.opened <= r["at_utc"]]
        if mine:
            _absorb(mine[-1], r)
    return convs


# --- the computation ------------------------------------------------------------------------------


def deflection(
    stories: Mapping[str, tuple[str, Sequence[str]]],
    publications: Sequence[Mapping[str, Any]],
    insights: Sequence[Mapping[str, Any]],
    visits: Sequence[Mapping[str, Any]],
    replies: Sequence[Mapping[str, Any]],
    *,
    days: int = 7,
    article_votes: Sequence[Mapping[str, Any]] = (),
    conversations: Sequence[Opened] | None = None,
) -> Deflection:
    """Relate views, article visits and on-topic conversations per story.

    ``stories``: story id -> (title, tags). The rows are the ledger's (``publication_rows``,
    ``insight_rows``, ``visit_rows``, ``reply_rows``, ``article_vote_rows``); ``conversations``
    replaces the default opening rule (see the module docstring)."""
    views_of = post_views(insights)
    starts: dict[str, dict[str, datetime]] = defaultdict(dict)  # ref -> occurrence -> first post
    lines: dict[str, StoryDeflection] = {}
    for p in publications:
        if p["kind"] not in STORY_KINDS or p["state"] != "published" or p["ref"] not in stories:
            continue
        ref = p["ref"]
        line = lines.get(ref)
        if line is None:
            line = lines[ref] = StoryDeflection(ref, stories[ref][0])
        at = p["published_utc"] or p["due_utc"]
        occ = starts[ref]
        if p["occurrence_key"] not in occ or at < occ[p["occurrence_key"]]:
            occ[p["occurrence_key"]] = at
        if p["frame"] == 1 and p["remote_id"]:
            n = views_of.get((p["channel"], p["remote_id"]), 0)
            line.views += n
            line.by_channel.setdefault(p["channel"], Counts()).views += n
            line.by_lang.setdefault(p["lang"], Counts()).views += n
    windows = {ref: _windows(occ.values(), days) for ref, occ in starts.items()}
    for line in lines.values():
        line.posted = [a.date() for a, _ in windows[line.ref]]

    report = Deflection(days=days)
    for v in visits:
        line = lines.get(v["ref"])
        if line is None or not _in_day_windows(v["day"], windows[v["ref"]]):
            report.unmatched_visits += int(v["count"])
            continue
        n = int(v["count"])
        line.visits += n
        line.by_channel.setdefault(v["channel"], Counts()).visits += n
        line.by_lang.setdefault(v["lang"], Counts()).visits += n

    convs = _given(conversations, replies) if conversations is not None else open_conversations(replies)
    tags = {ref: {t.casefold() for t in stories[ref][1]} for ref in lines}
    for conv in convs:
        for ref, line in lines.items():
            on_topic = ref in conv.refs or bool(conv.tags & tags[ref])
            if not on_topic or not any(a <= conv.opened < b for a, b in windows[ref]):
                continue
            line.conversations += 1
            line.by_channel.setdefault(conv.channel, Counts()).conversations += 1
            if conv.lang:
                line.by_lang.setdefault(conv.lang, Counts()).conversations += 1

    for vote in article_votes:
        line = lines.get(vote["ref"])
        if line is not None:
            if vote["helpful"]:
                line.helpful += int(vote.get("count", 1))
            else:
                line.not_helpful += int(vote.get("count", 1))
    report.stories = sorted(lines.values(), key=lambda s: (-s.views, s.ref))
    return report


def compute(
    project: Any,
    *,
    ledger: Any = None,
    since: datetime | None = None,
    days: int | None = None,
    conversations: Sequence[Opened] | None = None,
) -> Deflection:
    """:func:`deflection` over the project's ledger (posts due on or after ``since``)."""
    from ..ledger import open_ledger

    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        pubs = [p for p in led.publication_rows() if since is None or p["due_utc"] >= since]
        insights = led.insight_rows()
        visits = led.visit_rows()
        replies = led.reply_rows()
        votes = led.article_vote_rows()
    finally:
        if own:
            led.close()
    lang = project.config.project.default_language
    stories = {
        sid: (s.title.get(lang) or next(iter(s.title.values()), sid), list(s.tags))
        for sid, s in project.content.stories.items()
    }
    return deflection(
        stories,
        pubs,
        insights,
        visits,
        replies,
        days=days or project.config.kb.deflection_days,
        article_votes=votes,
        conversations=conversations,
    )
