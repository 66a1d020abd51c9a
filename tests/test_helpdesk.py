"""The help desk's resolution webhook (POST /hooks/helpdesk) and what `report` makes of it.

Journey: a story goes out to the local feed, two customers write, a help desk says (signed, like
the outgoing webhook channel) that one conversation is resolved, an agent closes the other with
the marker, and `report --format json` counts both resolutions with the waits the test computes.
Hostile requests (bad signature, stale timestamp, wrong shape, oversize, unknown channel) are in
tests/hostile/web.yaml.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from storycast.engage.outcomes import BY_HELPDESK, BY_MARKER, conversations
from storycast.ledger import open_ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

SECRET = "helpdesk-secret-for-tests"
TOML = MINIMAL_TOML + '\n[outcomes]\nhelpdesk_secret = "env:HD_SECRET"\n'
SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - id: tips
    story: sample
    cron: "0 9 * * *"
    start: "2026-12-01"
    languages: [en]
    channels: [local]
"""
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _signed(body: dict[str, Any], secret: str = SECRET, age: int = 0) -> tuple[bytes, dict[str, str]]:
    """The body and headers a help desk sends: HMAC-SHA256 of "<timestamp>.<body>"."""
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()) - age)
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Storycast-Timestamp": stamp,
        "X-Storycast-Signature": f"sha256={mac}",
    }
    return raw, headers


def _client(project: Project) -> TestClient:
    from storycast.web.app import create_app

    app = create_app(project, now=lambda: NOW, watch=False)
    return TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)


