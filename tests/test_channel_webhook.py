"""Signed JSON, Slack and Discord webhooks against the fake receivers."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, PermanentFailure, PollSpec, RetryableFailure
from storycast.channels.webhook import signature, verify
from tests.fakes.hooks import DISCORD_PATH, SLACK_PATH, FakeHooks
from tests.fakes.meta import StaticFiles
from tests.fakes.project import NOW, channel, jpeg, make_project, request

SECRET = "whsec-test-123"


@pytest.fixture
def hooks() -> Iterator[FakeHooks]:
    fake = FakeHooks(SECRET).start()
    yield fake
    fake.stop()
    fake.assert_clean()


def _env(hooks: FakeHooks) -> dict[str, str]:
    return {
        "HOOK_SECRET": SECRET,
        "SLACK_URL": "https://hooks.slack.com" + SLACK_PATH,
        "DISCORD_URL": "https://discord.com" + DISCORD_PATH,
    }


def _project(tmp_path: Path, hooks: FakeHooks, extra: str = ""):
    return make_project(
        tmp_path / "proj",
        f"""[channels.hook]
type = "webhook"
url = "{hooks.url}/hook"
signing_secret = "env:HOOK_SECRET"
timeout = 0.5

[channels.slack]
type = "slack"
api_base = "{hooks.url}"
webhook_url = "env:SLACK_URL"
timeout = 0.5

[channels.discord]
type = "discord"
api_base = "{hooks.url}"
webhook_url = "env:DISCORD_URL"
timeout = 0.5
backoff = 0
{extra}
""",
    )


def test_signature_round_trip_and_tolerance():
    sig = signature("k", "1700000000", b"{}")
    assert verify("k", "1700000000", b"{}", sig, now=1700000100)
    assert not verify("k", "1700000000", b"{}", sig, now=1700000400)  # too old
    assert not verify("other", "1700000000", b"{}", sig, now=1700000000)
    assert not verify("k", "1700000000", b"{ }", sig, now=1700000000)


def test_generic_webhook_is_signed_and_carries_the_frame(tmp_path, hooks):
    ch = channel(_project(tmp_path, hooks), "hook", _env(hooks))
    frame = jpeg(tmp_path / "a.jpg", 1)
    req = request(frame, caption="Paso 1", alt="Router trasero", index=1, total=2, lang="es")
    result = ch.publish(req)
    doc = hooks.generic[0]
    assert result.remote_id == "evt_1"
    assert doc["idempotency_key"] == req.idempotency_key and doc["language"] == "es"
    assert base64.b64decode(doc["media"]["data_base64"]) == frame.read_bytes()
    assert hooks.requests[0].headers["idempotency-key"] == req.idempotency_key
    bad = channel(_project(tmp_path / "x", hooks), "hook", {**_env(hooks), "HOOK_SECRET": "wrong-secret"})
    with pytest.raises(NeedsAuth):
        bad.publish(request(jpeg(tmp_path / "b.jpg", 2)))


def test_slack_blocks_with_hosted_image(tmp_path, hooks):
    static = StaticFiles(tmp_path / "proj" / "public").start()
    try:
        extra = f"""[channels.slack.hosting]
