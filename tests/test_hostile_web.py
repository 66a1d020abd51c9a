"""The hostile-input corpus for ``storycast serve``: one case a line in ``tests/hostile/web.yaml``.

Each case sends one request (or the same one several times) to a fresh copy of a small served
project, in-process, and checks what every hostile request must get: the documented status and a
message saying what is wrong, never a 500 or a traceback, never a secret, and the ledger, vote
store, hand-off rows, window files and feed left as they were unless the case says
``state: changes``. The fields are described at the top of ``web.yaml``. Every route of the app
must be exercised by at least one case, and one test runs a real uvicorn server to show that an
oversized body is refused before it is read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from storycast.channels.base import PollSpec
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, build_file_tree
from tests.test_web import NOW, _handed_off, _publish

CORPUS = Path(__file__).resolve().parent / "hostile" / "web.yaml"
REPO = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"
FIELDS = {
    "id", "method", "path", "path_repeat", "headers", "body", "raw", "body_repeat", "body_tail", "chunked",
    "sign", "with", "cookies", "repeat", "status", "says", "not_says", "answer_headers", "state",
}  # fmt: skip
SECRETS = {
    "META_SECRET": "meta-app-secret-hostile",
    "META_VERIFY": "meta-verify-hostile",
    "TG_SECRET": "tg-webhook-secret-hostile",
    "WA_SECRET": "wa-app-secret-hostile",
    "WA_VERIFY": "wa-verify-hostile",
    "HD_SECRET": "helpdesk-secret-hostile",
}
TOML = """\
[project]
name = "Hostile web"
languages = ["en", "es", "th", "hi", "sr", "ar"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"

[channels.instagram]
type = "instagram"
enabled = false
ig_user_id = "17841400000000001"
app_secret = "env:META_SECRET"
verify_token = "env:META_VERIFY"

[channels.ig-nosecret]
type = "instagram"
enabled = false
ig_user_id = "17841400000000002"

[channels.telegram]
type = "telegram"
enabled = false
chat_id = "@hostile"
webhook_secret = "env:TG_SECRET"

[channels.tg-open]
type = "telegram"
enabled = false
chat_id = "@open"

[channels.whatsapp]
type = "whatsapp"
enabled = false
phone_number_id = "100000000000001"
app_secret = "env:WA_SECRET"
verify_token = "env:WA_VERIFY"

[outcomes]
helpdesk_secret = "env:HD_SECRET"
"""
TRACEBACK = ("Traceback (most recent call last)", 'File "/')


def _load_cases() -> list[Any]:
    cases: list[Any] = []
    seen: set[str] = set()
    for lineno, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("- "):
            continue  # comments, blank lines
        (case,) = yaml.safe_load(line)
        where = f"web.yaml:{lineno}"
        unknown = set(case) - FIELDS
        assert not unknown, f"{where}: unknown field(s) {sorted(unknown)}"
        for required in ("id", "path", "status"):
            assert required in case, f"{where}: a case needs {required!r}"
        assert case["id"] not in seen, f"{where}: duplicate id {case['id']!r}"
        seen.add(case["id"])
        cases.append(pytest.param(case, id=case["id"]))
    return cases


CASES = _load_cases()


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A served project: a live story and poll in the feed, two hand-off rows, every webhook channel."""
    import storycast.engage  # noqa: F401  registers the poll kind

    root = tmp_path_factory.mktemp("hostile-web") / "base"
    build_file_tree(root, {"storycast.toml": TOML, "stories/sample.yaml": MINIMAL_STORY})
    shutil.copy(REPO / "stories" / "csat-weekly.yaml", root / "stories" / "csat-weekly.yaml")
    project = Project.load(root, environ=SECRETS)
    _publish(project, "sample", "en", 2, NOW - timedelta(hours=1))
    spec = PollSpec(question="How happy?", options=("1", "2", "3", "4", "5"), poll_id="csat-weekly")
    _publish(project, "csat-weekly", "en", 1, NOW - timedelta(minutes=5), poll=spec)
    _handed_off(project, 2)
    _customer_wrote(project, "local", "viewer-1")
    _app(project)  # makes .storycast/web.key, shared by every copy
    return root


def _customer_wrote(project: Project, channel: str, thread: str) -> None:
    """A customer's message in ``thread``, which a help desk can then resolve."""
    from storycast.ledger import open_ledger

    ledger = open_ledger(project)
    try:
        ledger.put_reply(channel=channel, message_id="m-1", kind="reply", thread=thread, at=NOW)
    finally:
        ledger.close()


def _app(project: Project) -> Any:
    from storycast.web.app import create_app

    return create_app(project, now=lambda: NOW, watch=False)


def _state(root: Path) -> str:
    """Everything a request could change: ledger rows, state files (not the key, not the render
    cache, which the preview fills) and the feed."""
    digest = hashlib.sha256()
    con = sqlite3.connect(f"file:{root / '.storycast' / 'state.db'}?mode=ro", uri=True)
    try:
        query = "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
        for (table,) in con.execute(query).fetchall():
            digest.update(table.encode())
            for row in con.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
    finally:
        con.close()
    for folder in (root / ".storycast", root / "feed"):
        for path in sorted(folder.rglob("*")):
            skip = path.name.startswith("state.db") or path.suffix == ".lock" or "cache" in path.parts
            if path.is_file() and not skip:
                digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def _fragments(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class _Request:
    """One case turned into what the client sends, with its placeholders filled in."""

    def __init__(self, case: dict[str, Any], client: TestClient, places: dict[str, str]) -> None:
        self.case = case
        self.client = client
        self.places = places

    def _fill(self, text: str) -> str:
        for key, value in self.places.items():
            text = text.replace("{" + key + "}", value)
        return text

    def _tokens(self) -> None:
        """Fetch the page ``with`` names and keep its token (and its cookie unless ``cookies: false``)."""
        self.client.cookies.clear()
        want = self.case.get("with", "none")
        if want == "viewer":
            page = self.client.get("/")
            match = re.search(r'data-viewer="([^"]+)"', page.text)
            assert match is not None, "the feed page carries no viewer token"
            self.places["viewer"] = match.group(1)
        elif want == "csrf":
            self.places["csrf"] = self.client.get("/handoff", headers={"Accept": "application/json"}).json()[
                "csrf"
            ]
        else:
            assert want == "none", f"with: {want!r} is not viewer, csrf or none"
        if self.case.get("cookies") is False:
            self.client.cookies.clear()

    def body(self) -> bytes:
        text = self._fill(str(self.case.get("body", "")))
        if "body_repeat" in self.case:
            chunk, count = self.case["body_repeat"]
            text += str(chunk) * int(count)
        text += str(self.case.get("body_tail", ""))
        return text.encode("latin-1" if self.case.get("raw") else "utf-8")

    def headers(self, body: bytes) -> dict[str, str]:
        headers = {str(k): self._fill(str(v)) for k, v in (self.case.get("headers") or {}).items()}
        sign = self.case.get("sign")
        if sign in ("meta", "meta-wrong", "whatsapp"):
            key = {"meta": "META_SECRET", "meta-wrong": "WA_VERIFY", "whatsapp": "WA_SECRET"}[sign]
            mac = hmac.new(SECRETS[key].encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + mac
        elif sign == "telegram":
            headers["X-Telegram-Bot-Api-Secret-Token"] = SECRETS["TG_SECRET"]
        elif sign in ("helpdesk", "helpdesk-stale", "helpdesk-wrong"):
            # The outgoing webhook channel's scheme: HMAC of "<timestamp>.<body>", by the real clock.
            stamp = str(int(time.time()) - (600 if sign == "helpdesk-stale" else 0))
            key = SECRETS["WA_VERIFY" if sign == "helpdesk-wrong" else "HD_SECRET"]
            mac = hmac.new(key.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            headers["X-Storycast-Timestamp"] = stamp
            headers["X-Storycast-Signature"] = "sha256=" + mac
        else:
            assert sign is None, f"sign: {sign!r} is not meta, meta-wrong, whatsapp, telegram or helpdesk*"
        return headers

    def send(self) -> Any:
        self._tokens()
        body = self.body()
        headers = self.headers(body)
        content: Any = body
        if self.case.get("chunked"):
            content = iter([body[i : i + 8192] for i in range(0, len(body), 8192)])
        method = str(self.case.get("method", "GET"))
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if body or self.case.get("chunked"):
            kwargs["content"] = content
        path = self._fill(str(self.case["path"]))
        if "path_repeat" in self.case:
            text, count = self.case["path_repeat"]
            path += str(text) * int(count)
        return self.client.request(method, path, **kwargs)


def _places(client: TestClient, project: Project) -> dict[str, str]:
    from storycast.ledger import open_ledger
    from storycast.ledger.models import publication

    feed = client.get("/api/feed").json()["stories"]
    frame = feed[0]["frames"][0]
    ledger = open_ledger(project)
    try:
        rows = ledger.rows(publication.c.state == "handed_off")
    finally:
        ledger.close()
    return {
        "remote": frame["remote_id"],
        "media": frame["media"],
        "record": frame["media"].rsplit(".", 1)[0] + ".json",
        "row": str(rows[0].id),
    }


@pytest.mark.parametrize("case", CASES)
def test_hostile_request(case: dict[str, Any], base_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(base_project, root)
    project = Project.load(root, environ=SECRETS)
    key = (root / ".storycast" / "web.key").read_bytes()
    with TestClient(_app(project), base_url=BASE, raise_server_exceptions=False) as client:
        places = _places(client, project)
        before = _state(root)
        answers = []
        for _ in range(int(case.get("repeat", 1))):
            answers.append(_Request(case, client, dict(places)).send())
    after = _state(root)
    last = answers[-1]
    shown = f"{case.get('method', 'GET')} {case['path']} -> {last.status_code}\n{last.text[:2000]}"
    for answer in answers:
        assert answer.status_code != 500, shown
        for marker in TRACEBACK:
            assert marker not in answer.text, shown
        everything = answer.text + "".join(f"{k}: {v}\n" for k, v in answer.headers.items())
        for secret in [*SECRETS.values(), key.hex(), *_fragments(case.get("not_says"))]:
            assert secret not in everything, f"{secret!r} in the answer:\n{shown}"
    assert last.status_code == case["status"], shown
    for fragment in _fragments(case.get("says")):
        assert fragment in last.text, f"{fragment!r} not in the answer:\n{shown}"
    for name, value in (case.get("answer_headers") or {}).items():
        assert str(value) in last.headers.get(name, ""), f"{name}: {value!r} not answered:\n{shown}"
    if case.get("state", "unchanged") == "unchanged":
        assert after == before, f"the request changed the project's state:\n{shown}"
    else:
        assert case["state"] == "changes", f"state: {case['state']!r} is not unchanged or changes"
        assert after != before, f"the request was meant to change the project's state:\n{shown}"


def test_every_route_has_a_case(base_project: Path) -> None:
    """The corpus covers every method of every route the app serves (HEAD rides on GET)."""
    project = Project.load(base_project, environ=SECRETS)
    app = _app(project)
    sent = [(str(p.values[0].get("method", "GET")), str(p.values[0]["path"]).split("?", 1)[0]) for p in CASES]
    missing = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                if not any(m == method and route.path_regex.match(path) for m, path in sent):
                    missing.append(f"{method} {route.path}")
        elif isinstance(route, Mount) and not any(path.startswith(route.path + "/") for _, path in sent):
            missing.append(f"GET {route.path}/...")
    assert not missing, f"no case in web.yaml for: {missing}"


# --- a real server: an oversized body is refused before it is read -------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(base_project: Path, tmp_path: Path) -> Iterator[int]:
    import uvicorn

    root = tmp_path / "project"
    shutil.copytree(base_project, root)
    port = _free_port()
    config = uvicorn.Config(
        _app(Project.load(root, environ=SECRETS)), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


def test_a_declared_oversized_body_is_refused_before_it_is_sent(served: int) -> None:
    """Content-Length: 200 MB and not one byte of body: the answer comes at once."""
    with socket.create_connection(("127.0.0.1", served), timeout=5) as sock:
        sock.sendall(
            b"POST /api/vote HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        started = time.monotonic()
        line = _status_line(sock)
        assert line.startswith(b"HTTP/1.1 413 "), line  # the reason phrase varies by Python version
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("path", ["/handoff/confirm", "/hooks/telegram"])
def test_a_chunked_body_is_cut_off_at_the_cap(served: int, path: str) -> None:
    """A chunked body has no length to check up front: the server stops reading at the cap and
    answers 413 while the client is still sending; the client never gets to send its 200 MB."""
    chunk = b"x" * 16384
    sent = 0
    with socket.create_connection(("127.0.0.1", served), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sock.setblocking(False)
        answer = b""
        deadline = time.monotonic() + 10
        while not answer and sent < 200 * 1024 * 1024 and time.monotonic() < deadline:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                time.sleep(0.002)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    limit = 1024 * 1024 if path.startswith("/hooks/") else 64 * 1024
    # The answer came once the cap was passed, not after the whole body (a little slack for the
    # chunks already in flight in the socket buffers).
    assert sent < limit + 4 * 1024 * 1024, sent
