"""The numbers behind ``storycast report``: per tutorial and language, from the ledger.

- **reach**: viewers of the first frame (Instagram ``reach`` pulled before expiry, the final
  ``story_insights`` webhook numbers when they came, local-feed viewers), summed over channels;
- **completion**: viewers of the last frame as a share of the first frame's;
- **drop-off**: the step transition that loses the most viewers (``2→3``);
- **replies**, **first response** (median wait until the agent's visible answer);
- **published / failed / handed off**: posts (rows) by outcome;
- per message-list post (WhatsApp): subscribers delivered, read and failed, from the platform's
  delivery statuses (an accepted send is not counted as delivered);
- per poll: the tally and, for satisfaction polls, CSAT by ISO week;
- outcomes (:mod:`.outcomes`): conversations, median and p90 time to first response and to
  resolution per channel, language and tutorial, and how many are still open;
- what works (:mod:`.variants`): completion, drop-off and CSAT per schedule variant, weekday and
  hour, per language, and the best slot per channel once there is enough data;
- deflection (:mod:`.deflection`): per story, views, article visits and the conversations
  opened on its topic in the days after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..engine.frames import STORY_KINDS
from ..ledger.states import State
from .outcomes import Conversation, OutcomeLine, conversations, outcome_lines
from .polls import Tally, parse_reply_vote, polls, tally_rows
from .replies import first_response_times
from .variants import Figures, Suggestion, attribute_answers, best_slots, compare, posts_of

if TYPE_CHECKING:
    from ..config import OutcomesSection
    from ..ledger import Ledger
    from ..project import Project


@dataclass
class StoryLine:
    """One tutorial in one language."""

    ref: str
    lang: str
    title: str
    frames: int
    reach_by_frame: list[int]
    replies: int = 0
    first_response: timedelta | None = None
    published: int = 0
    failed: int = 0
    handed_off: int = 0

    @property
    def reach(self) -> int:
        return self.reach_by_frame[0] if self.reach_by_frame else 0

    @property
    def completion(self) -> float | None:
        """Share (0..100) of first-frame viewers who reached the last frame."""
        if not self.reach or len(self.reach_by_frame) < 2:
            return None
        return 100.0 * self.reach_by_frame[-1] / self.reach

    @property
    def drop_off(self) -> int | None:
        """0-based index i of the transition i -> i+1 that loses the most viewers (None: no loss)."""
        losses = [a - b for a, b in zip(self.reach_by_frame, self.reach_by_frame[1:], strict=False)]
        if not losses or max(losses) <= 0:
            return None
        return losses.index(max(losses))

    def drop_off_label(self) -> str:
        i = self.drop_off
        if i is None:
            return "–"
        lost = self.reach_by_frame[i] - self.reach_by_frame[i + 1]
        share = 100 * lost / self.reach_by_frame[i] if self.reach_by_frame[i] else 0
        return f"{_frame_name(i, self.frames)}→{_frame_name(i + 1, self.frames)} (−{share:.0f}%)"

    def to_json(self) -> dict[str, Any]:
        return {
            "story": self.ref,
            "lang": self.lang,
            "title": self.title,
            "reach": self.reach,
            "reach_by_frame": self.reach_by_frame,
            "completion": None if self.completion is None else round(self.completion, 1),
            "drop_off": None
            if self.drop_off is None
            else {"from_frame": self.drop_off + 1, "to_frame": self.drop_off + 2},
            "replies": self.replies,
            "first_response_s": None
            if self.first_response is None
            else int(self.first_response.total_seconds()),
            "published": self.published,
            "failed": self.failed,
            "handed_off": self.handed_off,
        }


def _frame_name(i: int, total: int) -> str:
    # The same names as the funnel chart's axis: cover, 1..n (steps), end.
    if i == 0:
        return "cover"
    if i == total - 1:
        return "end"
    return str(i)


@dataclass
class Report:
    """Everything ``storycast report`` shows."""

    project: str
    since: datetime | None
    now: datetime
    stories: list[StoryLine] = field(default_factory=list)
    polls: list[Tally] = field(default_factory=list)
    csat_trend: list[tuple[str, float, int]] = field(default_factory=list)
    channels: list[tuple[str, int, int, int]] = field(
        default_factory=list
    )  # name, published, handed off, failed
    replies: int = 0
    first_response: timedelta | None = None
    qa_announcements: int = 0
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # per post: Ledger.delivery_report
    conversations: list[Conversation] = field(default_factory=list)
    outcomes: list[OutcomeLine] = field(default_factory=list)  # all, then per channel, language, story
    comparisons: list[Figures] = field(default_factory=list)  # per variant, weekday, hour (x language)
    slots: list[Figures] = field(default_factory=list)  # per channel and local weekday+hour
    suggestions: list[Suggestion] = field(default_factory=list)  # best slot per channel, or why not
    thresholds: dict[str, int] = field(default_factory=dict)  # what a slot needs to be suggested
    deflection: dict[str, Any] | None = None  # Deflection.to_json(): totals and "stories"

    @property
    def open_conversations(self) -> int:
        return sum(1 for c in self.conversations if c.is_open)

    @property
    def totals(self) -> dict[str, Any]:
        reach = sum(s.reach for s in self.stories)
        comps = [(s.completion, s.reach) for s in self.stories if s.completion is not None]
        weight = sum(r for _, r in comps)
        csat = self.csat_trend[-1][1] if self.csat_trend else None
        return {
            "reach": reach,
            "completion": (sum(c * r for c, r in comps) / weight) if weight else None,
            "replies": self.replies,
            "first_response_s": None
            if self.first_response is None
            else int(self.first_response.total_seconds()),
            "csat": csat,
            "published": sum(c[1] for c in self.channels),
            "handed_off": sum(c[2] for c in self.channels),
            "failed": sum(c[3] for c in self.channels),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "since": self.since.isoformat() if self.since else None,
            "now": self.now.isoformat(),
            "totals": self.totals,
            "stories": [s.to_json() for s in self.stories],
            "polls": [t.to_json() for t in self.polls],
            "csat_trend": [{"week": w, "csat": round(v, 1), "answers": n} for w, v, n in self.csat_trend],
            "channels": [
                {"channel": c, "published": p, "handed_off": h, "failed": f} for c, p, h, f in self.channels
            ],
            "qa_announcements": self.qa_announcements,
            "deliveries": [d | {"due_utc": d["due_utc"].isoformat()} for d in self.deliveries],
            "outcomes": {
                "conversations": len(self.conversations),
                "open": self.open_conversations,
                "lines": [o.to_json() for o in self.outcomes],
                # Still open, oldest first; no thread ids (they are the customers' own ids).
                "still_open": [
                    c.to_json() | {"waiting_s": int((self.now - c.opened).total_seconds())}
                    for c in self.conversations
                    if c.is_open
                ],
            },
            "comparisons": [f.to_json() for f in self.comparisons],
            "slots": [f.to_json() for f in self.slots],
            "suggestions": [s.to_json() for s in self.suggestions],
            "thresholds": self.thresholds,
            "deflection": self.deflection,
        }


def post_reach(insight_rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(channel, remote id) -> the best numbers known: webhook (final) > pull > local viewers."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    rank = {"webhook": 3, "pull": 2}
    local: dict[tuple[str, str], int] = defaultdict(int)
    meta: dict[tuple[str, str], Mapping[str, Any]] = {}
    for r in insight_rows:
        key = (r["channel"], r["remote_id"])
        meta.setdefault(key, r)
        if r["source"].startswith("local:"):
            local[key] += 1
            continue
        cur = best.get(key)
        if cur is None or rank.get(r["source"], 1) > rank.get(cur["source"], 1):
            best[key] = dict(r)
    for key, n in local.items():
        if key not in best:
            best[key] = dict(meta[key]) | {"reach": n, "source": "local"}
    return best


def csat_by_week(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, int]]:
    """(ISO week label, CSAT 0..100, answers) from satisfaction-poll vote rows."""
    weeks: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        y, w, _ = r["at_utc"].isocalendar()
        acc = weeks[(y, w)]
        acc[1] += int(r["count"])
        if int(r["option"]) >= 4:
            acc[0] += int(r["count"])
    return [(f"{y}-W{w:02d}", 100.0 * good / n, n) for (y, w), (good, n) in sorted(weeks.items()) if n]


def build_report(
    project: Project, *, now: datetime, since: datetime | None = None, ledger: Ledger | None = None
) -> Report:
    """Read the ledger (publications, insights, votes, replies) and compute the report."""
    from ..ledger import open_ledger

    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        pubs = [p for p in led.publication_rows() if since is None or p["due_utc"] >= since]
        insights = led.insight_rows()
        votes = [v for v in led.vote_rows() if since is None or v["at_utc"] >= since]
        msgs = [m for m in led.reply_rows() if since is None or m["at_utc"] >= since]
        resolved = [r for r in led.resolution_rows() if since is None or r["at_utc"] >= since]
        sent = [d for d in led.delivery_report() if since is None or d["due_utc"] >= since]
    finally:
        if own:
            led.close()
    report = Report(project.config.project.name, since, now, deliveries=sent)
    reach = post_reach(insights)
    lines: dict[tuple[str, str], StoryLine] = {}
    chan: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    stories = project.content.stories
    for p in pubs:
        state = p["state"]
        if state in (State.PUBLISHED.value, State.HANDED_OFF.value, State.FAILED.value, State.MISSED.value):
            idx = {State.PUBLISHED.value: 0, State.HANDED_OFF.value: 1}.get(state, 2)
            chan[p["channel"]][idx] += 1
        if p["kind"] == "qa" and state == State.PUBLISHED.value:
            report.qa_announcements += 1
        if p["kind"] not in STORY_KINDS:  # a story's frames or its video parts
            continue
        key = (p["ref"], p["lang"])
        line = lines.get(key)
        if line is None:
            story = stories.get(p["ref"])
            title = (story.title.get(p["lang"]) or story.title.get("en", p["ref"])) if story else p["ref"]
            line = lines[key] = StoryLine(
                p["ref"], p["lang"], title, p["frame_total"], [0] * p["frame_total"]
            )
        if state == State.PUBLISHED.value:
            line.published += 1
        elif state == State.HANDED_OFF.value:
            line.handed_off += 1
        elif state in (State.FAILED.value, State.MISSED.value):
            line.failed += 1
        got = reach.get((p["channel"], p["remote_id"] or ""))
        if got is not None and got.get("reach") is not None and 1 <= p["frame"] <= len(line.reach_by_frame):
            line.reach_by_frame[p["frame"] - 1] += int(got["reach"])
    waits = first_response_times(msgs)
    customer = [m for m in msgs if m["kind"] != "agent"]
    for m in customer:
        line = lines.get((m["ref"], m["lang"]))
        if line is not None:
            line.replies += 1
    for line in lines.values():
        mine = [
            waits[m["id"]]
            for m in customer
            if (m["ref"], m["lang"]) == (line.ref, line.lang) and m["id"] in waits
        ]
        if mine:
            line.first_response = sorted(mine)[len(mine) // 2]
    report.replies = len(customer)
    all_waits = sorted(waits.values())
    report.first_response = all_waits[len(all_waits) // 2] if all_waits else None
    report.stories = sorted(lines.values(), key=lambda s: (-s.reach, s.ref, s.lang))
    report.channels = sorted(((c, *v) for c, v in chan.items()), key=lambda r: -sum(r[1:]))  # type: ignore[misc]
    by_poll: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in votes:
        by_poll[v["poll_id"]].append(v)
    known = polls(project)
    for pid in sorted(by_poll):
        if pid in known:
            report.polls.append(tally_rows(known[pid], by_poll[pid]))
    satisfaction = [v for v in votes if v["poll_id"] in known and known[v["poll_id"]].is_satisfaction]
    report.csat_trend = csat_by_week(satisfaction)
    settings = project.config.outcomes
    report.conversations = support_conversations(msgs, satisfaction, known, settings, resolved)
    report.outcomes = outcome_lines(report.conversations)
    posts = posts_of(pubs, reach, STORY_KINDS)
    answers = attribute_answers(posts, satisfaction)
    report.comparisons = compare(posts, answers)
    report.slots, report.suggestions = best_slots(
        posts, min_occurrences=settings.min_occurrences, min_viewers=settings.min_viewers
    )
    report.thresholds = {"min_occurrences": settings.min_occurrences, "min_viewers": settings.min_viewers}
    report.deflection = deflection_figures(project, report.conversations, since=since, ledger=ledger)
    return report


def support_conversations(
    msgs: Sequence[Mapping[str, Any]],
    satisfaction: Sequence[Mapping[str, Any]],
    known: Mapping[str, Any],
    settings: OutcomesSection,
    resolutions: Sequence[Mapping[str, Any]] = (),
) -> list[Conversation]:
    """The conversations in ``msgs``: a reply that is only a vote to a poll post is an answer, not
    a message; a satisfaction answer resolves the customer's open conversation when configured,
    and so does a help desk's resolution (``Ledger.resolution_rows``)."""
    votes_by: dict[str, list[datetime]] = defaultdict(list)
    if settings.csat_resolves:
        for v in satisfaction:
            if not v["voter"].startswith("#total:"):
                votes_by[v["voter"]].append(v["at_utc"])

    def vote_of(m: Mapping[str, Any]) -> Any:
        poll = known.get(m["ref"]) if m["kind"] != "agent" else None
        if poll is None or parse_reply_vote(m["text"] or "", poll.option_count()) is None:
            return None
        return poll

    talk = []
    for m in msgs:
        poll = vote_of(m)
        if poll is None:
            talk.append(m)
        elif poll.is_satisfaction and settings.csat_resolves:
            talk.append(m)  # kept: conversations() reads it as the score that resolves
    return conversations(
        [*talk, *resolutions],
        markers=settings.resolved_markers,
        csat_answers=votes_by,
        is_score_reply=(lambda m: vote_of(m) is not None) if settings.csat_resolves else None,
    )


