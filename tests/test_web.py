"""storycast serve without a browser: the feed reader, votes, replies, webhooks, preview state, hand-off."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from storycast.channels.base import MediaItem, PollSpec, PublishRequest
from storycast.channels.registry import open_channel
from storycast.context import Context
from storycast.project import Project
from storycast.web.feed import read_feed
from tests.conftest import MINIMAL_STORY
from tests.fakes.project import jpeg

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TOML = """\
[project]
name = "Web test"
languages = ["en", "es", "th", "hi", "sr", "ar"]

[channels.local]
type = "local"

[channels.instagram]
type = "instagram"
enabled = false
app_secret = "env:TEST_META_SECRET"
verify_token = "env:TEST_META_VERIFY"

[channels.telegram]
type = "telegram"
enabled = false
webhook_secret = "env:TEST_TG_SECRET"
"""
ENV = {"TEST_META_SECRET": "meta-app-secret", "TEST_META_VERIFY": "verify-me", "TEST_TG_SECRET": "tg-secret"}


def _publish(
    project: Project, ref: str, lang: str, frames: int, at: datetime, poll: PollSpec | None = None
) -> None:
    ctx = Context()
    ctx.fixed_clock(at)
    channel = open_channel(project, "local", ctx)
    for i in range(1, frames + 1):
        path = jpeg(
            project.root / "frames" / f"{ref}-{lang}-{i}-{at:%H%M}.jpg", seed=hash((ref, lang, i, at)) % 1000
        )
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        channel.publish(
            PublishRequest(
                row_id=0,
                idempotency_key=hashlib.sha256(f"{ref}{lang}{i}{at}".encode()).hexdigest(),
                kind="poll" if poll else "story",
                ref=ref,
                lang=lang,
                frame_index=i,
                frame_total=frames,
                media=MediaItem(path, "image", sha),
                alt=f"frame {i}",
                poll=poll,
            )
        )


@pytest.fixture
def project(make_project: Any) -> Project:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=TOML)
    shutil.copy(REPO / "stories" / "csat-weekly.yaml", root / "stories" / "csat-weekly.yaml")
    import storycast.engage  # noqa: F401  registers the poll kind

    p = Project.load(root, environ=ENV)
    _publish(p, "sample", "es", 2, NOW - timedelta(hours=30))  # expired
    _publish(p, "sample", "en", 3, NOW - timedelta(hours=2))
    _publish(p, "sample", "es", 2, NOW - timedelta(hours=1))
    spec = PollSpec(question="How happy?", options=("1", "2", "3", "4", "5"), poll_id="csat-weekly")
    _publish(p, "csat-weekly", "en", 1, NOW - timedelta(minutes=5), poll=spec)
    return p


BASE = "http://127.0.0.1:8000"


@pytest.fixture
def client(project: Project) -> TestClient:
    from storycast.web.app import create_app

    return TestClient(create_app(project, now=lambda: NOW, watch=False), base_url=BASE)


def _viewer(client: TestClient) -> dict[str, str]:
    """The header the feed page's script sends: the signed viewer id the page was served with."""
    match = re.search(r'data-viewer="([^"]+)"', client.get("/").text)
    assert match is not None
    return {"X-Storycast-Viewer": match.group(1)}


def _csrf(client: TestClient) -> dict[str, str]:
    """The CSRF header a script sends, from GET /handoff (which also sets the cookie it is bound to)."""
    return {"X-CSRF-Token": client.get("/handoff", headers={"Accept": "application/json"}).json()["csrf"]}


def _live_remote_id(client: TestClient) -> str:
    return str(client.get("/api/feed").json()["stories"][0]["frames"][0]["remote_id"])


def test_feed_lists_live_stories_oldest_first_and_hides_expired(project: Project) -> None:
    stories = read_feed(project.root / "feed", NOW, project)
    assert [s.id for s in stories] == ["sample.en", "sample.es", "csat-weekly.en"]
    assert [f.frame for f in stories[0].frames] == [1, 2, 3]
    assert stories[0].title == "Restart your modem"
    assert stories[1].title == "Reinicia tu módem"
    assert stories[2].frames[0].poll is not None
    # 24 h after the English story went out, it is gone.
    later = read_feed(project.root / "feed", NOW + timedelta(hours=22, minutes=1), project)
    assert "sample.en" not in [s.id for s in later]


