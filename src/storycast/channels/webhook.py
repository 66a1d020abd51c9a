"""Outgoing webhooks: signed JSON (``webhook``), Slack incoming webhooks, Discord webhooks.

- ``webhook``: one JSON document per frame or poll, POSTed to ``url`` with
  ``X-Storycast-Timestamp`` and ``X-Storycast-Signature: sha256=HEX``, the HMAC-SHA256 of
  ``"<timestamp>.<raw body>"`` under ``signing_secret``, plus ``Idempotency-Key`` so the receiver
  can drop a repeat. The frame travels as base64 (``include_media``) or as a hosted URL.
- ``slack``: Block Kit (an image block when hosting gives the frame a public URL, the step
  text, a "step i of n" context line). Slack has no native polls: options become a numbered list.
- ``discord``: an embed whose image is the attached frame (``attachment://``), or Discord's
  native ``poll`` object (question <= 300, answers <= 55 characters, at most 10, duration in hours).

Slack and Discord webhook URLs are credentials, so they are secret references here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import mimetypes
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ChannelError, ConfigError
from ..secrets import SecretRef
from .base import (
    AmbiguousOutcome,
    Capabilities,
    CheckResult,
    NeedsAuth,
    PermanentFailure,
    PublishRequest,
    PublishResult,
    RetryableFailure,
)
from .hosting import HostingOptions, MediaHost, object_key, open_host
from .http import NetworkChannel, retry_after_of
from .registry import register_channel_type

DISCORD_QUESTION = 300
DISCORD_ANSWER = 55
DISCORD_MAX_HOURS = 32 * 24


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``"<timestamp>.<body>"`` (what receivers verify)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str, now: float, tolerance: float = 300) -> bool:
    """Receiver side: constant-time check of the signature and the timestamp's age."""
    try:
        fresh = abs(now - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), header)


class _WebhookBase(NetworkChannel):
    """Shared: hosting for public image URLs, the response classification."""

    class Options(NetworkChannel.Options):
        hosting: HostingOptions | None = None

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._host: MediaHost | None = None

    def _public_url(self, request: PublishRequest) -> str | None:
        if self.opts.hosting is None or request.media is None:
            return None
        if self._host is None:
            self._host = open_host(self.opts.hosting, self.project.root, self.secret)
        # Kept (not deleted after publishing): the chat message keeps showing it. The sweep
        # removes it after hosting.keep_hours.
        return self._host.put(request.media.path, object_key(request.idempotency_key, request.media.path)).url

    def _classify(self, resp: Any, what: str) -> None:
        if resp.ok:
            return
        text = self.redact((resp.text or "")[:200])
        where = f"{self.name}: {what} failed (HTTP {resp.status_code}: {text})"
        if resp.status_code in (401, 403, 404):
            raise NeedsAuth(
                where, hint="the webhook URL was revoked or is wrong: create a new one and update the secret"
            )
        if resp.status_code == 410:
            raise PermanentFailure(where, hint="the target channel is archived")
        raise PermanentFailure(
            where,
            hint="the receiver refused the request (its answer is quoted in the message): fix what it "
            f"names, or the URL in [channels.{self.name}]; a refused request is not retried",
        )


