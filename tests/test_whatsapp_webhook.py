"""The WhatsApp webhook teaches the channel its 24-hour windows (signed deliveries only, newest
wins), its opt-outs in every declared language, the delivery statuses of what it sent, and the
votes of template button taps."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from storycast.channels.whatsapp import normalize_number, read_windows, record_windows
from storycast.project import Project
from tests.conftest_db import db_url, pg_database  # noqa: F401  (fixtures)
from tests.fakes.project import NOW, channel, jpeg, request
from tests.fakes.whatsapp import PNID
from tests.fakes.whatsapp_cloud import FakeCloudAPI as FakeWhatsApp

TOKEN = "EAAwhatsapptoken42"
SECRET = "wa-app-secret-7"
ENV = {"WA_TOKEN": TOKEN, "WA_APP_SECRET": SECRET, "WA_VERIFY": "verify-wa"}
OTHER_PNID = "110000000000009"
A, B = "+34600111001", "+34600111002"
WINDOW_FILE = ".storycast/whatsapp-window.json"
OTHER_FILE = ".storycast/whatsapp-window-other.json"
_ids = itertools.count(1)


@pytest.fixture
def wa() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp(TOKEN).start()
    yield fake
    fake.stop()
    fake.assert_clean()


@pytest.fixture
def project(tmp_path: Path, wa: FakeWhatsApp) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    # A is written the way people type numbers; the webhook's wa_id for it is bare digits.
    (root / "storycast.toml").write_text(
        f"""[project]
name = "Test"
languages = ["en", "es", "th", "hi", "sr", "ar"]

[channels.wa]
type = "whatsapp"
api_base = "{wa.url}"
phone_number_id = "{PNID}"
access_token = "env:WA_TOKEN"
app_secret = "env:WA_APP_SECRET"
verify_token = "env:WA_VERIFY"
subscribers = ["+34 600-111-001", "{B}"]
template = "story_update"
template_languages = {{ en = "en_US" }}
messages_per_second = 0
timeout = 0.5
backoff = 0

