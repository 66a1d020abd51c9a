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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..files import replace_atomically
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

    class Options(Channel.Options):
        """[channels.NAME] keys of a handoff channel."""

        platform: Literal["snapchat", "whatsapp_status", "instagram_sticker", "other"] = "other"
        path: str = "handoff"  # packs folder, relative to the project
        assignee: str = ""  # who posts (shown in the notification and checklist)
        notify: list[str] = []  # apprise URLs, each a secret reference (env:/file:/keyring:) or plain
        pack_base_url: str = ""  # where the packs folder is served (for the QR code); "" -> file URI
        confirm_url: str = ""  # e.g. "http://localhost:8765/confirm/{id}"; preferred for the QR code
        sticker: str = ""  # the sticker to add (instagram_sticker), e.g. "poll: Did it work? Yes/No"

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

    def _urls(self) -> list[str]:
        from ..errors import ConfigError
        from ..secrets import is_reference, resolve

        out = []
        for ref in self.opts.notify:
            if is_reference(ref):
                try:
                    secret = resolve(ref, base=self.project.root, environ=self.context.environ)
                except ConfigError as exc:
                    raise PermanentFailure(
                        f"{self.name}: a notify URL cannot be read: {exc.message}",
                        hint=exc.hint
                        or f"set the secret each notify entry of [channels.{self.name}] references",
                    ) from None
                self._redact.add(secret)
                out.append(secret.reveal())
            else:
                out.append(ref)
        return out

    def _notify(self, request: PublishRequest, pack: Path, manifest: dict[str, Any]) -> bool:
        urls = self._urls()
        if not urls:
            return False
        import apprise

        logging.getLogger("apprise").addFilter(RedactingFilter())
        title_name = PLATFORMS[self.opts.platform][0]
        body = (
            f"{self.opts.assignee + ': ' if self.opts.assignee else ''}please post “{request.ref}” "
            f"({request.lang}, {request.frame_total} frame(s)) to {title_name} now.\n"
            f"Pack: {pack}\nChecklist: {pack / 'checklist.md'}\n"
            f"Then: storycast confirm {' '.join(str(f['row_id']) for f in manifest['frames'].values())}"
        )
        notifier = apprise.Apprise()
        for url in urls:
            if not notifier.add(url):
                raise PermanentFailure(
                    f"{self.name}: {self._redact(url)[:60]} is not a valid apprise URL",
                    hint="see https://github.com/caronc/apprise/wiki for URL formats",
                )
        ok = notifier.notify(title=f"storycast: post {request.ref} to {title_name}", body=body)
        if not ok:
            raise RetryableFailure(
                f"{self.name}: the pack is ready at {pack} but the notification could not be sent",
                retry_after=300,
                hint=f"check that the notify URLs in [channels.{self.name}] still work; storycast tries "
                "again in 5 minutes or more, and the pack can be posted by hand meanwhile",
            )
        return True

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
            expires_utc=self.context.now() + timedelta(hours=24),
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
        return out


register_channel_type(HandoffChannel)
