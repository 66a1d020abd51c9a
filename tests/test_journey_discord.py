"""Journey: a poll in a schedule goes to a Discord webhook as a native poll, people vote, Discord
ends and counts the poll, and the votes reach `storycast polls results` and `storycast report`.

The fake is Discord's documented webhook API (tests/fakes/discord.py): the poll is read back with
Get Webhook Message, and counts are taken only once Discord has finalized them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.fakes.discord import WEBHOOK_PATH, FakeDiscord

POLL = """\
kind: poll
id: router-color
languages: [en]
question: {en: "Which router colour should we ship next?"}
options:
  - {en: White}
  - {en: Black}
  - {en: Blue}
open_for: 24h
"""

SCHEDULE = """\
timezone: UTC
entries:
  - id: router-color-poll
    poll: router-color
    at: "2026-12-03T18:00"
    channels: [discord]
    languages: [en]
    grace: 1h
"""

DUE = "2026-12-03T18:01:00Z"
BEFORE_FINAL = "2026-12-04T18:30:00Z"  # storycast's closing time has passed; Discord still counting
AFTER = "2026-12-04T19:10:00Z"


def _toml(url: str) -> str:
    return f"""\
[project]
name = "Journey"
languages = ["en"]
timezone = "UTC"

[channels.discord]
type = "discord"
api_base = "{url}"
webhook_url = "env:DISCORD_URL"
timeout = 2
backoff = 0
"""


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    fake = FakeDiscord().start()
    yield fake
    fake.stop()
    fake.assert_clean()


def test_discord_poll_from_schedule_to_results_and_report(make_project, run_cli, discord) -> None:
    root = make_project(
        {"stories/router-color.yaml": POLL, "schedules/polls.yaml": SCHEDULE}, toml=_toml(discord.url)
    )
    env = {"DISCORD_URL": "https://discord.com" + WEBHOOK_PATH}
    cli = ("-P", str(root))

    code, out, err = run_cli(*cli, "publish", "--due", "--now", DUE, "--json", env=env)
    assert code == 0, out + err
    items = json.loads(out)["items"]
    assert [(i["channel"], i["outcome"]) for i in items] == [("discord", "published")]

    # Discord received one native poll: the question, the options in order, 24 hours.
    (msg,) = discord.polls()
    poll = msg["poll"]
    assert poll["question"]["text"] == "Which router colour should we ship next?"
    assert [a["poll_media"]["text"] for a in poll["answers"]] == ["White", "Black", "Blue"]
    assert discord.calls("POST", WEBHOOK_PATH)[0].query == {"wait": "true"}

    discord.vote(msg["id"], 1, 2)
    discord.vote(msg["id"], 3, 5)  # nobody picks Black: Discord leaves it out of answer_counts

    # Past storycast's closing time but before Discord's final count: nothing is stored yet,
    # and `insights collect` says why.
    code, out, err = run_cli(*cli, "insights", "collect", "--now", BEFORE_FINAL, env=env)
    assert code == 0, out + err
    assert "0 poll result(s)" in out and "not finalized" in out
    code, out, err = run_cli(*cli, "polls", "results", "router-color", "--json", env=env)
    assert json.loads(out)["polls"][0]["total"] == 0

    # Discord ends the poll and counts it; the next tick (publish --due) tallies it once.
    discord.end_poll(msg["id"])
    code, out, err = run_cli(*cli, "publish", "--due", "--now", AFTER, "--json", env=env)
    assert code == 0, out + err
    reads = len(discord.calls("GET", f"{WEBHOOK_PATH}/messages/"))
    code, out, err = run_cli(*cli, "publish", "--due", "--now", AFTER, "--json", env=env)
    assert len(discord.calls("GET", f"{WEBHOOK_PATH}/messages/")) == reads  # counted once

    code, out, err = run_cli(*cli, "polls", "results", "router-color", "--json", env=env)
    assert code == 0, err
    (tally,) = json.loads(out)["polls"]
    assert [o["votes"] for o in tally["options"]] == [2, 0, 5] and tally["total"] == 7
    assert tally["by_channel"] == {"discord": {"votes": [2, 0, 5], "total": 7}}
    code, out, err = run_cli(*cli, "polls", "results", "router-color", env=env)
    assert code == 0 and "Blue" in out and "7" in out

    code, out, err = run_cli(*cli, "report", "--now", AFTER, "--json", env=env)
    assert code == 0, err
    (reported,) = [p for p in json.loads(out)["polls"] if p["poll"] == "router-color"]
    assert [o["votes"] for o in reported["options"]] == [2, 0, 5]
    code, out, err = run_cli(*cli, "report", "--now", AFTER, env=env)
    assert "poll router-color: 7 votes" in out
    assert WEBHOOK_PATH.rsplit("/", 1)[1] not in out + err  # the webhook token never shows