[channels.wa-other]
type = "whatsapp"
enabled = false
phone_number_id = "{OTHER_PNID}"
access_token = "env:WA_TOKEN"
window_file = "{OTHER_FILE}"
""",
        encoding="utf-8",
    )
    return Project.load(root, environ=ENV)


@pytest.fixture
def client(project: Project) -> TestClient:
    from storycast.web.app import create_app

    return TestClient(create_app(project, now=lambda: NOW, watch=False))


def _delivery(senders: list[tuple[str, datetime]], pnid: str = PNID) -> bytes:
    """A Cloud API ``messages`` delivery: one text message from each (wa_id, time)."""
    messages = [
        {
            "from": wa_id,
            "id": f"wamid.in{next(_ids)}",
            "timestamp": str(int(at.timestamp())),
            "type": "text",
            "text": {"body": "hola"},
        }
        for wa_id, at in senders
    ]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34600000000", "phone_number_id": pnid},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": w} for w, _ in senders],
        "messages": messages,
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "220000000000001", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def _sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def _windows(project: Project, rel: str = WINDOW_FILE) -> dict[str, datetime]:
    return read_windows(project.root / rel)


def _publish_types(project: Project, wa: FakeWhatsApp, tmp_path: Path, at: datetime) -> dict[str, Any]:
    wa.sent.clear()
    ch = channel(project, "wa", ENV)
    ch.context.fixed_clock(at)
    ch.publish(request(jpeg(tmp_path / f"f{next(_ids)}.jpg", next(_ids))))
    return {m["to"]: m["type"] for m in wa.sent}


def test_a_signed_inbound_message_makes_the_next_publish_free_form(
    client: TestClient, project: Project, wa: FakeWhatsApp, tmp_path: Path
) -> None:
    assert _publish_types(project, wa, tmp_path, NOW) == {A: "template", B: "template"}
    body = _delivery([("34600111001", NOW - timedelta(hours=1))])
    res = client.post("/hooks/whatsapp", content=body, headers=_sign(body))
    assert res.status_code == 200 and res.json()["windows"] == 1
    assert _windows(project) == {A: NOW - timedelta(hours=1)}
    wa.open_windows = {A}  # WhatsApp agrees: A wrote to us within 24 h
    assert _publish_types(project, wa, tmp_path, NOW) == {A: "image", B: "template"}
    # The delivery was for this channel's number only: the other number's file is untouched.
    assert not (project.root / OTHER_FILE).exists()


def test_unsigned_or_badly_signed_deliveries_are_refused_and_record_nothing(
    client: TestClient, project: Project, wa: FakeWhatsApp, tmp_path: Path
) -> None:
    body = _delivery([("34600111001", NOW - timedelta(minutes=5))])
    unsigned = client.post("/hooks/whatsapp", content=body)
    forged = client.post("/hooks/whatsapp/wa", content=body, headers=_sign(body, "not-the-secret"))
    tampered = client.post(
        "/hooks/whatsapp", content=body.replace(b"34600111001", b"34600111002"), headers=_sign(body)
    )
    assert [r.status_code for r in (unsigned, forged, tampered)] == [403, 403, 403]
    assert SECRET not in forged.text and "hola" not in forged.text
    assert not (project.root / WINDOW_FILE).exists()
    wa.open_windows = {A}
    assert _publish_types(project, wa, tmp_path, NOW) == {A: "template", B: "template"}


def test_a_message_older_than_24_hours_keeps_the_template(
    client: TestClient, project: Project, wa: FakeWhatsApp, tmp_path: Path
) -> None:
    body = _delivery([("34600111001", NOW - timedelta(hours=25)), ("34600111002", NOW - timedelta(days=8))])
    assert client.post("/hooks/whatsapp", content=body, headers=_sign(body)).status_code == 200
    # Kept (it is under a week old) but outside the window; the 8-day-old one is dropped.
    assert _windows(project) == {A: NOW - timedelta(hours=25)}
    assert _publish_types(project, wa, tmp_path, NOW) == {A: "template", B: "template"}
    # The same entry a day earlier was inside the window.
    wa.open_windows = {A}
    assert _publish_types(project, wa, tmp_path, NOW - timedelta(hours=2))[A] == "image"


def test_concurrent_deliveries_keep_the_newest_time_per_number(client: TestClient, project: Project) -> None:
    warm = _delivery([("34600111002", NOW - timedelta(hours=1))])
    client.post("/hooks/whatsapp", content=warm, headers=_sign(warm))  # the ledger exists before the rush
    numbers = [f"3460099{i:04d}" for i in range(8)]
    times = [NOW - timedelta(minutes=m) for m in (40, 30, 20, 10)]
    posts = [_delivery([(n, t)]) for n in numbers for t in times]
    random.Random(7).shuffle(posts)
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(lambda b: client.post("/hooks/whatsapp", content=b, headers=_sign(b)).status_code, posts)
        )
    assert codes == [200] * len(posts)
    expected = {"+" + n: NOW - timedelta(minutes=10) for n in numbers}
    assert _windows(project) == {B: NOW - timedelta(hours=1), **expected}
    # An older message arriving late does not move a window back.
    late = _delivery([(numbers[0], NOW - timedelta(hours=3))])
    client.post("/hooks/whatsapp", content=late, headers=_sign(late))
    assert _windows(project)["+" + numbers[0]] == NOW - timedelta(minutes=10)


def test_record_windows_loses_no_update_under_contention(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    start = threading.Barrier(16)

    def writer(i: int) -> None:
        start.wait()
        for j in range(10):
            record_windows(path, {f"+3460012{i:02d}{j:02d}": NOW - timedelta(minutes=j)}, NOW)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(writer, range(16)))
    got = read_windows(path)
    assert len(got) == 160
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_a_delivery_for_another_number_goes_to_that_channels_file(
    client: TestClient, project: Project
) -> None:
    body = _delivery([("34600111001", NOW - timedelta(minutes=1))], pnid=OTHER_PNID)
    assert client.post("/hooks/whatsapp/wa", content=body, headers=_sign(body)).status_code == 200
    assert _windows(project, OTHER_FILE) == {A: NOW - timedelta(minutes=1)}
    assert not (project.root / WINDOW_FILE).exists()


def test_status_updates_record_nothing_and_bad_json_is_400(client: TestClient, project: Project) -> None:
    statuses = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": {"phone_number_id": PNID},
                                "statuses": [
                                    {
                                        "id": "wamid.1",
                                        "status": "read",
                                        "timestamp": "1764579000",
                                        "recipient_id": "34600111001",
                                    }
                                ],
                            },
                        }
                    ]
                }
            ],
        }
    ).encode()
    res = client.post("/hooks/whatsapp", content=statuses, headers=_sign(statuses))
    assert res.status_code == 200 and res.json()["windows"] == 0
    assert not (project.root / WINDOW_FILE).exists()
    assert client.post("/hooks/whatsapp", content=b"{nope", headers=_sign(b"{nope")).status_code == 400


def test_subscription_handshake_and_unknown_channel(client: TestClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-wa", "hub.challenge": "1158201444"}
    ok = client.get("/hooks/whatsapp", params=params)
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert client.get("/hooks/whatsapp/wa", params={**params, "hub.verify_token": "guess"}).status_code == 403
    missing = client.get("/hooks/whatsapp/nope", params=params)
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    body = _delivery([("34600111001", NOW)])
    assert client.post("/hooks/whatsapp/nope", content=body, headers=_sign(body)).status_code == 404


def test_numbers_compare_in_one_form() -> None:
    assert normalize_number("34600111001") == normalize_number("+34 600-111-001") == A
    assert normalize_number("+34 (600) 111.001") == A
    assert normalize_number("600 111 001") == "+600111001"  # a wa_id always has its country code


def test_a_hand_written_window_file_with_wa_ids_is_read(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"34600111001": "2026-12-01T08:00:00Z", A: "2026-11-30T08:00:00+00:00"}))
    assert read_windows(path) == {A: datetime(2026, 12, 1, 8, 0, tzinfo=UTC)}


def test_check_reports_the_window_and_a_file_shared_across_numbers(
    client: TestClient, project: Project, wa: FakeWhatsApp, tmp_path: Path
) -> None:
    body = _delivery([("34600111001", NOW - timedelta(hours=1)), ("34600111002", NOW - timedelta(hours=30))])
    client.post("/hooks/whatsapp", content=body, headers=_sign(body))
    window = {c.check: c for c in channel(project, "wa", ENV).check()}["window"]
    assert window.ok and window.detail == "1 number(s) inside the 24 h window"
    toml = (project.root / "storycast.toml").read_text(encoding="utf-8")
    (project.root / "storycast.toml").write_text(
        toml.replace(f'window_file = "{OTHER_FILE}"', f'window_file = "./{WINDOW_FILE}"'), encoding="utf-8"
    )
    shared = {c.check: c for c in channel(Project.load(project.root, environ=ENV), "wa", ENV).check()}
    assert not shared["window"].ok and "'wa-other'" in shared["window"].detail


def _value_delivery(value: dict[str, Any]) -> bytes:
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID}, **value}
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def _text(number: str, text: str, at: datetime = NOW) -> dict[str, Any]:
    return {
        "from": number[1:],
        "id": f"wamid.in{next(_ids)}",
        "timestamp": str(int(at.timestamp())),
        "type": "text",
        "text": {"body": text},
    }


@pytest.mark.parametrize(
    "word", ["STOP", "Unsubscribe!", "baja", "PARAR", "ยกเลิก", "หยุด", "रोकें", "बंद", "СТОП", "stop", "إيقاف"]
)
def test_an_opt_out_word_in_any_declared_language_stops_the_messages(
    client: TestClient, project: Project, wa: FakeWhatsApp, tmp_path: Path, word: str
) -> None:
    body = _value_delivery({"messages": [_text(B, word)]})
    res = client.post("/hooks/whatsapp", content=body, headers=_sign(body))
    assert res.status_code == 200 and res.json()["optouts"] == 1
    assert _publish_types(project, wa, tmp_path, NOW) == {A: "template"}
    assert {c.check: c for c in channel(project, "wa", ENV).check()}["optout"].detail.startswith("1 number")


def test_a_message_that_merely_contains_stop_is_not_an_opt_out(client: TestClient, project: Project) -> None:
    body = _value_delivery({"messages": [_text(B, "my router will not stop blinking")]})
    assert client.post("/hooks/whatsapp", content=body, headers=_sign(body)).json()["optouts"] == 0


def test_statuses_reach_the_ledger_and_a_closed_window_owes_the_template(
    client: TestClient, project: Project, wa: FakeWhatsApp, tmp_path: Path
) -> None:
    from storycast.ledger import open_ledger

    (project.root / ".storycast").mkdir(exist_ok=True)
    (project.root / WINDOW_FILE).write_text(json.dumps({A: NOW.isoformat()}), encoding="utf-8")
    assert _publish_types(project, wa, tmp_path, NOW) == {A: "image", B: "template"}
    wa.flush()
    for payload in wa.held:  # what Meta posts afterwards: sent, delivered; A failed with 131047
        raw = json.dumps(payload).encode()
        assert client.post("/hooks/whatsapp", content=raw, headers=_sign(raw)).status_code == 200
    ledger = open_ledger(project)
    try:
        rows = {(r["subscriber"], r["status"], r["error_code"], r["outcome"]) for r in ledger.delivery_rows()}
    finally:
        ledger.close()
    assert rows == {(A, "failed", 131047, "resend"), (B, "delivered", None, "")}
    assert channel(project, "wa", ENV).follow_up(NOW) == 1


def test_a_status_faster_than_the_send_journal_is_asked_for_again(
    client: TestClient, project: Project, tmp_path: Path
) -> None:
    from storycast.channels.whatsapp.loop import SendJournal, journal_path

    journal = SendJournal(journal_path(project, "wa"))
    journal.update("k1", NOW, inflight=B)
    status = {
        "id": "wamid.fast",
        "status": "sent",
        "timestamp": str(int(NOW.timestamp())),
        "recipient_id": B[1:],
    }
    body = _value_delivery({"statuses": [status]})
    assert client.post("/hooks/whatsapp", content=body, headers=_sign(body)).status_code == 503
    journal.update("k1", NOW, inflight="", sent={B: "wamid.fast"})
    assert client.post("/hooks/whatsapp", content=body, headers=_sign(body)).json()["statuses"] == 1


def test_a_template_button_tap_is_a_vote(client: TestClient, project: Project) -> None:
    (project.root / "stories").mkdir(exist_ok=True)
    (project.root / "stories" / "fixed.yaml").write_text(
        "kind: poll\nid: fixed\nlanguages: [en]\nquestion:\n  en: Fixed?\n"
        "options:\n  - {en: 'Yes'}\n  - {en: 'No'}\n",
        encoding="utf-8",
    )
    tap = {
        "context": {"from": "34600000000", "id": "wamid.tpl1"},
        "from": B[1:],
        "id": "wamid.in-tap",
        "timestamp": str(int(NOW.timestamp())),
        "type": "button",
        "button": {"payload": "fixed:1", "text": "No"},
    }
    body = _value_delivery({"messages": [tap]})
    res = client.post("/hooks/whatsapp", content=body, headers=_sign(body))
    assert res.status_code == 200 and res.json()["votes"] == 1


def test_delivery_statuses_on_both_backends_never_move_back(db_url: str) -> None:  # noqa: F811
    """The ledger keeps the newest status per message, ties it to its row by the idempotency key,
    and counts each subscriber once with their newest message (SQLite and PostgreSQL)."""
    from storycast.ledger.store import Ledger

    led = Ledger.open(db_url)
    try:
        led.insert_units(
            [
                {
                    "entry_key": "e",
                    "occurrence_key": "o",
                    "channel": "wa",
                    "lang": "en",
                    "frame": 1,
                    "frame_total": 1,
                    "kind": "story",
                    "ref": "r",
                    "due_utc": NOW,
                    "deadline_utc": NOW + timedelta(hours=1),
                }
            ],
            NOW,
        )
        (row,) = led.claim(NOW, 1)
        led.begin_send(row, NOW, idempotency_key="key-1", frame_sha256=None)
        put = lambda wamid, status, who, **kw: led.record_delivery(  # noqa: E731
            channel="wa", message_id=wamid, status=status, at=NOW, now=NOW, subscriber=who, key="key-1", **kw
        )
        assert put("w1", "read", A) and not put("w1", "delivered", A) and not put("w1", "read", A)
        assert put("w2", "failed", B, error_code=131047, error="Re-engagement message", outcome="resend")
        assert put("w3", "sent", B)  # the template that followed
        assert not put("w4", "nonsense", B)
        (counts,) = led.delivery_counts().values()
        assert (counts["messages"], counts["delivered"], counts["read"], counts["failed"]) == (2, 1, 1, 0)
        assert led.find_post("wa", "w2") is not None  # a tap or reply naming any subscriber's message
    finally:
        led.close()
