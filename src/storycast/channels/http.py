"""The one HTTP client every network channel uses.

Why one client: the rules that keep publishing effectively-once live here, in one place.

- Timeouts are explicit (connect, read). Nothing waits forever.
- A failure *before* the request left (DNS, refused connection, connect timeout) means nothing
  was sent: :class:`RetryableFailure`.
- A read timeout or a dropped connection *after* a mutating request was sent means the platform
  may have acted: :class:`AmbiguousOutcome` (the ledger row becomes ``unknown``; it is
  reconciled, never blindly re-sent). Read-only requests (``mutating=False``) are retried here
  a few times instead, because repeating them is harmless.
- HTTP 429 and 503 say "not now": :class:`RetryableFailure` with the platform's wait
  (``Retry-After`` seconds or date, ``retry_after`` in the body, Meta's
  ``estimated_time_to_regain_access``). Other 5xx on a mutating call are ambiguous (the
  server may have committed before failing); on a read-only call they are retried.
- Every URL, header and message is passed through :class:`Redactor` before it reaches a log
  line or an exception: tokens in query strings, ``Authorization`` headers, bot tokens in
  paths and webhook URLs never appear.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..context import Clock, SystemClock
from ..errors import ConfigError
from ..secrets import REDACTED, Secret
from .base import AmbiguousOutcome, Channel, NeedsAuth, RetryableFailure

if TYPE_CHECKING:
    import requests

    from ..context import Context
    from ..project import Project

log = logging.getLogger("storycast.channels.http")

USER_AGENT = "storycast (+https://github.com/storycast)"

# Query parameters and JSON keys whose values are credentials, whatever the platform.
_SECRET_PARAMS = (
    "access_token",
    "input_token",
    "client_secret",
    "fb_exchange_token",
    "appsecret_proof",
    "token",
    "key",
    "signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
)
_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(re.escape(p) for p in _SECRET_PARAMS) + r")=([^&\s\"'<>]+)")
_JSON_RE = re.compile(r'(?i)("(?:access_token|token|client_secret|password)"\s*:\s*")([^"]+)(")')
_AUTH_RE = re.compile(
    r"(?i)\b(authorization|x-api-key)(['\"]?\s*[:=]\s*['\"]?)(?:(bearer|oauth|bot|basic)\s+)?([^\s'\",}]+)"
)
_PATH_RES = (
    re.compile(r"(/bot)(\d+:[A-Za-z0-9_-]+)"),  # Telegram bot token in the path
    re.compile(r"(/webhooks/\d+/)([A-Za-z0-9_.-]+)"),  # Discord webhook token
    re.compile(r"(/services/)(T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+)"),  # Slack webhook path
)

# Every secret value any Redactor learned in this process; the filter on third-party loggers
# (urllib3 logs whole request lines) scrubs them too.
_KNOWN: set[str] = set()


class Redactor:
    """Removes credentials from text: known secret values plus token-shaped patterns."""

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._values: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: Secret | str | None) -> None:
        """Remember one more secret value (ignored when empty or too short to be a secret)."""
        if secret is None:
            return
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value or len(value) < 4:
            return
        found = {value}
        if "://" in value:
            # A secret URL (Slack/Discord webhooks) may be sent to another host (api_base):
            # its path alone is secret too.
            path = value.split("://", 1)[1].partition("/")[2].split("?")[0]
            if len(path) >= 8:
                found.add("/" + path)
        self._values |= found
        _KNOWN.update(found)

    def __call__(self, text: object) -> str:
        out = str(text)
        # Longest first, so a secret that contains another is removed whole.
        for v in sorted(self._values, key=len, reverse=True):
            out = out.replace(v, REDACTED)
        out = _PARAM_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", out)
        out = _JSON_RE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", out)
        out = _AUTH_RE.sub(
            lambda m: f"{m.group(1)}{m.group(2)}{(m.group(3) + ' ') if m.group(3) else ''}{REDACTED}", out
        )
        for rx in _PATH_RES:
            out = rx.sub(lambda m: f"{m.group(1)}{REDACTED}", out)
        return out


class RedactingFilter(logging.Filter):
    """Scrubs token-shaped text from third-party log records (urllib3 logs full URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self._redact = Redactor()
        self._redact._values = _KNOWN  # shares the process-wide set (grows as secrets resolve)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = self._redact(record.getMessage())
            record.args = None
        else:
            record.msg = self._redact(record.msg)
        return True


def _install_filter() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


_install_filter()


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date, counted from
    ``now``, the real time)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _body_retry_after(resp: requests.Response) -> float | None:
    """A wait the platform put in the body or in Meta's usage headers."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        params = body.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
            return float(params["retry_after"])  # Telegram
        if isinstance(body.get("retry_after"), int | float):
            return float(body["retry_after"])  # Discord (seconds, may be fractional)
    buc = resp.headers.get("X-Business-Use-Case-Usage")
    if buc:
        try:
            usage = json.loads(buc)
            waits = [
                float(item.get("estimated_time_to_regain_access", 0)) * 60
                for items in usage.values()
                for item in items
            ]
            if waits and max(waits) > 0:
                return max(waits)
        except (ValueError, AttributeError, TypeError):
            return None
    return None


def retry_after_of(resp: requests.Response, now: datetime) -> float | None:
    """The wait a throttled response asks for, from its headers or body; None when it says nothing.

    ``now`` is the real time (the context clock's ``wall()``), for a Retry-After HTTP date."""
    header = parse_retry_after(resp.headers.get("Retry-After"), now)
    body = _body_retry_after(resp)
    waits = [w for w in (header, body) if w is not None]
    return max(waits) if waits else None


def _sent(exc: requests.RequestException) -> bool:
    """True when the request may have reached the server before ``exc``."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc.args[0]) if exc.args else repr(exc)
        # urllib3 wraps pre-send failures in NewConnectionError / NameResolutionError.
        return not any(
            s in text for s in ("NewConnectionError", "NameResolutionError", "Failed to establish", "refused")
        )
    return True  # ReadTimeout, ChunkedEncodingError, ...


def _request_exception() -> type[requests.RequestException]:
    import requests

    return requests.RequestException


def _new_session() -> requests.Session:
    # requests (with urllib3) is imported when a channel first talks to its platform, not when
    # the project is loaded: validating storycast.toml reads every channel type's options.
    import requests

    return requests.Session()


@dataclass
class HttpClient:
    """A requests.Session with storycast's timeouts, throttling and redaction rules.

    ``sleep`` is injectable so tests never wait; ``read_retries`` and ``backoff`` apply to
    read-only requests only. ``clock`` (the context's) is read for a Retry-After HTTP date.
    """

    channel: str
    redactor: Redactor = field(default_factory=Redactor)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    read_retries: int = 2
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Clock = field(default_factory=SystemClock)
    session: requests.Session = field(default_factory=lambda: _new_session())

    def __post_init__(self) -> None:
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()

    def redact(self, text: object) -> str:
        """``text`` with every credential removed (for messages and logs)."""
        return self.redactor(text)

    def request(
        self,
        method: str,
        url: str,
        *,
        mutating: bool,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        timeout: float | None = None,
        what: str = "",
    ) -> requests.Response:
        """Send one request; return the response for the adapter to read (status < 500, not 429).

        Raises RetryableFailure (nothing happened, or throttled), AmbiguousOutcome (a mutating
        call whose fate is unknown). ``what`` names the call in messages ("create the story").
        """
        label = what or f"{method} {self.redact(url.split('?')[0])}"
        attempts = 1 if mutating else 1 + max(0, self.read_retries)
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    json=json_body,
                    headers=dict(headers or {}),
                    files=files,
                    timeout=(self.connect_timeout, timeout or self.read_timeout),
                )
            except _request_exception() as exc:
                kind = type(exc).__name__
                log.info(
                    "%s: %s %s failed after %.1f s: %s",
                    self.channel,
                    method,
                    self.redact(url),
                    time.monotonic() - started,
                    kind,
                )
                if mutating and _sent(exc):
                    raise AmbiguousOutcome(
                        f"{self.channel}: no answer to '{label}' ({kind}); "
                        "the platform may have published it",
                        hint="`storycast reconcile` checks the platform; or confirm by hand with "
                        "`storycast reconcile --resolve ID=published|failed`",
                    ) from None
                if attempt < attempts:
                    self.sleep(self.backoff * attempt)
                    continue
                raise RetryableFailure(
                    f"{self.channel}: cannot reach the platform for '{label}' ({kind})",
                    hint="check the network and the channel's api_base",
                ) from None
            log.debug(
                "%s: %s %s -> %s in %.2f s",
                self.channel,
                method,
                self.redact(resp.url or url),
                resp.status_code,
                time.monotonic() - started,
            )
            if resp.status_code == 429:
                wait = retry_after_of(resp, self.clock.wall())
                raise RetryableFailure(
                    f"{self.channel}: the platform throttled '{label}' (HTTP 429)"
                    + (f"; it asks to wait {wait:.0f} s" if wait is not None else ""),
                    retry_after=wait,
                    hint="storycast waits (at least as long as the platform asks) and tries again; if it "
                    f"recurs, lower rate_per_minute in [channels.{self.channel}]",
                )
            if resp.status_code >= 500:
                if not mutating and attempt < attempts:
                    self.sleep(self.backoff * attempt)
                    continue
                wait = retry_after_of(resp, self.clock.wall())
                if resp.status_code == 503 or not mutating:
                    raise RetryableFailure(
                        f"{self.channel}: the platform is unavailable for '{label}' "
                        f"(HTTP {resp.status_code})",
                        retry_after=wait,
                        hint="the platform's servers are failing, not your setup; "
                        "storycast tries again later",
                    )
                raise AmbiguousOutcome(
                    f"{self.channel}: the platform failed during '{label}' (HTTP {resp.status_code}); "
                    "it may have published anyway",
                    hint="`storycast reconcile` checks the platform before anything is sent again",
                )
            if resp.status_code == 401:
                raise NeedsAuth(
                    f"{self.channel}: the platform refused the credentials for '{label}' (HTTP 401)",
                    hint="renew the token and update the secret the channel's options reference",
                )
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def json_of(self, resp: requests.Response) -> Any:
        """The response body as JSON, or {} when it is not JSON."""
        try:
            return resp.json()
        except ValueError:
            return {}


def make_client(
    channel: str,
    secrets: Iterable[Secret | str] = (),
    *,
    timeout: float = 30.0,
    connect_timeout: float = 5.0,
    read_retries: int = 2,
    backoff: float = 1.0,
    sleep: Callable[[float], None] | None = None,
    clock: Clock | None = None,
) -> HttpClient:
    """The shared session factory every network channel calls."""
    return HttpClient(
        channel=channel,
        redactor=Redactor(secrets),
        connect_timeout=connect_timeout,
        read_timeout=timeout,
        read_retries=read_retries,
        backoff=backoff,
        sleep=sleep or time.sleep,
        clock=clock or SystemClock(),
    )


class NetworkChannel(Channel):
    """Base of the network channels: ``api_base``, timeouts, secret references, one HttpClient."""

    class Options(Channel.Options):
        """Keys every network channel shares."""

        api_base: str = ""  # "" means the platform's real endpoint; tests point it at a fake
        timeout: float = 30.0  # read timeout, seconds
        connect_timeout: float = 5.0
        read_retries: int = 2  # extra tries of read-only calls (status polls, listings)
        backoff: float = 1.0  # seconds between those tries (times the try number)

    default_api_base: ClassVar[str] = ""

    def __init__(self, name: str, options: Channel.Options, project: Project, context: Context) -> None:
        super().__init__(name, options, project, context)
        self._http: HttpClient | None = None
        self._redactor = Redactor()

    @property
    def opts(self) -> Any:
        """The options, typed loosely (each subclass knows its own keys)."""
        return self.options

    @property
    def api_base(self) -> str:
        return (self.opts.api_base or self.default_api_base).rstrip("/")

    def secret(self, ref: str, key: str) -> Secret:
        """Resolve the reference in option ``key``; its value is redacted from then on."""
        from ..secrets import resolve

        if not ref:
            raise ConfigError(
                f"channel {self.name!r} needs {key}",
                hint=f'add {key} = "env:VARIABLE" (or file:/keyring:) to [channels.{self.name}]',
                file=getattr(self.project, "config_path", None),
            )
        try:
            value = resolve(ref, base=self.project.root, environ=self.context.environ)
        except ConfigError as exc:
            raise NeedsAuth(
                f"channel {self.name!r}: {key} cannot be read: {exc.message}", hint=exc.hint
            ) from None
        self._redactor.add(value)
        return value

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            self._http = HttpClient(
                channel=self.name,
                redactor=self._redactor,
                connect_timeout=self.opts.connect_timeout,
                read_timeout=self.opts.timeout,
                read_retries=self.opts.read_retries,
                backoff=self.opts.backoff,
                sleep=self.sleep,
                clock=self.context.clock,
            )
        return self._http

    def sleep(self, seconds: float) -> None:
        """Wait between polls (options keep waits short in tests)."""
        if seconds > 0:
            time.sleep(seconds)

    def redact(self, text: object) -> str:
        return self._redactor(text)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
