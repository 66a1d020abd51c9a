"""Telegram adapter against the fake Bot API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, PermanentFailure, PollSpec, RetryableFailure
from storycast.channels.telegram import fit_caption, utf16_len
from storycast.errors import StorycastError
from tests.fakes.project import NOW, channel, jpeg, make_project, request, video
from tests.fakes.telegram import FakeTelegram

TOKEN = "123456:AAtesttoken"
ENV = {"TG_TOKEN": TOKEN}


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    fake.clock = NOW.timestamp  # the server's clock, for close_date
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
    sent = tg.calls("POST", "sendPoll")[0].form()
    assert int(sent["close_date"]) == int((NOW + timedelta(days=1)).timestamp())  # within 2,628,000 s
    tg.polls[int(result.remote_id)]["options"][0]["voter_count"] = 12
    assert ch.close_poll(result.remote_id) == {"Yes": 12, "No": 0, "Still slow": 0}
    with pytest.raises(PermanentFailure, match="2 to 12"):
        ch.publish(request(None, kind="poll", poll=PollSpec("?", ("only",))))


def test_poll_of_twelve_options_with_a_description(tmp_path, tg):
    """Bot API 9.1: up to 12 options; 10.0: a description under the question."""
    ch = _channel(tmp_path, tg)
    options = tuple(f"Option {i}" for i in range(1, 13))
    far = NOW + timedelta(days=40)  # beyond 2,628,000 s: storycast closes it with stopPoll
    poll = PollSpec("Which router do you have?", options, closes_at=far, description="Pick the closest one.")
    result = ch.publish(request(None, kind="poll", poll=poll))
    sent = tg.calls("POST", "sendPoll")[0].form()
    assert sent["description"] == "Pick the closest one." and "close_date" not in sent
    assert len(tg.polls[int(result.remote_id)]["options"]) == 12
    with pytest.raises(PermanentFailure, match="2 to 12"):
        ch.publish(request(None, kind="poll", poll=PollSpec("?", (*options, "13"))))
    assert len(tg.calls("POST", "sendPoll")) == 1  # refused before any call


def test_a_channel_takes_anonymous_polls_only(tmp_path, tg):
    """Non-anonymous polls cannot be sent to channel chats: refused when the config loads."""
    with pytest.raises(StorycastError) as info:
        _channel(tmp_path, tg, extra='chat_id = "@lumen"\nanonymous_polls = false')
    text = str(info.value) + (info.value.hint or "")
    assert "anonymous polls only" in text and "channels.tg" in text
    assert tg.requests == []
    group = _channel(tmp_path, tg, extra='chat_id = "-2002"\nchat_type = "group"\nanonymous_polls = false')
    group.publish(request(None, kind="poll", poll=PollSpec("Better now?", ("Yes", "No"))))
    assert tg.calls("POST", "sendPoll")[0].form()["is_anonymous"] == "False"
    assert all(c.ok for c in group.check() if c.severity == "error")
    tg.chats["-2002"]["type"] = "channel"  # the id was a channel after all: check says so
    polls = {c.check: c for c in group.check()}["polls"]
    assert not polls.ok and "anonymous polls only" in polls.detail


def test_the_fake_refuses_what_the_bot_api_refuses(tmp_path, tg):
    """The fake follows the documented contract, whatever the adapter checks first."""
    ch = _channel(tmp_path, tg)
    one = jpeg(tmp_path / "one.jpg", 1)
    for count in (1, 11):
        media = [{"type": "photo", "media": f"attach://f{i}"} for i in range(count)]
        with one.open("rb") as fh:
            files = {f"f{i}": (f"{i}.jpg", fh) for i in range(count)}
            with pytest.raises(PermanentFailure, match="2-10 items"):
                ch.call("sendMediaGroup", mutating=True, files=files, media=media, chat_id="@lumen")
    with pytest.raises(PermanentFailure, match="non-anonymous"):
        ch.call(
            "sendPoll",
            mutating=True,
            chat_id="@lumen",
            question="?",
            is_anonymous=False,
            options=[{"text": "a"}, {"text": "b"}],
        )
    with pytest.raises(PermanentFailure, match="close_date"):
        ch.call(
            "sendPoll",
            mutating=True,
            chat_id="@lumen",
            question="?",
            options=[{"text": "a"}],
            close_date=int(NOW.timestamp()) + 2_628_001,
        )
    tg.script("sendMediaGroup", "429")
    reqs = [request(jpeg(tmp_path / f"{i}.jpg", i + 10), index=i, total=2) for i in (1, 2)]
    with pytest.raises(RetryableFailure) as info:
        ch.publish_album(reqs)
    assert info.value.retry_after == 5 and tg.messages == []


def test_captions_are_measured_in_utf16_and_cut_between_characters():
    """Telegram counts 1024 UTF-16 code units; a cut never splits a Thai or Hindi cluster."""
    emoji = "🙂" * 600  # 1200 units in 600 characters
    assert utf16_len(fit_caption(emoji)) <= 1024 and fit_caption(emoji).endswith("…")
    thai = "ถอดปลั๊กไฟของเราเตอร์แล้วรอสามสิบวินาที" * 40  # no spaces to cut on
    cut = fit_caption(thai)
    assert utf16_len(cut) <= 1024 and thai.startswith(cut[:-1])
    import unicodedata

    assert unicodedata.category(thai[len(cut) - 1]) not in ("Mn", "Mc")  # the next char starts a cluster
    assert cut[-2] not in "เแโใไ"  # nor ends on a vowel written before its consonant
    hindi = "राउटर का प्लग निकालें और तीस सेकंड रुकें। " * 40
    cut = fit_caption(hindi)
    assert utf16_len(cut) <= 1024 and not cut[:-1].endswith("्") and cut.endswith("…")
    assert fit_caption("short") == "short"


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
