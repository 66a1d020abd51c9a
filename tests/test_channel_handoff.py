"""Hand-off packs: folder contents, QR code, one notification per pack, redaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from storycast.channels import RetryableFailure
from tests.fakes.hooks import FakeHooks
from tests.fakes.project import channel, jpeg, make_project, request


@pytest.fixture
def hooks() -> Iterator[FakeHooks]:
    fake = FakeHooks().start()
    yield fake
    fake.stop()
    fake.assert_clean()


def _channel(tmp_path, hooks, notify='["env:NOTIFY_URL"]', extra=""):
    project = make_project(
        tmp_path / "proj",
        f"""[channels.snap]
type = "handoff"
platform = "snapchat"
assignee = "Marta"
notify = {notify}
confirm_url = "http://localhost:8765/confirm/{{id}}"
{extra}
""",
    )
    port = hooks.url.rsplit(":", 1)[1]
    return channel(
        project, "snap", {"NOTIFY_URL": f"json://127.0.0.1:{port}/notify?secret-token=ZZtopSECRET"}
    )


def test_pack_is_built_frame_by_frame_and_notified_once(tmp_path, hooks):
    ch = _channel(tmp_path, hooks)
    frames = [jpeg(tmp_path / f"f{i}.jpg", i) for i in (1, 2, 3)]
    reqs = [
        request(
            f,
            index=i,
            total=3,
            row_id=10 + i,
            caption=f"Paso {i}",
            alt=f"Imagen {i}",
            lang="es",
            meta={"occurrence_key": "2026-12-01T09:00"},
        )
        for i, f in enumerate(frames, 1)
    ]
    results = [ch.publish(r) for r in reqs[:2]]
    assert all(r.state == "handed_off" for r in results)
    assert not hooks.notifications  # not complete yet
    last = ch.publish(reqs[2])
    pack = tmp_path / "proj" / "handoff" / last.remote_id.split(":", 1)[1].split("/")[0]
    names = sorted(p.name for p in pack.iterdir())
    assert names == [
        "01.jpg",
        "02.jpg",
        "03.jpg",
        "alt.txt",
        "captions.txt",
        "checklist.md",
        "manifest.json",
        "qr.png",
    ]
    assert (pack / "02.jpg").read_bytes() == frames[1].read_bytes()
    assert (pack / "captions.txt").read_text() == "01. Paso 1\n02. Paso 2\n03. Paso 3\n"
    checklist = (pack / "checklist.md").read_text()
    assert "storycast confirm 11 12 13" in checklist and "Snapchat" in checklist and "Marta" in checklist
    assert len(hooks.notifications) == 1
    note = hooks.notifications[0]
    assert "storycast confirm 11 12 13" in note["message"] and "Snapchat" in note["title"]
    # a repeat of the last frame (a retried row) rebuilds the pack but does not notify again
    ch.publish(reqs[2])
    assert len(hooks.notifications) == 1
    assert ch.lookup(reqs[1]) is not None


def test_qr_code_decodes_to_the_confirm_url(tmp_path, hooks):
    from PIL import Image

    ch = _channel(tmp_path, hooks)
    result = ch.publish(request(jpeg(tmp_path / "a.jpg", 1), row_id=42))
    pack = tmp_path / "proj" / "handoff" / result.remote_id.split(":", 1)[1].split("/")[0]
    img = Image.open(pack / "qr.png")
    assert img.size[0] == img.size[1] and img.size[0] >= 250  # big enough to scan from a screen
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["frames"]["1"]["row_id"] == 42
    assert "http://localhost:8765/confirm/42" in (pack / "checklist.md").read_text()


def test_failed_notification_is_retryable_and_secret_stays_hidden(tmp_path, hooks, caplog):
    caplog.set_level(logging.DEBUG)
    ch = _channel(tmp_path, hooks)
    hooks.script("notify", "500")
    with pytest.raises(RetryableFailure) as info:
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert "ZZtopSECRET" not in str(info.value)
    ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert len(hooks.notifications) == 1
    assert "ZZtopSECRET" not in caplog.text


def test_check(tmp_path, hooks):
    checks = {c.check: c for c in _channel(tmp_path, hooks).check()}
    assert checks["folder"].ok and checks["notify"].ok
    silent = {c.check: c for c in _channel(tmp_path / "b", hooks, notify="[]").check()}
    assert not silent["notify"].ok and silent["notify"].severity == "warning"


FOLLOW_UP = """remind_after = "30m"
escalate_after = "2h"
escalate_to = ["env:LEAD_URL"]
escalate_name = "Luis"
"""


def _follow_up_channel(tmp_path, hooks, lead):
    project = make_project(
        tmp_path / "proj",
        f"""[channels.snap]
