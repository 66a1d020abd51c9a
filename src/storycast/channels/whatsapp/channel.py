"""WhatsApp Cloud API: announcements and polls to an opt-in subscriber list.

WhatsApp Status (and Channels) have no official publishing API, so a story meant for Status
goes to the ``handoff`` channel type. This channel sends *messages* instead:

- each subscriber (E.164 numbers from ``subscribers_file``, one a line, or ``subscribers``)
  gets the frame as an image with the step text; inside the 24-hour customer-service window
  (last inbound message, from ``window_file``) that is a plain image message, outside it the
  approved ``template`` (header image + body parameter) is used, as WhatsApp requires;
- a poll becomes interactive reply buttons (up to 3 options, titles <= 20 characters) or a list
  (up to 10) inside the window, and the approved ``poll_template`` outside it.

One ledger row fans out to every subscriber. Each number's outcome is journalled, so a retry
resumes with the numbers still owed and never messages anyone twice; a number whose send was
ambiguous is not retried. The API answers a send with 200 and a ``wamid`` (accepted, not
delivered); only 130429 (throughput: the rest of the list is deferred) and 131056 (pair rate
limit: that number is deferred) come back at once.

The rest comes back through the webhook ``storycast serve`` receives (``parse_webhook``):

- inbound messages open the senders' 24-hour windows (:func:`learn_windows` writes
  ``{+number: newest inbound time}`` into the ``window_file`` of every whatsapp channel of the
  receiving phone number); a message that is only an opt-out word (STOP, BAJA, ยกเลิก, ...)
  puts its sender in ``optout_file``, and nobody there is messaged again;
- ``statuses`` say what became of each message (:mod:`.inbound`); the ledger keeps them per
  subscriber. A free-form message that failed with 131047 (the window had closed) is owed
  again as the approved template: the webhook journals it, and the next tick
  (:meth:`WhatsAppChannel.follow_up`) sends it, once. 131049 (per-user marketing limit) is
  recorded as deferred: that subscriber is not retried for that row (Meta asks for 24 hours;
  the next day's post reaches them); 131026 is recorded as undeliverable.

Numbers are compared in one form everywhere (:func:`normalize_number`: ``+`` and digits).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ...errors import ConfigError
from ...files import replace_atomically
from ...secrets import SecretRef
from ..base import (
    AmbiguousOutcome,
    Capabilities,
    CheckResult,
    NeedsAuth,
    PermanentFailure,
    PublishRequest,
    PublishResult,
    RetryableFailure,
)
from ..http import NetworkChannel
from ..meta import MetaWebhooks, graph_error, raise_for_graph
from ..registry import register_channel_type
from .loop import SendJournal, follow_statuses, journal_path, learn_optouts, read_optouts
from .numbers import (
    _FORMATTING,
    E164,
    OPTOUT_FILE,
    PAIR_RATE,
    THROUGHPUT,
    normalize_number,
)

if TYPE_CHECKING:
    from ...project import Project
    from ..inbound import Inbound

log = logging.getLogger("storycast.channels.whatsapp")

WINDOW = timedelta(hours=24)
WINDOW_FILE = ".storycast/whatsapp-window.json"
WINDOW_KEEP = timedelta(days=7)  # older window entries are dropped when the file is written
# The interactive list's button and section title, in the subscriber's language (<= 20 / 24 chars).
LIST_LABELS = {
    "en": ("Vote", "Options"),
    "es": ("Votar", "Opciones"),
    "th": ("โหวต", "ตัวเลือก"),
    "hi": ("वोट करें", "विकल्प"),
    "sr": ("Гласај", "Опције"),
    "ar": ("صوّت", "الخيارات"),
}


class WhatsAppChannel(MetaWebhooks, NetworkChannel):
    """WhatsApp Cloud API messages to opt-in subscribers (templates or interactive messages)."""

    type_name = "whatsapp"
    description = (
        "WhatsApp Cloud API: announcements and reply-button polls to an opt-in list (no Status API)."
    )
    capabilities = Capabilities(images=True, video=False, stories=False, multi_frame=True, captions=True)
    default_api_base: ClassVar[str] = "https://graph.facebook.com"
    default_concurrency: ClassVar[int | None] = 1

    class Options(NetworkChannel.Options):
        """[channels.NAME] keys of a whatsapp channel."""

        phone_number_id: str = ""
        waba_id: str = ""  # WhatsApp Business Account id, for template checks
        access_token: SecretRef = ""  # secret reference (a system-user token)
        api_version: str = "v25.0"
        subscribers_file: str = ""  # one +E.164 number a line; '#' comments
        subscribers: list[str] = []
        window_file: str = WINDOW_FILE  # {number: last inbound ISO time}
        optout_file: str = OPTOUT_FILE  # {number: {at, word}}: opted out, never messaged again
        optout_words: list[str] = []  # opt-out words beyond the built-in ones of each language
        app_secret: SecretRef = ""  # secret reference: checks the webhook's X-Hub-Signature-256
        verify_token: SecretRef = ""  # secret reference: answers Meta's webhook subscription handshake
        mode: Literal["auto", "template", "interactive"] = "auto"
        template: str = ""  # approved template: image header + one body parameter
        poll_template: str = ""  # approved template with quick-reply buttons
        template_languages: dict[str, str] = {}  # storycast language -> template language code
        only_first_frame: bool = True  # one message per tutorial, not one per frame
        messages_per_second: float = 20.0
        defer_seconds: float = 3600.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if not self.opts.phone_number_id:
            raise ConfigError(
                f"channel {self.name!r} needs phone_number_id",
                hint="the Phone number ID shown in WhatsApp Manager > API setup",
                file=self.project.config_path,
            )
        self.journal = SendJournal(journal_path(self.project, self.name))

    # -- inputs ---------------------------------------------------------------------------------

    def subscribers_list(self) -> list[str]:
        """The opt-in numbers, validated as E.164."""
        numbers = list(self.opts.subscribers)
        if self.opts.subscribers_file:
            path = self.project.resolve_path(self.opts.subscribers_file)
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                raise PermanentFailure(
                    f"{self.name}: cannot read the subscriber list {path}",
                    hint="subscribers_file names a file with one +E.164 number a line",
                ) from None
            numbers += [ln.split("#", 1)[0].strip() for ln in lines]
        # Formatting goes, the '+' stays required: a bare local number must not pass as E.164.
        numbers = [_FORMATTING.sub("", n) for n in numbers if n.strip()]
        bad = [n for n in numbers if not E164.match(n)]
        if bad:
            raise PermanentFailure(
                f"{self.name}: {len(bad)} subscriber number(s) are not in +E.164 form (first: {bad[0][:4]}…)",
                hint="write numbers like +34600111222",
            )
        return list(dict.fromkeys(numbers))

    def optouts(self) -> dict[str, dict[str, str]]:
        """The numbers that opted out (``{+number: {"at": ISO time, "word": what they wrote}}``)."""
        return read_optouts(self.project.resolve_path(self.opts.optout_file))

    def _windows(self) -> dict[str, datetime]:
        return read_windows(self.project.resolve_path(self.opts.window_file))

    def _in_window(self, number: str, windows: dict[str, datetime]) -> bool:
        last = windows.get(normalize_number(number))
        return last is not None and self.context.now() - last < WINDOW

    # -- plumbing -------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.api_base}/{self.opts.api_version}/{path.lstrip('/')}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret(self.opts.access_token, 'access_token').reveal()}"}

    def _upload(self, request: PublishRequest) -> str:
        media = request.media
        assert media is not None
        with media.path.open("rb") as fh:
            resp = self.http.request(
                "POST",
                self._url(f"{self.opts.phone_number_id}/media"),
                mutating=False,  # an unused upload is harmless
                headers=self._auth(),
                data={"messaging_product": "whatsapp", "type": "image/jpeg"},
                files={"file": (media.path.name, fh, "image/jpeg")},
                what="upload the image",
            )
        raise_for_graph(resp, self.name, "upload the image", self.redact, now=self.context.clock.wall())
        return str(self.http.json_of(resp)["id"])

    def _lang(self, request: PublishRequest) -> str:
        return self.opts.template_languages.get(request.lang, request.lang)

    def _message(
        self, request: PublishRequest, number: str, media_id: str | None, windowed: bool
    ) -> dict[str, Any]:
        """The message body for one subscriber."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": number}
        poll = request.poll
        if poll is not None:
            if windowed and len(poll.options) <= 3 and all(len(o) <= 20 for o in poll.options):
                body["type"] = "interactive"
                body["interactive"] = {
                    "type": "button",
                    "body": {"text": poll.question[:1024]},
                    "action": {
                        "buttons": [
                            {
                                "type": "reply",
                                "reply": {"id": f"{poll.poll_id or request.ref}:{i}", "title": o},
                            }
                            for i, o in enumerate(poll.options)
                        ]
                    },
                }
            elif windowed and len(poll.options) <= 10 and all(len(o) <= 24 for o in poll.options):
                button, section = LIST_LABELS.get(request.lang.split("-")[0], LIST_LABELS["en"])
                body["type"] = "interactive"
                body["interactive"] = {
                    "type": "list",
                    "body": {"text": poll.question[:4096]},
                    "action": {
                        "button": button,
                        "sections": [
                            {
                                "title": section,
                                "rows": [
                                    {"id": f"{poll.poll_id or request.ref}:{i}", "title": o}
                                    for i, o in enumerate(poll.options)
                                ],
                            }
                        ],
                    },
                }
            else:
                body["type"] = "template"
                # Each quick-reply button carries "<poll id>:<option>" as its payload, which the
                # tap's webhook (type "button") hands back: the template needs one button per option.
                buttons = [
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": str(i),
                        "parameters": [{"type": "payload", "payload": f"{poll.poll_id or request.ref}:{i}"}],
                    }
                    for i in range(min(len(poll.options), 10))
                ]
                body["template"] = {
                    "name": self.opts.poll_template,
                    "language": {"code": self._lang(request)},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": poll.question}]},
                        *buttons,
                    ],
                }
            return body
        if windowed:
            body["type"] = "image"
            body["image"] = {"id": media_id, "caption": request.caption[:1024]}
            return body
        body["type"] = "template"
        components: list[dict[str, Any]] = [
            {"type": "header", "parameters": [{"type": "image", "image": {"id": media_id}}]},
        ]
        if request.caption:
            components.append(
                {"type": "body", "parameters": [{"type": "text", "text": request.caption[:1024]}]}
            )
        body["template"] = {
            "name": self.opts.template,
            "language": {"code": self._lang(request)},
            "components": components,
        }
        return body

    def _send(self, body: dict[str, Any]) -> tuple[str | None, int, str]:
        """Send one message: (wamid, error code, error text); raises for whole-channel problems."""
        resp = self.http.request(
            "POST",
            self._url(f"{self.opts.phone_number_id}/messages"),
            mutating=True,
            headers=self._auth(),
            json_body=body,
            what=f"send a {body['type']} message",
        )
        if resp.ok:
            msgs = self.http.json_of(resp).get("messages") or [{}]
            return msgs[0].get("id"), 0, ""
        err = graph_error(resp)
        code = int(err.get("code") or 0)
        if code in (THROUGHPUT, PAIR_RATE):
            return None, code, self.redact(err.get("message") or "")
        raise_for_graph(
            resp, self.name, f"send a {body['type']} message", self.redact, now=self.context.clock.wall()
        )
        return None, code, ""  # pragma: no cover - raise_for_graph raised

    # -- publish --------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        """Message every subscriber still owed this frame or poll."""
        if request.poll is None and self.opts.only_first_frame and request.frame_index > 1:
            return PublishResult(remote_id=None, detail={"skipped": "only the first frame is messaged"})
        if request.poll is None and (request.media is None or not request.media.path.is_file()):
            raise PermanentFailure(
                f"{self.name}: the frame file is missing",
                hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
            )
        listed = self.subscribers_list()
        if not listed:
            raise PermanentFailure(f"{self.name}: the subscriber list is empty", hint="add opted-in numbers")
        stopped = self.optouts()
        numbers = [n for n in listed if n not in stopped]
        if not numbers:
            raise PermanentFailure(
                f"{self.name}: every subscriber has opted out ({len(listed)} in {self.opts.optout_file})",
                hint="nobody on the list wants these messages any more; a number is messaged again only "
                f"after it is removed from {self.opts.optout_file} (when its owner asks to come back)",
            )
        key = request.idempotency_key
        entry = self.journal.get(key) or {}
        done: dict[str, str] = dict(entry.get("sent") or {})
        unknown: list[str] = list(entry.get("unknown") or [])
        skipped: dict[str, str] = dict(entry.get("skipped") or {})
        owed = [n for n in numbers if n not in done and n not in unknown and n not in skipped]
        media_id = entry.get("media_id")
        if owed and request.poll is None and not media_id:
            media_id = self._upload(request)
            self.journal.update(key, self.context.now(), media_id=media_id)
        has_template = bool(self.opts.poll_template if request.poll else self.opts.template)
        if owed and has_template and "fallback" not in entry:
            # What a free-form message becomes when its status comes back 131047 (window closed).
            fallback = self._message(request, "", media_id, False)
            fallback.pop("to")
            self.journal.update(key, self.context.now(), fallback=fallback)
        freeform: list[str] = list(entry.get("freeform") or [])
        windows = self._windows()
        deferred: dict[str, str] = {}
        throttled = False
        gap = 1.0 / self.opts.messages_per_second if self.opts.messages_per_second > 0 else 0
        for i, number in enumerate(owed):
            if throttled:
                deferred[number] = "throughput limit"
                continue
            windowed = self.opts.mode == "interactive" or (
                self.opts.mode == "auto" and self._in_window(number, windows)
            )
            if not windowed and not has_template:
                skipped[number] = "outside the 24 h window and no approved template configured"
                continue
            body = self._message(request, number, media_id, windowed)
            if body["type"] != "template" and number not in freeform:
                freeform.append(number)
            # Journalled before the call: its status may reach the webhook before the answer
            # reaches us, and the webhook asks Meta to deliver it again while a number is in flight.
            self.journal.update(key, self.context.now(), freeform=freeform, inflight=number)
            try:
                wamid, code, _ = self._send(body)
            except AmbiguousOutcome:
                unknown.append(number)
                self.journal.update(key, self.context.now(), unknown=unknown, inflight="")
                continue
            if wamid:
                done[number] = wamid
            elif code == THROUGHPUT:
                throttled = True
                deferred[number] = "throughput limit"
            else:
                deferred[number] = "too many messages to this number"
            self.journal.update(key, self.context.now(), sent=done, inflight="")
            if gap and i + 1 < len(owed):
                self.sleep(gap)
        summary = (
            f"{len(done)} accepted, {len(deferred)} deferred, {len(skipped)} skipped, {len(unknown)} unknown"
        )
        if deferred:
            raise RetryableFailure(
                f"{self.name}: {summary} (of {len(numbers)}); the rest go out on the next attempt",
                retry_after=60 if throttled else self.opts.defer_seconds,
                hint="numbers already messaged are journalled, so the next attempt messages only the rest; "
                f"if Meta's limits keep deferring numbers, raise defer_seconds in [channels.{self.name}]",
            )
        if unknown and not done:
            raise AmbiguousOutcome(
                f"{self.name}: no answer for any subscriber ({summary})",
                hint="these numbers are not messaged again automatically: check the delivery statuses "
                "(the webhook `storycast serve` receives, or WhatsApp Manager), then settle the row with "
                "`storycast reconcile --resolve ID=published|failed`",
            )
        if not done and not unknown:
            raise PermanentFailure(
                f"{self.name}: no subscriber could be messaged ({summary})",
                hint="outside the 24-hour customer-service window WhatsApp delivers only approved "
                f"templates: set template (and poll_template) in [channels.{self.name}], check their "
                f"approval with `storycast channels check {self.name}`, and keep only opted-in numbers",
            )
        first = next(iter(done.values()), None)
        return PublishResult(
            remote_id=first,
            # Accepted is not delivered: the statuses webhook says which arrived (storycast status).
            detail={
                "accepted": len(done),
                "skipped": len(skipped),
                "unknown": len(unknown),
                "opted_out": len(listed) - len(numbers),
                "summary": summary,
            },
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Published when the journal shows at least one subscriber received it."""
        entry = self.journal.get(request.idempotency_key) or {}
        sent = entry.get("sent") or {}
        return PublishResult(remote_id=next(iter(sent.values()))) if sent else None

    # -- after the tick: templates owed to numbers whose window had closed -------------------

    def follow_up(self, now: datetime) -> int:
        """Send the approved template to each number whose free-form message failed with 131047.

        The webhook journals those numbers (``resend``); each is moved to ``resending`` under the
        journal's lock before its one call, so two ticks never both send it, and a call whose
        answer is lost is not repeated (``resend_unknown``). Opted-out numbers are dropped.
        Returns the templates sent.
        """
        stopped = self.optouts()
        sent = 0
        for key, entry in self.journal.entries().items():
            if not entry.get("resend") or not entry.get("fallback"):
                continue
            for number in self.journal.claim_resends(key, now, skip=stopped):
                body = {**entry["fallback"], "to": number}
                try:
                    wamid, code, text = self._send(body)
                except AmbiguousOutcome:
                    self.journal.settle_resend(key, now, number, unknown=True)
                    continue
                except (RetryableFailure, NeedsAuth, PermanentFailure) as exc:
                    # Nothing was sent: the number stays owed for the next tick.
                    self.journal.settle_resend(key, now, number, again=True)
                    log.warning("%s: the template for %s waits: %s", self.name, number[:4] + "…", exc.message)
                    return sent
                if wamid:
                    self.journal.settle_resend(key, now, number, wamid=wamid)
                    sent += 1
                else:  # 130429 / 131056: the number waits for the next tick
                    self.journal.settle_resend(key, now, number, again=True)
                    log.info("%s: template to %s deferred (%s %s)", self.name, number[:4] + "…", code, text)
                    if code == THROUGHPUT:
                        return sent
        return sent

    # -- check ----------------------------------------------------------------------------------

    def check(self) -> list[CheckResult]:
        """Token and number, subscriber list, templates."""
        out: list[CheckResult] = []
        try:
            resp = self.http.request(
                "GET",
                self._url(self.opts.phone_number_id),
                mutating=False,
                headers=self._auth(),
                params={"fields": "display_phone_number,verified_name,quality_rating,messaging_limit_tier"},
                what="read the phone number",
            )
            raise_for_graph(
                resp, self.name, "read the phone number", self.redact, now=self.context.clock.wall()
            )
            info = self.http.json_of(resp)
            out.append(
                CheckResult(
                    "number",
                    True,
                    f"{info.get('verified_name')} ({info.get('display_phone_number')}), "
                    f"quality {info.get('quality_rating', '?')}, "
                    f"tier {info.get('messaging_limit_tier', '?')}",
                )
            )
        except (NeedsAuth, PermanentFailure, RetryableFailure, AmbiguousOutcome) as exc:
            return [CheckResult("token", False, exc.message)]
        try:
            n = len(self.subscribers_list())
            out.append(CheckResult("subscribers", n > 0, f"{n} opted-in number(s)"))
        except PermanentFailure as exc:
            out.append(CheckResult("subscribers", False, exc.message))
        out.append(self._check_window())
        out.append(self._check_optouts())
        for label, name in (("template", self.opts.template), ("poll_template", self.opts.poll_template)):
            if not name:
                out.append(
                    CheckResult(
                        label, False, "not set: only numbers inside the 24 h window get it", "warning"
                    )
                )
                continue
            if not self.opts.waba_id:
                out.append(CheckResult(label, True, f"{name} (set waba_id to verify its approval)", "info"))
                continue
            try:
                resp = self.http.request(
                    "GET",
                    self._url(f"{self.opts.waba_id}/message_templates"),
                    mutating=False,
                    headers=self._auth(),
                    params={"name": name, "fields": "name,status,category,language"},
                    what="read templates",
                )
                raise_for_graph(resp, self.name, "read templates", self.redact, now=self.context.clock.wall())
                rows = self.http.json_of(resp).get("data") or []
                approved = [r for r in rows if r.get("status") == "APPROVED"]
                out.append(
                    CheckResult(
                        label,
                        bool(approved),
                        f"{name}: "
                        + (
                            ", ".join(f"{r.get('language')} {r.get('category')}" for r in approved)
                            or "not approved"
                        ),
                    )
                )
            except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
                out.append(CheckResult(label, False, exc.message))
        return out

    # -- webhook deliveries -----------------------------------------------------------------------

    webhook_what: ClassVar[str] = "WhatsApp webhook"
    webhook_shape_error: ClassVar[str] = "a message in the body is malformed"

    @classmethod
    def parse_webhook(
        cls, payload: Mapping[str, Any], now: datetime, *, channel: str, project: Project
    ) -> Inbound:
        """Open the senders' 24-hour windows (every matching channel's window file), then read the
        taps, replies and statuses. A busy window file asks Meta to deliver again (it retries)."""
        from filelock import Timeout

        from ..inbound import DeliveryStatus, Inbound
        from .inbound import parse_messages

        try:
            windows = learn_windows(project, payload, now)
            stopped = learn_optouts(project, payload, now)
            items = parse_messages(payload)
            statuses = [i for i in items if isinstance(i, DeliveryStatus)]
            resends = 0
            if statuses:
                items = [i for i in items if not isinstance(i, DeliveryStatus)]
                followed, resends = follow_statuses(project, channel, statuses, now)
                items += followed
        except Timeout:
            raise RetryableFailure(
                "a window, opt-out or journal file is busy",
                hint="another storycast process is writing it; the delivery is refused so Meta sends it "
                "again (Meta retries failed deliveries for up to 36 hours)",
            ) from None
        # The windows are recorded before the messages are read: a malformed message loses no window.
        return Inbound(items, counters={"windows": windows, "optouts": stopped, "resends_owed": resends})

    def _check_optouts(self) -> CheckResult:
        """How many numbers opted out, and the languages whose opt-out words storycast knows."""
        from .inbound import OPTOUT_WORDS

        langs = self.project.config.project.languages
        unknown = [lang for lang in langs if lang.split("-")[0] not in OPTOUT_WORDS]
        n = len(self.optouts())
        text = f"{n} number(s) opted out (not messaged)"
        if unknown and not self.opts.optout_words:
            return CheckResult(
                "optout",
                True,
                f"{text}; no built-in opt-out words for {', '.join(unknown)}: add them with optout_words",
                "warning",
            )
        return CheckResult("optout", True, text, "info")

    def _check_window(self) -> CheckResult:
        """Whether the webhook feeds the window file, and that no other number shares it."""
        path = self.project.resolve_path(self.opts.window_file)
        for name, section in self.project.config.channels.items():
            extra = section.model_extra or {}
            if (
                name != self.name
                and section.type == self.type_name
                and self.project.resolve_path(str(extra.get("window_file", WINDOW_FILE))) == path
                and str(extra.get("phone_number_id", "")) != self.opts.phone_number_id
            ):
                return CheckResult(
                    "window",
                    False,
                    f"window_file is shared with channel {name!r} on another number: "
                    "give each number its own window_file",
                )
        if not self.opts.app_secret:
            return CheckResult(
                "window",
                True,
                "no app_secret: the 24 h window is not learned, so everyone gets the template "
                "(see docs/channels/whatsapp.md)",
                "info",
            )
        now = self.context.now()
        windows = read_windows(path)
        open_now = sum(1 for at in windows.values() if now - at < WINDOW)
        return CheckResult("window", True, f"{open_now} number(s) inside the 24 h window", "info")


# -- the 24-hour window, learned from the webhook ------------------------------------------------


def read_windows(path: Path) -> dict[str, datetime]:
    """``{+number: last inbound time}`` from a window file ({} when missing or unreadable)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, datetime] = {}
    for number, iso in raw.items() if isinstance(raw, dict) else []:
        try:
            at = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
        except ValueError:
            continue
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        key = normalize_number(number)
        if key not in out or at > out[key]:
            out[key] = at
    return out


