"""What lets ``storycast serve`` tell its own pages from everyone else.

- The **signing key**: 32 random bytes in ``.storycast/web.key`` (created 0600 on first use,
  shared by every worker of the project). Deleting the file signs everyone out of their votes.
- The **viewer token** (``<id>.<mac>``): the feed page hands each browser a signed anonymous id,
  as a cookie and in the page; the feed's endpoints take it from the ``X-Storycast-Viewer``
  header, so a client that drops cookies cannot vote again as somebody new without a new page.
- The **CSRF token**: a MAC of the viewer id, put in the hand-off page; a form or script that
  confirms rows sends it back with the cookie it was issued for.
- The **same-origin check**: a browser's ``Sec-Fetch-Site`` and ``Origin`` headers must say the
  request came from one of this server's pages.
- **Per-address limits**: how many state-changing requests, and how many different viewers, one
  client address may send. They live in memory, per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request

from ..errors import ConfigError

KEY_FILE = "web.key"
KEY_BYTES = 32
VIEWER_COOKIE = "storycast_viewer"
VIEWER_HEADER = "x-storycast-viewer"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
_VIEWER_ID = re.compile(r"[0-9a-f]{32}")


def load_key(state_dir: Path) -> bytes:
    """The project's signing key, made with ``secrets.token_bytes`` the first time it is needed."""
    path = state_dir / KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = _create_key(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the web signing key {path}: {exc.strerror}",
            hint="make .storycast/ readable by the user running storycast serve",
        ) from None
    if len(key) < KEY_BYTES:
        raise ConfigError(
            f"the web signing key {path} is too short",
            hint="delete the file; storycast serve makes a new one (open pages must then be reloaded)",
        )
    return key


def _create_key(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-key-", dir=path.parent)  # 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # fails when another worker made the key first: theirs wins
            except FileExistsError:
                pass
        finally:
            Path(tmp).unlink(missing_ok=True)
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot create the web signing key {path}: {exc.strerror}",
            hint="storycast serve keeps a key in the project's .storycast/ folder: make it writable",
        ) from None


class Signer:
    """Viewer and CSRF tokens under one key. Tokens carry no time: rotating the key revokes them."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode("ascii")

    def new_viewer(self) -> str:
        """A fresh viewer id (32 hex digits)."""
        return secrets.token_hex(16)

    def viewer_token(self, viewer: str) -> str:
        return f"{viewer}.{self._mac('viewer', viewer)}"

    def viewer_of(self, token: str | None) -> str | None:
        """The viewer id a token was issued for, or None when it is missing or forged."""
        if not token or len(token) > 80:
            return None
        viewer, _, mac = token.partition(".")
        if not _VIEWER_ID.fullmatch(viewer):
            return None
        return viewer if hmac.compare_digest(mac.encode(), self._mac("viewer", viewer).encode()) else None

    def csrf_token(self, viewer: str) -> str:
        return self._mac("csrf", viewer)

    def csrf_ok(self, viewer: str | None, token: str | None) -> bool:
        if not viewer or not token or len(token) > 80:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token(viewer).encode())


def cross_site(request: Request) -> str | None:
    """Why this request did not come from one of this server's pages (None when nothing says so).

    A browser names where a request came from in ``Sec-Fetch-Site`` and ``Origin``; a script
    sends neither, and is then held to the tokens alone.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"refused a {site} request: only this server's own pages may send it (Sec-Fetch-Site)"
    origin = request.headers.get("origin")
    if origin is not None:
        host = request.headers.get("host", "").lower()
        parts = urlsplit(origin) if origin != "null" else None
        if parts is None or parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            return "refused a cross-origin request: only this server's own pages may send it (Origin)"
    return None


@dataclass
class _Seen:
    requests: deque[float] = field(default_factory=deque)
    viewers: dict[str, float] = field(default_factory=dict)


class AddressLimits:
    """Per client address: state-changing requests a minute, and different viewers an hour.

    The second one is what bounds ballot stuffing: a client that drops its cookie and fetches a
    new page for every vote is a new viewer each time, and only ``viewers_per_hour`` of those are
    let through. Memory is bounded: at most ``max_addresses`` addresses are remembered.
    """

    def __init__(
        self,
        *,
        requests_per_minute: int = 120,
        viewers_per_hour: int = 20,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.viewers_per_hour = viewers_per_hour
        self.max_addresses = max_addresses
        self._clock = clock
        self._lock = threading.Lock()
        self._by_address: OrderedDict[str, _Seen] = OrderedDict()

    def check(self, address: str, viewer: str) -> str | None:
        """Count one request; the reason it is refused, or None when it may go on."""
        now = self._clock()
        with self._lock:
            seen = self._by_address.pop(address, None) or _Seen()
            self._by_address[address] = seen  # most recently used last
            while len(self._by_address) > self.max_addresses:
                self._by_address.popitem(last=False)
            while seen.requests and seen.requests[0] <= now - 60:
                seen.requests.popleft()
            for old in [v for v, at in seen.viewers.items() if at <= now - 3600]:
                del seen.viewers[old]
            if len(seen.requests) >= self.requests_per_minute:
                return f"too many requests from your address (at most {self.requests_per_minute} a minute)"
            if viewer not in seen.viewers and len(seen.viewers) >= self.viewers_per_hour:
                return (
                    f"too many different viewers from your address (at most {self.viewers_per_hour} "
                    "an hour): keep the page's cookie, or try again later"
                )
            seen.requests.append(now)
            seen.viewers.setdefault(viewer, now)
            return None