class WebhookChannel(_WebhookBase):
    """Generic signed JSON webhook."""

    type_name = "webhook"
    description = "Signed JSON POST (HMAC-SHA256 with timestamp) per frame or poll, with an Idempotency-Key."
    capabilities = Capabilities(images=True, video=True, captions=True, alt_text=True, idempotency_key=True)

    class Options(_WebhookBase.Options):
        """[channels.NAME] keys of a webhook channel."""

        url: str = ""  # plain URL or a secret reference
        signing_secret: SecretRef = ""  # secret reference
        include_media: bool = True  # base64 of the frame in the body (else a hosted URL)

    def _target(self) -> str:
        url = self.opts.url or self.opts.api_base
        if not url:
            raise ConfigError(
                f"channel {self.name!r} needs url",
                hint=f'add url = "https://receiver.example.com/storycast" (or a secret reference such as '
                f'"env:STORYCAST_WEBHOOK_URL") to [channels.{self.name}]',
                file=self.project.config_path,
            )
        return self.secret(url, "url").reveal() if url.split(":", 1)[0] in ("env", "file", "keyring") else url

    def payload(self, request: PublishRequest) -> dict[str, Any]:
        """The JSON document for one request."""
        doc: dict[str, Any] = {
            "event": "poll" if request.poll else "story.frame",
            "idempotency_key": request.idempotency_key,
            "kind": request.kind,
            "story": request.ref,
            "language": request.lang,
            "frame": request.frame_index,
            "frames": request.frame_total,
            "caption": request.caption,
            "alt": request.alt,
            "due_at": request.due_utc.isoformat() if request.due_utc else None,
            "expires_at": request.expires_utc.isoformat() if request.expires_utc else None,
        }
        if request.media is not None:
            m = request.media
            media: dict[str, Any] = {
                "kind": m.kind,
                "sha256": m.sha256,
                "content_type": mimetypes.guess_type(m.path.name)[0] or "application/octet-stream",
                "width": m.width,
                "height": m.height,
                "filename": m.path.name,
            }
            if self.opts.include_media:
                media["data_base64"] = base64.b64encode(m.path.read_bytes()).decode("ascii")
            else:
                media["url"] = self._public_url(request)
            doc["media"] = media
        if request.poll is not None:
            p = request.poll
            doc["poll"] = {
                "id": p.poll_id,
                "question": p.question,
                "options": list(p.options),
                "allows_multiple": p.allows_multiple,
                "closes_at": p.closes_at.isoformat() if p.closes_at else None,
            }
        return doc

    def publish(self, request: PublishRequest) -> PublishResult:
        """POST the signed document."""
        body = json.dumps(self.payload(request), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # The signed timestamp is when the request leaves (the real clock), never the tick's
        # `now`: that follows --now, and receivers refuse a stamp more than five minutes off.
        # The publication's own time travels in the body (due_at).
        stamp = str(int(self.context.clock.wall().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Storycast-Timestamp": stamp,
            "Idempotency-Key": request.idempotency_key,
        }
        if self.opts.signing_secret:
            key = self.secret(self.opts.signing_secret, "signing_secret").reveal()
            headers["X-Storycast-Signature"] = signature(key, stamp, body)
        resp = self.http.request(
            "POST", self._target(), mutating=True, data=body, headers=headers, what="deliver the webhook"
        )
        self._classify(resp, "deliver the webhook")
        remote = None
        try:
            answer = resp.json()
            remote = str(answer.get("id")) if isinstance(answer, dict) and answer.get("id") else None
        except ValueError:
            pass
        return PublishResult(remote_id=remote or request.idempotency_key[:16])

    def check(self) -> list[CheckResult]:
        try:
            self._target()
            signed = bool(self.opts.signing_secret) and bool(
                self.secret(self.opts.signing_secret, "signing_secret")
            )
        except (ConfigError, NeedsAuth) as exc:
            return [CheckResult("config", False, exc.message)]
        return [
            CheckResult(
                "url", True, "target configured (not called: a check must not deliver anything)", "info"
            ),
            CheckResult(
                "signing",
                signed,
                "HMAC-SHA256 signed" if signed else "unsigned: set signing_secret",
                "warning",
            ),
        ]


class SlackChannel(_WebhookBase):
    """Slack incoming webhook with Block Kit."""

    type_name = "slack"
    description = "Slack incoming webhook: Block Kit image + step text (no native polls)."
    capabilities = Capabilities(images=True, captions=True, alt_text=True)
    default_api_base: ClassVar[str] = ""
    default_rate_per_minute: ClassVar[float | None] = 60  # Slack: about one message a second

    class Options(_WebhookBase.Options):
        """[channels.NAME] keys of a slack channel."""

        webhook_url: SecretRef = ""  # secret reference: the URL is the credential

    def _target(self) -> str:
        if self.opts.api_base:  # tests point at a fake; the path still comes from the secret
            return self.opts.api_base.rstrip("/") + "/" + self._secret_url().split("/", 3)[-1]
        return self._secret_url()

    def _secret_url(self) -> str:
        return self.secret(self.opts.webhook_url, "webhook_url").reveal()

    def blocks(self, request: PublishRequest) -> list[dict[str, Any]]:
        """Block Kit blocks for one frame or poll."""
        out: list[dict[str, Any]] = []
        if request.poll is not None:
            p = request.poll
            lines = "\n".join(f"{i}. {o}" for i, o in enumerate(p.options, 1))
            out.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{p.question}*\n{lines}"}})
            out.append(
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": "Reply with the number of your answer."}],
                }
            )
            return out
        url = self._public_url(request)
        if url:
            out.append(
                {
                    "type": "image",
                    "image_url": url,
                    "alt_text": (request.alt or request.caption or request.ref)[:2000],
                }
            )
        if request.caption:
            out.append({"type": "section", "text": {"type": "mrkdwn", "text": request.caption[:3000]}})
        out.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"Step {request.frame_index} of {request.frame_total}"}
                ],
            }
        )
        return out

    def publish(self, request: PublishRequest) -> PublishResult:
        fallback = request.poll.question if request.poll else (request.caption or request.ref)
        resp = self.http.request(
            "POST",
            self._target(),
            mutating=True,
            json_body={"text": fallback[:3000], "blocks": self.blocks(request)},
            what="post to Slack",
        )
        self._classify(resp, "post to Slack")
        return PublishResult(remote_id=None, detail={"slack": resp.text[:20]})

    def check(self) -> list[CheckResult]:
        try:
            self._secret_url()
        except NeedsAuth as exc:
            return [CheckResult("webhook_url", False, exc.message)]
        return [CheckResult("webhook_url", True, "webhook URL readable (not called)", "info")]


