"""Hand-off packs: a person finishes the post (Snapchat, WhatsApp Status, stories with stickers).

No API can post to Snapchat (outside Snap's allowlist) or WhatsApp Status, and no API can add a
poll, link or question sticker to an Instagram story. At the due time this channel builds a
*post pack* instead and tells the responsible person:

    handoff/2026-12-01-reset-router-es-3f9a2c/
        01.jpg 02.jpg ...      the frames (or videos) in posting order
        captions.txt           the step text, numbered like the frames
        alt.txt                alt text per frame
        checklist.md           what to do, step by step, and how to confirm
        qr.png                 opens the pack (or the confirmation page) on a phone
        manifest.json          rows, frames, hashes, when the person was notified

Each frame row adds its frame to the pack and becomes ``handed_off`` in the ledger; when the
pack is complete (the last frame) the person is notified once through their apprise URLs
(email, Telegram, Slack, ntfy...). ``storycast confirm ID...`` marks the rows published.

A pack nobody confirms can be followed up: ``remind_after`` notifies the same contacts again,
``escalate_after`` tells a second contact (``escalate_to``), both before the pack goes stale
(``stale_after`` from the slot). The channel validates those keys and sends the messages; the
after-tick step in :mod:`storycast.engage.handoff_followup` decides when, and journals each once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from ..files import replace_atomically
from ..units import format_duration, parse_duration
from .base import (
    Capabilities,
    Channel,
    CheckResult,
    PermanentFailure,
    PublishRequest,
    PublishResult,
    RetryableFailure,
)
from .http import RedactingFilter, Redactor
from .registry import register_channel_type

log = logging.getLogger("storycast.channels.handoff")

PLATFORMS = {
    "snapchat": (
        "Snapchat",
        [
            "Open Snapchat on the team phone and tap the camera, then Memories > Camera Roll.",
            "Select the frames in order (01, 02, ...) and tap Send > My Story.",
        ],
    ),
    "whatsapp_status": (
        "WhatsApp Status",
        [
            "Open WhatsApp Business on the team phone > Updates > Add status.",
            "Add the frames in order; paste each caption from captions.txt.",
        ],
    ),
    "instagram_sticker": (
        "Instagram story with a sticker",
        [
            "Open Instagram on the team phone > Your story, and add the frames in order.",
            "Add the sticker (poll, question or link) on the frame it belongs to.",
        ],
    ),
    "other": ("the platform", ["Post the frames in order, with the captions from captions.txt."]),
}


def _write(path: Path, data: bytes) -> None:
    replace_atomically(path, data)


def _duration(value: str, key: str) -> timedelta | None:
    """A follow-up duration ("" = off); ValueError (reported with the file and line) otherwise."""
    if value == "":
        return None
    try:
        got = parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{exc}; {key} is how long after the hand-off, like 30m or 2h") from None
    if got <= timedelta(0):
        raise ValueError(f"{key} must be longer than 0; leave it out to switch it off")
    return got


def _before_stale(after: timedelta, key: str, info: ValidationInfo) -> None:
    raw = info.data.get("stale_after")
    stale = _duration(raw, "stale_after") if isinstance(raw, str) and raw else None
    if stale is not None and after >= stale:
        raise ValueError(
            f"{key} ({format_duration(after)}) must be shorter than stale_after ({format_duration(stale)}): "
            "a pack is not followed up once it is stale"
        )


@dataclass(frozen=True)
class FollowUp:
    """When to remind and escalate, counted from the hand-off; when the pack is stale, from the slot."""

    remind: timedelta | None
    escalate: timedelta | None
    stale: timedelta

    def __bool__(self) -> bool:
        return self.remind is not None or self.escalate is not None


@dataclass(frozen=True)
class HandedOffPack:
    """One pack waiting for a person, as the follow-up messages describe it."""

    ref: str
    lang: str
    row_ids: Sequence[int]
    pack: Path | None
    handed_off_at: datetime
    stale_at: datetime


class HandoffChannel(Channel):
    """Build a post pack and notify a person; the ledger waits for `storycast confirm`."""

    type_name = "handoff"
    description = (
        "Post pack (frames, captions, alt text, checklist, QR) + apprise notification; confirmed by hand."
    )
    capabilities = Capabilities(
        images=True, video=True, stories=True, multi_frame=True, captions=True, alt_text=True, handoff=True
    )
    lookup_authoritative: ClassVar[bool] = False
    LIFETIME: ClassVar[timedelta] = timedelta(
        hours=24
    )  # a story's life: the rows' expires_utc after the hand-off

    class Options(Channel.Options):
        """[channels.NAME] keys of a handoff channel."""

        platform: Literal["snapchat", "whatsapp_status", "instagram_sticker", "other"] = "other"
        path: str = "handoff"  # packs folder, relative to the project
        assignee: str = ""  # who posts (shown in the notification and checklist)
        notify: list[str] = []  # apprise URLs, each a secret reference (env:/file:/keyring:) or plain
        pack_base_url: str = ""  # where the packs folder is served (for the QR code); "" -> file URI
        confirm_url: str = ""  # e.g. "http://localhost:8765/confirm/{id}"; preferred for the QR code
        sticker: str = ""  # the sticker to add (instagram_sticker), e.g. "poll: Did it work? Yes/No"
        # Follow-up of a pack nobody confirmed (engage/handoff_followup.py sends them from the tick).
        stale_after: str = "24h"  # from the slot: later, the pack is stale and follow-ups stop
        remind_after: str = ""  # after the hand-off: notify the notify URLs again ("" = never)
        escalate_after: str = ""  # after the hand-off: tell escalate_to ("" = never)
        escalate_to: list[str] = Field(default_factory=list, validate_default=True)  # like notify
        escalate_name: str = ""  # who escalate_to reaches (named in the message and in status)

        @field_validator("stale_after")
        @classmethod
        def _stale(cls, value: str) -> str:
            if _duration(value, "stale_after") is None:
                raise ValueError(
                    "stale_after cannot be empty; write how long a pack stays worth posting, like 24h"
                )
            return value

        @field_validator("remind_after")
        @classmethod
        def _remind(cls, value: str, info: ValidationInfo) -> str:
            remind = _duration(value, "remind_after")
            if remind is not None:
                if not info.data.get("notify"):
                    raise ValueError("remind_after is set but notify is empty: nobody would be reminded")
                _before_stale(remind, "remind_after", info)
            return value

        @field_validator("escalate_after")
        @classmethod
        def _escalate(cls, value: str, info: ValidationInfo) -> str:
            escalate = _duration(value, "escalate_after")
            if escalate is None:
                return value
            raw = info.data.get("remind_after")
            remind = _duration(raw, "remind_after") if isinstance(raw, str) else None
            if remind is not None and escalate <= remind:
                raise ValueError(
                    f"escalate_after ({format_duration(escalate)}) must be longer than remind_after "
                    f"({format_duration(remind)}): the reminder comes first, then the escalation"
                )
            _before_stale(escalate, "escalate_after", info)
            return value

        @field_validator("escalate_to")
        @classmethod
        def _escalate_to(cls, value: list[str], info: ValidationInfo) -> list[str]:
            set_after = bool(info.data.get("escalate_after"))
            if set_after and not value:
                raise ValueError(
                    "escalate_after is set but escalate_to is empty: name the second contact's apprise URLs"
                )
            if value and not set_after and "escalate_after" in info.data:
                raise ValueError(
                    "escalate_to is set but escalate_after is not: say when to escalate, like 2h"
                )
            return value

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._redact = Redactor()

    @property
    def opts(self) -> Any:
        return self.options

    @property
    def folder(self) -> Path:
        return self.project.resolve_path(self.opts.path)

    def pack_dir(self, request: PublishRequest) -> Path:
        """One pack per story occurrence, language and channel."""
        occ = str(
            request.meta.get("occurrence_key") or (request.due_utc.isoformat() if request.due_utc else "")
        )
        tag = hashlib.sha256(f"{self.name}|{request.ref}|{request.lang}|{occ}".encode()).hexdigest()[:8]
        day = (request.due_utc or self.context.now()).strftime("%Y-%m-%d")
        return self.folder / f"{day}-{request.ref}-{request.lang}-{tag}"

    # -- the pack -------------------------------------------------------------------------------

    def _manifest(self, pack: Path) -> dict[str, Any]:
        try:
            return json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"frames": {}}

    def _qr_target(self, pack: Path, first_row: int) -> str:
        if self.opts.confirm_url:
            return self.opts.confirm_url.replace("{id}", str(first_row))
        if self.opts.pack_base_url:
            return self.opts.pack_base_url.rstrip("/") + "/" + pack.name + "/"
        return pack.as_uri()

    def _checklist(self, request: PublishRequest, manifest: dict[str, Any], qr: str) -> str:
        title, steps = PLATFORMS[self.opts.platform]
        frames = sorted(manifest["frames"].values(), key=lambda f: f["index"])
        ids = " ".join(str(f["row_id"]) for f in frames)
        due = "now"
        if request.due_utc is not None:
            from zoneinfo import ZoneInfo

            zone = str(getattr(self.project.config.project, "timezone", "") or "UTC")
            try:
                local = request.due_utc.astimezone(ZoneInfo(zone))
                due = f"{local:%Y-%m-%d %H:%M} ({zone})"
            except (KeyError, ValueError):
                due = f"{request.due_utc:%Y-%m-%d %H:%M} UTC"
        lines = [
            f"# Post “{request.ref}” ({request.lang}) to {title}",
            "",
            f"Due: {due}",
            f"Who: {self.opts.assignee}" if self.opts.assignee else "",
            f"Frames: {len(frames)} of {request.frame_total}",
            "",
            "## Steps",
            "",
        ]
        if self.opts.sticker:
            # The configured sticker replaces the platform's generic sticker step.
            steps = [s for s in steps if "sticker" not in s] + [f"Add the sticker: {self.opts.sticker}"]
        lines += [f"- [ ] {s}" for s in steps]
        lines += [
            "- [ ] Check the order and the captions against captions.txt; alt text is in alt.txt.",
            f"- [ ] When it is live, confirm it: `storycast confirm {ids}`",
            "",
            f"QR code (qr.png) opens: {qr}",
            "",
            "## Frames",
            "",
        ]
        lines += [f"{f['index']:02d}. {f['file']}: {f['caption'] or '(no caption)'}" for f in frames]
        return "\n".join(line for line in lines if line is not None) + "\n"

    def _build(self, request: PublishRequest) -> tuple[Path, dict[str, Any]]:
        media = request.media
        if media is None or not media.path.is_file():
            raise PermanentFailure(
                f"{self.name}: the frame file is missing; nothing to hand off",
                hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
            )
        pack = self.pack_dir(request)
        try:
            pack.mkdir(parents=True, exist_ok=True)
            name = f"{request.frame_index:02d}{media.path.suffix.lower()}"
            shutil.copyfile(media.path, pack / (name + ".part"))
            os.replace(pack / (name + ".part"), pack / name)
            manifest = self._manifest(pack)
            manifest.update(
                story=request.ref,
                language=request.lang,
                platform=self.opts.platform,
                channel=self.name,
                frames_total=request.frame_total,
                due_at=request.due_utc.isoformat() if request.due_utc else None,
            )
            manifest["frames"][str(request.frame_index)] = {
                "index": request.frame_index,
                "file": name,
                "sha256": media.sha256,
                "row_id": request.row_id,
                "caption": request.caption,
                "alt": request.alt,
                "idempotency_key": request.idempotency_key,
            }
            frames = sorted(manifest["frames"].values(), key=lambda f: f["index"])
            first_row = frames[0]["row_id"]
            qr = self._qr_target(pack, first_row)
            _write(
                pack / "captions.txt", "".join(f"{f['index']:02d}. {f['caption']}\n" for f in frames).encode()
            )
            _write(pack / "alt.txt", "".join(f"{f['index']:02d}. {f['alt']}\n" for f in frames).encode())
            _write(pack / "checklist.md", self._checklist(request, manifest, qr).encode("utf-8"))
            self._qr(pack / "qr.png", qr)
            _write(pack / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        except OSError as exc:
            raise RetryableFailure(
                f"{self.name}: cannot write the pack {pack}: {exc.strerror or exc}",
                hint="let the user running storycast write the packs folder (path in "
                f"[channels.{self.name}]) and check the disk has space; storycast tries again",
            ) from None
        return pack, manifest

    @staticmethod
    def _qr(path: Path, text: str) -> None:
        import segno

        tmp = path.with_name(".qr.part.png")
        segno.make(text, error="m").save(str(tmp), scale=10, border=4, dark="#0D1B45", light="#FFFFFF")
        os.replace(tmp, path)

    # -- notification ---------------------------------------------------------------------------

    def _urls(self, refs: Sequence[str] | None = None, key: str = "notify") -> list[str]:
        from ..errors import ConfigError
        from ..secrets import is_reference, resolve

        out = []
        for ref in self.opts.notify if refs is None else refs:
            if is_reference(ref):
                try:
                    secret = resolve(ref, base=self.project.root, environ=self.context.environ)
                except ConfigError as exc:
                    raise PermanentFailure(
                        f"{self.name}: a {key} URL cannot be read: {exc.message}",
                        hint=exc.hint
                        or f"set the secret each {key} entry of [channels.{self.name}] references",
                    ) from None
                self._redact.add(secret)
                out.append(secret.reveal())
            else:
                out.append(ref)
        return out

    def _send(self, urls: list[str], title: str, body: str, what: str) -> None:
        """Send one message to every URL through apprise; a failure raises (secrets redacted)."""
        import apprise

        logging.getLogger("apprise").addFilter(RedactingFilter())
        notifier = apprise.Apprise()
        for url in urls:
            if not notifier.add(url):
                raise PermanentFailure(
                    f"{self.name}: {self._redact(url)[:60]} is not a valid apprise URL",
                    hint="see https://github.com/caronc/apprise/wiki for URL formats",
                )
        if not notifier.notify(title=title, body=body):
            raise RetryableFailure(
                f"{self.name}: the {what} could not be sent",
                retry_after=300,
                hint=f"check that the URLs in [channels.{self.name}] still work; storycast tries again",
            )

    def _notify(self, request: PublishRequest, pack: Path, manifest: dict[str, Any]) -> bool:
        urls = self._urls()
        if not urls:
            return False
        title_name = PLATFORMS[self.opts.platform][0]
        body = (
            f"{self.opts.assignee + ': ' if self.opts.assignee else ''}please post “{request.ref}” "
            f"({request.lang}, {request.frame_total} frame(s)) to {title_name} now.\n"
            f"Pack: {pack}\nChecklist: {pack / 'checklist.md'}\n"
            f"Then: storycast confirm {' '.join(str(f['row_id']) for f in manifest['frames'].values())}"
        )
        try:
            self._send(urls, f"storycast: post {request.ref} to {title_name}", body, "notification")
        except RetryableFailure:
            raise RetryableFailure(
                f"{self.name}: the pack is ready at {pack} but the notification could not be sent",
                retry_after=300,
                hint=f"check that the notify URLs in [channels.{self.name}] still work; storycast tries "
                "again in 5 minutes or more, and the pack can be posted by hand meanwhile",
            ) from None
        return True

    # -- follow-up of an unconfirmed pack ----------------------------------------------------------

    def follow_up(self) -> FollowUp:
        """When this channel reminds and escalates (validated with the options)."""
        o = self.opts
        return FollowUp(
            _duration(o.remind_after, "remind_after"),
            _duration(o.escalate_after, "escalate_after"),
            _duration(o.stale_after, "stale_after") or timedelta(hours=24),
        )

    def pack_of(self, remote_id: str | None) -> Path | None:
        """The pack folder a handed-off row's remote id (``pack:NAME/01``) names, if it is one."""
        if not remote_id or not remote_id.startswith("pack:"):
            return None
        name = remote_id.removeprefix("pack:").split("/", 1)[0]
        if not name or name in (".", "..") or "\\" in name:
            return None
        return self.folder / name

    def escalation_contact(self) -> str:
        """How status and the messages name the second contact."""
        n = len(self.opts.escalate_to)
        return self.opts.escalate_name or f"{n} escalate_to contact{'s' if n != 1 else ''}"

    def _pack_lines(self, pack: HandedOffPack) -> str:
        zone = pack.handed_off_at.strftime("%Y-%m-%d %H:%M UTC")
        where = f"Pack: {pack.pack}\n" if pack.pack is not None else ""
        confirm = " ".join(map(str, pack.row_ids))
        page = (
            f"Or press Posted on {self.opts.confirm_url.replace('{id}', str(pack.row_ids[0]))}\n"
            if (self.opts.confirm_url and pack.row_ids)
            else ""
        )
        return (
            f"Handed off at {zone}; it goes stale at {pack.stale_at:%Y-%m-%d %H:%M UTC}.\n"
            f"{where}Then: storycast confirm {confirm}\n{page}"
        )

    def remind(self, pack: HandedOffPack) -> None:
        """Notify the ``notify`` contacts again: the pack is still not confirmed."""
        urls = self._urls()
        if not urls:
            return
        title_name = PLATFORMS[self.opts.platform][0]
        who = self.opts.assignee + ": " if self.opts.assignee else ""
        body = (
            f"{who}reminder: “{pack.ref}” ({pack.lang}) is still waiting to be posted to {title_name}.\n"
            + self._pack_lines(pack)
        )
        self._send(urls, f"storycast reminder: post {pack.ref} to {title_name}", body, "reminder")

    def escalate(self, pack: HandedOffPack) -> None:
        """Tell the ``escalate_to`` contacts that nobody confirmed the pack."""
        urls = self._urls(self.opts.escalate_to, "escalate_to")
        if not urls:
            return
        title_name = PLATFORMS[self.opts.platform][0]
        who = self.opts.escalate_name + ": " if self.opts.escalate_name else ""
        by = f" by {self.opts.assignee}" if self.opts.assignee else ""
        body = (
            f"{who}“{pack.ref}” ({pack.lang}) was handed off to be posted to {title_name}{by} "
            f"and nobody has confirmed it. Please post it or find who can.\n" + self._pack_lines(pack)
        )
        self._send(urls, f"storycast: {pack.ref} is not posted to {title_name} yet", body, "escalation")

    # -- contract -------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        """Add the frame to its pack; notify once the pack is complete."""
        pack, manifest = self._build(request)
        complete = len(manifest["frames"]) >= request.frame_total
        if complete and not manifest.get("notified_at") and self._notify(request, pack, manifest):
            manifest["notified_at"] = self.context.now().isoformat()
            _write(pack / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        return PublishResult(
            remote_id=f"pack:{pack.name}/{request.frame_index:02d}",
            url=pack.as_uri(),
            state="handed_off",
            expires_utc=self.context.now() + self.LIFETIME,
            detail={"pack": str(pack), "complete": complete},
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The frame is in its pack already (the row can be handed off again without harm)."""
        manifest = self._manifest(self.pack_dir(request))
        frame = manifest["frames"].get(str(request.frame_index))
        if frame and frame.get("idempotency_key") == request.idempotency_key:
            return PublishResult(remote_id=f"pack:{self.pack_dir(request).name}", state="handed_off")
        return None

    def check(self) -> list[CheckResult]:
        out = []
        probe = self.folder if self.folder.exists() else self.folder.parent
        ok = probe.exists() and os.access(probe, os.W_OK)
        out.append(CheckResult("folder", ok, f"packs go to {self.folder}"))
        try:
            urls = self._urls()
        except PermanentFailure as exc:
            return [*out, CheckResult("notify", False, exc.message)]
        if not urls:
            out.append(
                CheckResult("notify", False, "no notify URLs: nobody is told when a pack is ready", "warning")
            )
        else:
            import apprise

            notifier = apprise.Apprise()
            bad = [self._redact(u)[:40] for u in urls if not notifier.add(u)]
            out.append(
                CheckResult(
                    "notify", not bad, f"{len(urls)} apprise URL(s)" + (f"; invalid: {bad}" if bad else "")
                )
            )
        if self.opts.escalate_to:
            out.append(self._check_escalation())
        return out

    def _check_escalation(self) -> CheckResult:
        try:
            urls = self._urls(self.opts.escalate_to, "escalate_to")
        except PermanentFailure as exc:
            return CheckResult("escalate_to", False, exc.message)
        import apprise

        notifier = apprise.Apprise()
        bad = [self._redact(u)[:40] for u in urls if not notifier.add(u)]
        text = f"{len(urls)} apprise URL(s) for {self.escalation_contact()}, after {self.opts.escalate_after}"
        return CheckResult("escalate_to", not bad, text + (f"; invalid: {bad}" if bad else ""))


register_channel_type(HandoffChannel)
