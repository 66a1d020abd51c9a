"""Quick polls: the content kind (``kind: poll``), the entry kind (``poll:``), votes and tallies.

A poll file::

    kind: poll
    id: csat-weekly
    languages: [en, es]
    question: {en: How happy are you with our support?, es: ¿Qué tan satisfecho estás?}
    scale: "1-5"            # a satisfaction poll (or "emoji"); or give options: [{en: .., es: ..}, ..]
    open_for: 24h           # voting closes this long after the poll goes out (or closes: "2026-12-10T18:00")
    vote_url: https://lumen.example/vote/csat-weekly   # optional: a QR code on the frame

Votes come from every source and land in the ledger's ``votes`` table: local-feed votes
(:func:`record_vote`), replies such as "2" (:func:`parse_reply_vote`), and channel totals
(Telegram ``stopPoll``/``poll`` updates, Discord ``message.poll.results``:
:func:`record_channel_totals`). :func:`tally` adds them up per option and per channel.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..content.models import LocalizedText, LocalizedTitle
from ..errors import ContentError
from ..timetable.kinds import EntryKind
from ..timetable.zones import parse_duration
from .texts import EMOJI, scale_labels

if TYPE_CHECKING:
    from ..channels.base import PollSpec
    from ..ledger import Ledger
    from ..project import Project

KIND = "poll"
MIN_OPTIONS, MAX_OPTIONS = 2, 12
Localized = dict[str, str]


class Poll(BaseModel):
    """A question with 2 to 12 options, or a satisfaction scale, and a closing time."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["poll"] = "poll"
    languages: list[str] = Field(min_length=1, max_length=50)
    question: LocalizedTitle
    # A line under the question where the platform shows one (Telegram's poll description).
    description: LocalizedText = Field(default_factory=dict)
    options: list[LocalizedTitle] = Field(default_factory=list)
    scale: Literal["1-5", "emoji"] | None = None
    open_for: str = "24h"
    closes: datetime | None = None  # local wall-clock time in the project's zone; wins over open_for
    vote_url: str | None = Field(None, max_length=2000)
    allows_multiple: bool = False

    source: Path | None = Field(None, exclude=True)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", v):
            raise ValueError(
                f"{v!r} is not a valid id: use lower-case letters, digits and '-' (like csat-weekly)"
            )
        return v

    @field_validator("open_for")
    @classmethod
    def _open_for(cls, v: str) -> str:
        if parse_duration(v) < timedelta(minutes=5):
            raise ValueError(
                "open_for: must be at least 5m (Telegram's shortest open period is 5 s, but people need time)"
            )
        return v

    @model_validator(mode="after")
    def _options(self) -> Poll:
        if self.scale is None:
            n = len(self.options)
            if not MIN_OPTIONS <= n <= MAX_OPTIONS:
                raise ValueError(f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options, this one has {n}")
            for i, opt in enumerate(self.options, start=1):
                missing = [lang for lang in self.languages if not opt.get(lang)]
                if missing:
                    raise ValueError(f"option {i} has no text for {', '.join(missing)}")
        elif self.options:
            raise ValueError("give either scale: or options:, not both")
        missing = [lang for lang in self.languages if not self.question.get(lang)]
        if missing:
            raise ValueError(f"question: has no text for {', '.join(missing)}")
        return self

    @property
    def is_satisfaction(self) -> bool:
        """A satisfaction poll (its options are scores 1..5) yields CSAT."""
        return self.scale is not None

    def option_count(self) -> int:
        return 5 if self.scale else len(self.options)

    def option_texts(self, lang: str, *, emoji: bool = False) -> list[str]:
        """The options in ``lang``.

        ``emoji`` is for surfaces that show options without numbers (native polls): the emoji
        scale becomes emoji, the 1-5 scale ``5 · Very happy``. Frames number options themselves.
        """
        if self.scale == "emoji" and emoji:
            return list(EMOJI)
        if self.scale:
            words = scale_labels("1-5", lang)
            return [f"{i} · {w}" for i, w in enumerate(words, start=1)] if emoji else words
        return [o.get(lang) or o.get("en") or next(iter(o.values())) for o in self.options]

    def closes_at(self, published: datetime, tz: str) -> datetime:
        """When voting ends for a run published at ``published`` (aware)."""
        if self.closes is not None:
            from zoneinfo import ZoneInfo

            return self.closes.replace(tzinfo=ZoneInfo(tz))
        return published + parse_duration(self.open_for)

    def spec(self, lang: str, published: datetime, tz: str) -> PollSpec:
        """The channel-facing poll (question, options, closing time) in ``lang``."""
        from ..channels.base import PollSpec

        return PollSpec(
            question=self.question.get(lang) or self.question.get("en", ""),
            options=tuple(self.option_texts(lang, emoji=True)),
            closes_at=self.closes_at(published, tz),
            allows_multiple=self.allows_multiple,
            poll_id=self.id,
            description=self.description.get(lang, ""),
        )


def load_poll(data: Any, file: Path, project: Project) -> Poll:
    """Content loader for ``kind: poll`` files."""
    from ..content.validate import unknown_languages, validate

    poll = validate(Poll, data, file, "poll")
    poll.source = file
    problems = unknown_languages(data, poll.languages, project.languages, file)
    if problems:
        raise ContentError(f"{file} has {len(problems)} problem(s):", problems=problems, file=file)
    return poll


def polls(project: Project) -> Mapping[str, Poll]:
    """Every poll of the project, by id."""
    return project.content.extras.get(KIND, {})


def get_poll(project: Project, poll_id: str) -> Poll:
    """One poll, or ContentError naming the known ones."""
    found = polls(project).get(poll_id)
    if found is None:
        known = ", ".join(sorted(polls(project))) or "none yet"
        raise ContentError(f"no poll with id {poll_id!r}", hint=f"known polls: {known}")
    return found


class PollKind(EntryKind):
    """``poll: ID``: publish a poll (one frame, natively where the channel can) once per firing."""

    name = KIND

    def refs(self, project: Project) -> Mapping[str, Sequence[str]]:
        return {pid: tuple(p.languages) for pid, p in polls(project).items()}

    def label(self, ref: str, project: Project) -> str:
        poll = polls(project).get(ref)
        return (poll.question.get("en") or ref) if poll else ref


# --- votes ------------------------------------------------------------------------------------


def _voter_key(voter: str) -> str:
    # Voter ids (phone numbers, user ids) are personal data: the ledger keeps a hash.
    return hashlib.sha256(voter.encode("utf-8")).hexdigest()[:32]


def record_vote(
    project: Project,
    poll_id: str,
    option: int,
    source: str = "local",
    voter: str = "",
    *,
    now: datetime,
    channel: str = "",
    lang: str = "",
    ledger: Ledger | None = None,
) -> bool:
    """Count one vote (``option`` is 1-based); a voter who votes again moves their vote.

    This is what the local feed's vote endpoint calls. Returns True for a new voter, False when
    an earlier vote of the same voter was changed. Raises ContentError for an unknown poll or an
    option out of range.
    """
    from ..ledger import open_ledger

    poll = get_poll(project, poll_id)
    n = poll.option_count()
    if not 1 <= option <= n:
        raise ContentError(
            f"poll {poll_id!r} has options 1 to {n}; {option} is not one of them",
            hint="send the number of one of the poll's options",
        )
    if not voter:
        raise ContentError("a vote needs a voter id", hint="pass the session or user id of the voter")
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        return led.put_vote(
            poll_id=poll_id,
            option=option,
            source=source,
            voter=_voter_key(voter),
            now=now,
            channel=channel or source,
            lang=lang,
        )
    finally:
        if own:
            led.close()


_DIGITS = {ord(c): str(unicodedata.digit(c)) for c in "๐๑๒๓๔๕๖๗๘๙०१२३४५६७८९"}


def parse_reply_vote(text: str, options: int) -> int | None:
    """The option a reply like "2", "#2", "２" or "๒" picks, or None when it is not a vote.

    Thai and Devanagari digits count too (customers answer in their own script). A reply that
    is more than a number ("2 routers are broken") is a message, not a vote.
    """
    cleaned = unicodedata.normalize("NFKC", text).translate(_DIGITS).strip().strip("#.!)( ")
    if not cleaned.isdigit():
        return None
    value = int(cleaned)
    return value if 1 <= value <= options else None


def record_channel_totals(
    project: Project,
    poll_id: str,
    channel: str,
    source: str,
    counts: Mapping[int, int],
    *,
    now: datetime,
    ledger: Ledger | None = None,
) -> None:
    """Store a channel's latest per-option totals (1-based options) for a poll."""
    from ..ledger import open_ledger

    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        led.replace_poll_totals(poll_id=poll_id, source=source, channel=channel, counts=counts, now=now)
    finally:
        if own:
            led.close()


# --- tallies ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """A poll's results from every source."""

    poll_id: str
    question: str
    options: list[str]
    counts: list[int]
    by_channel: dict[str, list[int]] = field(default_factory=dict)
    satisfaction: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def csat(self) -> float | None:
        """Share of satisfied answers (4 or 5 on the 1-5 scale), 0..100; None without answers."""
        if not self.satisfaction or not self.total:
            return None
        return 100.0 * (self.counts[3] + self.counts[4]) / self.total

    @property
    def mean(self) -> float | None:
        """Average score for satisfaction polls."""
        if not self.satisfaction or not self.total:
            return None
        return sum((i + 1) * c for i, c in enumerate(self.counts)) / self.total

    def to_json(self) -> dict[str, Any]:
        return {
            "poll": self.poll_id,
            "question": self.question,
            "options": [
                {"option": i + 1, "text": t, "votes": c}
                for i, (t, c) in enumerate(zip(self.options, self.counts, strict=True))
            ],
            "total": self.total,
            "by_channel": {ch: {"votes": cs, "total": sum(cs)} for ch, cs in sorted(self.by_channel.items())},
            "csat": None if self.csat is None else round(self.csat, 1),
            "mean": None if self.mean is None else round(self.mean, 2),
        }


def tally_rows(poll: Poll, rows: Sequence[Mapping[str, Any]], lang: str = "en") -> Tally:
    """Add up vote rows (from :meth:`storycast.ledger.Ledger.vote_rows`) for one poll."""
    n = poll.option_count()
    out = Tally(
        poll.id,
        poll.question.get(lang) or poll.question.get("en", poll.id),
        poll.option_texts(lang),
        [0] * n,
        satisfaction=poll.is_satisfaction,
    )
    for r in rows:
        opt = int(r["option"])
        if not 1 <= opt <= n:
            continue  # a poll edited to fewer options keeps old votes out of range
        count = int(r["count"])
        out.counts[opt - 1] += count
        # Channel totals are stored per post ("tg:4711"); the tally groups them by channel name.
        ch = (r["channel"] or r["source"]).split(":")[0]
        out.by_channel.setdefault(ch, [0] * n)[opt - 1] += count
    return out


def tally(project: Project, poll_id: str, *, ledger: Ledger | None = None, lang: str = "en") -> Tally:
    """The results of one poll from every source stored in the ledger."""
    from ..ledger import open_ledger

    poll = get_poll(project, poll_id)
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        return tally_rows(poll, led.vote_rows(poll_id), lang)
    finally:
        if own:
            led.close()


def bar_chart(t: Tally, out: Path) -> Path:
    """A horizontal bar chart PNG of a tally, stacked by channel."""
    from .charts import poll_bars

    return poll_bars(t, out)
