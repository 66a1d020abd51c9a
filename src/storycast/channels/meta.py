"""What the Graph API channel types share: error classification, and Meta's webhook signatures.

Graph API errors carry ``error.code`` and often ``error_subcode``. The mapping follows Meta's
documented codes (see docs/channels/instagram.md):

- 190 (and 102, 463/467 subcodes): the token is expired or invalid -> NeedsAuth.
- 10 and 200-299: a permission is missing -> NeedsAuth.
- 4, 17, 32, 613, 80001-80009: throttled -> RetryableFailure (wait from the usage headers).
- 9 / 2207042: the publishing quota is used up -> RetryableFailure (an hour).
- 9007 / 2207027: the container is not ready yet -> RetryableFailure (short).
- 1, 2: Meta's "unknown" / "temporarily unavailable" -> RetryableFailure.
- anything else: the request itself is wrong (media, parameters) -> PermanentFailure.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import StorycastError
from .base import NeedsAuth, PermanentFailure, RetryableFailure
from .http import retry_after_of
from .inbound import BadSignature, WebhookRequest

if TYPE_CHECKING:
    import requests

log = logging.getLogger("storycast.channels.meta")

THROTTLE_CODES = {4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009}
QUOTA_SUBCODE = 2207042
NOT_READY = (9007, 2207027)
MEDIA_FETCH_SUBCODE = 2207052


def graph_error(resp: requests.Response) -> dict[str, Any]:
    """The ``error`` object of a Graph API response ({} when there is none)."""
    try:
        body = resp.json()
    except ValueError:
        return {}
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {}


def raise_for_graph(resp: requests.Response, channel: str, what: str, redact: Any, *, now: datetime) -> None:
    """Raise the failure class for a Graph API error response; return when the response is OK.

    ``now`` is the real time (the context clock's ``wall()``), for a Retry-After HTTP date."""
    if resp.ok and not graph_error(resp):
        return
    err = graph_error(resp)
    code = int(err.get("code") or 0)
    sub = int(err.get("error_subcode") or 0)
    text = redact(err.get("error_user_msg") or err.get("message") or f"HTTP {resp.status_code}")
    where = f"{channel}: {what} failed: {text} (code {code}" + (f", subcode {sub})" if sub else ")")
    if code in (190, 102) or sub in (458, 459, 460, 463, 464, 467):
        raise NeedsAuth(
            where,
            hint="the access token expired or was revoked: create a new long-lived token and "
            "update the secret this channel's access_token references",
        )
    if code == 10 or 200 <= code <= 299:
        raise NeedsAuth(
            where,
            hint="grant the missing permission to the app (see docs/channels/ for the list), "
            "then run `storycast channels check`",
        )
    if code in THROTTLE_CODES:
        raise RetryableFailure(
            where,
            retry_after=retry_after_of(resp, now) or 15 * 60,
            hint="Meta's rate limit for this app, account or Page is reached: storycast waits (15 minutes "
            "unless Meta says otherwise) and tries again; if it recurs, lower rate_per_minute in "
            f"[channels.{channel}]",
        )
    if sub == QUOTA_SUBCODE:
        raise RetryableFailure(
            where + "; the 24-hour publishing quota is used up",
            retry_after=3600,
            hint="storycast tries again in an hour; Instagram counts API-published posts over a rolling "
            f"24 hours (`storycast channels check {channel}` shows the use), so spread the stories "
            "over the day",
        )
    if (code, sub) == NOT_READY or code == 9007:
        raise RetryableFailure(
            where,
            retry_after=60,
            hint="Meta is still processing the uploaded media; storycast tries again in a minute",
        )
    if code in (1, 2) or resp.status_code >= 500:
        raise RetryableFailure(
            where,
            retry_after=60,
            hint="a temporary problem on Meta's side, not in your setup; storycast tries again in a minute",
        )
    if sub == MEDIA_FETCH_SUBCODE:
        raise RetryableFailure(
            where,
            hint="Meta could not download the media: check that the hosting base_url is public "
            "(HTTPS, no login) and serves the file",
        )
    raise PermanentFailure(
        where, hint="the platform refused this request; fix the media or the channel options"
    )


# -- webhooks: what Instagram and WhatsApp deliveries share -------------------------------------


def verify_meta_signature(body: bytes, header: str | None, app_secret: str, *, what: str = "webhook") -> None:
    """Check ``X-Hub-Signature-256: sha256=<hex>`` (HMAC-SHA256 of the raw body with the app secret).

    Meta signs the bytes it sent (escaped unicode and all), never re-serialized JSON. A bad
    signature is logged without the secret or the body.
    """
    if not app_secret:
        raise StorycastError(
            f"cannot verify the {what}: no app secret is configured",
            hint="point the webhook's app_secret at a secret reference (env:META_APP_SECRET)",
        )
    expected = "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = (header or "").strip()
    if not given.lower().startswith("sha256=") or not hmac.compare_digest(
        expected, "sha256=" + given[7:].lower()
    ):
        log.warning(
            "rejected a %s delivery: %s signature (%d bytes)", what, "bad" if given else "missing", len(body)
        )
        raise BadSignature(
            f"the {what} signature does not match the body",
            hint="the request did not come from Meta, or the app secret is not this app's",
        )


class MetaWebhooks:
    """Mixin of the Graph API channel types that take Meta webhooks (Instagram, WhatsApp).

    Deliveries are signed with the app secret (``app_secret``); subscribing answers a handshake
    with ``verify_token``.
    """

    webhook_secret_key: ClassVar[str | None] = "app_secret"
    webhook_handshake_key: ClassVar[str | None] = "verify_token"
    #: How the delivery is named in a refusal (log line and message).
    webhook_what: ClassVar[str] = "webhook"

    @classmethod
    def webhook_handshake(cls, query: Mapping[str, str], token: str) -> str | None:
        """Echo ``hub.challenge`` when ``hub.mode`` is subscribe and ``hub.verify_token`` matches."""
        given = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(given.encode(), token.encode()):
            return None
        return query.get("hub.challenge", "")[:200]

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, secret: str) -> None:
        verify_meta_signature(
            request.body, request.headers.get("x-hub-signature-256"), secret, what=cls.webhook_what
        )
