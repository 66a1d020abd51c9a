"""What works: completion, drop-off and CSAT per schedule variant, weekday and hour, per language,
and the best time slot per channel once there is enough data.

The unit is one **post**: one occurrence of a story entry on one channel in one language (its
frames share the occurrence, channel and language). A post is **measured** when its first frame
has viewers (insights captured before expiry, the webhook's final numbers, or local-feed views).

- **completion** of a group: viewers of the last frames as a share of viewers of the first frames,
  summed over its measured posts (so a big post weighs more than a small one);
- **drop-off**: the frame transition that loses the most viewers in that summed funnel;
- **CSAT**: share of 4 and 5 answers among satisfaction-poll answers attributed to the group. An
  answer is attributed to the latest post published on the same channel (and language, when the
  answer has one) in the :data:`ATTRIBUTION` before it: the tutorial the customer most likely saw.

A **slot** is a local weekday and hour (the entry's zone, as the occurrence key is written). The
best slot of a channel is the one with the highest completion among slots with at least
``[outcomes] min_occurrences`` measured posts and ``min_viewers`` first-frame viewers; it is
suggested only when at least two slots qualify (one slot alone has nothing to be better than).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: How long after a post a satisfaction answer on its channel is attributed to it.
ATTRIBUTION = timedelta(hours=48)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Post:
    """One occurrence of a story entry on one channel in one language."""

    entry_key: str
    occurrence_key: str
    channel: str
    lang: str
    ref: str
    variant: str
    frames: int
    published: datetime | None = None
    reach_by_frame: list[int] = field(default_factory=list)

    @property
    def local(self) -> datetime | None:
        """The local wall-clock time the occurrence was due (from its occurrence key)."""
        try:
            return datetime.fromisoformat(self.occurrence_key.partition("#")[0])
        except ValueError:
            return None

    @property
    def measured(self) -> bool:
        return bool(self.reach_by_frame) and self.reach_by_frame[0] > 0


@dataclass
class Figures:
    """Completion, drop-off and CSAT of a group of posts."""

    dimension: str  # variant | weekday | hour | slot
    value: str
    lang: str  # "" for every language together
    channel: str = ""
    posts: int = 0
    measured: int = 0
    funnel: list[int] = field(default_factory=list)
    csat_good: int = 0
    csat_answers: int = 0

    first: int = 0  # viewers of the first frames of measured posts
    last: int = 0  # viewers of their last frames
    mixed: bool = False  # posts of different lengths: no common funnel, so no drop-off

    @property
    def viewers(self) -> int:
        return self.first

    @property
    def completion(self) -> float | None:
        if not self.first:
            return None
        return 100.0 * self.last / self.first

    @property
    def drop_off(self) -> int | None:
        if self.mixed:
            return None
        losses = [a - b for a, b in zip(self.funnel, self.funnel[1:], strict=False)]
        if not losses or max(losses) <= 0:
            return None
        return losses.index(max(losses))

    @property
    def drop_off_share(self) -> float | None:
        i = self.drop_off
        if i is None or not self.funnel[i]:
            return None
        return 100.0 * (self.funnel[i] - self.funnel[i + 1]) / self.funnel[i]

    @property
    def csat(self) -> float | None:
        return 100.0 * self.csat_good / self.csat_answers if self.csat_answers else None

    def drop_off_label(self) -> str:
        i = self.drop_off
        if i is None:
            return "–"
        n = len(self.funnel)
        share = self.drop_off_share or 0
        return f"{_frame_name(i, n)}→{_frame_name(i + 1, n)} (−{share:.0f}%)"

    def add(self, post: Post) -> None:
        self.posts += 1
        if not post.measured or len(post.reach_by_frame) < 2:
            return
        self.measured += 1
        self.first += post.reach_by_frame[0]
        self.last += post.reach_by_frame[-1]
        if not self.funnel:
            self.funnel = list(post.reach_by_frame)
        elif len(self.funnel) == len(post.reach_by_frame):
            self.funnel = [a + b for a, b in zip(self.funnel, post.reach_by_frame, strict=True)]
        else:
            self.mixed = True

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.dimension,
            "value": self.value,
            "lang": self.lang or None,
            "channel": self.channel or None,
            "posts": self.posts,
            "measured": self.measured,
            "viewers": self.viewers,
            "completion": None if self.completion is None else round(self.completion, 1),
            "drop_off": None
            if self.drop_off is None
            else {
                "from_frame": self.drop_off + 1,
                "to_frame": self.drop_off + 2,
                "lost": round(self.drop_off_share or 0, 1),
            },
            "csat": None if self.csat is None else round(self.csat, 1),
            "csat_answers": self.csat_answers,
        }


def _frame_name(i: int, total: int) -> str:
    if i == 0:
        return "cover"
    if i == total - 1:
        return "end"
    return str(i)


@dataclass
class Suggestion:
    """The best slot of one channel, or why there is none yet."""

    channel: str
    slot: Figures | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "slot": None if self.slot is None else self.slot.value,
            "completion": None
            if self.slot is None or self.slot.completion is None
            else round(self.slot.completion, 1),
            "reason": self.reason,
        }


def posts_of(
    pubs: Sequence[Mapping[str, Any]],
    reach: Mapping[tuple[str, str], Mapping[str, Any]],
    kinds: frozenset[str],
) -> list[Post]:
    """Group story publication rows into posts, with viewers per frame from ``reach``."""
    out: dict[tuple[str, str, str, str], Post] = {}
    for p in pubs:
        if p["kind"] not in kinds:
            continue
        key = (p["entry_key"], p["occurrence_key"], p["channel"], p["lang"])
        post = out.get(key)
        if post is None:
            post = out[key] = Post(
                *key,
                ref=p["ref"],
                variant=p.get("variant") or "",
                frames=p["frame_total"],
                reach_by_frame=[0] * p["frame_total"],
            )
        if p["published_utc"] is not None and (post.published is None or p["published_utc"] < post.published):
            post.published = p["published_utc"]
        got = reach.get((p["channel"], p["remote_id"] or ""))
        if got is not None and got.get("reach") is not None and 1 <= p["frame"] <= post.frames:
            post.reach_by_frame[p["frame"] - 1] += int(got["reach"])
    return list(out.values())


def attribute_answers(
    posts: Sequence[Post], answers: Sequence[Mapping[str, Any]]
) -> dict[int, tuple[int, int]]:
    """id(post) -> (good answers, answers): each satisfaction answer goes to the latest post
    published on its channel (and language, when known) within :data:`ATTRIBUTION` before it."""
    # Indexed once by channel and by (channel, language), sorted by time: one bisect per answer.
    index: dict[tuple[str, str], tuple[list[datetime], list[Post]]] = {}
    for p in sorted((p for p in posts if p.published is not None), key=lambda p: p.published):  # type: ignore[arg-type, return-value]
        for key in ((p.channel, ""), (p.channel, p.lang)):
            times, mine = index.setdefault(key, ([], []))
            times.append(p.published)  # type: ignore[arg-type]
            mine.append(p)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for a in answers:
        times, mine = index.get((a["channel"], a["lang"] or ""), ([], []))
        i = bisect_right(times, a["at_utc"])
        if i == 0 or a["at_utc"] - times[i - 1] > ATTRIBUTION:
            continue
        acc = out[id(mine[i - 1])]
        n = int(a["count"])
        acc[1] += n
        if int(a["option"]) >= 4:
            acc[0] += n
    return {k: (v[0], v[1]) for k, v in out.items()}


def _label(post: Post) -> str:
    return f"{post.entry_key} · {post.variant}"


def compare(posts: Sequence[Post], csat: Mapping[int, tuple[int, int]]) -> list[Figures]:
    """Figures per variant, weekday and hour; each for all languages ("") and per language."""
    groups: dict[tuple[str, str, str], Figures] = {}

    def put(dim: str, value: str, lang: str, post: Post) -> None:
        fig = groups.get((dim, value, lang))
        if fig is None:
            fig = groups[(dim, value, lang)] = Figures(dim, value, lang)
        fig.add(post)
        good, n = csat.get(id(post), (0, 0))
        fig.csat_good += good
        fig.csat_answers += n

    for post in posts:
        local = post.local
        for lang in ("", post.lang):
            if post.variant:
                put("variant", _label(post), lang, post)
            if local is not None:
                put("weekday", WEEKDAYS[local.weekday()], lang, post)
                put("hour", f"{local.hour:02d}:00", lang, post)
    order = {"variant": 0, "weekday": 1, "hour": 2}
    day = {d: i for i, d in enumerate(WEEKDAYS)}
    return sorted(
        groups.values(),
        key=lambda f: (order[f.dimension], f.lang, day.get(f.value, 0), f.value),
    )


def best_slots(
    posts: Sequence[Post], *, min_occurrences: int, min_viewers: int
) -> tuple[list[Figures], list[Suggestion]]:
    """Figures per channel and slot (weekday and hour), and each channel's suggestion."""
    slots: dict[tuple[str, str], Figures] = {}
    for post in posts:
        local = post.local
        if local is None:
            continue
        value = f"{WEEKDAYS[local.weekday()]} {local.hour:02d}:00"
        fig = slots.get((post.channel, value))
        if fig is None:
            fig = slots[(post.channel, value)] = Figures("slot", value, "", channel=post.channel)
        fig.add(post)
    day = {d: i for i, d in enumerate(WEEKDAYS)}
    figures = sorted(slots.values(), key=lambda f: (f.channel, day[f.value[:3]], f.value))
    suggestions = []
    for channel in sorted({f.channel for f in figures}):
        mine = [f for f in figures if f.channel == channel]
        ready = [
            f
            for f in mine
            if f.measured >= min_occurrences and f.viewers >= min_viewers and f.completion is not None
        ]
        need = f"at least {min_occurrences} measured posts and {min_viewers} viewers"
        if len(ready) >= 2:
            best = max(ready, key=lambda f: (f.completion or 0, f.viewers))
            others = len(ready) - 1
            suggestions.append(
                Suggestion(
                    channel,
                    best,
                    f"{best.value}: {best.completion:.0f}% completion over {_n(best.measured, 'post')}, "
                    f"best of {others + 1} slots with {need}",
                )
            )
            continue
        have = ", ".join(f"{f.value} ({_n(f.measured, 'post')}, {_n(f.viewers, 'viewer')})" for f in mine)
        what = "one slot has" if len(ready) == 1 else "no slot has"
        suggestions.append(
            Suggestion(
                channel,
                None,
                f"not enough data: {what} {need}, and a suggestion needs two to compare; "
                f"have {have or 'none'}",
            )
        )
    return figures, suggestions


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
