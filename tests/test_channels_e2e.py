"""End to end: the example project publishes a tutorial to every channel type through
``storycast publish --due``, against fake servers on 127.0.0.1; ``channels check`` reports on
each; ``confirm`` settles the hand-off rows; a second tick publishes nothing twice."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.hooks import DISCORD_PATH, SLACK_PATH, FakeHooks
from tests.fakes.meta import IG_USER, PAGE_ID, FakeMeta, StaticFiles
from tests.fakes.telegram import FakeTelegram
from tests.fakes.whatsapp import PNID, FakeWhatsApp

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-12-01T09:01:00Z"  # the firmware launch entry is due at 10:00 Madrid = 09:00 UTC
TYPES = ("local", "instagram", "facebook", "telegram", "whatsapp", "webhook", "slack", "discord", "handoff")


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[dict[str, object]]:
    servers = {
        "meta": FakeMeta("EAAe2etoken0001"),
        "fb": FakeMeta("EAAe2epagetoken02"),
        "tg": FakeTelegram("42:AAe2etoken"),
        "wa": FakeWhatsApp("EAAe2ewatoken03"),
        "hooks": FakeHooks("whsec-e2e"),
        "static": StaticFiles(tmp_path / "proj" / "public"),
    }
    for s in servers.values():
        s.start()
    yield servers
    for s in servers.values():
        s.stop()
    for s in servers.values():
        s.assert_clean()


def _project(tmp_path: Path, f: dict) -> Path:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    for part in ("stories", "templates", "assets"):
        shutil.copytree(REPO / part, root / part)
    (root / "schedules").mkdir()
    channels = ", ".join(TYPES)
    (root / "schedules" / "launch.yaml").write_text(
        f"""timezone: Europe/Madrid
entries:
  - id: firmware-4-2-launch
    story: update-firmware
    at: "2026-12-01T10:00"
    channels: [{channels}]
    languages: [en]
    grace: 2h
""",
        encoding="utf-8",
    )
    (root / "audience").mkdir()
    (root / "audience" / "whatsapp.txt").write_text("+34600111001\n+34600111002\n", encoding="utf-8")
    base = (REPO / "storycast.toml").read_text(encoding="utf-8")
    base = base.split("[channels.local]")[0]
    toml = (
        base
        + f"""
[channels.local]
type = "local"

[channels.instagram]
type = "instagram"
api_base = "{f["meta"].url}"
ig_user_id = "{IG_USER}"
access_token = "env:E2E_IG_TOKEN"
first_poll = 0
poll_interval = 0
rate_per_minute = 600

[channels.instagram.hosting]
kind = "folder"
folder = "public"
base_url = "{f["static"].url}"

[channels.facebook]
type = "facebook"
api_base = "{f["fb"].url}"
page_id = "{PAGE_ID}"
access_token = "env:E2E_FB_TOKEN"

[channels.telegram]
type = "telegram"
api_base = "{f["tg"].url}"
bot_token = "env:E2E_TG_TOKEN"
chat_id = "@lumen"
min_interval = 0
rate_per_minute = 600

[channels.whatsapp]
type = "whatsapp"
api_base = "{f["wa"].url}"
phone_number_id = "{PNID}"
access_token = "env:E2E_WA_TOKEN"
subscribers_file = "audience/whatsapp.txt"
template = "story_update"
messages_per_second = 0

[channels.webhook]
type = "webhook"
url = "{f["hooks"].url}/hook"
signing_secret = "env:E2E_HOOK_SECRET"

[channels.slack]
type = "slack"
api_base = "{f["hooks"].url}"
webhook_url = "env:E2E_SLACK_URL"

[channels.discord]
type = "discord"
api_base = "{f["hooks"].url}"
webhook_url = "env:E2E_DISCORD_URL"
rate_per_minute = 600  # Discord's default (30/min) would spread 7 frames over two ticks