def test_feed_page_and_media(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count('class="ring"') == 3
    assert "storycast_viewer" in page.headers.get("set-cookie", "")
    data = client.get("/api/feed").json()
    media = data["stories"][0]["frames"][0]["media"]
    got = client.get("/media/" + media)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert client.get("/media/" + media.replace(".jpg", ".json")).status_code == 404
    assert client.get("/media/..%2F..%2Fstorycast.toml/x").status_code == 404


def test_vote_goes_through_record_vote_and_counts_once_per_viewer(
    client: TestClient, project: Project
) -> None:
    from storycast.engage import tally

    viewer = _viewer(client)  # the page hands out the signed viewer id
    first = client.post(
        "/api/vote", json={"poll_id": "csat-weekly", "option": 2, "lang": "en"}, headers=viewer
    ).json()
    assert first["new_voter"]
    again = client.post(
        "/api/vote", json={"poll_id": "csat-weekly", "option": 5, "lang": "en"}, headers=viewer
    ).json()
    assert again == {"ok": True, "new_voter": False, "option": 5}
    t = tally(project, "csat-weekly").to_json()
    assert t["total"] == 1
    bad = client.post("/api/vote", json={"poll_id": "csat-weekly", "option": 9}, headers=viewer)
    assert bad.status_code == 400 and "options 1 to 5" in bad.json()["error"]
    assert client.post("/api/vote", json={"poll_id": "nope", "option": 1}, headers=viewer).status_code == 400


def test_reply_is_stored(client: TestClient, project: Project) -> None:
    from storycast.ledger import open_ledger

    viewer = _viewer(client)
    remote_id = _live_remote_id(client)
    assert client.post("/api/reply", json={"text": "  "}, headers=viewer).status_code == 400
    sent = client.post("/api/reply", json={"remote_id": remote_id, "text": "It still blinks"}, headers=viewer)
    assert sent.json()["ok"]
    ledger = open_ledger(project)
    try:
        rows = ledger.reply_rows()
    finally:
        ledger.close()
    assert [(r["channel"], r["kind"], r["text"]) for r in rows] == [("local", "reply", "It still blinks")]


def _sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_instagram_webhook_handshake_and_signature(client: TestClient) -> None:
    ok = client.get(
        "/hooks/instagram",
        params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert ok.status_code == 200 and ok.text == "42"
    bad = client.get(
        "/hooks/instagram", params={"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "42"}
    )
    assert bad.status_code == 403
    body = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": "1",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": "cust-1"},
                            "recipient": {"id": "us"},
                            "timestamp": 1764590000000,
                            "message": {
                                "mid": "m-1",
                                "text": "hola",
                                "reply_to": {"story": {"id": "ig-media-1", "url": "x"}},
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    forged = client.post(
        "/hooks/instagram", content=body, headers={"X-Hub-Signature-256": _sign(body, "wrong")}
    )
    assert forged.status_code == 403
    assert "meta-app-secret" not in forged.text
    good = client.post(
        "/hooks/instagram", content=body, headers={"X-Hub-Signature-256": _sign(body, "meta-app-secret")}
    )
    assert good.status_code == 200 and good.json()["replies"] == 1
    insights = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": "1",
                    "time": 1,
                    "changes": [
                        {
                            "field": "story_insights",
                            "value": {"media_id": "ig-media-1", "reach": 40, "replies": 2},
                        }
                    ],
                }
            ],
        }
    ).encode()
    res = client.post(
        "/hooks/instagram",
        content=insights,
        headers={"X-Hub-Signature-256": _sign(insights, "meta-app-secret")},
    )
    assert res.status_code == 200 and res.json()["insights"] == 1


def test_telegram_webhook_checks_the_secret_token(client: TestClient) -> None:
    update = {
        "update_id": 1,
        "message": {"message_id": 5, "date": 1764590000, "chat": {"id": 9}, "text": "hi"},
    }
    assert client.post("/hooks/telegram", json=update).status_code == 403
    res = client.post(
        "/hooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret"}
    )
    assert res.status_code == 200 and res.json()["ok"] is True
    assert (
        client.post(
            "/hooks/telegram", content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret"}
        ).status_code
        == 400
    )


