"""Journey: WhatsApp, closed loop. A schedule file -> ``publish --due`` -> the Cloud API accepts
every message (200 + wamid) and reports, later, through signed ``statuses`` webhooks to a running
``storycast serve``: one 131047 (window closed), one 131049 (marketing limit), deliveries and
reads -> the next tick re-sends the approved template once -> ``status`` and ``report`` count
delivered / read / failed; a STOP in Thai removes its sender; a template button tap is a vote."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.whatsapp import PNID
from tests.fakes.whatsapp_cloud import FakeCloudAPI

REPO = Path(__file__).resolve().parent.parent
TOKEN = "EAAjourneywatoken5"
SECRET = "journey-app-secret"
ENV = {"J_WA_TOKEN": TOKEN, "J_WA_SECRET": SECRET, "J_WA_VERIFY": "journey-verify"}
T0 = "2026-12-01T09:01:00Z"  # the entries are due at 10:00 Madrid = 09:00 UTC
T1 = "2026-12-01T09:06:00Z"
T2 = "2026-12-02T09:01:00Z"
A = "+34600111001"  # storycast thinks A's window is open; WhatsApp knows it closed: 131047
B = "+34600111002"  # per-user marketing limit: 131049
C = "+34600111003"  # delivered and read; taps a poll button
D = "+66812345678"  # delivered; then writes ยกเลิก (Thai: cancel) and is never messaged again


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _project(root: Path, api: str) -> Path:
    root.mkdir()
    for part in ("stories", "templates", "assets"):
        shutil.copytree(REPO / part, root / part)
    (root / "schedules").mkdir()
    (root / "schedules" / "wa.yaml").write_text(
        """timezone: Europe/Madrid
entries:
  - id: firmware
    story: update-firmware
    at: "2026-12-01T10:00"
    channels: [wa]
    languages: [en]
    grace: 2h
  - id: csat
    poll: csat-weekly
    at: "2026-12-01T10:00"
    channels: [wa]
    languages: [en]
    grace: 2h
  - id: firmware-again
    story: update-firmware
    at: "2026-12-02T10:00"
    channels: [wa]
    languages: [en]
    grace: 2h
""",
        encoding="utf-8",
    )
    (root / "audience").mkdir()
    (root / "audience" / "wa.txt").write_text("\n".join([A, B, C, D]) + "\n", encoding="utf-8")
    # What storycast learned earlier: A wrote two hours before the post (so it sends free-form).
    (root / ".storycast").mkdir()
    (root / ".storycast" / "whatsapp-window.json").write_text(
        json.dumps({A: "2026-12-01T07:00:00+00:00"}), encoding="utf-8"
    )
    base = (REPO / "storycast.toml").read_text(encoding="utf-8").split("[channels.local]")[0]
    (root / "storycast.toml").write_text(
        base
        + f"""
