"""Fake Telegram Bot API: /bot<token>/<method>.

Methods: sendPhoto, sendVideo, sendMediaGroup, sendPoll, stopPoll, postStory, getMe, getChat,
getChatMember, getBusinessConnection. Fault routes are the method names. A frame (media
bytes) sent twice to the same chat is a duplicate and recorded as a problem.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from typing import Any

from . import FakeServer, Reply, Request

BOT_ID = 7000001


def tg_error(code: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Reply(code, body)


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
        self._ids = itertools.count(100)

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
        if len(form.get("caption", "")) > 1024:
            return tg_error(400, "Bad Request: message caption is too long")
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
        media = json.loads(form["media"])
        if not 2 <= len(media) <= 10:
            return tg_error(400, "Bad Request: wrong number of media in the album")
        out = []
        for item in media:
            name = item["media"].removeprefix("attach://")
            self._once(form["chat_id"], files[name], "album")
            out.append(self._message(chat, caption=item.get("caption"), kind=item["type"], album=True))
        return Reply(200, {"ok": True, "result": out})

    def m_sendPoll(self, form: dict[str, str], files: dict[str, bytes]) -> Reply:
        chat = self._chat(form)
        if chat is None:
            return tg_error(400, "Bad Request: chat not found")
        options = [o["text"] if isinstance(o, dict) else o for o in json.loads(form["options"])]
        if not 2 <= len(options) <= 10:
            return tg_error(400, "Bad Request: poll must have 2-10 options")
        key = (form["chat_id"], "poll:" + form["question"])
        if key in self.sent:
            self.problem(f"duplicate poll {form['question']!r}")
        self.sent.add(key)
        poll = {
            "id": str(next(self._ids)),
            "question": form["question"],
            "options": [{"text": o, "voter_count": 0} for o in options],
            "is_closed": False,
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
        if content["type"] == "photo":
            from PIL import Image

            size = Image.open(io.BytesIO(data)).size
            if size != (1080, 1920):
                return tg_error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
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