def deflection_figures(
    project: Project,
    conversations: Sequence[Conversation],
    *,
    since: datetime | None,
    ledger: Ledger | None = None,
) -> dict[str, Any]:
    """Per story: views, article visits and the conversations opened on its topic in the days
    after (:mod:`.deflection`), counted with the report's own conversations."""
    from .deflection import compute

    return compute(project, ledger=ledger, since=since, conversations=conversations).to_json()


def delivery_line(d: Mapping[str, Any]) -> str:
    """``4 messages: 2 delivered (1 read), 2 failed (1 window closed, 1 deferred)``.

    Each subscriber counts once, with their newest message: after a closed window (131047) the
    template that follows replaces the failure as soon as its status comes."""
    line = f"{d['messages']} messages: {d['delivered']} delivered ({d['read']} read), {d['failed']} failed"
    why = [
        f"{d[k]} {label}"
        for k, label in (
            ("resend", "window closed, template owed"),
            ("deferred", "deferred"),
            ("undeliverable", "undeliverable"),
        )
        if d.get(k)
    ]
    return line + (f" ({', '.join(why)})" if why else "")


def format_duration(td: timedelta | None) -> str:
    """``1 h 05 min``, ``12 min``, ``40 s``; ``–`` for None."""
    if td is None:
        return "–"
    s = int(td.total_seconds())
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
