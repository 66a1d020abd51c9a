# ruff: noqa: F811
"""Journey: a hand-off pack nobody confirms is followed up, from a schedule file to `status`.

``publish --due`` hands a pack to Marta (one notification); 30 minutes later a tick reminds
her once, even when two ticks run at the same moment; two hours after the hand-off the team
lead is told; the pack is confirmed through the web confirmation endpoint and nothing more is
sent. A pack left alone goes stale and is followed up no more. `status` shows each stage.

The notification endpoints implement Apprise's JSON service (https://appriseit.com/services/json/):
``json://host:port/path`` POSTs ``application/json`` with ``version`` ("1.0"), ``title``,
``message``, ``attachments`` and ``type`` (info, success, warning or failure), and any 2xx
answer counts as delivered.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_STORY, build_file_tree
from tests.conftest_db import db_url, pg_database  # noqa: F401  (fixtures)
from tests.fakes import FakeServer, Reply, Request

NOTIFY_TYPES = {"info", "success", "warning", "failure"}


class FakeApprise(FakeServer):
    """An endpoint receiving Apprise JSON notifications; slow enough for two senders to overlap."""

    delay = 0.4

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, object]] = []

    def dispatch(self, req: Request) -> Reply:
        if req.method != "POST" or req.path != "/notify":
            return Reply(404, {"error": "not found"})
        if not req.headers.get("content-type", "").startswith("application/json"):
            self.problem(f"notification sent as {req.headers.get('content-type')!r}, not application/json")
            return Reply(400, {"error": "expected JSON"})
        doc = req.json()
        if not isinstance(doc, dict) or doc.get("version") != "1.0" or doc.get("type") not in NOTIFY_TYPES:
            self.problem(f"not an Apprise JSON payload: {doc!r}")
            return Reply(400, {"error": "bad payload"})
        if not doc.get("message") or not isinstance(doc.get("attachments"), list):
            self.problem("an Apprise JSON payload without a message or attachments list")
        time.sleep(self.delay)  # the receiver takes its time: concurrent senders overlap here
        with self.lock:
            self.received.append(doc)
        return Reply(200, {"ok": True})

    def titles(self) -> list[str]:
        return [str(d["title"]) for d in self.received]


@pytest.fixture
def endpoints() -> Iterator[tuple[FakeApprise, FakeApprise]]:
    marta, lead = FakeApprise().start(), FakeApprise().start()
    yield marta, lead
    for fake in (marta, lead):
        fake.stop()
        fake.assert_clean()


TOML = """\
[project]
name = "Hand-off journey"
languages = ["en", "es"]
timezone = "Europe/Madrid"

[channels.snapchat]
type = "handoff"
platform = "snapchat"
assignee = "Marta"
notify = ["env:MARTA_NOTIFY"]
confirm_url = "http://127.0.0.1:8765/confirm/{id}"
remind_after = "30m"
escalate_after = "2h"
escalate_to = ["env:LEAD_NOTIFY"]
escalate_name = "Luis (team lead)"
"""

SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - id: modem-tip
    story: sample
    at: "2026-12-01T10:00"
    channels: [snapchat]
    languages: [en]
    grace: 30m
"""


def _project(tmp_path: Path, toml: str = TOML) -> Path:
    return build_file_tree(
        tmp_path / "proj",
        {"storycast.toml": toml, "stories/sample.yaml": MINIMAL_STORY, "schedules/tips.yaml": SCHEDULE},
    )


def _env(marta: FakeApprise, lead: FakeApprise) -> dict[str, str]:
    return {
        "MARTA_NOTIFY": marta.url.replace("http://", "json://") + "/notify?token=marta-SECRET-1",
        "LEAD_NOTIFY": lead.url.replace("http://", "json://") + "/notify?token=lead-SECRET-2",
    }


def _tick(run_cli, root: Path, env: dict[str, str], now: str) -> dict[str, object]:
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", now, "--json", env=env)
    assert code == 0, out + err
    return json.loads(out)