class DiscordChannel(_WebhookBase):
    """Discord webhook: embeds with the frame attached, native polls."""

    type_name = "discord"
    description = "Discord webhook: embed with the attached frame, or a native poll."
    capabilities = Capabilities(images=True, video=True, captions=True, polls_native=True)
    default_rate_per_minute: ClassVar[float | None] = 30

    class Options(_WebhookBase.Options):
        """[channels.NAME] keys of a discord channel."""

        webhook_url: SecretRef = ""  # secret reference
        username: str = ""
        color: int = 0x2454E6

    def _target(self) -> str:
        url = self.secret(self.opts.webhook_url, "webhook_url").reveal()
        if self.opts.api_base:
            url = self.opts.api_base.rstrip("/") + "/" + url.split("/", 3)[-1]
        return url + ("&" if "?" in url else "?") + "wait=true"

    def _poll(self, request: PublishRequest) -> dict[str, Any]:
        p = request.poll
        assert p is not None
        if (
            len(p.question) > DISCORD_QUESTION
            or any(len(o) > DISCORD_ANSWER for o in p.options)
            or not 1 <= len(p.options) <= 10
        ):
            raise PermanentFailure(
                f"{self.name}: a Discord poll takes a question <= {DISCORD_QUESTION} characters "
                f"and 1-10 answers <= {DISCORD_ANSWER} characters",
                hint="shorten the poll text",
            )
        hours = 24
        if p.closes_at is not None:
            hours = max(
                1,
                min(DISCORD_MAX_HOURS, math.ceil((p.closes_at - self.context.now()).total_seconds() / 3600)),
            )
        return {
            "question": {"text": p.question},
            "answers": [{"poll_media": {"text": o}} for o in p.options],
            "duration": hours,
            "allow_multiselect": p.allows_multiple,
        }

    def poll_results(self, remote_id: str) -> dict[int, int] | None:
        """A native poll's final counts, ``{option number: votes}``, read from the webhook's message.

        ``GET {webhook}/messages/{id}`` returns the message with ``poll.results``. Discord counts
        once more after a poll ends and then sets ``is_finalized``; until then this raises
        :class:`RetryableFailure` (the tally asks again on a later run) rather than store counts
        that may still change.
        """
        url = self._target().split("?", 1)[0] + f"/messages/{remote_id}"
        resp = self.http.request("GET", url, mutating=False, what="read the poll results")
        if resp.status_code == 404:
            raise PermanentFailure(
                f"{self.name}: Discord has no message {remote_id} for this webhook any more",
                hint="the poll message (or the webhook that sent it) was deleted in Discord, so its "
                "votes are gone; the other channels' votes still count",
            )
        self._classify(resp, "read the poll results")
        msg = self.http.json_of(resp)
        poll = msg.get("poll") if isinstance(msg, dict) else None
        if not isinstance(poll, dict):
            raise PermanentFailure(
                f"{self.name}: Discord message {remote_id} carries no poll",
                hint="only rows published as a native Discord poll have results to read",
            )
        results = poll.get("results") or {}
        if not results.get("is_finalized"):
            ends = poll.get("expiry") or "its expiry"
            raise RetryableFailure(
                f"{self.name}: Discord has not finalized the count of poll message {remote_id} yet "
                f"(voting ends {ends})",
                hint="Discord closes a poll on whole hours and counts once more after it ends; "
                "`storycast insights collect` (or the next tick) reads the results again",
            )
        return poll_counts(poll)

    def publish(self, request: PublishRequest) -> PublishResult:
        payload: dict[str, Any] = {"allowed_mentions": {"parse": []}}
        if self.opts.username:
            payload["username"] = self.opts.username
        files = None
        handle = None
        try:
            if request.poll is not None:
                payload["poll"] = self._poll(request)
            else:
                if request.media is None or not request.media.path.is_file():
                    raise PermanentFailure(
                        f"{self.name}: the frame file is missing",
                        hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                        "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
                    )
                name = "frame" + request.media.path.suffix.lower()
                embed: dict[str, Any] = {
                    "description": request.caption[:4096],
                    "color": self.opts.color,
                    "footer": {"text": f"Step {request.frame_index} of {request.frame_total}"},
                }
                if request.media.kind == "image":
                    embed["image"] = {"url": f"attachment://{name}"}
                payload["embeds"] = [embed]
                payload["attachments"] = [{"id": 0, "filename": name, "description": request.alt[:1024]}]
                handle = request.media.path.open("rb")
                files = {"files[0]": (name, handle)}
            # Discord takes JSON, or multipart/form-data with payload_json when files go along
            # (a form-urlencoded body is refused).
            body: dict[str, Any] = (
                {"data": {"payload_json": json.dumps(payload, ensure_ascii=False)}, "files": files}
                if files
                else {"json_body": payload}
            )
            resp = self.http.request("POST", self._target(), mutating=True, what="post to Discord", **body)
        finally:
            if handle is not None:
                handle.close()
        if resp.status_code == 429:  # pragma: no cover - HttpClient raises first
            raise RetryableFailure(
                f"{self.name}: throttled",
                retry_after=retry_after_of(resp, self.context.clock.wall()),
                hint="Discord rate-limits each webhook: storycast waits the retry_after Discord gives and "
                "tries again",
            )
        self._classify(resp, "post to Discord")
        msg = self.http.json_of(resp)
        if not isinstance(msg, dict) or not msg.get("id"):
            raise AmbiguousOutcome(
                f"{self.name}: Discord accepted the post but returned no message",
                hint="the post is probably in the Discord channel: look, then settle the row with "
                "`storycast reconcile --resolve ID=published|failed`",
            )
        return PublishResult(remote_id=str(msg["id"]), detail={"channel_id": msg.get("channel_id")})

    def check(self) -> list[CheckResult]:
        """GET on the webhook URL returns the webhook object without posting."""
        try:
            url = self._target().split("?", 1)[0]
            resp = self.http.request("GET", url, mutating=False, what="read the webhook")
            self._classify(resp, "read the webhook")
        except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
            return [CheckResult("webhook_url", False, exc.message)]
        hook = self.http.json_of(resp)
        return [
            CheckResult(
                "webhook_url",
                True,
                f"webhook {hook.get('name', '?')} in channel {hook.get('channel_id', '?')}",
            )
        ]


