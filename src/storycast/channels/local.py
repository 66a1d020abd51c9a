"""The ``local`` channel: a folder feed, the embedded default that needs no credentials.

Each published frame becomes two files in the feed folder (``<project>/feed/`` unless the
channel's ``path`` says otherwise)::

    feed/2026-12-01/reset-router.es.01.3f9a2c1b7d4e.jpg     the frame's media
    feed/2026-12-01/reset-router.es.01.3f9a2c1b7d4e.json    its record

The record is written last and atomically (temporary file + rename), so a record's presence
means the frame is published: :meth:`LocalChannel.lookup` is authoritative, which lets
``reconcile`` settle ``unknown`` rows of this channel without asking anyone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from ..files import replace_atomically
from .base import (
    Capabilities,
    Channel,
    CheckResult,
    PermanentFailure,
    PollSpec,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryableFailure,
)
from .registry import register_channel_type

KEY_CHARS = 12  # of the idempotency key, in file names


def _atomic_write(path: Path, data: bytes) -> None:
    replace_atomically(path, data, durable=True)


def _atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _poll(poll: PollSpec | None) -> dict[str, Any] | None:
    if poll is None:
        return None
    return {
        "poll_id": poll.poll_id,
        "question": poll.question,
        "options": list(poll.options),
        "closes_at": _iso(poll.closes_at) if poll.closes_at else None,
        "allows_multiple": poll.allows_multiple,
    }


class LocalChannel(Channel):
    """Publish frames into a local folder (for previews, kiosks, and tests)."""

    type_name = "local"
    description = "A folder feed: each frame's media plus a JSON record; no credentials."
    capabilities = Capabilities(
        images=True,
        video=True,
        stories=True,
        languages_apart=True,  # the feed viewer shows one ring per story and language
        multi_frame=True,
        captions=True,
        alt_text=True,
        # The feed viewer (`storycast serve`) shows a poll as a voting card and stores votes.
        polls_native=True,
        list_recent=True,
        idempotency_key=True,
    )
    lookup_authoritative: ClassVar[bool] = True

    class Options(Channel.Options):
        """[channels.NAME] keys of a local channel."""

        path: str = "feed"  # relative to the project folder

    @property
    def folder(self) -> Path:
        return self.project.resolve_path(self.options.path)  # type: ignore[attr-defined]

    def _stem(self, request: PublishRequest) -> str:
        return f"{request.ref}.{request.lang}.{request.frame_index:02d}.{request.idempotency_key[:KEY_CHARS]}"

    def _find(self, key: str) -> Path | None:
        if not self.folder.is_dir():
            return None
        for record in self.folder.glob(f"*/*.{key[:KEY_CHARS]}.json"):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if data.get("idempotency_key") == key:
                return record
        return None

    def _result(self, record: Path) -> PublishResult:
        data = json.loads(record.read_text(encoding="utf-8"))
        return PublishResult(
            remote_id=data["remote_id"],
            url=record.with_suffix(Path(data["media"]).suffix).as_uri() if data.get("media") else None,
            expires_utc=datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00")),
            detail={"record": str(record)},
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        """Copy the frame and write its record; publishing the same key twice returns the first result."""
        existing = self._find(request.idempotency_key)
        if existing is not None:
            return self._result(existing)
        if request.media is None or not request.media.path.is_file():
            raise PermanentFailure(
                f"the frame file {request.media.path if request.media else '(none)'} is missing",
                hint="the rendered frame was removed from .storycast/renders/ before it was sent; "
                "`storycast retry ID` (ids in `storycast status`) renders it again and sends it",
            )
        now = self.context.now()
        day = self.folder / now.strftime("%Y-%m-%d")
        stem = self._stem(request)
        media = day / (stem + request.media.path.suffix.lower())
        record = day / (stem + ".json")
        expires = request.expires_utc or now + timedelta(hours=24)
        body: dict[str, Any] = {
            "story": request.ref,
            "kind": request.kind,
            "language": request.lang,
            "step": request.meta.get("step"),  # the tutorial step shown; null on cover/outro
            "frame": request.frame_index,
            "frames": request.frame_total,
            "published_at": _iso(now),
            "expires_at": _iso(expires),
            "remote_id": f"local:{request.idempotency_key[:20]}",
            "idempotency_key": request.idempotency_key,
            "media": media.name,
            "sha256": request.media.sha256,
            "caption": request.caption,
            "alt": request.alt,
            "due_at": _iso(request.due_utc) if request.due_utc else None,
            # The feed viewer shows a poll's options and records votes (storycast serve).
            "poll": _poll(request.poll),
        }
        try:
            _atomic_copy(request.media.path, media)
            _atomic_write(record, (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        except OSError as exc:
            raise RetryableFailure(
                f"cannot write to the feed folder {self.folder}: {exc.strerror or exc}",
                hint="let the user running storycast write that folder (or set path in "
                f"[channels.{self.name}] to another one) and check the disk has space; storycast tries again",
            ) from None
        return PublishResult(
            remote_id=body["remote_id"],
            url=media.as_uri(),
            expires_utc=expires,
            detail={"record": str(record)},
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The published record for this idempotency key, or None (then it was not published)."""
        found = self._find(request.idempotency_key)
        return self._result(found) if found is not None else None

    def list_recent(self, since: datetime) -> list[RemotePost]:
        posts: list[RemotePost] = []
        if not self.folder.is_dir():
            return posts
        for record in sorted(self.folder.glob("*/*.json")):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                published = datetime.fromisoformat(data["published_at"].replace("Z", "+00:00"))
            except (OSError, ValueError, KeyError):
                continue
            if published >= since:
                posts.append(
                    RemotePost(data["remote_id"], published, data.get("idempotency_key"), record.as_uri())
                )
        return posts

    def check(self) -> list[CheckResult]:
        folder = self.folder
        probe = folder if folder.exists() else folder.parent
        ok = os.access(probe, os.W_OK) if probe.exists() else False
        return [
            CheckResult("folder", ok, f"{folder} is {'writable' if ok else 'not writable'}"),
        ]


register_channel_type(LocalChannel)
