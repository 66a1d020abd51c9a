"""Insights before expiry (fake Graph API that answers only within 24 h), the story_insights and
messaging webhooks (signatures), first-response time, and the 0003 migration."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.channels.inbound import BadSignature, WebhookRequest
from storycast.channels.instagram.insights import parse_ig_insights
from storycast.context import Context
from storycast.engage.inbound import Received, receive_webhook
from storycast.engage.insights import collect_due_insights, record_view
from storycast.engage.replies import median_response
from storycast.ledger import open_ledger
from storycast.ledger.db import head_revision, make_engine, upgrade
from storycast.ledger.models import publication
from storycast.project import Project
from tests.fakes_engage import FakeGraphInsights

IG_TOKEN = "EAAtesttoken123456"
SECRET = "app-secret-for-tests"
PUBLISHED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

TOML = """\
[project]
name = "Test"
languages = ["en", "es", "th", "hi", "sr"]
timezone = "Europe/Madrid"

[channels.ig]
type = "instagram"
login = "facebook_login"
api_base = "{url}"
api_version = "v25.0"
ig_user_id = "17841400000000001"
access_token = "env:IG_TOKEN"
timeout = 0.5
backoff = 0
[channels.ig.hosting]
kind = "folder"
folder = "public"
base_url = "http://127.0.0.1:9/"

