"""The channel adapter contract.

A channel type is a class with a ``type_name``, ``capabilities`` and a pydantic ``Options``
model for its ``[channels.NAME]`` keys. The engine calls ``publish()`` once per ledger row
(one frame of one story in one language), after the attempt is recorded durably. Adapters
classify every failure:

- ``RetryableFailure``: nothing was published; try again later (optionally after ``retry_after``).
- ``PermanentFailure``: nothing was published and retrying will not help (bad media, policy).
- ``NeedsAuth``: credentials expired or lack a permission; a person must act.
- ``AmbiguousOutcome``: the platform may or may not have published (timeout, connection reset
  after the request was sent). The ledger marks the row ``unknown``; it is never blindly retried,
  and ``reconcile`` asks ``lookup()`` (or the user) what happened.

Reading back is part of the same contract: ``fetch_insights`` and ``poll_results`` (pulled by
storycast.engage), and the inbound classmethods ``verify_webhook``, ``parse_webhook`` and
``webhook_handshake`` (pushed deliveries, served by ``storycast serve``; see ``inbound.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ..errors import ChannelError

if TYPE_CHECKING:
    from ..context import Context
    from ..media import MediaLimits, VideoVariant
    from ..project import Project
    from .inbound import Inbound, WebhookRequest


@dataclass(frozen=True)
class Capabilities:
    """What a channel type can carry. Shown by `storycast channels list`; read by lint and the engine."""

    images: bool = True
    video: bool = False
    stories: bool = False  # ephemeral story/status surface (24 h)
    # Shows each language of a story apart (its own ring), so two languages never share a tray.
    languages_apart: bool = False
    multi_frame: bool = True  # a tutorial's frames can go out one by one, in order
    album: bool = False  # several frames as one post (Telegram media group)
    captions: bool = True
    alt_text: bool = False
    polls_native: bool = False
    insights: bool = False
    list_recent: bool = False  # can answer lookup()/list_recent() for reconciliation
    idempotency_key: bool = False
    handoff: bool = False  # a person finishes the post (Snapchat, WhatsApp Status)
    max_frames_per_day: int | None = None

    def as_list(self) -> list[str]:
        return [k for k, v in self.__dict__.items() if v is True]


@dataclass(frozen=True)
class MediaItem:
    path: Path
    kind: Literal["image", "video"]
    sha256: str
    width: int = 1080
    height: int = 1920
    duration: float | None = None


@dataclass(frozen=True)
class PollSpec:
    question: str
    options: tuple[str, ...]
    closes_at: datetime | None = None
    allows_multiple: bool = False
    poll_id: str = ""
    description: str = ""  # a line under the question, where the platform shows one


@dataclass(frozen=True)
class PublishRequest:
    """One unit of publishing: one frame (or one poll) of one story in one language."""

    row_id: int
    idempotency_key: str
    kind: str  # story | qa | poll | video
    ref: str  # story / event / poll id
    lang: str
    frame_index: int  # 1-based
    frame_total: int
    media: MediaItem | None
    caption: str = ""
    alt: str = ""
    due_utc: datetime | None = None
    expires_utc: datetime | None = None
    poll: PollSpec | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    remote_id: str | None
    url: str | None = None
    request_id: str | None = None
    state: Literal["published", "handed_off"] = "published"
    expires_utc: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemotePost:
    remote_id: str
    published_utc: datetime | None
    marker: str | None = None  # our idempotency key if the platform echoes it (caption tag, metadata)
    url: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One line of `storycast channels check`."""

    check: str
    ok: bool
    detail: str
    severity: Literal["error", "warning", "info"] = "error"


