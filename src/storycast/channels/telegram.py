"""Telegram through the Bot API: channel and group posts, albums, native polls, business stories.

- ``mode = "post"`` (default): each frame is a photo (or video) message in ``chat_id`` with the
  step text as its caption (cut at 1024 UTF-16 code units, on a word or at least a character
  boundary); with ``album = true`` the engine hands a story's frames to
  :meth:`TelegramChannel.publish_album`, which sends 2-10 of them as one media group.
- A request carrying a poll becomes a native ``sendPoll`` (2-12 options, an optional
  description, ``close_date`` up to 2,628,000 s ahead); :meth:`TelegramChannel.close_poll`
  calls ``stopPoll`` and returns the final counts. A channel chat takes anonymous polls only:
  ``anonymous_polls = false`` needs ``chat_type = "group"`` (refused when the config loads).
- ``mode = "story"``: frames go out as stories of a connected Business account
  (``postStory`` with ``business_connection_id`` and an ``active_period``); bots cannot post
  stories to channels or groups.

Limits: Telegram allows about one message a second per chat and 20 a minute per group; the
adapter spaces its own calls per chat by ``min_interval`` and turns HTTP 429 into a
RetryableFailure carrying ``parameters.retry_after``. The Bot API has no idempotency key and
no way to list a channel's posts, so a lost answer stays ``unknown`` for a person to confirm.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import ValidationInfo, field_validator

from ..errors import ConfigError
from ..media import AAC_RATES_UP_TO_48K, MB, MediaLimits, VideoVariant
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
from .http import NetworkChannel, retry_after_of
from .inbound import BadSignature, Inbound, InboundPollCounts, InboundReply, WebhookRequest
from .registry import register_channel_type

if TYPE_CHECKING:
    from ..project import Project

log = logging.getLogger("storycast.channels.telegram")

# Bot API limits, in characters "after entities parsing"; Telegram counts them in UTF-16 code
# units (as it counts entity offsets), so an emoji outside the BMP counts two.
CAPTION_LIMIT = 1024
POLL_QUESTION_LIMIT = 300
POLL_OPTION_LIMIT = 100
POLL_DESCRIPTION_LIMIT = 1024  # sendPoll ``description`` (Bot API 10.0)
# sendPoll takes 1-12 options since Bot API 10.0 (12 since 9.1); a storycast poll has at least 2.
POLL_OPTIONS = (2, 12)
POLL_CLOSE = (5, 2_628_000)  # close_date: 5 s to ~30.4 days ahead (600 s before Bot API 9.6)
ALBUM = (2, 10)  # sendMediaGroup items
STORY_PERIODS = (6 * 3600, 12 * 3600, 86400, 2 * 86400)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token

_last_sent: dict[str, float] = {}
_pace_lock = threading.Lock()


def verify_telegram_secret(header: str | None, secret_token: str) -> None:
    """Check ``X-Telegram-Bot-Api-Secret-Token`` against the token given to setWebhook."""
    if not secret_token:
        return  # no secret configured: Telegram sends no header to compare
    if not hmac.compare_digest((header or "").encode("utf-8"), secret_token.encode("utf-8")):
        log.warning("rejected a Telegram update: %s secret token", "bad" if header else "missing")
        raise BadSignature(
            "the Telegram update's secret token does not match",
            hint="the request did not come from Telegram, or setWebhook used another secret_token",
        )


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (a character beyond the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


_JOINERS = frozenset("\u200c\u200d\u034f")  # ZWNJ, ZWJ, combining grapheme joiner
_THAI_LEADING = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")  # vowels written before their consonant


def _inside_cluster(text: str, i: int) -> bool:
    """Whether a cut before ``text[i]`` would split what a reader sees as one character."""
    ch, before = text[i], text[i - 1]
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")  # Thai vowel marks, Devanagari matras
        or ch in _JOINERS
        or "\ufe00" <= ch <= "\ufe0f"  # variation selectors
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin tones
        or before in _JOINERS
        or unicodedata.combining(before) == 9  # a virama joins the next consonant (Hindi conjuncts)
        or before in _THAI_LEADING
    )


def fit_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """``text`` within ``limit`` UTF-16 code units, cut with an ellipsis when longer.

    The cut falls on a space when one is in the second half, else between two user-perceived
    characters: never inside a Thai or Devanagari cluster, a conjunct or an emoji sequence.
    """
    if utf16_len(text) <= limit:
        return text
    budget, end = limit - 1, 0  # the ellipsis takes one unit
    for ch in text:
        budget -= 2 if ord(ch) > 0xFFFF else 1
        if budget < 0:
            break
        end += 1
    while 0 < end < len(text) and _inside_cluster(text, end):
        end -= 1
    cut = text[:end]
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


# Bot API ``InputStoryContentVideo`` (postStory; see docs/video.md): 720x1280, streamable, H.265, key
# frames every second, MPEG-4, at most 30 MB, 0-60 s. (python-telegram-bot's ``InputStoryContentLimit``
# says 720x1080; the Bot API text and TDLib say 720x1280, which is 9:16 like our frames, so we follow
# the Bot API.)
STORY_VIDEO = MediaLimits(
    name="telegram",
    codecs=("hevc",),
    encode_codec="hevc",
    width=720,
    height=1280,
    min_width=720,
    min_height=1280,
    max_width=720,
    exact_size=True,
    min_fps=1,
    max_fps=60,
    constant_fps=False,
    min_seconds=0,
    max_seconds=60,
    max_bytes=30 * MB,
    max_video_bitrate=None,
    audio_rates=AAC_RATES_UP_TO_48K,
    audio_channels=(1, 2),
    min_audio_bitrate=None,
    max_keyint_seconds=1.0,
)


class TelegramChannel(NetworkChannel):
    """Telegram channel/group posts, albums, native polls and business-account stories."""

    type_name = "telegram"
    description = "Telegram Bot API: photo/video posts, media-group albums, native polls, business stories."
    capabilities = Capabilities(
        images=True,
        video=True,
        stories=True,
        multi_frame=True,
        album=True,
        captions=True,
        polls_native=True,
    )
    default_api_base: ClassVar[str] = "https://api.telegram.org"
    default_concurrency: ClassVar[int | None] = 1
    default_rate_per_minute: ClassVar[float | None] = 20  # Telegram's per-group limit
    media_limits: ClassVar[MediaLimits | None] = STORY_VIDEO
    video_variant: ClassVar[VideoVariant | None] = VideoVariant(STORY_VIDEO, "story.telegram.mp4")

    class Options(NetworkChannel.Options):
        """[channels.NAME] keys of a telegram channel."""

        bot_token: SecretRef = ""  # secret reference
        chat_id: str = ""  # "@channelname" or a numeric id like "-1001234567890"
        mode: Literal["post", "story"] = "post"
        business_connection_id: str = ""  # for mode = "story"
        story_active_period: int = 86400
        min_interval: float = 1.0  # seconds between messages to one chat
        silent: bool = False  # disable_notification
        # A story's frames as media groups of up to 10 (sendMediaGroup), in order, one call each.
        album: bool = False
        # What chat_id is: "channel" or "group" (a group or supergroup). Telegram takes only
        # anonymous polls in a channel; `channels check` compares this with getChat.
        chat_type: Literal["channel", "group"] = "channel"
        anonymous_polls: bool = True
        # For `storycast serve`'s /hooks/telegram/NAME: a secret reference, given to setWebhook as
        # secret_token; Telegram sends it back in X-Telegram-Bot-Api-Secret-Token. Without it the
        # endpoint refuses every update (anyone could post one).
        webhook_secret: str = ""

        @field_validator("album")
        @classmethod
        def _album_is_for_posts(cls, v: bool, info: ValidationInfo) -> bool:
            if v and info.data.get("mode") == "story":
                raise ValueError(
                    'album = true needs mode = "post": Telegram stories go out one by one '
                    "(postStory has no albums); remove album, or post to a chat"
                )
            return v

        @field_validator("anonymous_polls")
        @classmethod
        def _channels_take_anonymous_polls(cls, v: bool, info: ValidationInfo) -> bool:
            if not v and info.data.get("mode", "post") == "post" and info.data.get("chat_type") == "channel":
                raise ValueError(
                    "a Telegram channel takes anonymous polls only (non-anonymous polls can't be sent "
                    'to channel chats): set anonymous_polls = true, or chat_type = "group" when '
                    "chat_id is a group"
                )
            return v

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        o = self.opts
        if o.mode == "post" and not o.chat_id:
            raise ConfigError(
                f"channel {self.name!r} needs chat_id",
                hint='set chat_id = "@yourchannel" (or the numeric id of the group)',
                file=self.project.config_path,
            )
        if o.mode == "story" and not o.business_connection_id:
            raise ConfigError(
                f"channel {self.name!r} posts stories and needs business_connection_id",
                hint="connect the bot to the Telegram Business account; "
                "the id arrives in a business_connection update",
                file=self.project.config_path,
            )
        if o.story_active_period not in STORY_PERIODS:
            raise ConfigError(
                f"channel {self.name!r}: story_active_period must be one of "
                + ", ".join(map(str, STORY_PERIODS)),
                hint=f"set story_active_period in [channels.{self.name}] to 21600 (6 h), 43200 (12 h), "
                "86400 (24 h) or 172800 (48 h), the only periods postStory accepts",
                file=self.project.config_path,
            )

    # -- plumbing -------------------------------------------------------------------------------

    def _url(self, method: str) -> str:
        token = self.secret(self.opts.bot_token, "bot_token").reveal()
        return f"{self.api_base}/bot{token}/{method}"

    def _pace(self) -> None:
        """Keep ``min_interval`` between messages to the same chat (across channels of this process)."""
        chat = self.opts.chat_id or self.opts.business_connection_id
        with _pace_lock:
            wait = _last_sent.get(chat, 0.0) + self.opts.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            _last_sent[chat] = time.monotonic()

    def call(self, method: str, *, mutating: bool, files: Any = None, **fields: Any) -> Any:
        """One Bot API call; returns ``result`` or raises the failure class for the error."""
        data = {
            k: (json.dumps(v) if isinstance(v, dict | list) else v)
            for k, v in fields.items()
            if v is not None
        }
        if mutating:
            self._pace()
        resp = self.http.request(
            "POST", self._url(method), mutating=mutating, data=data, files=files, what=method
        )
        body = self.http.json_of(resp)
        if isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        desc = self.redact((body or {}).get("description") or f"HTTP {resp.status_code}")
        code = int((body or {}).get("error_code") or resp.status_code)
        where = f"{self.name}: {method} failed: {desc}"
        if code == 429:
            raise RetryableFailure(
                where,
                retry_after=retry_after_of(resp, self.context.clock.wall()),
                hint="Telegram's flood control (about 1 message a second per chat, 20 a minute per group): "
                "storycast waits the retry_after Telegram gives and tries again; if it recurs, raise "
                f"min_interval or lower rate_per_minute in [channels.{self.name}]",
            )
        if code in (401, 403) or "not enough rights" in desc or "bot was kicked" in desc:
            raise NeedsAuth(
                where, hint="check the bot token and that the bot is an admin allowed to post here"
            )
        if (body or {}).get("parameters", {}).get("migrate_to_chat_id"):
            raise PermanentFailure(where, hint="the group became a supergroup: update chat_id to the new id")
        raise PermanentFailure(
            where,
            hint=f"Telegram's description says what it refused: fix that (chat_id in [channels.{self.name}], "
            f"the media or the text), then run `storycast channels check {self.name}`",
        )

    def _target(self) -> dict[str, Any]:
        return {"chat_id": self.opts.chat_id, "disable_notification": self.opts.silent or None}

    @staticmethod
    def _result(message: Any) -> PublishResult:
        mid = message.get("message_id") if isinstance(message, dict) else None
        chat = (message or {}).get("chat", {}) if isinstance(message, dict) else {}
        username = chat.get("username")
        url = f"https://t.me/{username}/{mid}" if username and mid else None
        return PublishResult(remote_id=str(mid) if mid is not None else None, url=url)

    # -- publish --------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        """Send one frame (photo/video with caption), one poll, or one business story."""
        if request.poll is not None:
            return self._poll(request)
        media = request.media
        if media is None or not media.path.is_file():
            raise PermanentFailure(
                f"{self.name}: the frame file is missing",
                hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
            )
        if self.opts.mode == "story":
            return self._story(request)
        method, field = ("sendVideo", "video") if media.kind == "video" else ("sendPhoto", "photo")
        with media.path.open("rb") as fh:
            msg = self.call(
                method,
                mutating=True,
                files={field: (media.path.name, fh)},
                caption=fit_caption(request.caption) or None,
                **self._target(),
            )
        result = self._result(msg)
        if utf16_len(request.caption) > CAPTION_LIMIT:
            result.detail["caption_cut"] = True
        return result

    def album_size(self) -> int:
        """10 frames per media group with ``album = true`` (posts only), else 1."""
        return ALBUM[1] if self.opts.album and self.opts.mode == "post" else 1

    def publish_album(self, requests: Sequence[PublishRequest]) -> list[PublishResult]:
        """2-10 frames as one media group, in order; each frame's step text is its caption."""
        if not ALBUM[0] <= len(requests) <= ALBUM[1]:
            raise PermanentFailure(
                f"{self.name}: a Telegram album holds 2 to 10 items, not {len(requests)}",
                hint="split the tutorial into albums of at most 10 frames",
            )
        media, files, handles = [], {}, []
        try:
            for i, req in enumerate(requests):
                if req.media is None or not req.media.path.is_file():
                    raise PermanentFailure(
                        f"{self.name}: frame {req.frame_index} has no media file",
                        hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                        "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
                    )
                name = f"frame{i}"
                fh = req.media.path.open("rb")
                handles.append(fh)
                files[name] = (req.media.path.name, fh)
                item = {
                    "type": "video" if req.media.kind == "video" else "photo",
                    "media": f"attach://{name}",
                }
                if req.caption:
                    item["caption"] = fit_caption(req.caption)
                media.append(item)
            messages = self.call("sendMediaGroup", mutating=True, files=files, media=media, **self._target())
        finally:
            for fh in handles:
                fh.close()
        if not isinstance(messages, list) or len(messages) != len(requests):
            raise AmbiguousOutcome(
                f"{self.name}: sendMediaGroup answered with an unexpected result",
                hint="the album may be live, and the Bot API cannot list a chat's posts: look in the chat, "
                "then settle the rows with `storycast reconcile --resolve ID=published|failed`",
            )
        return [self._result(m) for m in messages]

    def _poll(self, request: PublishRequest) -> PublishResult:
        poll = request.poll
        assert poll is not None
        if not POLL_OPTIONS[0] <= len(poll.options) <= POLL_OPTIONS[1]:
            raise PermanentFailure(
                f"{self.name}: a Telegram poll takes {POLL_OPTIONS[0]} to {POLL_OPTIONS[1]} options, "
                f"not {len(poll.options)}",
                hint=f"give the poll {POLL_OPTIONS[0]} to {POLL_OPTIONS[1]} options in the poll file, "
                "or split the question into two polls",
            )
        if not self.opts.anonymous_polls and self.opts.chat_type == "channel":  # the config refuses it too
            raise PermanentFailure(
                f"{self.name}: a Telegram channel takes anonymous polls only",
                hint=f'set anonymous_polls = true in [channels.{self.name}] (or chat_type = "group" '
                "when chat_id is a group)",
            )
        too_long = [o for o in poll.options if utf16_len(o) > POLL_OPTION_LIMIT]
        if utf16_len(poll.question) > POLL_QUESTION_LIMIT or too_long:
            raise PermanentFailure(
                f"{self.name}: poll text too long (question <= {POLL_QUESTION_LIMIT}, options <= "
                f"{POLL_OPTION_LIMIT} characters)",
                hint="shorten the question or options in the poll file",
            )
        fields: dict[str, Any] = {
            "question": poll.question,
            "options": [{"text": o} for o in poll.options],
            "is_anonymous": self.opts.anonymous_polls,
            "allows_multiple_answers": poll.allows_multiple,
        }
        if poll.description:
            fields["description"] = fit_caption(poll.description, POLL_DESCRIPTION_LIMIT)
        # close_date works 5 s to 2,628,000 s ahead; a poll closing later (or sooner) is closed
        # by close_poll() (stopPoll) once its time has come.
        if poll.closes_at is not None:
            ahead = (poll.closes_at - self.context.now()).total_seconds()
            if POLL_CLOSE[0] <= ahead <= POLL_CLOSE[1]:
                fields["close_date"] = int(poll.closes_at.timestamp())
        msg = self.call("sendPoll", mutating=True, **fields, **self._target())
        result = self._result(msg)
        if isinstance(msg, dict) and isinstance(msg.get("poll"), dict):
            result.detail["poll_id"] = msg["poll"].get("id")
        return result

    def close_poll(self, message_id: str) -> dict[str, int]:
        """Stop a poll (stopPoll) and return its final counts, option text -> votes."""
        poll = self.call("stopPoll", mutating=False, chat_id=self.opts.chat_id, message_id=message_id)
        return {o["text"]: int(o.get("voter_count", 0)) for o in (poll or {}).get("options", [])}

    def poll_results(self, remote_id: str) -> dict[str, int] | None:
        """A poll's final counts by option text. The Bot API reads them only by stopping the poll
        (stopPoll), so this ends the vote: storycast.engage asks once the poll has closed."""
        return self.close_poll(remote_id)

    # -- webhook updates ----------------------------------------------------------------------------

    webhook_secret_key: ClassVar[str | None] = "webhook_secret"
    webhook_shape_error: ClassVar[str] = "a field in the update has the wrong shape"

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, secret: str) -> None:
        """Check ``X-Telegram-Bot-Api-Secret-Token`` against the token given to setWebhook."""
        verify_telegram_secret(request.headers.get("x-telegram-bot-api-secret-token"), secret)

    @classmethod
    def parse_webhook(
        cls, payload: Mapping[str, Any], now: datetime, *, channel: str, project: Project
    ) -> Inbound:
        """One update: a poll's running counts, or a message replying to another message.

        A reply names its parent both as our post (``post_id``) and as a chat message
        (``parent_message_id``): when it answers no post of ours it is an agent answering the
        customer message it replies to. Messages that reply to nothing carry nothing.
        """
        poll = payload.get("poll")
        if isinstance(poll, Mapping):
            counts = {str(o.get("text", "")): int(o.get("voter_count", 0)) for o in poll.get("options", [])}
            question = str(poll.get("question", ""))
            return Inbound([InboundPollCounts(question, counts, poll_key=f"tg-poll-{poll.get('id', '')}")])
        msg = payload.get("message") or payload.get("channel_post") or {}
        if not msg.get("message_id"):
            return Inbound()
        chat = str((msg.get("chat") or {}).get("id", ""))
        mid = f"{chat}:{msg['message_id']}"
        at = datetime.fromtimestamp(int(msg.get("date", 0)), UTC)
        text = str(msg.get("text", ""))
        sender = str((msg.get("from") or {}).get("id", chat))
        parent = msg.get("reply_to_message") or {}
        if not parent:
            return Inbound()
        parent_id = parent.get("message_id")
        reply = InboundReply(
            mid,
            sender,
            at,
            text,
            "reply",
            post_id=str(parent_id),
            parent_message_id=f"{chat}:{parent_id}",
            orphan_ok=False,
        )
        return Inbound([reply])

    def _story(self, request: PublishRequest) -> PublishResult:
        media = request.media
        assert media is not None
        want = (1080, 1920) if media.kind == "image" else (720, 1280)
        if media.kind == "image" and (media.width, media.height) != want:
            raise PermanentFailure(
                f"{self.name}: Telegram story photos must be exactly 1080x1920, "
                f"not {media.width}x{media.height}",
                hint="postStory takes story photos only at exactly 1080x1920: render this story at that "
                "size (the frame template's width and height, or [render] width/height)",
            )
        kind = "video" if media.kind == "video" else "photo"
        with media.path.open("rb") as fh:
            story = self.call(
                "postStory",
                mutating=True,
                files={"frame": (media.path.name, fh)},
                business_connection_id=self.opts.business_connection_id,
                content={"type": kind, kind: "attach://frame"},
                active_period=self.opts.story_active_period,
                caption=fit_caption(request.caption, 2048) or None,
            )
        sid = (story or {}).get("id")
        return PublishResult(
            remote_id=str(sid) if sid is not None else None,
            expires_utc=self.context.now() + timedelta(seconds=self.opts.story_active_period),
            detail={"story": True},
        )

    # -- check ----------------------------------------------------------------------------------

    def check(self) -> list[CheckResult]:
        """Bot token, chat, the bot's rights there, the business connection in story mode, and
        whether the webhook endpoint accepts updates."""
        return [*self._check_bot(), self._check_webhook()]

    def _check_webhook(self) -> CheckResult:
        path = f"/hooks/telegram/{self.name}"
        if not self.opts.webhook_secret:
            return CheckResult(
                "webhook",
                True,
                f"no webhook_secret: {path} refuses every update (set one to receive replies)",
                "info",
            )
        try:
            value = self.secret(self.opts.webhook_secret, "webhook_secret").reveal()
        except NeedsAuth as exc:
            return CheckResult("webhook", False, exc.message)
        if not SECRET_TOKEN.fullmatch(value):
            return CheckResult(
                "webhook",
                False,
                "webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                "(Telegram refuses any other secret_token)",
            )
        return CheckResult("webhook", True, f"{path} accepts updates carrying the webhook_secret", "info")

    def _check_bot(self) -> list[CheckResult]:
        try:
            me = self.call("getMe", mutating=False)
        except (NeedsAuth, PermanentFailure, RetryableFailure, AmbiguousOutcome) as exc:
            return [CheckResult("token", False, exc.message)]
        out = [CheckResult("token", True, f"bot @{me.get('username')}")]
        if self.opts.mode == "story":
            try:
                conn = self.call(
                    "getBusinessConnection",
                    mutating=False,
                    business_connection_id=self.opts.business_connection_id,
                )
                can = bool(conn.get("is_enabled")) and bool(
                    (conn.get("rights") or {}).get("can_manage_stories")
                )
                out.append(
                    CheckResult("business", can, "can post stories" if can else "cannot manage stories")
                )
            except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
                out.append(CheckResult("business", False, exc.message))
            return out
        try:
            chat = self.call("getChat", mutating=False, chat_id=self.opts.chat_id)
            member = self.call(
                "getChatMember", mutating=False, chat_id=self.opts.chat_id, user_id=me.get("id")
            )
        except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
            out.append(CheckResult("chat", False, exc.message))
            return out
        status = member.get("status")
        kind = "channel" if chat.get("type") == "channel" else "group"
        if kind == "channel" and not self.opts.anonymous_polls:
            out.append(
                CheckResult(
                    "polls",
                    False,
                    f"{self.opts.chat_id} is a channel, which takes anonymous polls only: "
                    f'set anonymous_polls = true (chat_type = "group" does not fit it)',
                )
            )
        elif kind != self.opts.chat_type:
            out.append(
                CheckResult(
                    "chat_type",
                    False,
                    f'{self.opts.chat_id} is a {chat.get("type")}: set chat_type = "{kind}"',
                    "warning",
                )
            )
        can_post = status == "creator" or (
            status == "administrator" and (chat.get("type") != "channel" or member.get("can_post_messages"))
        )
        if chat.get("type") in ("group", "supergroup") and status == "member":
            can_post = True
        out.append(
            CheckResult(
                "chat",
                can_post,
                f"{chat.get('type')} {chat.get('title') or self.opts.chat_id}: bot is {status}"
                + ("" if can_post else " without the right to post"),
            )
        )
        return out


register_channel_type(TelegramChannel)