def _handed_off(project: Project, frames: int) -> list[int]:
    """Rows of one pack, taken to handed_off through the ledger's own claim/send/finish."""
    from storycast.ledger import State, open_ledger

    ledger = open_ledger(project)
    try:
        due = NOW - timedelta(minutes=10)
        units = [
            {
                "entry_key": "weekly/snap",
                "occurrence_key": "2026-12-01",
                "channel": "snap",
                "lang": "es",
                "frame": f,
                "frame_total": frames,
                "kind": "story",
                "ref": "sample",
                "label": "Snap tip",
                "due_utc": due,
                "deadline_utc": due + timedelta(hours=2),
            }
            for f in range(1, frames + 1)
        ]
        ledger.insert_units(units, NOW)
        ids = []
        for _ in range(frames):  # one frame per group is claimable at a time
            (row,) = ledger.claim(NOW, 1)
            no = ledger.begin_send(row, NOW, idempotency_key=f"k{row.id}", frame_sha256=None)
            ledger.finish(row, no, NOW, State.HANDED_OFF, remote_url="file:///packs/x/")
            ids.append(row.id)
        return ids
    finally:
        ledger.close()


def test_handoff_page_lists_packs_and_posted_confirms_them(client: TestClient, project: Project) -> None:
    assert "Nothing is waiting" in client.get("/handoff").text
    ids = _handed_off(project, 2)
    page = client.get("/handoff")
    assert "Snap tip" in page.text and page.text.count('name="ids"') == 2
    assert "Snap tip" in client.get(f"/confirm/{ids[1]}").text
    assert "not waiting" in client.get("/confirm/999").text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    posted = client.post(
        "/handoff/confirm",
        data={"ids": [str(i) for i in ids], "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert "Nothing is waiting" in client.get(posted.headers["location"]).text
    again = client.post(f"/handoff/{ids[0]}/confirm", headers={"Accept": "application/json", **_csrf(client)})
    assert again.json()["ok"] is False and again.json()["confirmed"] == []
    assert client.post("/handoff/abc/confirm").status_code == 400


def test_preview_state_renders_the_focus_and_answers_304_until_something_changes(client: TestClient) -> None:
    first = client.get("/preview/state", params={"story": "sample", "lang": "es"})
    assert first.status_code == 200
    data = first.json()
    assert data["error"] is None
    assert data["focus"] == {"story": "sample", "lang": "es"}
    assert [f["kind"] for f in data["stories"][0]["frames"]] == ["cover", "step", "step", "outro"]
    assert isinstance(data["findings"], list)
    assert data["safe_zone"]["top"] > 0
    etag = first.headers["etag"]
    same = client.get(
        "/preview/state", params={"story": "sample", "lang": "es"}, headers={"If-None-Match": etag}
    )
    assert same.status_code == 304
    frame = client.get(data["stories"][0]["frames"][1]["url"])
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert client.get("/preview/frame/sample/es/..%2F..%2F..%2Fstorycast.toml").status_code == 404


def test_preview_shows_a_content_error_instead_of_crashing(client: TestClient, project: Project) -> None:
    (project.root / "stories" / "sample.yaml").write_text(
        "id: sample\ntemplate: tutorial\n", encoding="utf-8"
    )
    data = client.get("/preview/state", params={"story": "sample", "lang": "en"}).json()
    assert data["error"] is not None
    assert data["stories"] == []


def test_an_empty_feed_says_how_many_frames_expired(project: Project) -> None:
    from storycast.web.app import create_app

    later = NOW + timedelta(days=3)
    client = TestClient(create_app(project, now=lambda: later, watch=False), base_url=BASE)
    page = client.get("/")
    assert "No live stories" in page.text
    assert "8 published frames have expired" in page.text


def test_frames_published_by_a_backfill_after_the_clock_still_show(project: Project) -> None:
    # README's first run publishes with --now in the future; serve must still show those stories.
    stories = read_feed(project.root / "feed", NOW - timedelta(hours=4), project)
    assert "sample.en" in [s.id for s in stories]


def test_a_video_frame_is_played_as_video(project: Project) -> None:
    from tests.fakes.project import video

    ctx = Context()
    ctx.fixed_clock(NOW - timedelta(minutes=1))
    path = video(project.root / "frames" / "clip.mp4", 3)
    open_channel(project, "local", ctx).publish(
        PublishRequest(
            row_id=0,
            idempotency_key="v" * 64,
            kind="video",
            ref="sample",
            lang="sr",
            frame_index=1,
            frame_total=1,
            media=MediaItem(path, "video", hashlib.sha256(path.read_bytes()).hexdigest()),
        )
    )
    story = next(s for s in read_feed(project.root / "feed", NOW, project) if s.id == "sample.sr")
    assert story.frames[0].kind == "video" and story.frames[0].media.endswith(".mp4")


def test_a_poll_added_while_serving_can_be_voted_on(client: TestClient, project: Project) -> None:
    text = (project.root / "stories" / "csat-weekly.yaml").read_text(encoding="utf-8")
    (project.root / "stories" / "csat-later.yaml").write_text(
        text.replace("id: csat-weekly", "id: csat-later"), encoding="utf-8"
    )
    spec = PollSpec(question="How happy?", options=("1", "2", "3", "4", "5"), poll_id="csat-later")
    _publish(project, "csat-later", "en", 1, NOW - timedelta(minutes=1), poll=spec)
    vote = client.post("/api/vote", json={"poll_id": "csat-later", "option": 1}, headers=_viewer(client))
    assert vote.json()["ok"] is True


def test_a_client_that_drops_cookies_cannot_stuff_the_ballot(project: Project) -> None:
    from storycast.engage import tally
    from storycast.web.app import create_app
    from storycast.web.security import AddressLimits

    app = create_app(project, now=lambda: NOW, watch=False, limits=AddressLimits(viewers_per_hour=5))
    client = TestClient(app, base_url=BASE)
    vote = {"poll_id": "csat-weekly", "option": 5, "lang": "en"}
    # No page, no token: not one of 30 votes counts.
    assert {client.post("/api/vote", json=vote).status_code for _ in range(30)} == {403}
    assert tally(project, "csat-weekly").to_json()["total"] == 0
    # A new page each time (a new viewer each time, cookie dropped): only 5 get through.
    codes, tokens = [], []
    for _ in range(30):
        client.cookies.clear()
        tokens.append(_viewer(client))
        client.cookies.clear()
        codes.append(client.post("/api/vote", json=vote, headers=tokens[-1]).status_code)
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    assert tally(project, "csat-weekly").to_json()["total"] == 5
    # A viewer counted before may still change its vote; that adds no vote.
    moved = client.post("/api/vote", json={**vote, "option": 1}, headers=tokens[0])
    assert moved.status_code == 200 and moved.json()["new_voter"] is False
    assert tally(project, "csat-weekly").to_json()["total"] == 5


def test_address_limits_forget_after_their_window() -> None:
    from storycast.web.security import AddressLimits

    now = [0.0]
    limits = AddressLimits(requests_per_minute=3, viewers_per_hour=2, clock=lambda: now[0])
    assert [limits.check("a", "v1") for _ in range(3)] == [None, None, None]
    assert "a minute" in (limits.check("a", "v1") or "")
    assert limits.check("b", "v1") is None  # another address has its own count
    now[0] = 61
    assert limits.check("a", "v2") is None
    assert "different viewers" in (limits.check("a", "v3") or "")
    now[0] = 3700
    assert limits.check("a", "v3") is None


def test_the_signing_key_is_private_and_shared_by_every_worker(project: Project) -> None:
    from storycast.web.app import create_app
    from storycast.web.security import Signer

    one = TestClient(create_app(project, now=lambda: NOW, watch=False), base_url=BASE)
    token = _viewer(one)
    path = project.root / ".storycast" / "web.key"
    assert path.stat().st_mode & 0o777 == 0o600 and len(path.read_bytes()) == 32
    # A second worker of the same project reads the same key, so the page's token works there.
    two = TestClient(create_app(project, now=lambda: NOW, watch=False), base_url=BASE)
    vote = {"poll_id": "csat-weekly", "option": 1}
    assert two.post("/api/vote", json=vote, headers=token).status_code == 200
    # A token signed with any other key is refused.
    forged = Signer(b"k" * 32).viewer_token("0" * 32)
    assert two.post("/api/vote", json=vote, headers={"X-Storycast-Viewer": forged}).status_code == 403
    assert path.read_bytes().hex() not in one.get("/").text
