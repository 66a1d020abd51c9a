"""WhatsApp Cloud API ``messages`` deliveries: taps, replies, opt-outs and delivery statuses.

Read from ``entry[].changes[].value``:

- ``messages[]``: an interactive reply-button or list tap (``interactive.button_reply`` /
  ``list_reply``, sent inside the 24-hour window) or a template quick-reply tap (``type:
  "button"``, ``button.payload``) whose id is ``<poll id>:<0-based option>`` is a vote; a text
  replying to one of our messages (``context.id``) is a reply to that post; a text that is only
  an opt-out word (STOP, BAJA, ยกเลิก, ...) opts its sender out;
- ``statuses[]``: what became of a message we sent (``sent``, ``delivered``, ``read``, or
  ``failed`` with ``errors[].code``). The Cloud API accepts every message with a ``wamid`` and
  reports failures only here: 131047 (more than 24 hours since the customer last wrote),
  131049 (per-user marketing limit), 131026 (undeliverable), ...
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from ..inbound import DeliveryStatus, InboundItem, InboundReply, InboundVote
from .numbers import normalize_number

# Opt-out words by language: a message that is only one of these (any case, surrounding
# punctuation ignored) stops every message to its sender. English applies in every project:
# people write STOP whatever their language.
OPTOUT_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("stop", "unsubscribe", "stop all", "opt out", "opt-out"),
    "es": ("baja", "parar", "darse de baja", "detener"),
    "th": ("ยกเลิก", "หยุด", "ยกเลิกการรับข่าวสาร"),
    "hi": ("रोकें", "बंद", "बंद करें", "रुकें"),
    "sr": ("стоп", "stop", "одјава", "odjava"),
    "ar": ("إيقاف", "ايقاف", "توقف", "الغاء الاشتراك", "إلغاء الاشتراك"),
}
_EDGE = " \t\r\n.!¡?¿,;:。!\"'«»“”()[]"


def optout_words(languages: Iterable[str], extra: Iterable[str] = ()) -> frozenset[str]:
    """The opt-out words of ``languages`` (base language of ``pt-BR`` is ``pt``), English and ``extra``."""
    words: set[str] = set(OPTOUT_WORDS["en"])
    for lang in languages:
        words.update(OPTOUT_WORDS.get(lang.split("-")[0].lower(), ()))
    words.update(extra)
    return frozenset(fold(w) for w in words if fold(w))


def fold(text: str) -> str:
    """One form to compare a typed word in: NFKC, case-folded, single spaces, no edge punctuation."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().strip(_EDGE).split())


def _values(payload: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Each ``entry[].changes[].value``; a body of another shape is malformed (TypeError)."""
    entries = payload.get("entry") if isinstance(payload, Mapping) else None
    if not isinstance(entries, list):
        raise TypeError("the body has no entry list")
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            raise TypeError("an entry has no changes list")
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                yield value


def _vote(tap_id: str, sender: str, at: datetime) -> InboundVote | None:
    poll_id, _, index = tap_id.rpartition(":")
    return InboundVote(poll_id, int(index) + 1, sender, at) if poll_id and index.isdigit() else None


def parse_messages(payload: Mapping[str, Any]) -> list[InboundItem]:
    """Votes, replies and statuses of one delivery (opt-outs: :func:`optouts`)."""
    out: list[InboundItem] = []
    for value in _values(payload):
        for msg in value.get("messages", []) or []:
            sender = str(msg.get("from", ""))
            at = datetime.fromtimestamp(int(msg.get("timestamp", 0)), UTC)
            interactive = msg.get("interactive") or {}
            tap = interactive.get("button_reply") or interactive.get("list_reply")
            if tap:
                vote = _vote(str(tap.get("id", "")), sender, at)
                out.extend([vote] if vote else [])
                continue
            button = msg.get("button") if msg.get("type") == "button" else None
            if isinstance(button, dict):
                # A template quick-reply tap: the payload we gave the button names the option.
                vote = _vote(str(button.get("payload") or ""), sender, at)
                if vote:
                    out.append(vote)
                    continue
            parent = str((msg.get("context") or {}).get("id", ""))
            if not parent or not msg.get("id"):
                continue
            if isinstance(button, dict):
                text = str(button.get("text") or "")
            else:
                text = str((msg.get("text") or {}).get("body", ""))
            out.append(
                InboundReply(str(msg["id"]), sender, at, text, "reply", post_id=parent, orphan_ok=False)
            )
        out.extend(statuses(value))
    return out


def _error(st: Mapping[str, Any]) -> tuple[int | None, str]:
    errors = st.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    try:
        code = int(first["code"]) if "code" in first else None
    except (TypeError, ValueError):
        code = None
    return code, str(first.get("title") or first.get("message") or "")[:300]


def statuses(value: Any) -> list[DeliveryStatus]:
    """``value.statuses[]`` as facts: message id, status, time, recipient and the first error.

    A malformed status is skipped rather than refusing the whole delivery."""
    out: list[DeliveryStatus] = []
    items = value.get("statuses") if isinstance(value, dict) else None
    for st in items if isinstance(items, list) else []:
        if not isinstance(st, dict) or not st.get("id"):
            continue
        try:
            at = datetime.fromtimestamp(int(st.get("timestamp", 0)), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
        code, title = _error(st)
        recipient = normalize_number(str(st.get("recipient_id") or "")) if st.get("recipient_id") else ""
        out.append(
            DeliveryStatus(
                str(st["id"]),
                str(st.get("status", "")),
                at,
                recipient=recipient,
                error_code=code,
                error=title,
            )
        )
    return out


def optouts(
    payload: Mapping[str, Any], words: frozenset[str]
) -> dict[str | None, dict[str, tuple[datetime, str]]]:
    """Senders whose message is only an opt-out word (text, or a quick-reply button's text), by
    receiving phone number id: ``{pnid: {+number: (time, word)}}``."""
    out: dict[str | None, dict[str, tuple[datetime, str]]] = {}
    for value in _values(payload):
        pnid = (value.get("metadata") or {}).get("phone_number_id")
        for msg in value.get("messages", []) or []:
            if not isinstance(msg, dict):
                continue
            if msg.get("type") == "button":
                said = str((msg.get("button") or {}).get("text") or "")
            else:
                said = str((msg.get("text") or {}).get("body") or "")
            word = fold(said)
            if not word or word not in words:
                continue
            try:
                at = datetime.fromtimestamp(int(msg["timestamp"]), UTC)
            except (KeyError, TypeError, ValueError, OverflowError, OSError):
                continue
            number = normalize_number(str(msg.get("from") or ""))
            out.setdefault(str(pnid) if pnid else None, {})[number] = (at, said.strip()[:40])
    return out