def _status(run_cli, root: Path, env: dict[str, str], now: str) -> tuple[str, list[dict[str, object]]]:
    code, out, err = run_cli("-P", str(root), "status", "--now", now, env=env)
    assert code == 0, err
    code, doc, err = run_cli("-P", str(root), "status", "--now", now, "--json", env=env)
    assert code == 0, err
    return out, json.loads(doc)["handoffs"]


def _two_ticks_at_once(root: Path, env: dict[str, str], now: str) -> None:
    """Two `publish --due` processes started together (cron overlapping the daemon, say)."""
    cmd = [sys.executable, "-c", "from storycast.cli import main; main()", "-P", str(root)]
    full_env = {**os.environ, **env, "STORYCAST_PROJECT": ""}
    start = threading.Barrier(2)
    results: list[subprocess.CompletedProcess[str]] = []

    def one() -> None:
        start.wait()
        results.append(
            subprocess.run(
                [*cmd, "publish", "--due", "--now", now],
                env=full_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        )

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]


def _confirm_on_the_web(root: Path, row_ids: list[int], at: datetime) -> dict[str, object]:
    from starlette.testclient import TestClient

    from storycast.project import Project
    from storycast.web.app import create_app

    client = TestClient(
        create_app(Project.load(root), now=lambda: at, watch=False), base_url="http://127.0.0.1:8000"
    )
    page = client.get(f"/confirm/{row_ids[0]}", headers={"Accept": "application/json"}).json()
    assert page["ok"] and [r["id"] for r in page["packs"][0]["rows"]] == row_ids
    posted = client.post(
        "/handoff/confirm",
        json={"ids": row_ids},
        headers={"Accept": "application/json", "X-CSRF-Token": page["csrf"]},
    )
    assert posted.status_code == 200, posted.text
    return posted.json()


@pytest.mark.slow
def test_unconfirmed_pack_is_reminded_once_then_escalated_then_confirmed(
    tmp_path, endpoints, run_cli, db_url
):
    """On SQLite the file lock, on PostgreSQL the session lock keeps two ticks from both reminding."""
    marta, lead = endpoints
    root = _project(tmp_path)
    env = {**_env(marta, lead), "STORYCAST_DB": db_url, "STORYCAST_DB_TIMEOUT": "30"}

    # 10:00 Madrid = 09:00 UTC: the pack is handed off and Marta is told once
    report = _tick(run_cli, root, env, "2026-12-01T09:01:00Z")
    outcomes = {i["outcome"] for i in report["items"]}  # type: ignore[union-attr]
    assert outcomes == {"handed_off"}
    assert len(marta.received) == 1 and "post sample to Snapchat" in marta.titles()[0]
    out, packs = _status(run_cli, root, env, "2026-12-01T09:10:00Z")
    assert "hand-off waiting" in out and "waiting for confirmation since 2026-12-01 09:01Z" in out
    row_ids = packs[0]["rows"]
    assert packs[0]["stage"] == "waiting" and isinstance(row_ids, list) and len(row_ids) >= 2

    # before remind_after nothing more is sent
    _tick(run_cli, root, env, "2026-12-01T09:30:00Z")
    assert len(marta.received) == 1 and not lead.received

    # 30 minutes after the hand-off two ticks run at once: one reminder
    _two_ticks_at_once(root, env, "2026-12-01T09:32:00Z")
    assert len(marta.received) == 2, marta.titles()
    reminder = marta.received[1]
    assert "reminder" in str(reminder["title"]) and "storycast confirm " + " ".join(map(str, row_ids)) in str(
        reminder["message"]
    )
    assert "http://127.0.0.1:8765/confirm/" in str(reminder["message"])
    _tick(run_cli, root, env, "2026-12-01T10:00:00Z")
    assert len(marta.received) == 2 and not lead.received
    out, packs = _status(run_cli, root, env, "2026-12-01T10:00:00Z")
    assert "hand-off reminded" in out and "reminded at 2026-12-01 09:32Z" in out
    assert packs[0]["reminded_at"] == "2026-12-01T09:32:00Z"

    # two hours after the hand-off the team lead is told, once
    _tick(run_cli, root, env, "2026-12-01T11:02:00Z")
    _tick(run_cli, root, env, "2026-12-01T11:10:00Z")
    assert len(lead.received) == 1 and len(marta.received) == 2
    escalation = lead.received[0]
    assert "Luis (team lead)" in str(escalation["message"]) and "Marta" in str(escalation["message"])
    out, packs = _status(run_cli, root, env, "2026-12-01T11:15:00Z")
    assert "escalated to Luis (team lead) at 2026-12-01 11:02Z" in out
    assert packs[0]["stage"] == "escalated"

    # Marta posts it and presses Posted on the confirmation page
    result = _confirm_on_the_web(root, row_ids, datetime(2026, 12, 1, 11, 20, tzinfo=UTC))  # type: ignore[arg-type]
    assert result["ok"] and sorted(result["confirmed"]) == sorted(row_ids)  # type: ignore[arg-type]
    for now in ("2026-12-01T11:40:00Z", "2026-12-01T13:00:00Z"):
        _tick(run_cli, root, env, now)
    assert len(marta.received) == 2 and len(lead.received) == 1
    out, packs = _status(run_cli, root, env, "2026-12-01T13:00:00Z")
    assert packs[0]["stage"] == "confirmed" and packs[0]["confirmed_at"] == "2026-12-01T11:20:00Z"
    assert re.search(
        r"hand-off confirmed .*reminded at .*escalated to Luis .*confirmed by \S+ at 2026-12-01 11:20Z", out
    )

    # history keeps the journal of what was sent; no secret was ever printed
    code, out, err = run_cli("-P", str(root), "history", env=env)
    assert code == 0, err
    assert "handoff-reminder" in out and "handoff-escalation" in out
    assert "SECRET" not in out + err