def record_windows(path: Path, seen: Mapping[str, datetime], now: datetime) -> int:
    """Merge inbound times into the window file; returns how many numbers it now holds.

    Keeps the newest time per number, drops entries older than :data:`WINDOW_KEEP`, and writes
    through a temp file and ``os.replace`` under a file lock, so concurrent deliveries (threads or
    ``uvicorn --workers``) never lose each other's updates and a reader never sees half a file.
    """
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=30):
        data = read_windows(path)
        for number, at in seen.items():
            key = normalize_number(number)
            if key not in data or at > data[key]:
                data[key] = at
        cutoff = now - WINDOW_KEEP
        kept = {n: at.astimezone(UTC).isoformat() for n, at in sorted(data.items()) if at >= cutoff}
        replace_atomically(path, json.dumps(kept, indent=1).encode("utf-8"), suffix=".json")
    return len(kept)


def inbound_times(payload: Any, now: datetime) -> dict[str | None, dict[str, datetime]]:
    """Newest inbound message time per sender, grouped by the receiving phone number id.

    Reads ``entry[].changes[].value.messages[]`` (``from``: the sender's wa_id, ``timestamp``: unix
    seconds) of a Cloud API ``messages`` delivery; status updates carry no ``messages`` and add
    nothing. A time in the future (a skewed clock) counts as ``now``. The key is
    ``value.metadata.phone_number_id`` (None when a delivery lacks it).
    """
    out: dict[str | None, dict[str, datetime]] = {}
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            pnid = (value.get("metadata") or {}).get("phone_number_id")
            for msg in value.get("messages") or []:
                # A "system" message (the customer changed number) is WhatsApp's, not the customer's.
                if not isinstance(msg, dict) or msg.get("type") == "system":
                    continue
                sender = normalize_number(str(msg.get("from") or ""))
                try:
                    at = min(datetime.fromtimestamp(int(msg["timestamp"]), UTC), now)
                except (KeyError, TypeError, ValueError, OverflowError, OSError):
                    continue
                if not E164.match(sender):
                    continue
                numbers = out.setdefault(str(pnid) if pnid else None, {})
                if sender not in numbers or at > numbers[sender]:
                    numbers[sender] = at
    return out