[channels.wa]
type = "whatsapp"
api_base = "{api}"
phone_number_id = "{PNID}"
access_token = "env:J_WA_TOKEN"
app_secret = "env:J_WA_SECRET"
verify_token = "env:J_WA_VERIFY"
subscribers_file = "audience/wa.txt"
template = "story_update"
poll_template = "quick_poll"
template_languages = {{ en = "en_US" }}
messages_per_second = 0
""",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def wa() -> Iterator[FakeCloudAPI]:
    fake = FakeCloudAPI(TOKEN, app_secret=SECRET).start()
    yield fake  # type: ignore[misc]
    fake.stop()
    fake.assert_clean()


@pytest.fixture
def serve(tmp_path: Path, wa: FakeCloudAPI) -> Iterator[Path]:
    """The project, and ``storycast serve``'s app on a real port receiving the fake's webhooks."""
    import uvicorn

    from storycast.project import Project
    from storycast.web.app import create_app

    root = _project(tmp_path / "proj", wa.url)
    app = create_app(Project.load(root, environ=ENV), now=lambda: datetime.now(UTC), watch=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    wa.webhook_url = f"http://127.0.0.1:{port}/hooks/whatsapp/wa"
    yield root
    wa.flush()
    server.should_exit = True
    thread.join(timeout=10)


def _sent(wa: FakeCloudAPI, to: str) -> list[str]:
    return [m["type"] for m in wa.sent if m["to"] == to]


def test_whatsapp_closed_loop(serve: Path, wa: FakeCloudAPI, run_cli) -> None:
    root = str(serve)
    wa.marketing_capped = {B}
    wa.readers = {C}

    code, out, err = run_cli("--project", root, "publish", "--due", "--now", T0, env=ENV)
    assert code == 0, out + err
    # Every message was accepted (200 + wamid); what happened to them comes later.
    # (The template for A may already follow in this tick's after-step if its status came back.)
    assert sorted(_sent(wa, A)[:2]) == [
        "image",
        "interactive",
    ]  # free-form: the window file says A wrote at 07:00
    assert _sent(wa, B) == _sent(wa, C) == _sent(wa, D) == ["template", "template"]
    poll_list = next(m["body"] for m in wa.sent if m["to"] == A and m["type"] == "interactive")
    assert poll_list["interactive"]["action"]["button"] == "Vote"  # the row's language (en)
    wa.flush()
    failed = {
        (s["recipient_id"], s["errors"][0]["code"])
        for _, p in wa.deliveries
        for s in p["entry"][0]["changes"][0]["value"].get("statuses", [])
        if s["status"] == "failed"
    }
    assert failed == {(A[1:], 131047), (B[1:], 131049)}

    # The next tick (cron) sends the approved template to A, once per row; B is deferred.
    # Each tick runs the re-send after publishing, so it may have gone out at the end of the first.
    code, out, err = run_cli("--project", root, "publish", "--due", "--now", T1, env=ENV)
    assert code == 0, out + err
    assert _sent(wa, A)[2:] == ["template", "template"]
    assert sorted(m["body"]["template"]["name"] for m in wa.sent[-4:] if m["to"] == A) == [
        "quick_poll",
        "story_update",
    ]
    assert _sent(wa, B) == ["template", "template"]
    wa.flush()
    code, out, err = run_cli("--project", root, "publish", "--due", "--now", T1, env=ENV)
    assert code == 0 and len(_sent(wa, A)) == 4  # exactly once

    code, out, _ = run_cli("--project", root, "status", "--all", "--json", "--now", T1, env=ENV)
    assert code == 0
    story = next(d for d in json.loads(out)["deliveries"] if d["kind"] == "story")
    assert (story["messages"], story["delivered"], story["read"], story["failed"]) == (4, 3, 1, 1)
    assert story["deferred"] == 1 and story["resend"] == 0
    code, out, _ = run_cli("--project", root, "status", "--now", T1, env=ENV)
    assert "update-firmware [en] -> wa: 4 messages: 3 delivered (1 read), 1 failed (1 deferred)" in out

    code, out, _ = run_cli("--project", root, "report", "--json", "--now", T1, env=ENV)
    assert code == 0
    posts = {d["kind"]: d for d in json.loads(out)["deliveries"]}
    assert (posts["story"]["delivered"], posts["story"]["read"], posts["story"]["failed"]) == (3, 1, 1)
    assert (posts["poll"]["delivered"], posts["poll"]["read"], posts["poll"]["failed"]) == (3, 1, 1)
    code, out, _ = run_cli("--project", root, "report", "--now", T1, env=ENV)
    assert "4 messages: 3 delivered (1 read), 1 failed (1 deferred)" in out

    # C taps the third quick-reply button of the poll template: a vote in `polls results`.
    poll_msg = next(m for m in wa.sent if m["to"] == C and m["body"]["template"]["name"] == "quick_poll")
    wa.customer_taps(C, poll_msg["id"], 2)
    # D writes "ยกเลิก" (Thai: cancel): opted out.
    wa.customer_says(D, "ยกเลิก")
    wa.flush()
    code, out, _ = run_cli("--project", root, "polls", "results", "csat-weekly", "--json", env=ENV)
    assert code == 0
    tally = json.loads(out)["polls"][0]
    assert [o["votes"] for o in tally["options"]] == [0, 0, 1, 0, 0] and tally["total"] == 1
    assert tally["by_channel"]["wa"]["votes"] == [0, 0, 1, 0, 0]

    # The next day's post reaches B again (the marketing limit is per day) but never D.
    before = len(wa.sent)
    code, out, err = run_cli("--project", root, "publish", "--due", "--now", T2, env=ENV)
    assert code == 0, out + err
    assert sorted(m["to"] for m in wa.sent[before:]) == sorted([A, B, C])
    optouts = json.loads((serve / ".storycast" / "whatsapp-optout.json").read_text(encoding="utf-8"))
    assert optouts[D]["word"] == "ยกเลิก"