@pytest.mark.slow
def test_a_pack_left_alone_goes_stale_and_is_followed_up_no_more(tmp_path, endpoints, run_cli):
    marta, lead = endpoints
    root = _project(
        tmp_path, TOML.replace('remind_after = "30m"', 'remind_after = "30m"\nstale_after = "3h"')
    )
    env = _env(marta, lead)
    _tick(run_cli, root, env, "2026-12-01T09:01:00Z")
    # storycast was not running for hours: at 11:30 the escalation is due, and the reminder is skipped
    _tick(run_cli, root, env, "2026-12-01T11:30:00Z")
    assert len(marta.received) == 1 and len(lead.received) == 1
    out, packs = _status(run_cli, root, env, "2026-12-01T11:45:00Z")
    assert packs[0]["stage"] == "escalated" and packs[0]["reminded_at"] is None
    # 3 h after the slot (09:00 UTC) the pack is stale: status says so, nothing more is sent
    _tick(run_cli, root, env, "2026-12-01T12:05:00Z")
    out, packs = _status(run_cli, root, env, "2026-12-01T12:05:00Z")
    assert packs[0]["stage"] == "stale" and "stale since 2026-12-01 12:00Z" in out
    assert len(marta.received) == 1 and len(lead.received) == 1


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ('escalate_after = "2h"', "escalate_after", "must be longer than remind_after"),
        ('escalate_after = "2 hours"', "escalate_after", "is not a duration"),
        ('escalate_after = "2h"\nstale_after = "1h"', "escalate_after", "must be shorter than stale_after"),
        ('escalate_to = ["env:LEAD_NOTIFY"]', "escalate_after", None),
    ],
)
def test_bad_follow_up_config_names_the_file_and_line(tmp_path, run_cli, change, key, words):
    toml = TOML
    if words == "must be longer than remind_after":
        toml = toml.replace('remind_after = "30m"', 'remind_after = "3h"')
    if words is None:  # escalate_to without escalate_after
        toml = toml.replace('escalate_after = "2h"\n', "")
        key, words = "escalate_to", "escalate_after is not"
    else:
        toml = toml.replace('escalate_after = "2h"', change)
    root = _project(tmp_path, toml)
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", "2026-12-01T09:01:00Z")
    assert code == 3, out + err
    line = next(i for i, text in enumerate(toml.splitlines(), 1) if text.startswith(key))
    assert f"storycast.toml:{line}" in err and f"channels.snapchat.{key}" in err and words in err, err
    assert "Traceback" not in err
