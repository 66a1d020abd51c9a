"""Instagram stories through the Graph API (Instagram Login or Facebook Login).

One frame = one story, published in three steps:

1. create an invisible container (``media_type=STORIES`` with ``image_url``/``video_url``, or a
   resumable upload of the video to rupload);
2. poll its ``status_code`` (a first quick look, then once per ``poll_interval``, as Meta
   recommends once a minute for up to five minutes) until ``FINISHED``;
3. ``media_publish`` it: the only irreversible call.

The container id is written to the channel journal before step 3, so a retry reuses the same
container (PUBLISHED -> already live, nothing is sent again) and ``lookup()`` can settle an
``unknown`` row by asking the container. Before a tutorial's first frame the adapter reads
``content_publishing_limit`` and defers (or refuses) when the remaining frames would not fit.

Instagram Login tokens last 60 days: ``refresh_token()`` renews one (``storycast channels
refresh``), and the publish path does it by itself when fewer than 7 days remain (see
:mod:`storycast.channels.igtoken`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ...errors import ChannelError, ConfigError, StorycastError
from ...secrets import SecretRef
from ..base import (
    AmbiguousOutcome,
    Capabilities,
    CheckResult,
    InsightsUnavailable,
    NeedsAuth,
    PermanentFailure,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryableFailure,
)
from ..hosting import HostingOptions, MediaHost, object_key, open_host
from ..http import NetworkChannel
from ..igtoken import WARN_DAYS, TokenFacts, TokenStore, check_writable, ref_kind, store_token
from ..journal import Journal
from ..meta import MetaWebhooks, graph_error, raise_for_graph
from ..registry import register_channel_type
from .insights import BREAKDOWN, METRIC_PARAM, is_expired, parse_ig_insights
from .media import STORY_VIDEO, VIDEO_VARIANT

if TYPE_CHECKING:
    from ...media import MediaLimits, VideoVariant
    from ...project import Project
    from ..inbound import Inbound

HOSTS = {"instagram_login": "https://graph.instagram.com", "facebook_login": "https://graph.facebook.com"}
PERMISSIONS = {
    "instagram_login": ("instagram_business_basic", "instagram_business_content_publish"),
    "facebook_login": ("instagram_basic", "instagram_content_publish", "pages_read_engagement"),
}
#: The permission `GET /{media-id}/insights` needs, per login.
INSIGHTS_PERMISSION = {
    "instagram_login": "instagram_business_manage_insights",
    "facebook_login": "instagram_manage_insights",
}
STORY_TTL = timedelta(hours=24)
# Meta's answer for a story metric under 5 (IG Media Insights): code 10 like a missing
# permission, told apart by this message.
FEW_VIEWERS = "not enough viewers"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Account:
    """The Instagram account behind the token, as ``channels check`` and publishing see it."""

    username: str | None
    user_id: str | None  # the IG user id the token is for (Instagram Login only)
    account_type: str | None  # "BUSINESS", "MEDIA_CREATOR", ... (Instagram Login only)

    @property
    def business(self) -> bool | None:
        """True for a Business account; None when the Graph API does not say."""
        return None if self.account_type is None else self.account_type == "BUSINESS"


@dataclass(frozen=True)
class RefreshResult:
    """What ``refresh_token()`` did (no token in it)."""

    channel: str
    stored_in: str  # "file /path" or "keyring entry service/name"
    expires_at: datetime
    expires_in_days: int


class InstagramChannel(MetaWebhooks, NetworkChannel):
    """Instagram professional account stories (image and video); Meta webhooks for replies and insights."""

    type_name = "instagram"
    description = "Instagram stories via the Graph API (Instagram Login or Facebook Login)."
    capabilities = Capabilities(
        images=True,
        video=True,
        stories=True,
        multi_frame=True,
        captions=False,  # stories take no caption or alt text through the API
        insights=True,
        list_recent=True,
        max_frames_per_day=50,
    )
    default_concurrency: ClassVar[int | None] = 1  # frames of a tutorial go out in order
    default_rate_per_minute: ClassVar[float | None] = 10
    media_limits: ClassVar[MediaLimits | None] = STORY_VIDEO
    video_variant: ClassVar[VideoVariant | None] = VIDEO_VARIANT

    class Options(NetworkChannel.Options):
        """[channels.NAME] keys of an instagram channel."""

        login: Literal["instagram_login", "facebook_login"] = "instagram_login"
        api_version: str = "v25.0"
        ig_user_id: str = ""
        access_token: SecretRef = ""  # a secret reference
        hosting: HostingOptions | None = None
        video_upload: Literal["resumable", "url"] = "resumable"
        rupload_base: str = "https://rupload.facebook.com"
        first_poll: float = 3.0  # seconds before the first status look
        poll_interval: float = 60.0
        poll_timeout: float = 300.0
        on_quota: Literal["defer", "refuse"] = "defer"
        quota_reserve: int = 0  # posts kept free for people publishing by hand
        quota_retry_after: float = 3600.0
        auto_refresh: bool = True  # renew a file:/keyring: Instagram Login token before it expires
        # For `storycast serve`'s /hooks/instagram (story insights, replies): secret references.
        app_secret: SecretRef = ""  # verifies X-Hub-Signature-256 on webhook deliveries
        verify_token: SecretRef = ""  # answers Meta's subscription handshake

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._host: MediaHost | None = None
        self._swept = False
        self._token_looked = False
        self._account: Account | None = None
        self._granted: set[str] | None = None
        self.tokens = TokenStore(self.project.state_dir)
        self.journal = Journal(self.project.state_dir / "channels" / f"{self.name}.json")
        if not self.opts.ig_user_id:
            raise ConfigError(
                f"channel {self.name!r} needs ig_user_id",
                hint="find it with `storycast channels check` or in Meta's Graph API explorer (GET /me)",
                file=self.project.config_path,
            )

    @property
    def default_api_base(self) -> str:  # type: ignore[override]
        return HOSTS[self.opts.login]

    # -- plumbing -------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.api_base}/{self.opts.api_version}/{path.lstrip('/')}"

    def _token(self) -> str:
        return self.secret(self.opts.access_token, "access_token").reveal()

    @property
    def host(self) -> MediaHost:
        if self._host is None:
            if self.opts.hosting is None:
                raise PermanentFailure(
                    f"channel {self.name!r} has no media hosting; Instagram fetches images from a public URL",
                    hint=f"add a [channels.{self.name}.hosting] table (folder + base_url, or s3)",
                )
            self._host = open_host(self.opts.hosting, self.project.root, self.secret)
        return self._host

    def _sweep_once(self) -> None:
        """Remove hosted objects older than keep_hours, once per channel instance (one tick)."""
        if self._swept or self.opts.hosting is None:
            return
        self._swept = True
        try:
            self.host.sweep(self.context.now())
        except Exception as exc:  # a failed cleanup must not block publishing
            import logging

            logging.getLogger(__name__).info("%s: hosting sweep failed: %s", self.name, type(exc).__name__)

    def _call(self, method: str, path: str, what: str, *, mutating: bool, **params: Any) -> dict[str, Any]:
        # The token travels in the Authorization header, never in a URL that a proxy or
        # urllib3's debug log would record.
        kw: dict[str, Any] = {"params": params} if method == "GET" else {"data": params}
        headers = {"Authorization": f"OAuth {self._token()}"}
        resp = self.http.request(method, self._url(path), mutating=mutating, what=what, headers=headers, **kw)
        raise_for_graph(resp, self.name, what, self.redact, now=self.context.clock.wall())
        body = self.http.json_of(resp)
        if isinstance(body, dict):
            body["_trace"] = resp.headers.get("x-fb-trace-id")
            return body
        return {}

    # -- token lifetime (Instagram Login) -------------------------------------------------------

    def token_facts(self) -> TokenFacts:
        """What .storycast/tokens.json knows about the current token (empty for another token)."""
        return self.tokens.facts(self.name, self._token())

    def refresh_token(self) -> RefreshResult:
        """Renew the Instagram Login token and store the new one where ``access_token`` points.

        Raises ChannelError for a Facebook Login channel, ConfigError when the reference cannot
        be written (``env:``), NeedsAuth when Meta refuses (an expired token must be reconnected).
        """
        if self.opts.login != "instagram_login":
            raise PermanentFailure(
                f"channel {self.name!r} uses Facebook Login; refresh applies to Instagram Login tokens only",
                hint="Facebook Login tokens are renewed in Meta's tools (a Page token from a long-lived "
                "user token does not expire); update the secret access_token references",
            )
        ref = self.opts.access_token
        check_writable(ref, self.project.root, self.name, self.project.config_path)
        with self.tokens.locked():
            old = self._token()
            now = self.context.now()
            facts = self.tokens.facts(self.name, old)
            if facts.refreshed_at is not None and now - facts.refreshed_at < timedelta(hours=24):
                again = facts.refreshed_at + timedelta(hours=24)
                raise RetryableFailure(
                    f"{self.name}: the token was refreshed at {facts.refreshed_at:%Y-%m-%d %H:%M} UTC; "
                    "Instagram refreshes only tokens at least 24 h old",
                    hint=f"run it again after {again:%Y-%m-%d %H:%M} UTC",
                    retry_after=(again - now).total_seconds(),
                )
            self.tokens.update(self.name, old, now, attempted_at=now)
            new, expires_in = self._call_refresh(old)
            try:
                where = store_token(ref, new, self.project.root)
            except StorycastError:
                raise
            except Exception as exc:  # OSError, keyring errors: say what failed, never the token
                raise ConfigError(
                    f"channel {self.name!r}: Instagram issued a new token but it could not be saved "
                    f"where access_token ({ref}) points ({type(exc).__name__})",
                    hint="fix the file's or keyring's permissions and run `storycast channels refresh "
                    f"{self.name}` again; if the current token stops working, create a new one",
                    file=self.project.config_path,
                ) from None
            expires_at = now + timedelta(seconds=expires_in)
            self.tokens.update(self.name, new, now, expires_at=expires_at, refreshed_at=now, attempted_at=now)
        log.info(
            "%s: token refreshed (saved to the %s); it expires %s", self.name, where, f"{expires_at:%Y-%m-%d}"
        )
        return RefreshResult(self.name, where, expires_at, int(expires_in // 86400))

    def _call_refresh(self, token: str) -> tuple[str, float]:
        """GET /refresh_access_token: (new token, expires_in seconds)."""
        what = "refresh the access token"
        # Meta documents the token as a query parameter here; the redactor keeps it out of logs.
        # Read-only for the HTTP layer: repeating a refresh whose answer was lost is harmless.
        resp = self.http.request(
            "GET",
            f"{self.api_base}/refresh_access_token",
            mutating=False,
            what=what,
            params={"grant_type": "ig_refresh_token", "access_token": token},
        )
        try:
            raise_for_graph(resp, self.name, what, self.redact, now=self.context.clock.wall())
        except NeedsAuth as exc:
            raise NeedsAuth(
                f"{exc.message}: the token can no longer be refreshed; reconnect the account",
                hint="log in again with Business Login for Instagram, create a new long-lived token, "
                f"store it where access_token ({self.opts.access_token}) points, then run "
                f"`storycast channels check {self.name}`",
            ) from None
        body = self.http.json_of(resp)
        new = body.get("access_token") if isinstance(body, dict) else None
        try:
            expires_in = float(body.get("expires_in"))  # type: ignore[union-attr]
        except (TypeError, ValueError):
            expires_in = -1.0
        if not isinstance(new, str) or not new or expires_in <= 0:
            raise PermanentFailure(
                f"{self.name}: {what}: the answer has no access_token/expires_in; the token was not changed",
                hint="check api_base points at graph.instagram.com",
            )
        self._redactor.add(new)
        return new, expires_in

    def _maybe_refresh(self) -> None:
        """Before publishing: renew a file:/keyring: token when < 7 days remain, once a day at most.

        Costs one read of .storycast/tokens.json per channel instance (one engine tick). A failed
        refresh is logged and publishing goes on with the current token.
        """
        if self._token_looked:
            return
        self._token_looked = True
        if self.opts.login != "instagram_login":
            return
        token = self._token()
        now = self.context.now()
        facts = self.tokens.facts(self.name, token)
        if facts.first_seen is None:
            # A token storycast has not seen: start its clock (its latest possible expiry for check).
            self.tokens.update(self.name, token, now)
            return
        if (
            not self.opts.auto_refresh
            or ref_kind(self.opts.access_token) not in ("file", "keyring")
            or not facts.due(now)
        ):
            return
        with self.tokens.locked():
            if not self.tokens.facts(self.name, token).due(now):  # another worker just did it
                return
            try:
                self.refresh_token()
            except StorycastError as exc:
                self.tokens.update(self.name, token, now, attempted_at=now)
                log.warning("%s: automatic token refresh failed: %s", self.name, self.redact(exc.message))

    def _expiry_check(self) -> CheckResult:
        facts = self.token_facts()
        now = self.context.now()
        latest = facts.latest_expiry
        if latest is None:
            return CheckResult(
                "token expiry",
                True,
                "unknown until storycast refreshes the token "
                f"(`storycast channels refresh {self.name}`, or automatically before publishing)",
                "info",
            )
        days = (latest - now).total_seconds() / 86400
        exact = facts.expires_at is not None
        detail = (
            f"{max(days, 0):.0f} day(s) left (expires {latest:%Y-%m-%d})"
            if exact
            else f"at most {max(days, 0):.0f} day(s) left (first seen {facts.first_seen:%Y-%m-%d}; "
            "the exact expiry is known after a refresh)"
        )
        if ref_kind(self.opts.access_token) == "env":
            detail += "; an env: token is renewed by hand"
        if days < WARN_DAYS:
            return CheckResult(
                "token expiry", False, detail + f"; run `storycast channels refresh {self.name}`", "warning"
            )
        return CheckResult("token expiry", True, detail, "info")

    # -- the account and its permissions ---------------------------------------------------------

    def account(self) -> Account:
        """Who the token publishes as (read once per channel instance).

        Instagram Login: ``GET /me?fields=user_id,username,account_type`` on graph.instagram.com
        (``/me`` is the Instagram account). Facebook Login: the token is a Facebook User token,
        whose ``/me`` is a Facebook user without ``username``; the Instagram account is the IG
        User node ``GET /{ig-user-id}?fields=id,username``, which has no ``account_type``.
        """
        if self._account is None:
            if self.opts.login == "instagram_login":
                me = self._call(
                    "GET", "me", "read the account", mutating=False, fields="user_id,username,account_type"
                )
                kind = str(me.get("account_type") or "").upper() or None
                uid = str(me.get("user_id")) if me.get("user_id") else None
                self._account = Account(me.get("username"), uid, kind)
            else:
                node = self._call(
                    "GET",
                    self.opts.ig_user_id,
                    "read the Instagram account",
                    mutating=False,
                    fields="id,username",
                )
                self._account = Account(
                    node.get("username"), str(node.get("id") or self.opts.ig_user_id), None
                )
        return self._account

    def granted(self) -> set[str]:
        """The permissions granted to the token (``GET /me/permissions``), read once."""
        if self._granted is None:
            perms = self._call("GET", "me/permissions", "read the permissions", mutating=False)
            self._granted = {
                str(p.get("permission")) for p in perms.get("data") or [] if p.get("status") == "granted"
            }
        return self._granted

    def _require_business(self) -> None:
        """Refuse a story for an account Instagram says is not a Business account."""
        if self.opts.login != "instagram_login":
            return  # Facebook Login: the IG User node does not tell; Meta refuses at publish time
        account = self.account()
        if account.business is False:
            raise PermanentFailure(
                f"{self.name}: @{account.username or self.opts.ig_user_id} is a "
                f"{account.account_type} account; Instagram publishes stories through the API for "
                "Business accounts only",
                hint="switch the account to a Business account in the Instagram app (Settings > "
                "Account type and tools), or take this channel out of the schedule",
            )

    # -- quota ----------------------------------------------------------------------------------

    def quota(self) -> tuple[int, int]:
        """(used, total) of the rolling 24-hour publishing quota, as Meta reports it."""
        since = int((self.context.now() - timedelta(hours=23, minutes=59)).timestamp())
        body = self._call(
            "GET",
            f"{self.opts.ig_user_id}/content_publishing_limit",
            "read the publishing quota",
            mutating=False,
            fields="quota_usage,config",
            since=since,
        )
        data = (body.get("data") or [{}])[0]
        total = int((data.get("config") or {}).get("quota_total") or 50)
        return int(data.get("quota_usage") or 0), total

    def _preflight(self, request: PublishRequest) -> None:
        self._require_business()
        used, total = self.quota()
        # The first frame needs room for the whole tutorial; later frames need room for the rest.
        need = request.frame_total - request.frame_index + 1
        free = total - used - self.opts.quota_reserve
        if free >= need:
            return
        msg = (
            f"{self.name}: {need} frame(s) to publish but only {max(free, 0)} of {total} posts are left "
            "in Instagram's 24-hour publishing quota"
        )
        if self.opts.on_quota == "refuse":
            raise PermanentFailure(msg, hint='publish fewer stories a day, or set on_quota = "defer"')
        raise RetryableFailure(
            msg + "; deferred",
            retry_after=self.opts.quota_retry_after,
            hint=f"storycast tries again in {self.opts.quota_retry_after:.0f} s (quota_retry_after); "
            "Instagram counts API-published posts over a rolling 24 hours, so spread the stories "
            f"over the day or lower quota_reserve in [channels.{self.name}]",
        )

    # -- containers -----------------------------------------------------------------------------

    def _status(self, container: str) -> str:
        body = self._call(
            "GET", container, "read the container status", mutating=False, fields="status_code,status"
        )
        return str(body.get("status_code") or "")

    def _create(self, request: PublishRequest) -> str:
        media = request.media
        assert media is not None
        base = {"media_type": "STORIES"}
        if media.kind == "video" and self.opts.video_upload == "resumable":
            body = self._call(
                "POST",
                f"{self.opts.ig_user_id}/media",
                "create the video container",
                mutating=False,  # an invisible container; a duplicate costs quota of containers only
                upload_type="resumable",
                **base,
            )
            cid = str(body["id"])
            uri = body.get("uri") or f"{self.opts.rupload_base}/ig-api-upload/{self.opts.api_version}/{cid}"
            data = media.path.read_bytes()
            resp = self.http.request(
                "POST",
                uri,
                mutating=False,
                data=data,
                headers={
                    "Authorization": f"OAuth {self._token()}",
                    "offset": "0",
                    "file_size": str(len(data)),
                },
                what="upload the video",
            )
            raise_for_graph(resp, self.name, "upload the video", self.redact, now=self.context.clock.wall())
            return cid
        hosted = self.host.put(media.path, object_key(request.idempotency_key, media.path))
        field = "video_url" if media.kind == "video" else "image_url"
        body = self._call(
            "POST",
            f"{self.opts.ig_user_id}/media",
            "create the story container",
            mutating=False,
            **{field: hosted.url},
            **base,
        )
        return str(body["id"])

    def _wait(self, container: str) -> None:
        """Poll until FINISHED; raise for ERROR/EXPIRED or when the poll budget runs out."""
        deadline = time.monotonic() + self.opts.poll_timeout
        self.sleep(min(self.opts.first_poll, self.opts.poll_timeout))
        while True:
            state = self._status(container)
            if state in ("FINISHED", "PUBLISHED"):
                return
            if state == "ERROR":
                raise PermanentFailure(
                    f"{self.name}: Instagram could not process the media (container {container} is ERROR)",
                    hint="check the media against docs/channels/instagram.md (JPEG <= 8 MB; MP4 3-60 s)",
                )
            if state == "EXPIRED":
                raise RetryableFailure(
                    f"{self.name}: container {container} expired before it was published",
                    retry_after=0,
                    hint="Instagram drops a container not published within 24 hours; the next attempt "
                    "creates a new one, nothing to do",
                )
            if time.monotonic() >= deadline:
                raise RetryableFailure(
                    f"{self.name}: container {container} still {state or 'unknown'} after "
                    f"{self.opts.poll_timeout:.0f} s; nothing was published",
                    retry_after=self.opts.poll_interval,
                    hint="Instagram is still processing the media; the next attempt checks this same "
                    "container again, so nothing is uploaded twice",
                )
            self.sleep(self.opts.poll_interval)

    # -- publish --------------------------------------------------------------------------------

    def _done(self, request: PublishRequest, media_id: str | None, trace: str | None = None) -> PublishResult:
        now = self.context.now()
        self.journal.update(request.idempotency_key, now, media_id=media_id, state="published")
        media = request.media
        hosted = media is not None and (media.kind == "image" or self.opts.video_upload == "url")
        if hosted and self.opts.hosting is not None and media is not None:
            try:
                self.host.delete(object_key(request.idempotency_key, media.path))
            except Exception:  # cleanup never fails a live story; the sweep gets it later
                pass
        return PublishResult(
            remote_id=media_id,
            request_id=trace,
            expires_utc=now + STORY_TTL,
            detail={"flavour": self.opts.login},
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        """Publish one frame as a story; reuses a journalled container on retries."""
        if request.media is None:
            raise PermanentFailure(
                f"{self.name}: Instagram stories need an image or a video; polls are not supported",
                hint="render the poll question into a story frame, or send the poll to Telegram/Discord",
            )
        if not request.media.path.is_file():
            raise PermanentFailure(
                f"{self.name}: the frame file {request.media.path} is missing",
                hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
            )
        self._maybe_refresh()
        key = request.idempotency_key
        entry = self.journal.get(key) or {}
        if entry.get("state") == "published":
            return self._done(request, entry.get("media_id"))
        container = entry.get("container")
        if container:
            state = self._status(container)
            if state == "PUBLISHED":  # live already (an earlier answer was lost)
                return self._done(request, self._find_media_id(entry))
            if state in ("ERROR", "EXPIRED"):
                container = None
        if not container:
            self._preflight(request)
            self._sweep_once()
            container = self._create(request)
            self.journal.update(key, self.context.now(), container=container, state="container")
        try:
            self._wait(container)
        except PermanentFailure:
            self.journal.update(key, self.context.now(), container=None, state="error")
            raise
        self.journal.update(
            key, self.context.now(), state="publishing", publishing_at=self.context.now().isoformat()
        )
        try:
            body = self._call(
                "POST",
                f"{self.opts.ig_user_id}/media_publish",
                "publish the story",
                mutating=True,
                creation_id=container,
            )
        except AmbiguousOutcome:
            # The container knows: PUBLISHED means live, FINISHED means nothing happened.
            try:
                state = self._status(container)
            except (RetryableFailure, NeedsAuth, PermanentFailure):
                raise AmbiguousOutcome(
                    f"{self.name}: no answer to 'publish the story' and the container {container} "
                    "cannot be read; the story may be live",
                    hint="`storycast reconcile` asks the container again later",
                ) from None
            if state == "PUBLISHED":
                return self._done(request, self._find_media_id(self.journal.get(key) or {}))
            if state == "FINISHED":
                raise RetryableFailure(
                    f"{self.name}: 'publish the story' got no answer, and the container is still unpublished",
                    retry_after=60,
                    hint="nothing went live; the next attempt publishes the same container in a minute",
                ) from None
            raise
        return self._done(request, str(body.get("id")), body.get("_trace"))

    def _find_media_id(self, entry: dict[str, Any]) -> str | None:
        """The live story published from a journalled container.

        The Graph API does not link a story back to its container, so this is the newest live
        story no journal entry claims yet (frames of one channel go out one at a time).
        """
        claimed = {e.get("media_id") for e in self.journal.entries().values() if e.get("media_id")}
        for post in self.list_recent(datetime.min.replace(tzinfo=UTC)):
            if post.remote_id not in claimed:
                return post.remote_id
        return None

    # -- reconcile ------------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Published? Answered from the journal and the container's status; None when unsure."""
        entry = self.journal.get(request.idempotency_key)
        if not entry:
            return None
        if entry.get("state") == "published":
            return PublishResult(remote_id=entry.get("media_id"))
        container = entry.get("container")
        if container and self._status(container) == "PUBLISHED":
            return self._done(request, self._find_media_id(entry))
        return None

    def list_recent(self, since: datetime) -> list[RemotePost]:
        """Live stories (Instagram lists only the last 24 h), newest first."""
        body = self._call(
            "GET",
            f"{self.opts.ig_user_id}/stories",
            "list live stories",
            mutating=False,
            fields="id,media_type,media_product_type,timestamp,permalink",
        )
        markers = {e.get("media_id"): k for k, e in self.journal.entries().items() if e.get("media_id")}
        posts = []
        for item in body.get("data") or []:
            stamp = item.get("timestamp")
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z") if stamp else None
            if when is None or when >= since:
                posts.append(
                    RemotePost(str(item["id"]), when, markers.get(str(item["id"])), item.get("permalink"))
                )
        return posts

    # -- reading back ---------------------------------------------------------------------------

    webhook_what: ClassVar[str] = "Instagram webhook"

    @classmethod
    def parse_webhook(
        cls, payload: Mapping[str, Any], now: datetime, *, channel: str, project: Project
    ) -> Inbound:
        """Story replies, mentions and our echoes, or ``story_insights`` numbers (see inbound.py)."""
        from .inbound import parse

        return parse(payload)

    def fetch_insights(self, remote_id: str) -> dict[str, int] | None:
        """A live story's metrics (``/{media-id}/insights``), navigation split by action.

        Meta answers code 10 both for a story seen by fewer than 5 people ("Not enough viewers
        for the media to show insights") and for a token without the insights permission
        ("Application does not have permission for this action"). The first raises
        :class:`InsightsUnavailable` (there are no numbers); the second :class:`NeedsAuth` naming
        the permission, so ``insights collect`` says what to grant. After 24 h the metrics are
        gone (``InsightsUnavailable`` with ``expired``).
        """
        what = "read story insights"
        resp = self.http.request(
            "GET",
            self._url(f"{remote_id}/insights"),
            mutating=False,
            what=what,
            headers={"Authorization": f"OAuth {self._token()}"},
            params={"metric": METRIC_PARAM, "breakdown": BREAKDOWN},
        )
        err = graph_error(resp)
        if int(err.get("code") or 0) == 10:
            self._insights_refused(str(err.get("message") or ""))
        try:
            raise_for_graph(resp, self.name, what, self.redact, now=self.context.clock.wall())
        except ChannelError as exc:
            expired = is_expired(exc.message)
            hint = (
                "Instagram keeps a story's metrics for 24 hours only: `storycast insights collect` "
                "captures them before that (at 23 h by default)"
                if expired
                else exc.hint or "read them again later with `storycast insights collect --all`"
            )
            raise InsightsUnavailable(exc.message, expired=expired, hint=hint) from None
        body = self.http.json_of(resp)
        return parse_ig_insights(body if isinstance(body, dict) else {})

    def _insights_refused(self, message: str) -> None:
        """Raise for an insights code 10: too few viewers, or the permission is missing."""
        permission = INSIGHTS_PERMISSION[self.opts.login]
        if FEW_VIEWERS in message.lower():
            raise InsightsUnavailable(
                f"{self.name}: fewer than 5 people saw this story, so Instagram shows no numbers for it "
                f"(Meta: {self.redact(message)})",
                hint="nothing to fix: Instagram reports story metrics from 5 viewers on",
            )
        try:
            missing = permission not in self.granted()
        except ChannelError:
            missing = True  # the permissions cannot be read either: the refusal says permission
        if missing or "permission" in message.lower():
            raise NeedsAuth(
                f"{self.name}: the token lacks {permission}, so Instagram gives no story insights "
                f"(Meta: {self.redact(message) or 'code 10'})",
                hint=f"grant {permission} to the app (Meta's App Dashboard, and App Review for "
                "accounts without a role on the app), create a new token, then run "
                f"`storycast channels check {self.name}`",
            )
        raise InsightsUnavailable(
            f"{self.name}: Instagram has no insights for this story (code 10: {self.redact(message)})",
            hint="read them again later with `storycast insights collect --all`",
        )

    # -- check ----------------------------------------------------------------------------------

    def check(self) -> list[CheckResult]:
        """Token and account, account type, permissions (publishing and insights), quota, hosting."""
        out: list[CheckResult] = []
        self._account, self._granted = None, None  # a check always looks afresh
        try:
            account = self.account()
        except (NeedsAuth, RetryableFailure, PermanentFailure, AmbiguousOutcome) as exc:
            return [CheckResult("token", False, exc.message)]
        who = f"@{account.username}" if account.username else f"account {self.opts.ig_user_id}"
        if account.user_id and account.user_id != self.opts.ig_user_id:
            out.append(
                CheckResult(
                    "token",
                    False,
                    f"the token is for {who} (Instagram user id {account.user_id}), but ig_user_id "
                    f'is {self.opts.ig_user_id}: set ig_user_id = "{account.user_id}"',
                )
            )
        else:
            out.append(CheckResult("token", True, f"valid for {who}"))
        out.append(self._account_type_check(account, who))
        if self.opts.login == "instagram_login":
            out.append(self._expiry_check())
        try:
            granted = self.granted()
        except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
            out.append(CheckResult("permissions", False, exc.message, "warning"))
        else:
            missing = [p for p in PERMISSIONS[self.opts.login] if p not in granted]
            out.append(
                CheckResult(
                    "permissions",
                    not missing,
                    "missing " + ", ".join(missing) if missing else "publishing permissions granted",
                )
            )
            insights = INSIGHTS_PERMISSION[self.opts.login]
            out.append(
                CheckResult(
                    "insights",
                    insights in granted,
                    f"{insights} granted"
                    if insights in granted
                    else f"{insights} is not granted: stories publish, but `storycast insights collect` "
                    "gets no numbers (Meta answers code 10 for every story); grant it and make a new token",
                    "warning",
                )
            )
        try:
            used, total = self.quota()
            out.append(
                CheckResult(
                    "quota", used < total, f"{used} of {total} posts used in the last 24 h", "warning"
                )
            )
        except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
            out.append(CheckResult("quota", False, exc.message))
        if self.opts.hosting is None:
            out.append(CheckResult("hosting", False, "no hosting table: images cannot be published"))
        else:
            try:
                out.extend(self.host.check())
            except ConfigError as exc:
                out.append(CheckResult("hosting", False, exc.message))
        return out

    def _account_type_check(self, account: Account, who: str) -> CheckResult:
        if self.opts.login == "facebook_login":
            return CheckResult(
                "account type",
                True,
                "not reported under Facebook Login: Instagram publishes stories for Business accounts "
                "only, so make sure this one is (Instagram app: Settings > Account type and tools)",
                "info",
            )
        if account.business is None:
            return CheckResult("account type", True, "Instagram did not report the account type", "warning")
        if account.business:
            return CheckResult(
                "account type", True, f"{who} is a Business account: stories can be published", "info"
            )
        return CheckResult(
            "account type",
            False,
            f"{who} is a {account.account_type} account: Instagram publishes stories through the API "
            "for Business accounts only; switch it to Business (Instagram app: Settings > Account "
            "type and tools)",
        )


register_channel_type(InstagramChannel)