type = "handoff"
platform = "snapchat"
assignee = "Marta"
notify = ["env:NOTIFY_URL"]
{FOLLOW_UP}""",
    )
    port, lead_port = hooks.url.rsplit(":", 1)[1], lead.url.rsplit(":", 1)[1]
    env = {
        "NOTIFY_URL": f"json://127.0.0.1:{port}/notify?secret-token=ZZtopSECRET",
        "LEAD_URL": f"json://127.0.0.1:{lead_port}/notify?secret-token=LEADsecret9",
    }
    return channel(project, "snap", env)


def _pack(tmp_path):
    from datetime import UTC, datetime

    from storycast.channels.handoff import HandedOffPack

    at = datetime(2026, 12, 1, 9, 1, tzinfo=UTC)
    return HandedOffPack("reset-router", "es", [7, 8], tmp_path / "pack", at, at.replace(day=2, minute=0))


def test_follow_up_reminds_the_contact_and_escalates_to_the_second(tmp_path, hooks):
    from datetime import timedelta

    with FakeHooks() as lead:
        ch = _follow_up_channel(tmp_path, hooks, lead)
        plan = ch.follow_up()
        assert (plan.remind, plan.escalate, plan.stale) == (
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=24),
        )
        ch.remind(_pack(tmp_path))
        assert len(hooks.notifications) == 1 and not lead.notifications
        note = hooks.notifications[0]
        assert note["title"].startswith("storycast reminder") and "storycast confirm 7 8" in note["message"]
        assert note["message"].startswith("Marta: reminder")
        ch.escalate(_pack(tmp_path))
        assert len(hooks.notifications) == 1 and len(lead.notifications) == 1
        assert lead.notifications[0]["message"].startswith("Luis: “reset-router” (es)")
        assert "by Marta" in lead.notifications[0]["message"]
        checks = {c.check: c for c in ch.check()}
        assert checks["escalate_to"].ok and "Luis" in checks["escalate_to"].detail


def test_a_failed_escalation_is_retryable_and_keeps_its_secret(tmp_path, hooks, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeHooks() as lead:
        ch = _follow_up_channel(tmp_path, hooks, lead)
        lead.script("notify", "500")
        with pytest.raises(RetryableFailure) as info:
            ch.escalate(_pack(tmp_path))
        assert "escalation" in info.value.message
        assert "LEADsecret9" not in str(info.value) + caplog.text
        assert not lead.notifications


def test_pack_of_reads_the_remote_id(tmp_path, hooks):
    ch = _channel(tmp_path, hooks)
    assert ch.pack_of("pack:2026-12-01-x-en-1a2b3c4d/02") == ch.folder / "2026-12-01-x-en-1a2b3c4d"
    assert ch.pack_of("pack:2026-12-01-x-en-1a2b3c4d") == ch.folder / "2026-12-01-x-en-1a2b3c4d"
    assert ch.pack_of("pack:../02") is None and ch.pack_of("12345") is None and ch.pack_of(None) is None
    assert not ch.follow_up()  # no remind_after, no escalate_after: nothing to follow up


@pytest.mark.parametrize(
    ("keys", "bad", "words"),
    [
        (
            'remind_after = "3h"\nescalate_after = "2h"\nescalate_to = ["env:X"]',
            "escalate_after",
            "longer than",
        ),
        ('remind_after = "soon"', "remind_after", "is not a duration"),
        ('remind_after = "0"', "remind_after", "longer than 0"),
        ('escalate_after = "2h"', "escalate_to", "escalate_to is empty"),
        ('escalate_to = ["env:X"]', "escalate_to", "escalate_after is not"),
        ('remind_after = "30m"\nstale_after = "20m"', "remind_after", "shorter than stale_after"),
        ('stale_after = ""', "stale_after", "cannot be empty"),
    ],
)
def test_follow_up_options_are_checked_with_their_line(tmp_path, keys, bad, words):
    from storycast.errors import ConfigError
    from storycast.project import Project

    text = f'[channels.snap]\ntype = "handoff"\nnotify = ["env:N"]\n{keys}\n'
    root = tmp_path / "proj"
    root.mkdir()
    (root / "storycast.toml").write_text('[project]\nname = "T"\nlanguages = ["en"]\n\n' + text)
    with pytest.raises(ConfigError) as info:
        Project.load(root, environ={})
    shown = str(info.value) + " ".join(str(p) for p in getattr(info.value, "problems", []))
    assert f"channels.snap.{bad}" in shown and words in shown, shown
    line = next((i for i, t in enumerate(text.splitlines(), 5) if t.startswith(bad)), 5)  # else the header
    assert f"storycast.toml:{line}:" in shown, shown
