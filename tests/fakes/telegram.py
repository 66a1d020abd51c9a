"""Fake Telegram Bot API: /bot<token>/<method>.

Methods: sendPhoto, sendVideo, sendMediaGroup, sendPoll, stopPoll, postStory, getMe, getChat,
getChatMember, getBusinessConnection. Fault routes are the method names. A frame (media
bytes) sent twice to the same chat is a duplicate and recorded as a problem.

Written from the Bot API reference (https://core.telegram.org/bots/api, Bot API 10.0):

- Text limits are "characters after entities parsing", which Telegram counts in UTF-16 code
  units (as it counts MessageEntity offsets): captions 0-1024, poll questions 1-300, options
  1-100, poll descriptions 0-1024.
- ``sendMediaGroup``: ``media`` is a JSON array of 2-10 InputMediaPhoto/InputMediaVideo
  (``type``, ``media``, optional ``caption``); a file uploaded with the request is named
  ``attach://<file_attach_name>`` and sent as the multipart field of that name. Documents and
  audio cannot be mixed with photos and videos. Answers an array of the Messages sent, which
  share one ``media_group_id``. 1 or 11 items: 400.
- ``sendPoll``: ``options`` a JSON array of 1-12 InputPollOption (``text``; 12 since 9.1, at
  least 1 since 10.0); ``open_period`` 5-2628000 s or ``close_date`` 5-2628000 s in the future,
  not both (600 s before 9.6); ``description``; ``is_anonymous`` defaults to true, and a
  channel takes anonymous polls only (400 "non-anonymous polls can't be sent to channel chats").
- Flood control: 429 with ``parameters.retry_after`` (the ``"429"`` fault).

``clock`` is the server's time (a Unix timestamp source) for ``close_date``; tests that run
at ``--now`` set it to match.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from . import FakeServer, Reply, Request

BOT_ID = 7000001
POLL_PERIOD = (5, 2_628_000)


def utf16_len(text: str) -> int:
    """Length as the Bot API counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def tg_error(code: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Reply(code, body)


# Parameters the Bot API documents (python-telegram-bot 22.8 `_bot.py`); the file itself goes in
# the multipart body, not the form.
SEND_VIDEO_FIELDS = frozenset(
    {
        "chat_id", "business_connection_id", "message_thread_id", "direct_messages_topic_id",
        "duration", "width", "height", "thumbnail", "cover", "start_timestamp", "caption",
        "parse_mode", "caption_entities", "show_caption_above_media", "has_spoiler",
        "supports_streaming", "disable_notification", "protect_content", "allow_paid_broadcast",
        "message_effect_id", "suggested_post_parameters", "reply_parameters", "reply_markup",
    }
)  # fmt: skip
STORY_FIELDS = frozenset(
    {
        "business_connection_id", "content", "active_period", "caption", "parse_mode",
        "caption_entities", "areas", "post_to_chat_page", "protect_content",
    }
)  # fmt: skip


def _story_video_problem(data: bytes, content: dict[str, Any]) -> str | None:
    """Why postStory refuses a video (InputStoryContentVideo: 720x1280, H.265, <= 60 s, <= 30 MB)."""
    from .ffprobe import available, probe_bytes

    if len(data) > 30 * 1024 * 1024:
        return "STORY_VIDEO_TOO_BIG"
    if float(content.get("duration") or 0) > 60:
        return "STORY_VIDEO_DURATION_INVALID"
    if not available():  # without ffprobe the fake can only check the container
        return None if data[4:8] == b"ftyp" else "VIDEO_FILE_INVALID"
    info = probe_bytes(data)
    if not info:
        return "VIDEO_FILE_INVALID"
    if info.get("codec_name") != "hevc":
        return "STORY_VIDEO_CODEC_INVALID (H.265 required)"
    if (info.get("width"), info.get("height")) != (720, 1280):
        return "STORY_VIDEO_DIMENSIONS_INVALID (720x1280 required)"
    if float(info["format"].get("duration") or 0) > 60.05:
        return "STORY_VIDEO_DURATION_INVALID"
    return None


class FakeTelegram(FakeServer):
    def __init__(self, token: str = "123456:AAtesttoken") -> None:
        super().__init__()
        self.token = token
        self.chats: dict[str, dict[str, Any]] = {
            "@lumen": {"id": -1001, "type": "channel", "title": "Lumen", "username": "lumen"},
            "-2002": {"id": -2002, "type": "supergroup", "title": "Lumen users"},
        }
        self.member_status = "administrator"
        self.messages: list[dict[str, Any]] = []
        self.stories: list[dict[str, Any]] = []
        self.polls: dict[int, dict[str, Any]] = {}
        self.sent: set[tuple[str, str]] = set()
        self.uploads: list[dict[str, Any]] = []  # photos/videos received: method, type, data, form
        self.clock: Callable[[], float] = time.time
        self._ids = itertools.count(100)
        self._groups = itertools.count(13_000_000_000)

    def generic_fault(self, fault: Any) -> Reply | None:
        if fault == "429":
            return tg_error(429, "Too Many Requests: retry after 5", 5)
        return super().generic_fault(fault)

    def dispatch(self, req: Request) -> Reply:
        parts = req.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return tg_error(404, "Not Found")
        if parts[0][3:] != self.token:
            return tg_error(401, "Unauthorized")
        method = parts[1]
        fault = self.next_fault(method)
        pre = self.generic_fault(fault)
        if pre:
            return pre
        if isinstance(fault, Reply):
            return fault
        handler = getattr(self, "m_" + method, None)
        if handler is None:
            return tg_error(404, "Not Found: method not found")
        reply = handler(req.form(), req.files())
        return self.after_fault(fault, reply)

    def _chat(self, form: dict[str, str]) -> dict[str, Any] | None:
        return self.chats.get(form.get("chat_id", ""))

    def _once(self, chat: str, data: bytes, what: str) -> None:
        key = (chat, hashlib.sha256(data).hexdigest())
        if key in self.sent:
            self.problem(f"duplicate publish of the same media to {chat} ({what})")
        self.sent.add(key)

    def _message(self, chat: dict[str, Any], **extra: Any) -> dict[str, Any]:
        msg = {"message_id": next(self._ids), "chat": chat, **extra}
        self.messages.append(msg)
        return msg

    def _send(self, form: dict[str, str], files: dict[str, bytes], field: str) -> Reply:
        chat = self._chat(form)
        if chat is None:
            return tg_error(400, "Bad Request: chat not found")
        data = files.get(field)
        if not data:
            return tg_error(400, f"Bad Request: there is no {field} in the request")
        if utf16_len(form.get("caption", "")) > 1024:
            return tg_error(400, "Bad Request: message caption is too long")
        if field == "video":
            unknown = set(form) - SEND_VIDEO_FIELDS - {"video"}  # a small file shows up as a field
            if unknown:
                self.problem(f"sendVideo got parameters the Bot API does not have: {sorted(unknown)}")
            if data[4:8] != b"ftyp":  # "Telegram clients support MPEG4 videos"
                return tg_error(400, "Bad Request: wrong file type of the video")
        upload = {"method": f"send{field.title()}", "type": field, "data": data, "form": dict(form)}
        self.uploads.append(upload)
        self._once(form["chat_id"], data, field)
        return Reply(
            200, {"ok": True, "result": self._message(chat, caption=form.get("caption"), kind=field)}
        )

    def m_sendPhoto(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        return self._send(form, files, "photo")

    def m_sendVideo(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        return self._send(form, files, "video")

    def m_sendMediaGroup(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        chat = self._chat(form)
        if chat is None:
            return tg_error(400, "Bad Request: chat not found")
        try:
            media = json.loads(form.get("media", ""))
        except ValueError:
            return tg_error(400, "Bad Request: can't parse media JSON object")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            count = len(media) if isinstance(media, list) else 0
            return tg_error(400, f"Bad Request: a media group must have 2-10 items, not {count}")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if not kinds <= {"photo", "video"} and kinds & {"photo", "video"}:
            return tg_error(400, "Bad Request: documents and audio can't be mixed with photos and videos")
        uploads: list[tuple[dict[str, Any], bytes]] = []
        for i, item in enumerate(media):
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document", "audio"):
                return tg_error(400, f"Bad Request: can't parse InputMedia at position {i}")
            ref = str(item.get("media", ""))
            if not ref.startswith("attach://"):
                return tg_error(400, f"Bad Request: wrong file identifier/HTTP URL specified at {i}")
            data = files.get(ref.removeprefix("attach://"))
            if not data:
                return tg_error(400, f"Bad Request: file {ref} not found in the request")
            if utf16_len(item.get("caption") or "") > 1024:
                return tg_error(400, "Bad Request: message caption is too long")
            uploads.append((item, data))
        group = str(next(self._groups))
        out = []
        for item, data in uploads:  # all or nothing: checked first, then every item is sent
            self._once(form["chat_id"], data, "album")
            out.append(
                self._message(
                    chat, caption=item.get("caption"), kind=item["type"], album=True, media_group_id=group
                )
            )
        return Reply(200, {"ok": True, "result": out})

    def m_sendPoll(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        chat = self._chat(form)
        if chat is None:
            return tg_error(400, "Bad Request: chat not found")
        options = [o["text"] if isinstance(o, dict) else o for o in json.loads(form["options"])]
        if not 1 <= len(options) <= 12:
            return tg_error(400, "Bad Request: poll must have 1-12 options")
        if not 1 <= utf16_len(form.get("question", "")) <= 300:
            return tg_error(400, "Bad Request: poll question length must be 1-300")
        if any(not 1 <= utf16_len(o) <= 100 for o in options):
            return tg_error(400, "Bad Request: poll options length must be 1-100")
        if utf16_len(form.get("description", "")) > 1024:
            return tg_error(400, "Bad Request: poll description is too long")
        anonymous = form.get("is_anonymous", "true").lower() not in ("false", "0")
        if chat["type"] == "channel" and not anonymous:
            return tg_error(400, "Bad Request: non-anonymous polls can't be sent to channel chats")
        if "open_period" in form and "close_date" in form:
            return tg_error(400, "Bad Request: open_period and close_date can't be used together")
        if "open_period" in form and not POLL_PERIOD[0] <= int(form["open_period"]) <= POLL_PERIOD[1]:
            return tg_error(400, "Bad Request: wrong open_period specified")
        if "close_date" in form:
            ahead = int(form["close_date"]) - self.clock()
            if not POLL_PERIOD[0] <= ahead <= POLL_PERIOD[1]:
                return tg_error(400, "Bad Request: wrong close_date specified")
        key = (form["chat_id"], "poll:" + form["question"])
        if key in self.sent:
            self.problem(f"duplicate poll {form['question']!r}")
        self.sent.add(key)
        poll = {
            "id": str(next(self._ids)),
            "question": form["question"],
            "options": [{"text": o, "voter_count": 0} for o in options],
            "is_closed": False,
            "is_anonymous": anonymous,
            "description": form.get("description"),
            "close_date": int(form["close_date"]) if "close_date" in form else None,
        }
        msg = self._message(chat, poll=poll)
        self.polls[msg["message_id"]] = poll
        return Reply(200, {"ok": True, "result": msg})

    def m_stopPoll(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        poll = self.polls.get(int(form.get("message_id", "0")))
        if poll is None:
            return tg_error(400, "Bad Request: message with poll to stop not found")
        poll["is_closed"] = True
        return Reply(200, {"ok": True, "result": poll})

    def m_postStory(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        if form.get("business_connection_id") != "biz-1":
            return tg_error(400, "Bad Request: business connection not found")
        if int(form.get("active_period", "0")) not in (21600, 43200, 86400, 172800):
            return tg_error(400, "Bad Request: invalid active_period")
        content = json.loads(form["content"])
        name = content[content["type"]].removeprefix("attach://")
        data = files.get(name, b"")
        unknown = set(form) - STORY_FIELDS - {name}  # a small attached file shows up as a field
        if unknown:
            self.problem(f"postStory got parameters the Bot API does not have: {sorted(unknown)}")
        if content["type"] == "photo":
            from PIL import Image

            size = Image.open(io.BytesIO(data)).size
            if size != (1080, 1920):
                return tg_error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        elif content["type"] == "video":
            refused = _story_video_problem(data, content)
            if refused:
                return tg_error(400, f"Bad Request: {refused}")
        else:
            return tg_error(400, "Bad Request: unsupported story content type")
        upload = {"method": "postStory", "type": content["type"], "data": data, "form": dict(form)}
        self.uploads.append(upload)
        self._once("story", data, "story")
        story = {"id": next(self._ids), "chat": {"id": 42, "type": "private"}}
        self.stories.append(story)
        return Reply(200, {"ok": True, "result": story})

    def m_getMe(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        return Reply(200, {"ok": True, "result": {"id": BOT_ID, "is_bot": True, "username": "lumen_bot"}})

    def m_getChat(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        chat = self._chat(form)
        if chat is None:
            return tg_error(400, "Bad Request: chat not found")
        return Reply(200, {"ok": True, "result": chat})

    def m_getChatMember(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        member = {"status": self.member_status, "user": {"id": BOT_ID}, "can_post_messages": True}
        return Reply(200, {"ok": True, "result": member})

    def m_getBusinessConnection(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        if form.get("business_connection_id") != "biz-1":
            return tg_error(400, "Bad Request: business connection not found")
        conn = {"id": "biz-1", "is_enabled": True, "rights": {"can_manage_stories": True}}
        return Reply(200, {"ok": True, "result": conn})