class RetryableFailure(ChannelError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PermanentFailure(ChannelError):
    pass


class NeedsAuth(ChannelError):
    pass


class AmbiguousOutcome(ChannelError):
    """The call may have succeeded; the row becomes `unknown` and is reconciled, not retried."""


class InsightsUnavailable(ChannelError):
    """The platform has no numbers for this post (expired, too few viewers, not supported)."""

    def __init__(self, message: str, *, expired: bool = False, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.expired = expired


class Channel(ABC):
    """Base class of every channel adapter (built-in or plugin)."""

    type_name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    description: ClassVar[str] = ""
    #: True when lookup() returning None means "definitely not published" (not just "cannot
    #: tell"), so reconcile may put an unknown row back to planned. Only for channels whose
    #: publish is atomic and whose lookup reads the same store (the local feed).
    lookup_authoritative: ClassVar[bool] = False
    #: Defaults for the engine's per-channel limits; [channels.NAME] concurrency and
    #: rate_per_minute override them. None means no limit.
    default_concurrency: ClassVar[int | None] = None
    default_rate_per_minute: ClassVar[float | None] = None
    #: The [channels.NAME] key whose secret authenticates webhook deliveries; None: this type
    #: takes no webhooks (``storycast serve`` gives it no /hooks/TYPE route).
    webhook_secret_key: ClassVar[str | None] = None
    #: The key whose secret answers a subscription handshake (GET /hooks/TYPE); None: no handshake.
    webhook_handshake_key: ClassVar[str | None] = None
    #: The 400 answer when a verified delivery has a field of the wrong shape.
    webhook_shape_error: ClassVar[str] = "a field in the body has the wrong shape"
    #: What the platform accepts for a story video (``storycast media check --target TYPE``);
    #: None: the platform takes no story video, or storycast does not check it.
    media_limits: ClassVar[MediaLimits | None] = None
    #: The video file ``render --video`` writes for this platform; None: no video variant.
    video_variant: ClassVar[VideoVariant | None] = None

    class Options(BaseModel):
        """The channel type's own keys in [channels.NAME]; subclasses extend this."""

        model_config = ConfigDict(extra="forbid")
        type: str
        enabled: bool = True
        concurrency: int | None = None  # rows of this channel in flight at once, across processes
        rate_per_minute: float | None = None  # frames per minute (token bucket kept in the ledger)
        languages: list[str] | None = None  # only these languages go to this channel (checked in config)
        # How story entries go out here unless an entry says: "frames" (images) or "video" (MP4 parts).
        format: Literal["frames", "video"] = "frames"

    def __init__(self, name: str, options: Channel.Options, project: Project, context: Context) -> None:
        self.name = name
        self.options = options
        self.project = project
        self.context = context

    # -- the contract -------------------------------------------------------------------------

    @abstractmethod
    def publish(self, request: PublishRequest) -> PublishResult:
        """Publish one frame (or poll). Raise one of the failure classes above on failure."""

    def album_size(self) -> int:
        """How many consecutive frames of one story this channel sends as one post (1: one by one).

        The engine claims that many frames together and hands them to :meth:`publish_album` in
        one call; a channel type with ``capabilities.album`` returns more than 1 when its options
        ask for albums.
        """
        return 1

    def publish_album(self, requests: Sequence[PublishRequest]) -> list[PublishResult]:
        """Publish several frames as one post, in order; one result per request, in the same order.

        Only for channels with ``capabilities.album``. The call is all or nothing for the
        engine: a failure class raised here applies to every frame of the album.
        """
        raise PermanentFailure(
            f"channel {self.name!r} cannot publish albums",
            hint="only channel types with the album capability (see `storycast channels list`) take "
            "several frames as one post; publish the frames one by one",
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Was this request published? None when the platform cannot tell (stays `unknown`)."""
        return None

    def list_recent(self, since: datetime) -> list[RemotePost]:
        """Posts published since ``since`` (for reconcile); empty when unsupported."""
        return []

    def fetch_insights(self, remote_id: str) -> dict[str, int] | None:
        """Metrics of one published post (reach, views, replies, taps...), read before it expires.

        None when the channel type has no insights (the default). Raise
        :class:`InsightsUnavailable` when the platform has no numbers (``expired`` when the post
        is gone), another ChannelError when it refuses. Used by ``storycast insights collect``.
        """
        return None

    def poll_results(self, remote_id: str) -> dict[int, int] | dict[str, int] | None:
        """Votes of a native poll: ``{option number (1-based): votes}`` or ``{option text: votes}``.

        None when the channel cannot tell (the default). Used by storycast.engage's tallies, which
        ask only once the poll has closed (reading may end the vote, as Telegram's stopPoll does).
        """
        return None

    # -- inbound: webhook deliveries (classmethods: no session, no token refresh) ---------------

    @classmethod
    def webhook_handshake(cls, query: Mapping[str, str], token: str) -> str | None:
        """Answer a subscription handshake: the text to echo, or None to refuse (403)."""
        return None

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, secret: str) -> None:
        """Check that a delivery comes from the platform; raise ``inbound.BadSignature`` if not.

        The default refuses everything: a type that sets ``webhook_secret_key`` overrides it.
        """
        from .inbound import BadSignature

        raise BadSignature(f"channel type {cls.type_name!r} takes no webhook deliveries")

    @classmethod
    def parse_webhook(
        cls, payload: Mapping[str, Any], now: datetime, *, channel: str, project: Project
    ) -> Inbound:
        """Turn a verified JSON delivery into votes, replies, insights or delivery statuses.

        ``channel`` is the configured channel it came for. A field of the wrong shape raises
        ValueError (or another shape error: the answer is a 400); a ``RetryableFailure`` asks the
        platform to deliver again later (503). The default carries nothing.
        """
        from .inbound import Inbound

        return Inbound()

    def check(self) -> list[CheckResult]:
        """Credentials, permissions and quota; default: configuration only."""
        return [CheckResult("config", True, "configuration is valid", "info")]

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release network sessions and files."""
