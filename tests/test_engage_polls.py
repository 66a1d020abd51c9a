"""Polls: model checks, local votes, reply votes, tallies from fake Telegram and Discord servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.channels.inbound import BadSignature, WebhookRequest
from storycast.channels.webhook import discord_poll_counts
from storycast.context import Context
from storycast.engage.inbound import Received, receive_webhook, store_inbound
from storycast.engage.insights import collect_due_insights
from storycast.engage.polls import parse_reply_vote, record_channel_totals, record_vote, tally
from storycast.errors import ContentError
from storycast.project import Project
from tests.fakes.telegram import FakeTelegram
from tests.fakes_engage import FakeDiscord

TOKEN = "123456:AAtesttoken"


def _telegram(project: Project, update: dict, header: str | None, secret: str) -> Received:
    """A Telegram update delivered to the channel tg (what /hooks/telegram/tg does)."""
    headers = {"x-telegram-bot-api-secret-token": header} if header is not None else {}
    request = WebhookRequest({}, headers, json.dumps(update).encode())
    return receive_webhook(project, "tg", request, secret, DUE)


DUE = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)

POLL = """\
kind: poll
id: csat
languages: [en, es]
question: {en: "How happy are you with our support?", es: "¿Qué tan satisfecho estás?"}
scale: "1-5"
open_for: 24h
"""

CHOICE = """\
kind: poll
id: router-color
languages: [en]
question: {en: "Which router colour?"}
options:
  - {en: White}
  - {en: Black}
  - {en: Blue}
"""


def _toml(tg_url: str) -> str:
    return f"""\