kind = "folder"
folder = "public"
base_url = "{static.url}"
"""
        project = _project(tmp_path, hooks)
        text = project.config_path.read_text().replace(
            'webhook_url = "env:SLACK_URL"\ntimeout = 0.5\n',
            'webhook_url = "env:SLACK_URL"\ntimeout = 0.5\n' + extra,
            1,
        )
        project.config_path.write_text(text)
        from storycast.project import Project

        ch = channel(Project.load(project.root, environ={}), "slack", _env(hooks))
        ch.publish(
            request(
                jpeg(tmp_path / "a.jpg", 1), caption="Unplug the router", alt="A router", index=2, total=4
            )
        )
    finally:
        static.stop()
    blocks = hooks.slack[0]["blocks"]
    assert [b["type"] for b in blocks] == ["image", "section", "context"]
    assert blocks[0]["image_url"].startswith(static.url) and blocks[0]["alt_text"] == "A router"
    assert "Step 2 of 4" in blocks[2]["elements"][0]["text"]


def test_slack_poll_as_text_and_revoked_url(tmp_path, hooks, caplog):
    caplog.set_level(logging.DEBUG)
    ch = channel(_project(tmp_path, hooks), "slack", _env(hooks))
    ch.publish(request(None, kind="poll", poll=PollSpec("Fixed?", ("Yes", "No"))))
    assert "1. Yes\n2. No" in hooks.slack[0]["blocks"][0]["text"]["text"]
    env = {**_env(hooks), "SLACK_URL": "https://hooks.slack.com/services/T9/B9/revokedSECRET"}
    with pytest.raises(NeedsAuth) as info:
        channel(_project(tmp_path / "y", hooks), "slack", env).publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert "revokedSECRET" not in str(info.value) and "revokedSECRET" not in caplog.text
    assert "XXXXslacksecret" not in caplog.text


def test_discord_embed_with_attachment_and_native_poll(tmp_path, hooks):
    ch = channel(_project(tmp_path, hooks), "discord", _env(hooks))
    r = ch.publish(request(jpeg(tmp_path / "a.jpg", 1), caption="Open the app", index=1, total=3))
    msg = hooks.discord[0]
    assert r.remote_id == msg["id"] and msg["has_file"]
    assert msg["payload"]["embeds"][0]["image"]["url"] == "attachment://frame.jpg"
    poll = PollSpec(
        "Which step was hardest?",
        ("Unplug", "Wait", "Reconnect"),
        closes_at=NOW + timedelta(hours=47, minutes=10),
    )
    ch.publish(request(None, kind="poll", poll=poll))
    sent = hooks.discord[1]["payload"]["poll"]
    assert sent["duration"] == 48 and [a["poll_media"]["text"] for a in sent["answers"]] == [
        "Unplug",
        "Wait",
        "Reconnect",
    ]
    with pytest.raises(PermanentFailure, match="55"):
        ch.publish(request(None, kind="poll", poll=PollSpec("Q", ("x" * 56, "y"))))
    assert all(c.ok for c in ch.check())


def test_discord_429_5xx_timeout(tmp_path, hooks, caplog):
    caplog.set_level(logging.DEBUG)
    ch = channel(_project(tmp_path, hooks), "discord", _env(hooks))
    frames = [request(jpeg(tmp_path / f"{i}.jpg", i), index=i, total=3) for i in (1, 2, 3)]
    hooks.script("discord", "429")
    with pytest.raises(RetryableFailure) as info:
        ch.publish(frames[0])
    assert info.value.retry_after == 2.5
    hooks.script("discord", "503")
    with pytest.raises(RetryableFailure):
        ch.publish(frames[0])
    ch.publish(frames[0])
    hooks.script("discord", "hang")
    with pytest.raises(AmbiguousOutcome):
        ch.publish(frames[1])
    ch.publish(frames[2])
    assert len(hooks.discord) == 3  # frame 2 arrived once (before the hang); nothing re-sent
    assert "discordSECRETtoken" not in caplog.text


def test_signed_timestamp_is_the_real_clock_when_now_is_in_the_past(tmp_path, hooks):
    """`publish --now` three days back: the receiver (five-minute rule, real clock) still accepts."""
    import time

    from storycast.channels import open_channel
    from tests.fakes.project import context

    past = NOW - timedelta(days=3)
    ch = open_channel(_project(tmp_path, hooks), "hook", context(_env(hooks), now=past))
    req = request(jpeg(tmp_path / "a.jpg", 1))
    ch.publish(req)
    assert hooks.refused == [] and len(hooks.generic) == 1
    stamp = int(hooks.calls("POST", "/hook")[0].headers["x-storycast-timestamp"])
    assert abs(stamp - time.time()) < 300
    # The publication's own time is unchanged in the body.
    assert hooks.generic[0]["due_at"] == req.due_utc.isoformat()


def test_receiver_refuses_a_stale_signed_timestamp(hooks):
    """The fake receiver applies the documented rule: a stamp ten minutes old is refused."""
    import time

    import requests

    body = b'{"event":"story.frame"}'
    stamp = str(int(time.time()) - 600)
    resp = requests.post(
        f"{hooks.url}/hook",
        data=body,
        headers={"X-Storycast-Timestamp": stamp, "X-Storycast-Signature": signature(SECRET, stamp, body)},
        timeout=5,
    )
    assert resp.status_code == 401 and hooks.refused == [stamp]