register_channel_type(WebhookChannel)
register_channel_type(SlackChannel)


def poll_counts(poll: Mapping[str, Any]) -> dict[int, int]:
    """``{option number: votes}`` of a Discord message's ``poll`` object.

    Options are numbered by the order of ``poll.answers`` (the order storycast sent them);
    ``results.answer_counts`` names answers by ``answer_id`` and leaves out answers without votes.
    """
    answers = {int(a["answer_id"]): i for i, a in enumerate(poll.get("answers") or [], start=1)}
    out = dict.fromkeys(answers.values(), 0)
    for row in (poll.get("results") or {}).get("answer_counts") or []:
        option = answers.get(int(row["id"]))
        if option is not None:
            out[option] = int(row.get("count", 0))
    return out


def discord_poll_counts(
    api_base: str, webhook_id: str, webhook_token: str, message_id: str, *, timeout: float = 10.0
) -> dict[int, int]:
    """Counts of a poll sent through a Discord webhook, finalized or not (outside a channel).

    A channel reads its polls with :meth:`DiscordChannel.poll_results`, which waits for Discord's
    final count; this helper reads whatever the message shows now.
    """
    import requests

    url = f"{api_base.rstrip('/')}/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
    try:
        resp = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise ChannelError(
            f"cannot reach Discord to read poll results: {type(exc).__name__}",
            hint="check the network, then read the results again with `storycast polls results`",
        ) from None
    if resp.status_code != 200:
        raise ChannelError(
            f"Discord answered {resp.status_code} when reading poll results for message {message_id}",
            hint="the message or its webhook was deleted in Discord, so its results are gone"
            if resp.status_code == 404
            else "the webhook URL was revoked or changed: create a new one in Discord and update the "
            "secret the channel's webhook_url references"
            if resp.status_code in (401, 403)
            else "read the results again later with `storycast polls results`",
        )
    return poll_counts((resp.json() or {}).get("poll") or {})


register_channel_type(DiscordChannel)