[project]
name = "Test"
languages = ["en", "es", "th", "hi", "sr"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"

[channels.tg]
type = "telegram"
api_base = "{tg_url}"
bot_token = "env:TG_TOKEN"
chat_id = "@lumen"
min_interval = 0
timeout = 0.5
backoff = 0
"""


SCHEDULE = """\
timezone: UTC
entries:
  - id: csat
    poll: csat
    at: "2026-12-03T18:00"
    channels: [tg, local]
    languages: [en]
    grace: 1h
"""


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    fake.clock = DUE.timestamp  # Telegram's clock, against which close_date is checked
    yield fake
    fake.stop()
    fake.assert_clean()


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    fake = FakeDiscord().start()
    yield fake
    fake.stop()


@pytest.fixture
def project(make_project, tg: FakeTelegram) -> Project:
    root = make_project(
        {"stories/csat.yaml": POLL, "stories/router-color.yaml": CHOICE, "schedules/polls.yaml": SCHEDULE},
        toml=_toml(tg.url),
    )
    env = {"TG_TOKEN": TOKEN, "STORYCAST_DB": f"sqlite:///{root}/.storycast/state.db"}
    return Project.load(root, environ=env)


def _ctx(project: Project, now: datetime) -> Context:
    ctx = Context(environ=project.environ)
    ctx.fixed_clock(now)
    return ctx


def test_poll_model_rules(make_project) -> None:
    bad = CHOICE.replace("  - {en: Blue}\n", "").replace("  - {en: Black}\n", "")
    with pytest.raises(ContentError, match="2 to 12 options"):
        Project.load(make_project({"stories/p.yaml": bad}), environ={}).content  # noqa: B018
    many = CHOICE + "".join(f"  - {{en: Option {i}}}\n" for i in range(10))
    with pytest.raises(ContentError, match="this one has 13"):
        Project.load(make_project({"stories/p.yaml": many}), environ={}).content  # noqa: B018


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2", 2),
        (" #3 ", 3),
        ("２", 2),
        ("๒", 2),
        ("४", 4),
        ("5.", 5),
        ("6", None),
        ("0", None),
        ("2 routers", None),
    ],
)
def test_reply_votes(text: str, want: int | None) -> None:
    assert parse_reply_vote(text, 5) == want


def test_record_vote_counts_each_voter_once(project: Project) -> None:
    assert record_vote(project, "router-color", 1, voter="s1", now=DUE) is True
    assert record_vote(project, "router-color", 2, voter="s2", now=DUE) is True
    assert record_vote(project, "router-color", 3, voter="s1", now=DUE) is False  # s1 changed their mind
    t = tally(project, "router-color")
    assert t.counts == [0, 1, 1] and t.total == 2 and t.csat is None
    with pytest.raises(ContentError, match="options 1 to 3"):
        record_vote(project, "router-color", 4, voter="s3", now=DUE)
    with pytest.raises(ContentError, match="no poll"):
        record_vote(project, "nope", 1, voter="s3", now=DUE)


def test_tallies_from_telegram_discord_replies_and_local_votes(
    project: Project, tg: FakeTelegram, discord: FakeDiscord
) -> None:
    from storycast.engine.tick import tick

    report = tick(project, _ctx(project, DUE), DUE)
    assert report.count("published") == 2
    sent = tg.calls("POST", "sendPoll")
    assert len(sent) == 1
    form = sent[0].form()
    assert json.loads(form["options"])[4] in ({"text": "5 · Very happy"}, "5 · Very happy")
    message_id = next(iter(tg.polls))
    for i, n in enumerate([0, 1, 2, 4, 3]):
        tg.polls[message_id]["options"][i]["voter_count"] = n
    # The local feed got the rendered poll frame; people vote there.
    record = json.loads(next((project.root / "feed").glob("*/*.json")).read_text(encoding="utf-8"))
    assert record["kind"] == "poll" and record["story"] == "csat"
    for voter, option in (("a", 5), ("b", 5), ("c", 1)):
        record_vote(project, "csat", option, "local", voter, now=DUE + timedelta(hours=1), channel="local")
    # A Telegram reply "๔" to the poll message is a vote for 4.
    update = {
        "update_id": 1,
        "message": {
            "message_id": 900,
            "date": int((DUE + timedelta(hours=2)).timestamp()),
            "chat": {"id": -1001},
            "from": {"id": 42},
            "text": "๔",
            "reply_to_message": {"message_id": message_id},
        },
    }
    stored = _telegram(project, update, "s3cret", "s3cret").stored
    assert (stored.replies, stored.votes) == (1, 1)
    # Discord (no adapter yet): the poll's results are read back from the webhook's message.
    msg = requests.post(
        f"{discord.url}/webhooks/111/tok?wait=true",
        json={
            "poll": {
                "question": {"text": "How happy?"},
                "answers": [{"poll_media": {"text": str(i)}} for i in range(1, 6)],
            }
        },
        timeout=5,
    ).json()
    discord.vote(msg["id"], 4, 2)
    discord.vote(msg["id"], 2, 1)
    counts = discord_poll_counts(discord.url, "111", "tok", msg["id"])
    assert counts == {1: 0, 2: 1, 3: 0, 4: 2, 5: 0}
    record_channel_totals(project, "csat", f"discord:{msg['id']}", "discord", counts, now=DUE)
    # Before closing, the insights step leaves the Telegram poll open...
    collect_due_insights(project, _ctx(project, DUE + timedelta(hours=23)), DUE + timedelta(hours=23))
    assert not tg.calls("POST", "stopPoll")
    # ...after closing, it stops it once and stores the final counts.
    after = DUE + timedelta(hours=24, minutes=5)
    got = collect_due_insights(project, _ctx(project, after), after)
    assert [p["counts"] for p in got.polls] == [{1: 0, 2: 1, 3: 2, 4: 4, 5: 3}]
    collect_due_insights(project, _ctx(project, after), after + timedelta(minutes=5))
    assert len(tg.calls("POST", "stopPoll")) == 1
    t = tally(project, "csat")
    assert t.by_channel == {
        "tg": [0, 1, 2, 5, 3],  # 4 native + the "๔" reply
        "local": [1, 0, 0, 0, 2],
        "discord": [0, 1, 0, 2, 0],
    }
    assert t.counts == [1, 2, 2, 7, 5] and t.total == 17
    assert round(t.csat or 0) == round(100 * 12 / 17)


def test_telegram_update_with_a_bad_secret_is_rejected(project: Project, caplog) -> None:
    with caplog.at_level("WARNING"), pytest.raises(BadSignature):
        _telegram(project, {"update_id": 2}, "wrong", "s3cret")
    assert "rejected a Telegram update" in caplog.text and "s3cret" not in caplog.text


def test_telegram_poll_update_stores_totals_by_question(project: Project) -> None:
    update = {
        "update_id": 3,
        "poll": {
            "id": "77",
            "question": "¿Qué tan satisfecho estás?",
            "options": [{"text": f"{i} · x", "voter_count": 0} for i in range(1, 6)],
        },
    }
    es_texts = project.content.extras["poll"]["csat"].option_texts("es", emoji=True)
    update["poll"]["options"] = [
        {"text": t, "voter_count": n} for t, n in zip(es_texts, [0, 0, 1, 1, 6], strict=True)
    ]
    stored = _telegram(project, update, None, "").stored
    assert stored.polls == ["csat"]
    _telegram(project, update, None, "")  # a repeat replaces, not adds
    assert tally(project, "csat").counts == [0, 0, 1, 1, 6]


def test_cli_results_json_and_chart(project: Project, run_cli, tmp_path: Path) -> None:
    for voter, option in (("a", 1), ("b", 2), ("c", 2)):
        record_vote(project, "router-color", option, voter=voter, now=DUE)
    chart = tmp_path / "chart.png"
    env = {"TG_TOKEN": TOKEN}
    code, out, _ = run_cli(
        "--project",
        str(project.root),
        "polls",
        "results",
        "router-color",
        "--json",
        "--chart",
        str(chart),
        env=env,
    )
    assert code == 0
    data = json.loads(out)["polls"][0]
    assert [o["votes"] for o in data["options"]] == [1, 2, 0] and data["by_channel"]["local"]["total"] == 3
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run_cli("--project", str(project.root), "polls", "results", env=env)
    assert code == 0 and "Which router colour?" in out and "CSAT" not in out.split("router-color")[1]
    code, _, err = run_cli("--project", str(project.root), "polls", "results", "nope", env=env)
    assert code != 0 and "no poll with id 'nope'" in err
    code, out, _ = run_cli(
        "--project", str(project.root), "polls", "vote", "router-color", "3", "--voter", "z", env=env
    )
    assert code == 0 and "option 3" in out


def test_whatsapp_button_taps_are_votes_and_bad_signatures_are_refused(project: Project, caplog) -> None:
    import hashlib
    import hmac

    from storycast.channels.whatsapp import WhatsAppChannel

    def deliver(signature: str) -> Received:
        # No [channels.wa] in this project: the type's verify and parse, then engage's store.
        WhatsAppChannel.verify_webhook(WebhookRequest({}, {"x-hub-signature-256": signature}, body), secret)
        inbound = WhatsAppChannel.parse_webhook(json.loads(body), DUE, channel="wa", project=project)
        return store_inbound(project, "wa", "whatsapp", inbound, DUE)

    secret = "wa-app-secret"
    messages = [
        {
            "from": "34600000001",
            "id": "wamid.1",
            "timestamp": "1764784800",
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "router-color:1", "title": "Black"},
            },
        },
        {
            "from": "34600000002",
            "id": "wamid.2",
            "timestamp": "1764784801",
            "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": {"id": "router-color:2", "title": "Blue"}},
        },
        {
            "from": "34600000001",
            "id": "wamid.3",
            "timestamp": "1764784802",
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "router-color:2", "title": "Blue"},
            },
        },
    ]
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": messages}}]}],
        }
    ).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    got = deliver(sig)
    assert got.stored.votes == 3 and got.to_json()["windows"] == 0
    t = tally(project, "router-color")
    assert t.by_channel == {"wa": [0, 0, 2]}  # the first voter changed their mind
    with caplog.at_level("WARNING"), pytest.raises(BadSignature):
        deliver(sig.replace("a", "b"))
    assert "rejected a WhatsApp webhook delivery" in caplog.text
