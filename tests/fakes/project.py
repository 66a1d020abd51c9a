"""Helpers for channel tests: a throwaway project, frames, and publish requests."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storycast.channels import MediaItem, PollSpec, PublishRequest, open_channel
from storycast.channels.base import Channel
from storycast.context import Context
from storycast.project import Project

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_project(root: Path, channels_toml: str) -> Project:
    """A minimal project at ``root`` whose storycast.toml holds ``channels_toml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "storycast.toml").write_text(
        '[project]\nname = "Test"\nlanguages = ["en"]\n\n' + channels_toml, encoding="utf-8"
    )
    return Project.load(root, environ={})


def context(env: dict[str, str] | None = None, now: datetime = NOW) -> Context:
    ctx = Context(environ=dict(env or {}))
    ctx.fixed_clock(now)
    return ctx


def channel(project: Project, name: str, env: dict[str, str] | None = None) -> Channel:
    return open_channel(project, name, context(env))


def jpeg(path: Path, seed: int, size: tuple[int, int] = (108, 192)) -> Path:
    """A small distinct JPEG (each seed gives different bytes)."""
    from PIL import Image

    rnd = random.Random(seed)
    img = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    for _ in range(30):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        img.putpixel((x, y), tuple(rnd.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=90)
    return path


def video(path: Path, seed: int) -> Path:
    """Bytes standing in for an MP4 (the fakes only hash them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + random.Random(seed).randbytes(2048))
    return path


def request(
    media: Path | None,
    *,
    index: int = 1,
    total: int = 1,
    ref: str = "reset-router",
    lang: str = "en",
    caption: str = "",
    alt: str = "",
    kind: str = "story",
    poll: PollSpec | None = None,
    row_id: int = 1,
    meta: dict[str, Any] | None = None,
) -> PublishRequest:
    """A publish request for one frame (key derived from ref, lang, index and media bytes)."""
    item = None
    digest = ""
    if media is not None:
        digest = hashlib.sha256(media.read_bytes()).hexdigest()
        item = MediaItem(media, "video" if media.suffix == ".mp4" else "image", digest)
    key = hashlib.sha256(f"{ref}|{lang}|{index}|{digest}|{poll}".encode()).hexdigest()
    return PublishRequest(
        row_id=row_id,
        idempotency_key=key,
        kind=kind,
        ref=ref,
        lang=lang,
        frame_index=index,
        frame_total=total,
        media=item,
        caption=caption,
        alt=alt,
        due_utc=NOW,
        expires_utc=NOW + timedelta(hours=24),
        poll=poll,
        meta=meta or {},
    )