[channels.local]
type = "local"
"""


@pytest.fixture
def graph() -> Iterator[FakeGraphInsights]:
    fake = FakeGraphInsights(IG_TOKEN).start()
    yield fake
    fake.stop()
    fake.assert_clean()


@pytest.fixture
def project(make_project, graph: FakeGraphInsights) -> Project:
    from tests.conftest import MINIMAL_STORY

    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=TOML.format(url=graph.url))
    env = {"IG_TOKEN": IG_TOKEN, "STORYCAST_DB": f"sqlite:///{root}/.storycast/state.db"}
    return Project.load(root, environ=env)


def _publish_rows(project: Project, channel: str, remotes: list[str], at: datetime) -> None:
    """Ledger rows of one published story (frames 1..n) on ``channel``."""
    from sqlalchemy import update

    ledger = open_ledger(project)
    n = len(remotes)
    units = [
        {
            "entry_key": f"t/{channel}",
            "occurrence_key": f"{at:%Y-%m-%dT%H:%M}",
            "channel": channel,
            "lang": "es",
            "frame": f,
            "frame_total": n,
            "kind": "story",
            "ref": "sample",
            "label": "sample",
            "source": "t",
            "due_utc": at,
            "deadline_utc": at + timedelta(minutes=30),
        }
        for f in range(1, n + 1)
    ]
    ledger.insert_units(units, at)

    def run(c) -> None:  # type: ignore[no-untyped-def]
        for f, remote in enumerate(remotes, start=1):
            c.execute(
                update(publication)
                .where(publication.c.channel == channel, publication.c.frame == f)
                .values(state="published", remote_id=remote, published_utc=at.replace(tzinfo=None))
            )

    ledger._write(run)
    ledger.close()


def _collect(project: Project, now: datetime, **kw):  # type: ignore[no-untyped-def]
    ctx = Context(environ=project.environ)
    ctx.fixed_clock(now)
    return collect_due_insights(project, ctx, now, **kw)


def _sig(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_captures_at_t23h_within_the_24h_window(project: Project, graph: FakeGraphInsights) -> None:
    graph.add("m1", PUBLISHED, reach=300, views=410, replies=4, taps_forward=120, taps_back=9, exits=30)
    graph.add("m2", PUBLISHED, reach=250, views=300, replies=1, taps_forward=80, taps_back=3, exits=40)
    _publish_rows(project, "ig", ["m1", "m2"], PUBLISHED)
    graph.now = PUBLISHED + timedelta(hours=22)
    assert _collect(project, graph.now).captured == []  # not yet: T+23h is the default
    graph.now = PUBLISHED + timedelta(hours=23, minutes=1)
    report = _collect(project, graph.now)
    assert [c["remote_id"] for c in report.captured] == ["m1", "m2"]
    rows = {r["remote_id"]: r for r in open_ledger(project).insight_rows()}
    assert rows["m1"]["metrics"] == {
        "reach": 300,
        "views": 410,
        "replies": 4,
        "taps_forward": 120,
        "taps_back": 9,
        "exits": 30,
        "navigation": 159,
    }
    assert rows["m2"]["reach"] == 250 and rows["m2"]["frame"] == 2 and rows["m2"]["ref"] == "sample"
    again = _collect(project, graph.now + timedelta(minutes=10))
    assert again.captured == [] and again.skipped == 2  # captured once
    assert len(graph.calls("GET", "insights")) == 2


def test_after_24h_the_numbers_are_gone(project: Project, graph: FakeGraphInsights) -> None:
    graph.add("m1", PUBLISHED, reach=300)
    _publish_rows(project, "ig", ["m1"], PUBLISHED)
    graph.now = PUBLISHED + timedelta(hours=25)
    assert _collect(project, graph.now).captured == []  # the engine no longer asks...
    assert graph.calls("GET", "insights") == []
    # ...and if asked anyway (a clock that lags the platform's), the refusal is reported, not raised.
    graph.now = PUBLISHED + timedelta(hours=24, minutes=30)
    report = _collect(project, PUBLISHED + timedelta(hours=23, minutes=30))
    assert report.captured == [] and "24 hours" in report.unavailable[0]["reason"]


def test_too_few_viewers_is_reported(project: Project, graph: FakeGraphInsights) -> None:
    graph.add("m1", PUBLISHED, reach=3)
    _publish_rows(project, "ig", ["m1"], PUBLISHED)
    graph.now = PUBLISHED + timedelta(hours=23)
    report = _collect(project, graph.now, everything=True)
    assert "Not enough viewers" in report.unavailable[0]["reason"]


def test_tick_runs_the_insights_step(project: Project, graph: FakeGraphInsights) -> None:
    from storycast.engine.tick import TickOptions, tick

    graph.add("m1", PUBLISHED, reach=42)
    _publish_rows(project, "ig", ["m1"], PUBLISHED)
    graph.now = now = PUBLISHED + timedelta(hours=23, minutes=2)
    ctx = Context(environ=project.environ)
    ctx.fixed_clock(now)
    report = tick(project, ctx, now, options=TickOptions(materialize=False, reconcile=False))
    assert report.insights == 1


def test_parse_navigation_breakdown() -> None:
    body = {
        "data": [
            {"name": "reach", "values": [{"value": 12}]},
            {
                "name": "navigation",
                "total_value": {
                    "value": 9,
                    "breakdowns": [
                        {
                            "results": [
                                {"dimension_values": ["TAP_FORWARD"], "value": 5},
                                {"dimension_values": ["TAP_EXIT"], "value": 4},
                            ]
                        }
                    ],
                },
            },
        ]
    }
    assert parse_ig_insights(body) == {"reach": 12, "taps_forward": 5, "exits": 4, "navigation": 9}


def _receive(project: Project, body: bytes, signature: str | None) -> Received:
    """A Meta delivery to the channel ig (what /hooks/instagram/ig does)."""
    headers = {"x-hub-signature-256": signature} if signature is not None else {}
    return receive_webhook(project, "ig", WebhookRequest({}, headers, body), SECRET, PUBLISHED)


def test_story_insights_webhook_verified_and_stored(project: Project, caplog) -> None:
    _publish_rows(project, "ig", ["m1"], PUBLISHED)
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": "1",
                "time": 1,
                "changes": [
                    {
                        "field": "story_insights",
                        "value": {
                            "media_id": "m1",
                            "exits": 3,
                            "replies": 1,
                            "reach": 77,
                            "taps_forward": 20,
                            "taps_back": 2,
                            "impressions": 90,
                        },
                    }
                ],
            }
        ],
    }
    # Meta signs escaped unicode; verification is over the raw bytes as received.
    body = json.dumps(payload | {"note": "äöå"}).encode()
    assert _receive(project, body, _sig(body)).to_json() == {"insights": 1}
    assert _receive(project, body, _sig(body)).insights == 1  # a retry: upsert
    rows = [r for r in open_ledger(project).insight_rows() if r["source"] == "webhook"]
    assert len(rows) == 1 and rows[0]["reach"] == 77 and rows[0]["ref"] == "sample"
    with caplog.at_level("WARNING"), pytest.raises(BadSignature):
        _receive(project, body, _sig(body, "wrong-secret"))
    assert "rejected a Instagram webhook delivery: bad signature" in caplog.text
    assert SECRET not in caplog.text
    with pytest.raises(BadSignature):
        _receive(project, body + b" ", _sig(body))  # tampered body
    with pytest.raises(BadSignature):
        _receive(project, body, None)


def _messaging(*events: dict) -> bytes:
    return json.dumps(
        {"object": "instagram", "entry": [{"id": "ig", "time": 1, "messaging": list(events)}]}
    ).encode()


def _msg(sender: str, mid: str, minute: int, text: str, story: str | None = None, echo: bool = False) -> dict:
    message: dict = {"mid": mid, "text": text}
    if story:
        message["reply_to"] = {"story": {"id": story, "url": "https://cdn.example/x"}}
    if echo:
        message["is_echo"] = True
    ts = int((PUBLISHED + timedelta(minutes=minute)).timestamp() * 1000)
    if echo:
        return {"sender": {"id": "us"}, "recipient": {"id": sender}, "timestamp": ts, "message": message}
    return {"sender": {"id": sender}, "recipient": {"id": "us"}, "timestamp": ts, "message": message}


def test_instagram_replies_mentions_and_first_response(project: Project, caplog) -> None:
    _publish_rows(project, "ig", ["m1"], PUBLISHED)
    body = _messaging(
        _msg("cust-1", "mid-1", 10, "¿Y si no enciende?", story="m1"),
        _msg("cust-2", "mid-2", 12, "", story=None)
        | {
            "message": {
                "mid": "mid-2",
                "attachments": [{"type": "story_mention", "payload": {"url": "https://cdn.example/m"}}],
            }
        },
        _msg("cust-1", "mid-3", 25, "Te escribo por privado", echo=True),
    )
    stored = _receive(project, body, _sig(body)).stored
    assert (stored.replies, stored.mentions, stored.agent) == (1, 1, 1)
    again = _receive(project, body, _sig(body)).stored
    assert again.duplicates == 3  # Meta retries: nothing counted twice
    rows = open_ledger(project).reply_rows()
    reply = next(r for r in rows if r["message_id"] == "mid-1")
    assert reply["ref"] == "sample" and reply["lang"] == "es" and reply["story_remote_id"] == "m1"
    assert median_response(rows) == timedelta(minutes=15)
    with caplog.at_level("WARNING"), pytest.raises(BadSignature):
        _receive(project, body, "sha256=" + "0" * 64)
    assert "rejected a Instagram webhook delivery" in caplog.text


def test_local_feed_views_count_each_viewer_once(project: Project) -> None:
    _publish_rows(project, "local", ["local:abc"], PUBLISHED)
    for viewer in ("v1", "v2", "v1"):
        record_view(project, "local", "local:abc", viewer, PUBLISHED + timedelta(minutes=3))
    rows = open_ledger(project).insight_rows()
    assert len(rows) == 2 and all(r["frame"] == 1 and "v1" not in r["source"] for r in rows)


def test_migration_0003_adds_tables_and_keeps_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = make_engine(url)
    upgrade(engine, url, "0002")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO publication (entry_key, occurrence_key, channel, lang, frame, frame_total, kind,"
                " ref, label, source, due_utc, deadline_utc, state, attempts, created_utc, updated_utc)"
                " VALUES ('e','o','local','en',1,1,'story','s','l','x','2026-12-01 10:00:00',"
                "'2026-12-01 10:15:00','published',1,"
                "'2026-12-01 10:00:00','2026-12-01 10:00:00')"
            )
        )
    assert not inspect(engine).has_table("votes")
    upgrade(engine, url, "head")
    names = set(inspect(engine).get_table_names())
    assert {"insights", "votes", "replies"} <= names
    with engine.begin() as c:
        assert c.execute(text("SELECT count(*) FROM publication")).scalar() == 1
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "storycast.ledger:migrations")
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        conn.commit()
    assert not create_engine(url).dialect.has_table(engine.connect(), "votes")
    engine.dispose()
