"""Instagram Login token lifetime: what storycast knows about it, and where a new token goes.

Long-lived Instagram Login tokens last 60 days. Meta refreshes one (``GET
/refresh_access_token?grant_type=ig_refresh_token``) only while it is still valid, at least 24 h
old, and ``instagram_business_basic`` is granted; a token not refreshed within its 60 days is
gone for good and someone has to log in again.

What storycast learnt is kept in ``.storycast/tokens.json``, one entry per channel::

    {"ig": {"token": "<16 hex of sha256>", "first_seen": ISO, "expires_at": ISO,
            "refreshed_at": ISO, "attempted_at": ISO}}

``token`` is a fingerprint of the token the entry describes (never the token): when someone
replaces the token by hand, the fingerprint no longer matches and the entry starts over.
``expires_at`` is known only after storycast refreshed the token itself (now + ``expires_in``);
before that, ``first_seen + 60 days`` is the latest it can expire.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..files import replace_atomically
from .journal import JsonStore

LIFETIME = timedelta(days=60)
MIN_AGE = timedelta(hours=24)  # Meta refuses to refresh a younger token
AUTO_REFRESH_WITHIN = timedelta(days=7)
ATTEMPT_EVERY = timedelta(hours=24)  # automatic refreshes: at most one try a day per channel
WARN_DAYS = 10  # `channels check` warns below this


def fingerprint(token: str) -> str:
    """A short, one-way tag of a token, to tell whether the stored facts describe it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class TokenFacts:
    """What is known about one channel's current token."""

    first_seen: datetime | None = None
    expires_at: datetime | None = None  # exact, from the last refresh
    refreshed_at: datetime | None = None
    attempted_at: datetime | None = None

    @property
    def latest_expiry(self) -> datetime | None:
        """The exact expiry, or the latest it can be (first seen + 60 days), or None."""
        if self.expires_at is not None:
            return self.expires_at
        return self.first_seen + LIFETIME if self.first_seen is not None else None

    def old_enough(self, now: datetime) -> bool:
        """True when the token is known to be at least 24 h old (Meta's rule for refreshing)."""
        born = self.refreshed_at or self.first_seen
        return born is not None and now - born >= MIN_AGE

    def due(self, now: datetime) -> bool:
        """Should the publish path refresh now? (< 7 days left or expiry unknown, >= 24 h old,
        no try in the last 24 h)."""
        if not self.old_enough(now):
            return False
        if self.attempted_at is not None and now - self.attempted_at < ATTEMPT_EVERY:
            return False
        # An unknown expiry may be close (the token may be weeks older than storycast's first
        # look at it): refreshing a valid token early is harmless and makes the expiry known.
        return self.expires_at is None or self.expires_at - now < AUTO_REFRESH_WITHIN


class TokenStore(JsonStore):
    """``.storycast/tokens.json``, written atomically under a file lock (workers share it)."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(state_dir / "tokens.json", timeout=60)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock across read-decide-refresh-write, so two workers never both refresh."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield

    def facts(self, channel: str, token: str) -> TokenFacts:
        """The facts about ``token`` (empty when the entry describes another token)."""
        entry = self._read().get(channel)
        if not isinstance(entry, dict) or entry.get("token") != fingerprint(token):
            return TokenFacts()
        return TokenFacts(
            first_seen=_when(entry.get("first_seen")),
            expires_at=_when(entry.get("expires_at")),
            refreshed_at=_when(entry.get("refreshed_at")),
            attempted_at=_when(entry.get("attempted_at")),
        )

    def update(self, channel: str, token: str, now: datetime, **values: datetime | None) -> None:
        """Merge ``values`` into the entry for ``token`` (a new token starts a fresh entry)."""
        with self.locked():
            data = self._read()
            entry = data.get(channel)
            fp = fingerprint(token)
            if not isinstance(entry, dict) or entry.get("token") != fp:
                entry = {"token": fp, "first_seen": now.isoformat()}
            entry.update({k: v.isoformat() if v is not None else None for k, v in values.items()})
            data[channel] = {k: v for k, v in entry.items() if v is not None}
            self._write(data)


# -- where the token lives ------------------------------------------------------------------------


def ref_kind(ref: str) -> str:
    """``env``, ``file`` or ``keyring`` (the part before the colon)."""
    return ref.partition(":")[0]


def secret_path(ref: str, base: Path) -> Path:
    """The file a ``file:`` reference names, resolved like storycast.secrets does (symlinks followed)."""
    path = Path(ref.partition(":")[2]).expanduser()
    if not path.is_absolute():
        path = base / path
    return path.resolve()


def check_writable(ref: str, base: Path, channel: str, config_path: Path | None) -> None:
    """Raise ConfigError when a refreshed token could not be stored where ``ref`` points.

    Called before asking Meta for a new token, so a token is never fetched only to be lost.
    """
    kind = ref_kind(ref)
    if kind == "env":
        var = ref.partition(":")[2]
        raise ConfigError(
            f"channel {channel!r} reads its token from the environment variable {var}, which "
            "storycast cannot update; nothing was refreshed",
            hint=f"update {var} where it is set with a refreshed token (GET https://graph.instagram.com/"
            "refresh_access_token?grant_type=ig_refresh_token&access_token=...), or keep the token in "
            f'a file (access_token = "file:PATH", mode 0600) or the keyring ("keyring:SERVICE/NAME") '
            f"so `storycast channels refresh {channel}` and publishing can renew it",
            file=config_path,
        )
    if kind == "file":
        path = secret_path(ref, base)
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise ConfigError(
                f"channel {channel!r}: the token file {path} (or its folder) is not writable, so a "
                "refreshed token could not be saved; nothing was refreshed",
                hint="let the user running storycast write the file and its folder",
                file=config_path,
            )
    elif kind == "keyring":
        try:
            import keyring  # noqa: F401
        except ImportError:
            raise ConfigError(
                "keyring: references need the keyring package", hint="pip install 'storycast[keyring]'"
            ) from None


def store_token(ref: str, token: str, base: Path) -> str:
    """Save ``token`` where the ``file:``/``keyring:`` reference points; return a description."""
    kind, _, target = ref.partition(":")
    if kind == "file":
        path = secret_path(ref, base)
        # A reader sees the old token or the new, never half; the file stays private (0600).
        replace_atomically(path, (token + "\n").encode("utf-8"), mode=0o600, durable=True)
        return f"file {path}"
    if kind == "keyring":
        import keyring

        service, _, name = target.partition("/")
        keyring.set_password(service, name, token)
        return f"keyring entry {service}/{name}"
    raise ConfigError(
        f"a refreshed token cannot be stored in a {kind}: reference",
        hint='point access_token at a file ("file:PATH", mode 0600) or the keyring ("keyring:SERVICE/NAME")',
    )