[channels.handoff]
type = "handoff"
platform = "snapchat"
assignee = "Marta"
notify = ["env:E2E_NOTIFY"]
"""
    )
    (root / "storycast.toml").write_text(toml, encoding="utf-8")
    return root


def _env(f: dict) -> dict[str, str]:
    port = f["hooks"].url.rsplit(":", 1)[1]
    return {
        "E2E_IG_TOKEN": "EAAe2etoken0001",
        "E2E_FB_TOKEN": "EAAe2epagetoken02",
        "E2E_TG_TOKEN": "42:AAe2etoken",
        "E2E_WA_TOKEN": "EAAe2ewatoken03",
        "E2E_HOOK_SECRET": "whsec-e2e",
        "E2E_SLACK_URL": "https://hooks.slack.com" + SLACK_PATH,
        "E2E_DISCORD_URL": "https://discord.com" + DISCORD_PATH,
        "E2E_NOTIFY": f"json://127.0.0.1:{port}/notify",
    }


@pytest.mark.slow
def test_tutorial_reaches_every_channel_type_once(tmp_path, fakes, run_cli):
    root = _project(tmp_path, fakes)
    env = _env(fakes)
    code, out, err = run_cli("-P", str(root), "channels", "list", "--json", env=env)
    assert code == 0, err
    listed = json.loads(out)
    assert {c["type"] for c in listed["configured"]} == set(TYPES)
    assert all(t["origin"] == "built-in" for t in listed["types"] if t["type"] in TYPES)

    code, out, err = run_cli("-P", str(root), "channels", "check", "--json", env=env)
    report = json.loads(out)
    assert set(report["channels"]) == set(TYPES)
    failing = {
        n: r
        for n, rows in report["channels"].items()
        for r in rows
        if not r["ok"] and r["severity"] == "error"
    }
    assert not failing and code == 0, failing

    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
    assert code == 0, out + err
    items = json.loads(out)["items"]
    frames = max(i["frame_total"] for i in items)
    assert frames >= 3
    by_channel: dict[str, list[str]] = {}
    for i in items:
        by_channel.setdefault(i["channel"], []).append(i["outcome"])
    assert set(by_channel) == set(TYPES)
    for name, outcomes in by_channel.items():
        want = "handed_off" if name == "handoff" else "published"
        assert outcomes == [want] * frames, (name, outcomes)

    meta, fb, tg, wa, hooks = fakes["meta"], fakes["fb"], fakes["tg"], fakes["wa"], fakes["hooks"]
    assert len(meta.stories) == frames and len(fb.stories) == frames
    assert len(tg.messages) == frames and all(m["caption"] for m in tg.messages)
    assert len(wa.sent) == 2  # the first frame to each subscriber, as a template
    assert len(hooks.generic) == frames and len(hooks.slack) == frames and len(hooks.discord) == frames
    assert len(hooks.notifications) == 1  # one hand-off notification for the whole pack

    # a second tick a minute later publishes nothing again
    code, out, err = run_cli(
        "-P", str(root), "publish", "--due", "--now", "2026-12-01T09:02:00Z", "--json", env=env
    )
    assert code == 0 and json.loads(out)["items"] == []
    assert len(meta.stories) == frames and len(tg.messages) == frames

    # the person posts the pack and confirms its rows
    code, out, err = run_cli("-P", str(root), "status", "--all", "--json", env=env)
    handed = [r["id"] for r in json.loads(out)["rows"] if r["state"] == "handed_off"]
    assert len(handed) == frames
    code, out, err = run_cli("-P", str(root), "confirm", *map(str, handed), "--json", env=env)
    assert code == 0 and sorted(json.loads(out)["confirmed"]) == sorted(handed)
    code, out, err = run_cli("-P", str(root), "confirm", str(handed[0]), env=env)
    assert code == 1 and "only handed_off rows" in out

    # no token appears anywhere in what the commands printed
    for secret in env.values():
        assert secret.rsplit("/", 1)[-1] not in out + err


def test_channels_check_fails_with_exit_5_on_a_bad_token(tmp_path, fakes, run_cli):
    root = _project(tmp_path, fakes)
    env = {**_env(fakes), "E2E_TG_TOKEN": "42:WRONGtokenXYZ"}
    code, out, err = run_cli("-P", str(root), "channels", "check", "telegram", env=env)
    assert code == 5
    assert "telegram" in out and "FAIL" in out and "WRONGtokenXYZ" not in out + err
    code, out, err = run_cli("-P", str(root), "channels", "check", "nope", env=env)
    assert code == 3 and "no channel named" in err


def test_timeouts_end_unknown_and_reconcile_settles_what_it_can(tmp_path, fakes, run_cli):
    """A lost answer leaves the row `unknown`; reconcile asks Instagram's container, while
    Telegram (which cannot tell) stays unknown for a person."""
    root = _project(tmp_path, fakes)
    sched = root / "schedules" / "launch.yaml"
    sched.write_text(sched.read_text().replace(", ".join(TYPES), "instagram, telegram"), encoding="utf-8")
    toml = root / "storycast.toml"
    text = toml.read_text()
    text = text.replace("poll_interval = 0\n", "poll_interval = 0\ntimeout = 0.5\nread_retries = 0\n", 1)
    text = text.replace('chat_id = "@lumen"\n', 'chat_id = "@lumen"\ntimeout = 0.5\n', 1)
    toml.write_text(text)
    meta, tg = fakes["meta"], fakes["tg"]
    meta.container_states = ["FINISHED"]
    meta.script("publish", "hang")
    meta.script("status", None, "503")  # the poll before publishing works; the check after the timeout fails
    tg.script("sendPhoto", "hang")
    env = _env(fakes)
    code, out, _ = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
    items = json.loads(out)["items"]
    first = {i["channel"]: i for i in items if i["frame"] == 1}
    assert first["instagram"]["outcome"] == "unknown" and first["telegram"]["outcome"] == "unknown"
    assert code == 7
    assert len(meta.stories) >= 1 and len(tg.messages) >= 1  # both were in fact posted
    _, out, _ = run_cli("-P", str(root), "reconcile", "--now", "2026-12-01T09:05:00Z", "--json", env=env)
    report = json.loads(out)
    assert first["instagram"]["id"] in report["published"]
    assert first["telegram"]["id"] in [r["id"] for r in report["still_unknown"]]
    # no frame was posted twice (the fakes' assert_clean checks duplicates at teardown)
