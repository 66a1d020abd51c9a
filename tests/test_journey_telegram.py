"""Journey: a schedule file to Telegram albums and native polls, and what `status` shows.

A 12-frame tutorial to a channel with ``album = true`` goes out as two ``sendMediaGroup`` calls
(10 + 2), in order, with each frame's step text as its caption, exactly once: a second tick
sends nothing, and a process killed between committing an album and hearing Telegram's answer
leaves its rows ``unknown``, never sent again. A 12-option poll goes out as one ``sendPoll``; a
non-anonymous poll to a channel is refused before any call. The same album protocol runs in
the daemon (``run --once``) and in the procrastinate job bodies (on PostgreSQL).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import build_file_tree
from tests.fakes.telegram import FakeTelegram

TOKEN = "42:AAjourneytoken"
NOW = "2026-12-01T09:01:00Z"
LATER = "2026-12-01T09:02:00Z"
STEPS = [f"Do step {i} of the reset carefully, then wait for the light." for i in range(1, 11)]
OPTIONS = [f"Router model {i}" for i in range(1, 13)]


def _story() -> str:
    steps = "".join(f"  - title: {{en: Step {i}}}\n    text: {{en: '{t}'}}\n" for i, t in enumerate(STEPS, 1))
    return (
        "id: long-fix\ntemplate: tutorial\ncategory: connectivity\nlanguages: [en]\n"
        "title: {en: Reset in ten steps}\ncta: {en: Still stuck? Reply here}\nsteps:\n" + steps
    )


def _poll() -> str:
    options = "".join(f"  - {{en: {o}}}\n" for o in OPTIONS)
    return (
        "kind: poll\nid: router-model\nlanguages: [en]\n"
        "question: {en: Which router do you have?}\n"
        "description: {en: Pick the model printed under the router.}\n"
        "open_for: 2d\noptions:\n" + options
    )


def _toml(tg_url: str, extra: str = "", engine: str = "") -> str:
    return f"""[project]
name = "Journey"
languages = ["en"]
timezone = "UTC"

[guard]
max_frames = 12
{engine}
[channels.telegram]
type = "telegram"
api_base = "{tg_url}"
bot_token = "env:JOURNEY_TG_TOKEN"
chat_id = "@lumen"
album = true
min_interval = 0
timeout = 10
{extra}"""


SCHEDULE = """timezone: UTC
entries:
  - id: long-fix-launch
    story: long-fix
    at: "2026-12-01T09:00"
    channels: [telegram]
    grace: 2h
  - id: router-poll
    poll: router-model
    at: "2026-12-01T09:00"
    channels: [telegram]
    grace: 2h
