"""The shared HTTP client: timeouts, throttling, ambiguous outcomes, redaction."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, RetryableFailure
from storycast.channels.http import make_client, parse_retry_after
from tests.fakes import FakeServer, Reply, Request


class Echo(FakeServer):
    """Answers 200 {"ok": true} unless a fault is scripted for route "any"."""

    def __init__(self) -> None:
        super().__init__()
        self.hang_seconds = 0.6

    def dispatch(self, req: Request) -> Reply:
        fault = self.next_fault("any")
        if isinstance(fault, Reply):
            return fault
        pre = self.generic_fault(fault)
        if pre:
            return pre
        return self.after_fault(fault, Reply(200, {"ok": True}))


@pytest.fixture
def echo() -> Iterator[Echo]:
    fake = Echo().start()
    yield fake
    fake.stop()


def _client(**kw):
    return make_client("t", ["tok-SECRET-1234"], timeout=0.3, backoff=0, **kw)


def test_retry_after_forms():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parse_retry_after("12", now) == 12
    assert parse_retry_after("Tue, 01 Dec 2026 09:00:30 GMT", now) == 30
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_429_header_body_and_meta_usage(echo):
    c = _client()
    echo.script("any", Reply(429, {"parameters": {"retry_after": 9}}, {"Retry-After": "3"}))
    with pytest.raises(RetryableFailure) as info:
        c.request("POST", echo.url, mutating=True)
    assert info.value.retry_after == 9  # the longer of the two waits
    usage = '{"123": [{"type": "pages", "estimated_time_to_regain_access": 2}]}'
    echo.script("any", Reply(429, {}, {"X-Business-Use-Case-Usage": usage}))
    with pytest.raises(RetryableFailure) as info:
        c.request("GET", echo.url, mutating=False)
    assert info.value.retry_after == 120


def test_5xx_read_only_is_retried_mutating_is_ambiguous_503_is_retryable(echo):
    c = _client()
    echo.script("any", "500", "502")
    assert c.request("GET", echo.url, mutating=False).json() == {"ok": True}
    echo.script("any", "500")
    with pytest.raises(AmbiguousOutcome):
        c.request("POST", echo.url, mutating=True)
    echo.script("any", "503")
    with pytest.raises(RetryableFailure):
        c.request("POST", echo.url, mutating=True)


def test_timeout_after_sending_is_ambiguous_only_for_mutations(echo):
    c = _client(read_retries=1)
    echo.script("any", "hang")
    with pytest.raises(AmbiguousOutcome, match="may have published"):
        c.request("POST", echo.url + "/x?access_token=tok-SECRET-1234", mutating=True)
    echo.script("any", "hang", "hang")
    with pytest.raises(RetryableFailure):
        c.request("GET", echo.url, mutating=False)
    assert len(echo.requests) == 3  # the GET was tried twice


def test_refused_connection_is_retryable_even_for_a_mutation():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RetryableFailure, match="cannot reach"):
        _client().request("POST", f"http://127.0.0.1:{port}/", mutating=True)


def test_401_needs_auth(echo):
    echo.script("any", Reply(401, {"error": "nope"}))
    with pytest.raises(NeedsAuth):
        _client().request("GET", echo.url, mutating=False)


def test_secrets_never_reach_logs(echo, caplog):
    caplog.set_level(logging.DEBUG)
    c = _client()
    c.request("GET", echo.url + "/v1/me?access_token=tok-SECRET-1234&fields=id", mutating=False)
    echo.script("any", "hang")
    with pytest.raises(AmbiguousOutcome) as info:
        c.request("POST", echo.url + "/bot99:tok-SECRET-1234/sendPhoto", mutating=True)
    assert "tok-SECRET-1234" not in str(info.value)
    assert "tok-SECRET-1234" not in caplog.text
    assert "access_token=••••••" in caplog.text  # urllib3's own line, scrubbed
