"""WhatsApp Cloud API adapter against the fake: window, templates, caps, resume."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, PermanentFailure, PollSpec, RetryableFailure
from tests.fakes.project import NOW, channel, jpeg, make_project, request
from tests.fakes.whatsapp import PNID, WABA, FakeWhatsApp

TOKEN = "EAAwhatsapptoken42"
ENV = {"WA_TOKEN": TOKEN}
A, B, C = "+34600111001", "+34600111002", "+34600111003"


@pytest.fixture
def wa() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp(TOKEN).start()
    yield fake
    fake.stop()
    fake.assert_clean()


def _channel(
    tmp_path: Path, wa: FakeWhatsApp, extra: str = "", windows: dict[str, str] | None = None, env=ENV
):
    root = tmp_path / "proj"
    (root / "audience").mkdir(parents=True, exist_ok=True)
    (root / "audience" / "whatsapp.txt").write_text(f"# opted in at the front desk\n{A}\n{B}\n{C}\n")
    (root / ".storycast").mkdir(exist_ok=True)
    (root / ".storycast" / "whatsapp-window.json").write_text(json.dumps(windows or {}))
    project = make_project(
        root,
        f"""[channels.wa]
type = "whatsapp"
api_base = "{wa.url}"
phone_number_id = "{PNID}"
waba_id = "{WABA}"
access_token = "env:WA_TOKEN"
subscribers_file = "audience/whatsapp.txt"
template = "story_update"
poll_template = "quick_poll"
template_languages = {{ en = "en_US" }}
messages_per_second = 0
timeout = 0.5
backoff = 0
{extra}
""",
    )
    return channel(project, "wa", env)


def test_template_outside_window_image_inside(tmp_path, wa):
    recent = (NOW - timedelta(hours=2)).isoformat()
    wa.open_windows = {A}
    ch = _channel(tmp_path, wa, windows={A: recent, B: (NOW - timedelta(hours=30)).isoformat()})
    result = ch.publish(request(jpeg(tmp_path / "a.jpg", 1), caption="Firmware 4.2 is out"))
    types = {m["to"]: m["type"] for m in wa.sent}
    assert types == {A: "image", B: "template", C: "template"}
    tpl = next(m for m in wa.sent if m["to"] == B)["body"]["template"]
    assert tpl["name"] == "story_update" and tpl["language"]["code"] == "en_US"
    assert result.detail["sent"] == 3
    assert len(wa.media) == 1  # uploaded once for everyone


def test_window_closed_falls_back_to_template(tmp_path, wa):
    # our window file says open, WhatsApp says closed (131047): the template goes instead
    ch = _channel(tmp_path, wa, windows={A: NOW.isoformat()})
    ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert [m["type"] for m in wa.sent if m["to"] == A] == ["template"]


def test_only_first_frame_is_messaged(tmp_path, wa):
    ch = _channel(tmp_path, wa)
    skipped = ch.publish(request(jpeg(tmp_path / "b.jpg", 2), index=2, total=3))
    assert skipped.detail["skipped"] and not wa.sent


def test_caps_defer_and_resume_without_duplicates(tmp_path, wa):
    ch = _channel(tmp_path, wa)
    wa.number_errors[B] = [131049]  # per-user marketing cap
    wa.number_errors[C] = [131026]  # undeliverable: skipped for good
    req = request(jpeg(tmp_path / "a.jpg", 1))
    with pytest.raises(RetryableFailure, match="1 sent, 1 deferred, 1 skipped") as info:
        ch.publish(req)
    assert info.value.retry_after == 3600
    result = ch.publish(req)  # the next attempt messages only B
    assert [m["to"] for m in wa.sent] == [A, B]
    assert result.detail["sent"] == 2 and ch.lookup(req) is not None


def test_throughput_limit_defers_the_rest_and_pair_limit(tmp_path, wa):
    ch = _channel(tmp_path, wa)
    wa.number_errors[A] = [130429]
    req = request(jpeg(tmp_path / "a.jpg", 1))
    with pytest.raises(RetryableFailure, match="0 sent, 3 deferred") as info:
        ch.publish(req)
    assert info.value.retry_after == 60
    wa.number_errors[C] = [131056]
    with pytest.raises(RetryableFailure, match="2 sent, 1 deferred"):
        ch.publish(req)
    ch.publish(req)
    assert sorted(m["to"] for m in wa.sent) == [A, B, C]


def test_poll_as_reply_buttons_list_or_template(tmp_path, wa):
    wa.open_windows = {A, B}
    ch = _channel(tmp_path, wa, windows={A: NOW.isoformat(), B: NOW.isoformat()})
    ch.publish(request(None, kind="poll", poll=PollSpec("Fixed?", ("Yes", "No"), poll_id="p1")))
    by = {m["to"]: m["body"] for m in wa.sent}
    assert by[A]["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in by[A]["interactive"]["action"]["buttons"]] == ["Yes", "No"]
    assert by[C]["type"] == "template" and by[C]["template"]["name"] == "quick_poll"
    wa.sent.clear()
    many = PollSpec("Which router?", tuple(f"Model {i}" for i in range(5)), poll_id="p2")
    ch.publish(request(None, kind="poll", poll=many))
    assert {m["to"]: m["body"].get("interactive", {}).get("type") for m in wa.sent}[A] == "list"


def test_expired_token_timeout_and_redaction(tmp_path, wa, caplog):
    caplog.set_level(logging.DEBUG)
    ch = _channel(tmp_path, wa)
    wa.expired = True
    with pytest.raises(NeedsAuth) as info:
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert TOKEN not in str(info.value)
    wa.expired = False
    wa.script("messages", "hang", "hang", "hang")
    req = request(jpeg(tmp_path / "b.jpg", 2))
    with pytest.raises(AmbiguousOutcome):
        ch.publish(req)
    # nobody is messaged again after an ambiguous send
    with pytest.raises(AmbiguousOutcome):
        ch.publish(req)
    assert TOKEN not in caplog.text


def test_bad_numbers_and_check(tmp_path, wa):
    ch = _channel(tmp_path, wa, extra='subscribers = ["0034 600"]')
    with pytest.raises(PermanentFailure, match=r"E\.164"):
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    ok = _channel(tmp_path / "2", wa)
    checks = {c.check: c for c in ok.check()}
    assert checks["number"].ok and "TIER_1K" in checks["number"].detail
    assert checks["subscribers"].ok and "3 opted-in" in checks["subscribers"].detail
    assert checks["template"].ok
    wa.templates["quick_poll"] = "REJECTED"
    assert not {c.check: c for c in ok.check()}["poll_template"].ok