def test_helpdesk_resolution_counts_in_the_report(tmp_path: Path, run_cli: Any) -> None:
    root = build_file_tree(
        tmp_path / "journey",
        {"storycast.toml": TOML, "stories/sample.yaml": MINIMAL_STORY, "schedules/tips.yaml": SCHEDULE},
    )
    P = ("--project", str(root))
    code, out, err = run_cli(*P, "publish", "--due", "--now", "2026-12-01T08:01:00+00:00")
    assert code == 0, out + err
    project = Project.load(root, environ={"HD_SECRET": SECRET})
    led = open_ledger(project)
    try:
        first = next(r for r in led.publication_rows() if r["state"] == "published" and r["frame"] == 1)
        post = led.find_post("local", first["remote_id"])
        at = first["published_utc"]
        # Customer A: answered at +10 min, resolved by the help desk at +40 min.
        led.put_reply(
            channel="local", message_id="a1", kind="reply", thread="cust-a", at=at, text="red", post=post
        )
        led.put_reply(
            channel="local",
            message_id="a2",
            kind="agent",
            thread="cust-a",
            at=at + timedelta(minutes=10),
            text="Unplug it",
        )
        # Customer B: answered and resolved by the marker at +20 min.
        led.put_reply(
            channel="local", message_id="b1", kind="reply", thread="cust-b", at=at, text="no light", post=post
        )
        led.put_reply(
            channel="local",
            message_id="b2",
            kind="agent",
            thread="cust-b",
            at=at + timedelta(minutes=20),
            text="Fixed #resolved",
        )
        # Customer C: still waiting.
        led.put_reply(
            channel="local", message_id="c1", kind="reply", thread="cust-c", at=at, text="help", post=post
        )
        replies_before = len(led.reply_rows())
    finally:
        led.close()

    resolved_at = (at + timedelta(minutes=40)).isoformat()
    body = {"channel": "local", "thread": "cust-a", "ticket": "HD-4711", "resolved_at": resolved_at}
    with _client(project) as client:
        raw, headers = _signed(body)
        answer = client.post("/hooks/helpdesk", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"ok": True, "recorded": True, "resolved_at": resolved_at}
        # The help desk retries (a lost answer): stored once, the first time is kept.
        later = dict(body, resolved_at=(at + timedelta(minutes=50)).isoformat())
        raw, headers = _signed(later)
        again = client.post("/hooks/helpdesk", content=raw, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == {"ok": True, "recorded": False, "resolved_at": resolved_at}
        # A stale delivery (a replay) is refused and stores nothing; the secret is never shown.
        raw, headers = _signed(dict(body, ticket="HD-9"), age=301)
        stale = client.post("/hooks/helpdesk", content=raw, headers=headers)
        assert stale.status_code == 403 and "5 minutes" in stale.json()["error"]
        assert SECRET not in stale.text

    led = open_ledger(project)
    try:
        # A resolution is no message: the replies the report counts are unchanged.
        assert len(led.reply_rows()) == replies_before
        (stored,) = led.resolution_rows()
        assert (stored["channel"], stored["thread"], stored["text"]) == ("local", "cust-a", "HD-4711")
    finally:
        led.close()

    code, out, err = run_cli(*P, "report", "--format", "json", "--now", "2026-12-02T12:00:00Z")
    assert code == 0, err
    data = json.loads(out)["outcomes"]
    assert data["conversations"] == 3 and data["open"] == 1
    (everything,) = [o for o in data["lines"] if o["by"] == "all"]
    # Resolution waits: 40 min (help desk) and 20 min (marker); the median of two is their mean.
    assert everything["resolution"] == {"count": 2, "median_s": 30 * 60, "p90_s": 40 * 60}
    assert everything["first_response"]["count"] == 2
    assert [c["story"] for c in data["still_open"]] == ["sample"]


def test_conversations_close_on_a_helpdesk_resolution() -> None:
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def row(i: int, kind: str, minutes: int, thread: str = "t", text: str = "") -> dict[str, Any]:
        return {
            "id": i, "channel": "local", "thread": thread, "kind": kind, "text": text,
            "at_utc": t0 + timedelta(minutes=minutes), "ref": "sample", "lang": "en",
        }  # fmt: skip

    msgs = [
        row(1, "resolution", 0, text="HD-0"),  # before any message: nothing to close
        row(2, "reply", 5),
        row(3, "resolution", 30, text="HD-1"),
        row(4, "reply", 60),  # opens a new conversation in the same thread
        row(5, "agent", 70, text="done #resolved"),
        row(6, "resolution", 80, text="HD-2"),  # that one is already closed: no effect
    ]
    convs = conversations(msgs)
    assert [(c.opened, c.resolved, c.resolved_by, c.first_response) for c in convs] == [
        (t0 + timedelta(minutes=5), t0 + timedelta(minutes=30), BY_HELPDESK, None),
        (t0 + timedelta(minutes=60), t0 + timedelta(minutes=70), BY_MARKER, t0 + timedelta(minutes=70)),
    ]


def test_without_a_helpdesk_secret_every_delivery_is_refused(tmp_path: Path) -> None:
    root = build_file_tree(
        tmp_path / "p", {"storycast.toml": MINIMAL_TOML, "stories/sample.yaml": MINIMAL_STORY}
    )
    raw, headers = _signed({"channel": "local", "thread": "x"})
    with _client(Project.load(root, environ={})) as client:
        answer = client.post("/hooks/helpdesk", content=raw, headers=headers)
    assert answer.status_code == 403
    assert "helpdesk_secret is not set" in answer.json()["error"]


def test_an_unreadable_secret_is_a_503_naming_the_reference(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "p", {"storycast.toml": TOML, "stories/sample.yaml": MINIMAL_STORY})
    raw, headers = _signed({"channel": "local", "thread": "x"})
    with _client(Project.load(root, environ={})) as client:
        answer = client.post("/hooks/helpdesk", content=raw, headers=headers)
    assert answer.status_code == 503
    assert "HD_SECRET" in answer.json()["error"] and "Traceback" not in answer.text


def test_a_literal_secret_in_storycast_toml_is_refused(tmp_path: Path, run_cli: Any) -> None:
    toml = MINIMAL_TOML + '\n[outcomes]\nhelpdesk_secret = "hunter2-literal"\n'
    root = build_file_tree(tmp_path / "p", {"storycast.toml": toml, "stories/sample.yaml": MINIMAL_STORY})
    code, out, err = run_cli("--project", str(root), "report")
    assert code != 0
    assert "helpdesk_secret" in out + err and "hunter2-literal" not in out + err
