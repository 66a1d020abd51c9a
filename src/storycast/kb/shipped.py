"""What shipped: the ledger's facts the knowledge base shows on each article.

For every story and language: the channels it was published on and the days (the published
rows), its reach (the first frame's viewers, as the report counts them), the "Was this
helpful?" answers, and the sha256 of each frame as last published, so the site can mark an
article whose frames changed since. Q&A sessions: the questions received (customer replies to
the session's announcements) and the answers given (the agent's next message in that thread).

The ledger is read once per build; a project without a ledger database yet gets empty facts (the
build never creates one).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.frames import STORY_KINDS  # a story's frames, or its video parts

if TYPE_CHECKING:
    from ..project import Project


@dataclass
class Channel:
    """One channel a story went out on in one language."""

    name: str
    days: list[date] = field(default_factory=list)  # distinct, oldest first


@dataclass
class Shipped:
    """One story in one language, as the ledger saw it go out."""

    channels: list[Channel] = field(default_factory=list)
    reach: int | None = None
    last_published: datetime | None = None
    frames: dict[int, str] = field(default_factory=dict)  # frame number -> sha256 last published

    @property
    def published(self) -> bool:
        return bool(self.channels)


@dataclass
class Votes:
    """One story's helpful answers (every language)."""

    helpful: int = 0
    not_helpful: int = 0

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def csat(self) -> float | None:
        """Share of yes answers, 0..100."""
        return 100.0 * self.helpful / self.total if self.total else None


@dataclass
class QaItem:
    """One question of a Q&A session and the answer it got."""

    question: str
    answer: str | None
    asked: datetime
    channel: str


@dataclass
class Session:
    """One Q&A session that took place: its event, start and the questions it received."""

    event: str
    start: datetime
    lang: str
    items: list[QaItem] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """Folder name of the recap page: ``<event>-<yyyymmdd>``."""
        return f"{self.event}-{self.start:%Y%m%d}"


@dataclass
class Facts:
    """Everything the ledger says, by (story, language) and story."""

    shipped: dict[tuple[str, str], Shipped] = field(default_factory=dict)
    votes: dict[str, Votes] = field(default_factory=dict)
    sessions: list[Session] = field(default_factory=list)

    def of(self, story: str, lang: str) -> Shipped:
        return self.shipped.get((story, lang)) or Shipped()


# A Q&A post's ref: weekly-qa@20261203T1200Z.recap~Asia.Bangkok (engage/qa.py writes them; kb
# and engage are siblings, so the pattern is repeated here rather than imported).
_QA_REF = re.compile(
    r"^(?P<event>[a-z0-9][a-z0-9-]*)@(?P<stamp>\d{8}T\d{4})Z\.(?P<phase>[^~]+)(?:~[A-Za-z0-9_.+-]+)?$"
)


@dataclass
class _QaRef:
    event: str
    session: datetime | None
    phase: str


def parse_ref(ref: str) -> _QaRef:
    """The event, session start (UTC) and phase of a Q&A post's ref."""
    m = _QA_REF.match(ref)
    if m is None:
        return _QaRef(ref, None, "")
    start = datetime.strptime(m.group("stamp"), "%Y%m%dT%H%M").replace(tzinfo=UTC)
    return _QaRef(m.group("event"), start, m.group("phase"))


def read_facts(project: Project) -> Facts:
    """The facts from the project's ledger (empty when there is no ledger yet)."""
    url = project.db_url
    # A SQLite file that is not there: no ledger, and no need to load SQLAlchemy to say so.
    if url.startswith("sqlite:///") and "?" not in url and not Path(url[len("sqlite:///") :]).exists():
        return Facts()
    from ..ledger import database_exists, open_ledger

    if not database_exists(url):
        return Facts()
    led = open_ledger(project)
    try:
        pubs = led.publication_rows()
        insights = led.insight_rows()
        votes = led.article_vote_rows()
        replies = led.reply_rows()
    finally:
        led.close()
    facts = facts_from(pubs, insights, votes, replies)
    cover = redactor(project)
    for session in facts.sessions:
        for item in session.items:
            item.question = cover(item.question)
            item.answer = cover(item.answer) if item.answer else item.answer
    return facts