"""


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    fake.clock = datetime(2026, 12, 1, 9, 1, tzinfo=UTC).timestamp  # the server's clock, for close_date
    yield fake
    fake.stop()
    fake.assert_clean()  # no frame or poll was sent twice


@pytest.fixture
def env() -> dict[str, str]:
    return {"JOURNEY_TG_TOKEN": TOKEN}


def _project(tmp_path: Path, tg: FakeTelegram, extra: str = "", engine: str = "") -> Path:
    return build_file_tree(
        tmp_path / "journey",
        {
            "storycast.toml": _toml(tg.url, extra, engine),
            "stories/long-fix.yaml": _story(),
            "stories/router-model.yaml": _poll(),
            "schedules/launch.yaml": SCHEDULE,
        },
    )


def _albums(tg: FakeTelegram) -> list[list[dict[str, Any]]]:
    """What each sendMediaGroup call carried (its media array)."""
    return [json.loads(r.form()["media"]) for r in tg.calls("POST", "sendMediaGroup")]


def _rows(run_cli, root: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    code, out, err = run_cli("-P", str(root), "status", "--all", "--json", env=env)
    assert code == 0, err
    return json.loads(out)["rows"]


def test_album_of_twelve_frames_goes_out_as_ten_and_two_once(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg)
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
    assert code == 0, out + err
    items = json.loads(out)["items"]
    story = [i for i in items if i["ref"] == "long-fix"]
    assert [i["frame"] for i in story] == list(range(1, 13))
    assert {i["outcome"] for i in items} == {"published"}

    # Two albums, 10 + 2, in frame order; no frame went as a single photo.
    albums = _albums(tg)
    assert [len(a) for a in albums] == [10, 2]
    assert tg.calls("POST", "sendPhoto") == []
    captions = [item["caption"] for album in albums for item in album]
    assert captions == ["Reset in ten steps", *STEPS, "Still stuck? Reply here"]  # the step texts
    groups = [m["media_group_id"] for m in tg.messages if m.get("album")]
    assert len(groups) == 12 and len(set(groups[:10])) == 1 and len(set(groups)) == 2

    # status: every frame published, each with its own message id, in order.
    rows = sorted((r for r in _rows(run_cli, root, env) if r["ref"] == "long-fix"), key=lambda r: r["frame"])
    assert [r["state"] for r in rows] == ["published"] * 12
    album_ids = [str(m["message_id"]) for m in tg.messages if m.get("album")]
    assert [r["remote_id"] for r in rows] == album_ids

    # The 12-option poll: one sendPoll, anonymous, with its description and close_date.
    (poll_call,) = tg.calls("POST", "sendPoll")
    sent = poll_call.form()
    assert [o["text"] for o in json.loads(sent["options"])] == OPTIONS
    assert sent["description"] == "Pick the model printed under the router."
    assert sent["is_anonymous"] == "True"
    assert int(sent["close_date"]) == int(datetime(2026, 12, 3, 9, 1, tzinfo=UTC).timestamp())

    # A second tick sends nothing.
    before = len(tg.requests)
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", LATER, "--json", env=env)
    assert code == 0 and json.loads(out)["items"] == []
    assert len(tg.requests) == before


def test_the_daemon_sends_the_same_albums(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg)
    code, out, err = run_cli("-P", str(root), "run", "--once", "--now", NOW, env=env)
    assert code == 0, out + err
    assert [len(a) for a in _albums(tg)] == [10, 2]
    assert len(tg.calls("POST", "sendPoll")) == 1


def test_a_kill_between_begin_and_answer_leaves_the_album_unknown_not_resent(tmp_path, tg, env, run_cli):
    """Killed while Telegram holds the sendMediaGroup answer: the 10 rows were committed
    `sending` before the call, so the next tick marks them `unknown` and sends nothing again
    (the Bot API cannot say whether the album is live: a person settles it)."""
    root = _project(tmp_path, tg)
    only_story = SCHEDULE.split("  - id: router-poll")[0]
    (root / "schedules" / "launch.yaml").write_text(only_story, encoding="utf-8")
    tg.hang_seconds = 30
    tg.script("sendMediaGroup", "hang")  # performed, then no answer
    shim = "import sys; from storycast.cli import main; sys.argv[0] = 'storycast'; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", shim, "-P", str(root), "publish", "--due", "--now", NOW],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(tg.messages) < 10 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert len(tg.messages) == 10, proc.communicate(timeout=5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    rows = {r["frame"]: r for r in _rows(run_cli, root, env)}
    assert {rows[f]["state"] for f in range(1, 11)} == {"sending"}
    code, out, _ = run_cli("-P", str(root), "publish", "--due", "--now", LATER, "--json", env=env)
    report = json.loads(out)
    assert report["unknown"] == 10 and report["items"] == []
    assert code == 7  # some items need a person
    rows = {r["frame"]: r for r in _rows(run_cli, root, env)}
    assert {rows[f]["state"] for f in range(1, 11)} == {"unknown"}
    assert {rows[f]["state"] for f in (11, 12)} == {"planned"}  # they wait behind frame 10
    assert len(tg.calls("POST", "sendMediaGroup")) == 1 and len(tg.messages) == 10

    # reconcile cannot ask Telegram: the rows stay unknown, and a later tick still sends nothing.
    code, out, _ = run_cli("-P", str(root), "reconcile", "--now", "2026-12-01T09:20:00Z", "--json", env=env)
    assert code == 0 and len(json.loads(out)["still_unknown"]) == 10
    run_cli("-P", str(root), "publish", "--due", "--now", "2026-12-01T09:21:00Z", env=env)
    assert len(tg.calls("POST", "sendMediaGroup")) == 1


def test_non_anonymous_poll_to_a_channel_is_refused_before_any_call(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg, extra="anonymous_polls = false\n")
    for args in (("lint",), ("publish", "--due", "--now", NOW)):
        code, out, err = run_cli("-P", str(root), *args, env=env)
        assert code == 3, out + err
        assert "channels.telegram.anonymous_polls" in err and "anonymous polls only" in err
    assert tg.requests == []
