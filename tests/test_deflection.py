"""Deflection: story views, article visits and conversations on the story's topic in the days
after each post, computed from ledger rows; figures checked against hand counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storycast.engage.deflection import compute, deflection, open_conversations
from storycast.ledger import open_ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
STORIES = {"reset-router": ("Reset your router", ["router", "wifi"]), "speed-test": ("Speed test", ["speed"])}


def pub(
    rid: int, ref: str, channel: str, frame: int, at: datetime, occ: str = "o1", lang: str = "en"
) -> dict[str, Any]:
    return {
        "id": rid,
        "kind": "story",
        "state": "published",
        "ref": ref,
        "lang": lang,
        "channel": channel,
        "frame": frame,
        "occurrence_key": occ,
        "remote_id": f"{channel}-{rid}",
        "published_utc": at,
        "due_utc": at,
    }


def reply(
    rid: int, channel: str, thread: str, at: datetime, *, kind: str = "reply", ref: str = "", text: str = ""
) -> dict[str, Any]:
    return {
        "id": rid,
        "channel": channel,
        "thread": thread,
        "at_utc": at,
        "kind": kind,
        "ref": ref,
        "lang": "en" if ref else "",
        "text": text,
    }


def visit(day: date, ref: str, n: int, channel: str = "", lang: str = "en") -> dict[str, Any]:
    return {"day": day, "ref": ref, "lang": lang, "channel": channel, "count": n}


PUBS = [
    pub(1, "reset-router", "instagram", 1, T0),
    pub(2, "reset-router", "instagram", 2, T0),
    pub(3, "reset-router", "telegram", 1, T0 + timedelta(minutes=5)),
    pub(4, "speed-test", "instagram", 1, T0 + timedelta(days=2)),
    {**pub(5, "reset-router", "instagram", 1, T0), "state": "failed", "remote_id": None},
]
INSIGHTS = [
    {"channel": "instagram", "remote_id": "instagram-1", "source": "pull", "reach": 900},
    {"channel": "instagram", "remote_id": "instagram-1", "source": "webhook", "reach": 1000},  # wins
    {
        "channel": "instagram",
        "remote_id": "instagram-2",
        "source": "pull",
        "reach": 700,
    },  # frame 2: not a view
    {"channel": "telegram", "remote_id": "telegram-3", "source": "pull", "reach": 250},
    {"channel": "instagram", "remote_id": "instagram-4", "source": "pull", "reach": 400},
]
VISITS = [
    visit(date(2026, 12, 1), "reset-router", 30, "instagram"),
    visit(date(2026, 12, 3), "reset-router", 20),
    visit(date(2026, 12, 7), "reset-router", 5, lang="es"),  # last day of the window
    visit(date(2026, 12, 8), "reset-router", 99),  # after it: unmatched
    visit(date(2026, 11, 30), "reset-router", 7),  # before the post: unmatched
    visit(date(2026, 12, 4), "speed-test", 8, "instagram"),
]
REPLIES = [
    reply(1, "instagram", "u1", T0 + timedelta(hours=1), ref="reset-router"),  # reply to the story
    reply(2, "instagram", "u1", T0 + timedelta(hours=2), kind="agent", text="Try a reset #resolved"),
    reply(3, "instagram", "u1", T0 + timedelta(hours=3)),  # same conversation (not quiet for a day)
    reply(4, "telegram", "u2", T0 + timedelta(days=1), text="my #WiFi keeps dropping"),  # tagged
    reply(5, "telegram", "u3", T0 + timedelta(days=2), text="billing question"),  # off topic
    reply(6, "telegram", "u2", T0 + timedelta(days=3), text="still the #router"),  # quiet > 1 day: new
    reply(7, "instagram", "u4", T0 + timedelta(days=9), ref="reset-router"),  # after the window
    reply(8, "instagram", "u5", T0 + timedelta(days=2, hours=1), text="slow #speed"),
]


def test_hand_counted_figures() -> None:
    votes = [
        {"ref": "reset-router", "helpful": True},
        {"ref": "reset-router", "helpful": True},
        {"ref": "reset-router", "helpful": False},
    ]
    d = deflection(STORIES, PUBS, INSIGHTS, VISITS, REPLIES, days=7, article_votes=votes)
    rr = next(s for s in d.stories if s.ref == "reset-router")
    assert rr.views == 1000 + 250
    assert rr.visits == 30 + 20 + 5
    assert rr.conversations == 3  # u1, u2 (#wifi), u2 again after a quiet day (#router)
    assert rr.posted == [date(2026, 12, 1)]
    assert rr.visit_rate == round(100 * 55 / 1250, 1)
    assert rr.conversations_per_1000 == round(1000 * 3 / 1250, 1)
    assert rr.self_service == round(100 * 55 / 58, 1)
    assert (rr.helpful, rr.not_helpful, rr.helpful_share) == (2, 1, 66.7)
    assert rr.by_channel["instagram"].to_json() == {"views": 1000, "visits": 30, "conversations": 1}
    assert rr.by_channel["telegram"].to_json() == {"views": 250, "visits": 0, "conversations": 2}
    assert rr.by_channel[""].visits == 25
    assert rr.by_lang["es"].visits == 5
    st = next(s for s in d.stories if s.ref == "speed-test")
    assert (st.views, st.visits, st.conversations) == (400, 8, 1)
    assert d.unmatched_visits == 99 + 7
    data = json.loads(json.dumps(d.to_json()))
    assert data["views"] == 1650 and data["visits"] == 63 and data["conversations"] == 4
    assert [s["story"] for s in data["stories"]] == ["reset-router", "speed-test"]


def test_window_length_and_merged_weekly_windows() -> None:
    weekly = [*PUBS, pub(9, "reset-router", "instagram", 1, T0 + timedelta(days=5), occ="o2")]
    d = deflection(STORIES, weekly, INSIGHTS, VISITS, REPLIES, days=7)
    rr = next(s for s in d.stories if s.ref == "reset-router")
    # The second post's window (Dec 6 .. Dec 12) merges with the first: Dec 8 and the Dec 10 reply now count.
    assert rr.posted == [date(2026, 12, 1)]
    assert rr.visits == 55 + 99
    assert rr.conversations == 4
    short = deflection(STORIES, PUBS, INSIGHTS, VISITS, REPLIES, days=1)
    rr1 = next(s for s in short.stories if s.ref == "reset-router")
    assert (rr1.visits, rr1.conversations) == (30, 1)


@dataclass
class Conv:
    channel: str
    thread: str
    opened: datetime
    ref: str = ""


def test_callers_conversations_replace_the_opening_rule() -> None:
    # The report's conversations: u2's thread is one conversation (never resolved).
    convs = [
        Conv("instagram", "u1", T0 + timedelta(hours=1), "reset-router"),
        Conv("telegram", "u2", T0 + timedelta(days=1)),
        Conv("telegram", "u3", T0 + timedelta(days=2)),
    ]
    d = deflection(STORIES, PUBS, INSIGHTS, VISITS, REPLIES, conversations=convs)
    rr = next(s for s in d.stories if s.ref == "reset-router")
    assert rr.conversations == 2


def test_opening_rule() -> None:
    convs = open_conversations(REPLIES)
    assert [(c.channel, c.thread) for c in convs] == [
        ("instagram", "u1"),
        ("telegram", "u2"),
        ("telegram", "u3"),
        ("instagram", "u5"),
        ("telegram", "u2"),
        ("instagram", "u4"),
    ]
    assert convs[0].tags == {"resolved"}


def test_no_data_gives_none_not_errors() -> None:
    d = deflection(STORIES, [], [], [visit(date(2026, 12, 1), "reset-router", 3)], [])
    assert d.stories == [] and d.unmatched_visits == 3
    assert d.to_json()["visit_rate"] is None and d.to_json()["self_service"] is None


def test_compute_reads_the_ledger(make_project: Any) -> None:
    from tests.conftest import MINIMAL_TOML

    project = Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML))
    led = open_ledger(project)
    try:
        led.count_visit(ref="sample", lang="es", channel="local", day=date(2026, 12, 2))
        led.put_article_vote(ref="sample", helpful=True, voter="v" * 32, lang="es", now=T0)
        d = compute(project, ledger=led)
    finally:
        led.close()
    assert d.days == 7
    assert d.stories == []  # never published: nothing to relate
    assert d.unmatched_visits == 1


def test_video_posts_count_their_viewers() -> None:
    video = {**pub(20, "speed-test", "telegram", 1, T0 + timedelta(days=2)), "kind": "story-video"}
    insights = [*INSIGHTS, {"channel": "telegram", "remote_id": "telegram-20", "source": "pull", "reach": 60}]
    d = deflection(STORIES, [*PUBS, video], insights, VISITS, REPLIES)
    st = next(s for s in d.stories if s.ref == "speed-test")
    assert st.views == 400 + 60
    assert st.by_channel["telegram"].views == 60