def learn_windows(project: Project, payload: Any, now: datetime) -> int:
    """Record a verified webhook delivery's inbound messages in the channels' window files.

    Every configured channel of type whatsapp whose ``phone_number_id`` received the message (any
    whatsapp channel when the delivery names no number) gets the sender's time in its
    ``window_file``; channels sharing a file write it once. Returns the numbers recorded.
    """
    from pydantic import ValidationError

    by_number = inbound_times(payload, now)
    if not by_number:
        return 0
    files: dict[Path, dict[str, datetime]] = {}
    for name, section in project.config.channels.items():
        if section.type != WhatsAppChannel.type_name:
            continue
        try:
            opts = WhatsAppChannel.Options.model_validate(section.model_dump())
        except ValidationError:
            log.warning("channel %s: invalid options, its window file is not updated", name)
            continue
        seen: dict[str, datetime] = {}
        for pnid, numbers in by_number.items():
            if pnid is None or pnid == opts.phone_number_id:
                seen.update(numbers)
        if not seen:
            continue
        merged = files.setdefault(project.resolve_path(opts.window_file), {})
        for number, at in seen.items():
            if number not in merged or at > merged[number]:
                merged[number] = at
    for path, seen in files.items():
        record_windows(path, seen, now)
    return len({n for numbers in files.values() for n in numbers})


register_channel_type(WhatsAppChannel)
