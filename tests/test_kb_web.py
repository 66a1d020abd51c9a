"""storycast serve's knowledge-base side: /go/ counts a visit without personal data and redirects,
the helpful vote lands in the CSAT store only with valid tokens, hostile input is a 4xx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect
from starlette.testclient import TestClient

from storycast.ledger import open_ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"
TOML = MINIMAL_TOML + '\n[kb]\nbase_url = "https://help.example.com"\n'


@pytest.fixture
def project(make_project: Any) -> Project:
    return Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=TOML))


@pytest.fixture
def client(project: Project) -> TestClient:
    from storycast.web.app import create_app

    return TestClient(
        create_app(project, now=lambda: NOW, watch=False), base_url=BASE, follow_redirects=False
    )


def _visits(project: Project) -> list[dict[str, Any]]:
    led = open_ledger(project)
    try:
        return led.visit_rows()
    finally:
        led.close()


def test_go_counts_the_visit_and_redirects_to_the_article(client: TestClient, project: Project) -> None:
    headers = {"User-Agent": "Phone/1.0", "X-Forwarded-For": "203.0.113.9", "Cookie": "tracking=abc"}
    r = client.get("/go/sample?l=es&c=local", headers=headers)
    assert r.status_code == 302
    assert r.headers["location"] == "https://help.example.com/es/sample/"
    assert "set-cookie" not in r.headers
    assert r.headers["cache-control"] == "no-store"
    client.get("/go/sample?l=es&c=local")
    client.get("/go/sample")  # no language: the project's default; no channel: unattributed
    client.get("/go/sample?l=en&c=renamed-channel")  # not a channel (any more): unattributed
    rows = _visits(project)
    assert sorted((r["ref"], r["lang"], r["channel"], r["count"]) for r in rows) == [
        ("sample", "en", "", 2),
        ("sample", "es", "local", 2),
    ]
    assert {r["day"].isoformat() for r in rows} == {"2026-12-07"}
    # The row is a counter: nothing in it could tell who visited.
    led = open_ledger(project)
    try:
        cols = {c["name"] for c in inspect(led.engine).get_columns("kb_visit")}
    finally:
        led.close()
    assert cols == {"id", "day", "ref", "lang", "channel", "count"}
    stored = repr(rows)
    for secret in ("203.0.113", "Phone/1.0", "tracking", "testclient"):
        assert secret not in stored


def test_head_does_not_count(client: TestClient, project: Project) -> None:
    assert client.head("/go/sample?l=en").status_code == 302
    assert _visits(project) == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/go/nope", 404),
        ("/go/..%2F..%2Fetc%2Fpasswd", 404),
        ("/go/SAMPLE", 404),
        ("/go/" + "a" * 300, 404),
        ("/go/sample?l=de", 400),
        ("/go/sample?l=%00", 400),
        ("/go/sample?l=en%0d%0aSet-Cookie:x=1", 400),
        ("/go/sample?l=<script>", 400),
        ("/go/sample?c=%0d%0aLocation:%20http://evil", 400),
        ("/go/sample?c=" + "x" * 100, 400),
        ("/go/sample?l=en&c=ME%20AND%201=1", 400),
        ("/go/sample?l=" + "e" * 3000, 414),
    ],
)
def test_hostile_links_are_refused_cleanly(
    client: TestClient, project: Project, path: str, status: int
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert "Traceback" not in r.text
    if r.headers.get("content-type") == "application/json":
        assert r.json()["ok"] is False
    assert "location" not in r.headers
    assert _visits(project) == []


def _tokens(client: TestClient) -> dict[str, str]:
    got = client.get("/api/kb/token").json()
    return {"X-Storycast-Viewer": got["viewer"], "X-CSRF-Token": got["csrf"]}


def test_helpful_vote_lands_in_the_csat_store(client: TestClient, project: Project) -> None:
    headers = _tokens(client)
    r = client.post(
        "/api/kb/helpful", json={"story": "sample", "lang": "es", "helpful": True}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "new_voter": True, "helpful": True}
    # The same reader changes their mind: one vote, moved.
    r = client.post(
        "/api/kb/helpful", json={"story": "sample", "lang": "es", "helpful": False}, headers=headers
    )
    assert r.json()["new_voter"] is False
    led = open_ledger(project)
    try:
        votes = led.vote_rows("kb:sample")
    finally:
        led.close()
    assert [(v["option"], v["source"], v["lang"]) for v in votes] == [(1, "kb", "es")]
    assert headers["X-Storycast-Viewer"].split(".")[0] not in votes[0]["voter"]  # stored hashed


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"X-CSRF-Token": None}, 403),
        ({"X-CSRF-Token": "forged"}, 403),
        ({"X-Storycast-Viewer": None}, 403),
        ({"X-Storycast-Viewer": "0" * 32 + ".bad"}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
def test_helpful_vote_is_refused_without_valid_tokens(
    client: TestClient, project: Project, change: dict[str, str | None], status: int
) -> None:
    headers: dict[str, str] = {**_tokens(client)}
    for k, v in change.items():
        if v is None:
            headers.pop(k, None)
        else:
            headers[k] = v
    r = client.post(
        "/api/kb/helpful", json={"story": "sample", "lang": "en", "helpful": True}, headers=headers
    )
    assert r.status_code == status
    led = open_ledger(project)
    try:
        assert led.vote_rows("kb:sample") == []
    finally:
        led.close()


@pytest.mark.parametrize(
    "body",
    [
        {"story": "nope", "lang": "en", "helpful": True},
        {"story": "sample", "lang": "th", "helpful": True},
        {"story": "sample", "lang": "en", "helpful": "yes"},
        {"story": "sample", "lang": "en", "helpful": 1},
        {"story": "sample", "lang": "en"},
        {"story": ["sample"], "lang": "en", "helpful": True},
    ],
)
def test_helpful_vote_bad_bodies(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/kb/helpful", json=body, headers=_tokens(client))
    assert r.status_code in (400, 404)
    assert r.json()["ok"] is False


def test_a_cross_site_form_cannot_vote(client: TestClient) -> None:
    headers = _tokens(client)
    r = client.post(
        "/api/kb/helpful",
        content="story=sample&lang=en&helpful=true",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415


def test_go_without_a_site_address_redirects_to_this_servers_copy(make_project: Any) -> None:
    from storycast.web.app import create_app

    project = Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}))
    client = TestClient(
        create_app(project, now=lambda: NOW, watch=False), base_url=BASE, follow_redirects=False
    )
    r = client.get("/go/sample?l=en")
    assert r.headers["location"] == "/kb/en/sample/"


def test_one_address_cannot_inflate_visits(project: Project) -> None:
    from storycast.web.app import create_app
    from storycast.web.security import AddressLimits

    app = create_app(project, now=lambda: NOW, watch=False, limits=AddressLimits(requests_per_minute=5))
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    answers = {client.get("/go/sample?l=en").status_code for _ in range(12)}
    assert answers == {302}  # the reader always gets the article
    assert sum(r["count"] for r in _visits(project)) == 5


def test_the_short_links_host_is_answered(client: TestClient) -> None:
    r = client.get("/go/sample?l=en", headers={"Host": "help.example.com"})
    assert r.status_code == 302
    assert client.get("/go/sample?l=en", headers={"Host": "evil.example"}).status_code == 400
