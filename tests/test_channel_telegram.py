"""Telegram adapter against the fake Bot API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, PermanentFailure, PollSpec, RetryableFailure
from storycast.channels.telegram import fit_caption
from tests.fakes.project import NOW, channel, jpeg, make_project, request, video
from tests.fakes.telegram import FakeTelegram

TOKEN = "123456:AAtesttoken"
ENV = {"TG_TOKEN": TOKEN}


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    yield fake
    fake.stop()
    fake.assert_clean()


def _channel(tmp_path: Path, tg: FakeTelegram, extra: str = 'chat_id = "@lumen"', env=ENV):
    project = make_project(
        tmp_path / "proj",
        f"""[channels.tg]
type = "telegram"
api_base = "{tg.url}"
bot_token = "env:TG_TOKEN"
min_interval = 0
timeout = 0.5
backoff = 0
{extra}
""",
    )
    return channel(project, "tg", env)


def test_photo_and_video_posts_carry_the_step_text(tmp_path, tg):
    ch = _channel(tmp_path, tg)
    r1 = ch.publish(request(jpeg(tmp_path / "a.jpg", 1), caption="Unplug the router for 30 seconds."))
    ch.publish(request(video(tmp_path / "v.mp4", 2), index=2, total=2, caption="Plug it back in."))
    assert [m["kind"] for m in tg.messages] == ["photo", "video"]
    assert tg.messages[0]["caption"] == "Unplug the router for 30 seconds."
    assert r1.url == f"https://t.me/lumen/{tg.messages[0]['message_id']}"


def test_long_caption_is_cut_on_a_word_boundary(tmp_path, tg):
    text = "Wähle das Netzwerk aus und gib das Passwort ein. " * 40
    cut = fit_caption(text)
    assert len(cut) <= 1024 and cut.endswith("…") and not cut[:-1].endswith(" ")
    ch = _channel(tmp_path, tg)
    result = ch.publish(request(jpeg(tmp_path / "a.jpg", 1), caption=text))
    assert result.detail["caption_cut"] is True


def test_album_of_frames(tmp_path, tg):
    ch = _channel(tmp_path, tg)
    reqs = [request(jpeg(tmp_path / f"{i}.jpg", i), index=i, total=3, caption=f"step {i}") for i in (1, 2, 3)]
    results = ch.publish_album(reqs)
    assert len(results) == 3 and all(m.get("album") for m in tg.messages)
    assert [m["caption"] for m in tg.messages] == ["step 1", "step 2", "step 3"]
    with pytest.raises(PermanentFailure, match="2 to 10"):
        ch.publish_album(reqs[:1])


def test_native_poll_then_stop_with_results(tmp_path, tg):
    ch = _channel(tmp_path, tg)
    poll = PollSpec("Did the restart fix it?", ("Yes", "No", "Still slow"), closes_at=NOW + timedelta(days=1))
    result = ch.publish(request(None, kind="poll", poll=poll))
    assert "close_date" not in tg.calls("POST", "sendPoll")[0].form()  # too far ahead: stopPoll later
    tg.polls[int(result.remote_id)]["options"][0]["voter_count"] = 12
    assert ch.close_poll(result.remote_id) == {"Yes": 12, "No": 0, "Still slow": 0}
    with pytest.raises(PermanentFailure, match="2 to 10"):
        ch.publish(request(None, kind="poll", poll=PollSpec("?", ("only",))))


def test_business_story_with_active_period(tmp_path, tg):
    ch = _channel(
        tmp_path, tg, extra='mode = "story"\nbusiness_connection_id = "biz-1"\nstory_active_period = 43200'
    )
    req = request(jpeg(tmp_path / "a.jpg", 1, size=(1080, 1920)))
    result = ch.publish(req)
    assert result.remote_id == str(tg.stories[0]["id"])
    assert result.expires_utc == ch.context.now() + timedelta(hours=12)
    assert {c.check: c.ok for c in ch.check()} == {"token": True, "business": True, "webhook": True}


def test_story_photo_must_be_1080x1920(tmp_path, tg):
    ch = _channel(tmp_path, tg, extra='mode = "story"\nbusiness_connection_id = "biz-1"')
    small = request(jpeg(tmp_path / "a.jpg", 1))
    from dataclasses import replace

    small = replace(small, media=replace(small.media, width=108, height=192))
    with pytest.raises(PermanentFailure, match="1080x1920"):
        ch.publish(small)


def test_429_retry_after_5xx_and_partial_album_resume(tmp_path, tg):
    ch = _channel(tmp_path, tg)
    reqs = [request(jpeg(tmp_path / f"{i}.jpg", i), index=i, total=3) for i in (1, 2, 3)]
    ch.publish(reqs[0])
    tg.script("sendPhoto", "429")
    with pytest.raises(RetryableFailure) as info:
        ch.publish(reqs[1])
    assert info.value.retry_after == 5
    tg.script("sendPhoto", "503")
    with pytest.raises(RetryableFailure):
        ch.publish(reqs[1])
    ch.publish(reqs[1])
    ch.publish(reqs[2])
    assert len(tg.messages) == 3


def test_timeout_and_500_after_sending_are_ambiguous(tmp_path, tg):
    ch = _channel(tmp_path, tg)
    tg.script("sendPhoto", "hang")
    with pytest.raises(AmbiguousOutcome):
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    tg.script("sendPhoto", "500-after")
    with pytest.raises(AmbiguousOutcome):
        ch.publish(request(jpeg(tmp_path / "b.jpg", 2)))
    assert ch.lookup(request(jpeg(tmp_path / "b.jpg", 2))) is None


def test_bad_token_needs_auth_and_never_leaks(tmp_path, tg, caplog):
    caplog.set_level(logging.DEBUG)
    bad = "999999:WRONGtokenVALUE"
    ch = _channel(tmp_path, tg, env={"TG_TOKEN": bad})
    with pytest.raises(NeedsAuth) as info:
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert bad not in str(info.value)
    checks = ch.check()
    assert not checks[0].ok and bad not in checks[0].detail
    assert bad not in caplog.text
    good = _channel(tmp_path, tg)
    good.publish(request(jpeg(tmp_path / "b.jpg", 2)))
    assert TOKEN not in caplog.text


def test_check_reports_bot_rights(tmp_path, tg):
    ch = _channel(tmp_path, tg)
    assert all(c.ok for c in ch.check())
    tg.member_status = "left"
    chat = {c.check: c for c in ch.check()}["chat"]
    assert not chat.ok and "without the right to post" in chat.detail
    missing = _channel(tmp_path, tg, extra='chat_id = "@nowhere"')
    assert not {c.check: c for c in missing.check()}["chat"].ok


def test_check_says_whether_the_webhook_accepts_updates(tmp_path, tg):
    """Without a webhook_secret /hooks/telegram/NAME refuses every update, and check says so."""
    bare = {c.check: c for c in _channel(tmp_path, tg).check()}["webhook"]
    assert bare.severity == "info" and "refuses every update" in bare.detail
    secret = "tg_hook-Secret42"
    env = {**ENV, "TG_HOOK": secret}
    signed = _channel(tmp_path, tg, extra='chat_id = "@lumen"\nwebhook_secret = "env:TG_HOOK"', env=env)
    hook = {c.check: c for c in signed.check()}["webhook"]
    assert hook.ok and "/hooks/telegram/tg accepts updates" in hook.detail and secret not in hook.detail
    bad = _channel(
        tmp_path,
        tg,
        extra='chat_id = "@lumen"\nwebhook_secret = "env:TG_HOOK"',
        env={**ENV, "TG_HOOK": "a b"},
    )
    wrong = {c.check: c for c in bad.check()}["webhook"]
    assert not wrong.ok and wrong.severity == "error" and "A-Z" in wrong.detail
    unset = _channel(tmp_path, tg, extra='chat_id = "@lumen"\nwebhook_secret = "env:TG_NOPE"')
    assert not {c.check: c for c in unset.check()}["webhook"].ok
