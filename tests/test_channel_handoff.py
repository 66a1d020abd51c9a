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