def facts_from(
    pubs: Sequence[Mapping[str, Any]],
    insights: Sequence[Mapping[str, Any]],
    votes: Sequence[Mapping[str, Any]],
    replies: Sequence[Mapping[str, Any]],
) -> Facts:
    """:class:`Facts` from ledger rows (pure; the tests feed it rows)."""
    from ..ledger.engagement import post_views

    reach = post_views(insights)
    facts = Facts()
    days: dict[tuple[str, str], dict[str, set[date]]] = defaultdict(lambda: defaultdict(set))
    latest: dict[tuple[str, str], tuple[datetime, str]] = {}  # (story, lang) -> newest post, its occurrence
    for p in pubs:
        if (
            p["kind"] not in STORY_KINDS
            or p["state"] not in ("published", "handed_off")
            or not p["published_utc"]
        ):
            continue
        key = (p["ref"], p["lang"])
        ship = facts.shipped.setdefault(key, Shipped())
        at: datetime = p["published_utc"]
        days[key][p["channel"]].add(at.date())
        if ship.last_published is None or at > ship.last_published:
            ship.last_published = at
        # The frames' hashes compare with the render manifest; a video part's do not.
        if p["kind"] == "story" and (key not in latest or at > latest[key][0]):
            latest[key] = (at, p["occurrence_key"] + "\0" + p["channel"])
        if p["frame"] == 1 and p["remote_id"] and (p["channel"], p["remote_id"]) in reach:
            ship.reach = (ship.reach or 0) + reach[(p["channel"], p["remote_id"])]
    for p in pubs:  # the frames of the newest post of each story and language
        key = (p["ref"], p["lang"])
        if (
            p["kind"] == "story"
            and p["state"] in ("published", "handed_off")
            and key in latest
            and p["occurrence_key"] + "\0" + p["channel"] == latest[key][1]
            and p["frame_sha256"]
        ):
            facts.shipped[key].frames[int(p["frame"])] = p["frame_sha256"]
    for key, by_channel in days.items():
        facts.shipped[key].channels = [Channel(ch, sorted(ds)) for ch, ds in sorted(by_channel.items())]
    for v in votes:
        tally = facts.votes.setdefault(v["ref"], Votes())
        if v["helpful"]:
            tally.helpful += int(v.get("count", 1))
        else:
            tally.not_helpful += int(v.get("count", 1))
    facts.sessions = _sessions(pubs, replies)
    return facts


def _sessions(pubs: Sequence[Mapping[str, Any]], replies: Sequence[Mapping[str, Any]]) -> list[Session]:
    """Q&A sessions whose recap was published, with the questions their posts received."""
    recapped: dict[tuple[str, datetime, str], Session] = {}
    for p in pubs:
        if p["kind"] != "qa" or p["state"] != "published":
            continue
        ref = parse_ref(p["ref"])
        if ref.session is None or not ref.phase.startswith("recap"):
            continue
        key = (ref.event, ref.session, p["lang"])
        recapped.setdefault(key, Session(ref.event, ref.session, p["lang"]))
    if not recapped:
        return []
    ordered = sorted(replies, key=lambda r: (r["at_utc"], r["id"]))
    for i, r in enumerate(ordered):
        if r["kind"] == "agent" or not r.get("ref") or "@" not in r["ref"]:
            continue
        ref = parse_ref(r["ref"])
        session = recapped.get((ref.event, ref.session, r["lang"])) if ref.session else None
        if session is None:
            continue
        # The answer: the agent's next message in the same thread, before the customer writes again.
        answer = None
        for later in ordered[i + 1 :]:
            if (later["channel"], later["thread"]) != (r["channel"], r["thread"]):
                continue
            if later["kind"] == "agent":
                answer = later["text"]
            break
        session.items.append(QaItem(r["text"], answer, r["at_utc"], r["channel"]))
    return sorted(recapped.values(), key=lambda s: (s.start, s.event, s.lang))


def redactor(project: Project) -> Any:
    """A function that covers personal data in a customer's text (``[guard]`` settings) with "…".

    Questions are published on a public site: phone numbers, e-mail addresses, ids and account
    numbers in them are replaced before they are written."""
    from ..config.guard import id_formats, phone_regions
    from ..guard import pii

    g = project.config.guard
    kw: dict[str, Any] = {
        "regions": phone_regions(g, project.languages),
        "id_formats": id_formats(g, project.languages),
        "account_formats": list(g.account_numbers),
        "order_patterns": [re.compile(p) for p in g.order_patterns],
        "allow": [re.compile(p) for p in g.allow],
    }

    def cover(text: str) -> str:
        hits = sorted(pii.scan(text, **kw), key=lambda h: h.start, reverse=True)
        for hit in hits:
            text = text[: hit.start] + "[…]" + text[hit.end :]
        return text

    return cover


def visit_summary(project: Project) -> dict[str, Any]:
    """Every visit counter and each story's helpful answers, as plain JSON data (``kb visits``)."""
    from ..ledger import database_exists, open_ledger

    if not database_exists(project.db_url):
        return {"visits": [], "helpful": {}}
    led = open_ledger(project)
    try:
        visits = led.visit_rows()
        votes = led.article_vote_rows()
    finally:
        led.close()
    helpful: dict[str, dict[str, int]] = {}
    for v in votes:
        tally = helpful.setdefault(v["ref"], {"yes": 0, "no": 0})
        tally["yes" if v["helpful"] else "no"] += int(v.get("count", 1))
    return {
        "visits": [
            {
                "day": r["day"].isoformat(),
                "story": r["ref"],
                "lang": r["lang"],
                "channel": r["channel"],
                "count": r["count"],
            }
            for r in visits
        ],
        "helpful": dict(sorted(helpful.items())),
    }
