"""WhatsApp Cloud API adapter against a fake that reports delivery later, as Meta does: window,
templates, the template that follows a closed window, limits, opt-outs, resume."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, PermanentFailure, PollSpec, RetryableFailure
from storycast.channels.inbound import DeliveryStatus
from storycast.channels.whatsapp import WhatsAppChannel
from tests.fakes.project import NOW, channel, jpeg, make_project, request
from tests.fakes.whatsapp import PNID, WABA
from tests.fakes.whatsapp_cloud import FakeCloudAPI

TOKEN = "EAAwhatsapptoken42"
ENV = {"WA_TOKEN": TOKEN}
A, B, C = "+34600111001", "+34600111002", "+34600111003"


@pytest.fixture
def wa() -> Iterator[FakeCloudAPI]:
    fake = FakeCloudAPI(TOKEN).start()
    yield fake
    fake.stop()
    fake.assert_clean()


def _channel(
    tmp_path: Path, wa: FakeCloudAPI, extra: str = "", windows: dict[str, str] | None = None, env=ENV
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
    assert result.detail["accepted"] == 3  # accepted, not delivered: the statuses say that
    assert len(wa.media) == 1  # uploaded once for everyone


def _statuses(wa: FakeCloudAPI, ch) -> list[DeliveryStatus]:
    """What the held status webhooks mean to the channel (as `storycast serve` would parse them)."""
    wa.flush()
    items = [
        i
        for payload in wa.held
        for i in WhatsAppChannel.parse_webhook(payload, NOW, channel="wa", project=ch.project).items
    ]
    wa.held.clear()
    return [i for i in items if isinstance(i, DeliveryStatus)]


def test_a_closed_window_comes_back_later_and_the_template_follows_once(tmp_path, wa):
    # our window file says open, WhatsApp knows it closed: 200 now, 131047 in the webhook later
    ch = _channel(tmp_path, wa, windows={A: NOW.isoformat()})
    req = request(jpeg(tmp_path / "a.jpg", 1), caption="Firmware 4.2")
    assert ch.publish(req).detail["accepted"] == 3
    assert [m["type"] for m in wa.sent if m["to"] == A] == ["image"]
    wa.flush()
    first = list(wa.held)
    failed = [st for st in _statuses(wa, ch) if st.status == "failed"]
    assert [(st.recipient, st.error_code, st.outcome, st.key) for st in failed] == [
        (A, 131047, "resend", req.idempotency_key)
    ]
    assert ch.follow_up(NOW) == 1 and ch.follow_up(NOW) == 0  # exactly once
    again = [m for m in wa.sent if m["to"] == A][1]["body"]
    assert again["type"] == "template" and again["template"]["name"] == "story_update"
    assert again["template"]["components"][0]["parameters"][0]["image"]["id"] == "media-1"
    statuses = _statuses(wa, ch)  # the template's own statuses
    assert {st.status for st in statuses if st.recipient == A} == {"sent", "delivered"}
    # The 131047 delivered again (Meta retries deliveries) owes nothing new.
    wa.held.extend(first)
    assert any(st.outcome == "resend" for st in _statuses(wa, ch))
    assert ch.follow_up(NOW) == 0


def test_a_resend_claim_goes_to_one_tick_only(tmp_path, wa):
    ch = _channel(tmp_path, wa, windows={A: NOW.isoformat(), B: NOW.isoformat()})
    req = request(jpeg(tmp_path / "a.jpg", 1))
    ch.publish(req)
    _statuses(wa, ch)
    journal = ch.journal
    first = journal.claim_resends(req.idempotency_key, NOW)
    assert sorted(first) == [A, B] and journal.claim_resends(req.idempotency_key, NOW) == []
    journal.settle_resend(req.idempotency_key, NOW, A, unknown=True)  # no answer: never repeated
    journal.settle_resend(req.idempotency_key, NOW, B, again=True)  # not sent: owed again
    assert journal.claim_resends(req.idempotency_key, NOW, skip={B}) == []  # B opted out meanwhile
    assert ch.follow_up(NOW) == 0


def test_marketing_limit_and_undeliverable_come_back_as_statuses(tmp_path, wa):
    ch = _channel(tmp_path, wa)
    wa.marketing_capped = {B}  # per-user marketing limit: 131049
    wa.undeliverable = {C}  # 131026
    req = request(jpeg(tmp_path / "a.jpg", 1))
    result = ch.publish(req)
    assert result.detail["accepted"] == 3 and ch.lookup(req) is not None
    failed = {st.recipient: (st.error_code, st.outcome) for st in _statuses(wa, ch) if st.status == "failed"}
    assert failed == {B: (131049, "deferred"), C: (131026, "undeliverable")}
    assert ch.follow_up(NOW) == 0  # neither is re-sent
    assert [m["to"] for m in wa.sent] == [A, B, C]


def test_throughput_limit_defers_the_rest_and_pair_limit(tmp_path, wa):
    ch = _channel(tmp_path, wa)
    wa.number_errors[A] = [130429]
    req = request(jpeg(tmp_path / "a.jpg", 1))
    with pytest.raises(RetryableFailure, match="0 accepted, 3 deferred") as info:
        ch.publish(req)
    assert info.value.retry_after == 60
    wa.number_errors[C] = [131056]
    with pytest.raises(RetryableFailure, match="2 accepted, 1 deferred"):
        ch.publish(req)
    ch.publish(req)
    assert sorted(m["to"] for m in wa.sent) == [A, B, C]


def test_opted_out_numbers_are_never_messaged(tmp_path, wa):
    ch = _channel(tmp_path, wa)
    (ch.project.root / ".storycast" / "whatsapp-optout.json").write_text(
        json.dumps({B: {"at": NOW.isoformat(), "word": "BAJA"}}), encoding="utf-8"
    )
    result = ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert [m["to"] for m in wa.sent] == [A, C] and result.detail["opted_out"] == 1
    (ch.project.root / ".storycast" / "whatsapp-optout.json").write_text(
        json.dumps({n: {} for n in (A, B, C)}), encoding="utf-8"
    )
    with pytest.raises(PermanentFailure, match="every subscriber has opted out"):
        ch.publish(request(jpeg(tmp_path / "b.jpg", 2)))


def test_poll_template_buttons_carry_the_option_and_list_labels_follow_the_language(tmp_path, wa):
    wa.open_windows = {A}
    ch = _channel(tmp_path, wa, windows={A: NOW.isoformat()})
    many = PollSpec("ใช้เราเตอร์รุ่นไหน?", tuple(f"รุ่น {i}" for i in range(5)), poll_id="p2")
    ch.publish(request(None, kind="poll", poll=many, lang="th"))
    by = {m["to"]: m["body"] for m in wa.sent}
    action = by[A]["interactive"]["action"]
    assert (action["button"], action["sections"][0]["title"]) == ("โหวต", "ตัวเลือก")
    buttons = [c for c in by[B]["template"]["components"] if c["type"] == "button"]
    assert [(b["sub_type"], b["index"], b["parameters"][0]["payload"]) for b in buttons] == [
        ("quick_reply", str(i), f"p2:{i}") for i in range(5)
    ]


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
