"""Read the local channel's feed folder into stories for the viewer.

The local channel writes one JSON record per published frame (see ``channels/local.py``). The
viewer groups records into stories (one ring per story and language), keeps the newest copy of
each frame, and hides frames whose 24 h have passed, exactly as a stories surface would.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..render.text.webfonts import text_direction

if TYPE_CHECKING:
    from ..project import Project

VIDEO_SUFFIXES = {".mp4", ".webm", ".mov"}


@dataclass
class FeedFrame:
    """One live frame of a story in the feed."""

    media: str  # path relative to the feed folder (day/file)
    kind: str  # image | video
    frame: int
    frames: int
    published_at: str
    expires_at: str
    alt: str = ""
    caption: str = ""
    remote_id: str = ""
    poll: dict[str, Any] | None = None


@dataclass
class FeedStory:
    """One ring: a story in one language with its live frames in order."""

    id: str  # "<story>.<lang>", unique in the feed
    story: str
    lang: str
    kind: str
    title: str
    published_at: str
    expires_at: str
    frames: list[FeedFrame] = field(default_factory=list)
    dir: str = "ltr"  # the language's writing direction: the page marks titles and polls with it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def feed_folder(project: Project) -> Path:
    """The folder of the first ``local`` channel in storycast.toml (``<project>/feed`` by default)."""
    for section in project.config.channels.values():
        if getattr(section, "type", None) == "local":
            extra = getattr(section, "model_extra", None) or {}
            path = extra.get("path") or getattr(section, "path", None) or "feed"
            return project.resolve_path(str(path))
    return project.resolve_path("feed")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _title(project: Project | None, story: str, lang: str, kind: str) -> str:
    if project is None:
        return story
    try:
        content = project.content
    except Exception:
        return story
    item = content.stories.get(story)
    if item is None:
        for extras in content.extras.values():
            if story in extras:
                item = extras[story]
                break
    if item is None:
        return story
    for attr in ("title", "question", "name"):
        value = getattr(item, attr, None)
        if isinstance(value, dict) and value:
            return str(value.get(lang) or next(iter(value.values())))
    return story


def read_feed(folder: Path, now: datetime, project: Project | None = None) -> list[FeedStory]:
    """Live stories in ``folder`` at ``now``, oldest first (the order they were published)."""
    latest: dict[tuple[str, str, int], tuple[datetime, dict[str, Any], Path]] = {}
    if folder.is_dir():
        for record in folder.glob("*/*.json"):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                published = _parse(data["published_at"])
                expires = _parse(data["expires_at"])
                key = (str(data["story"]), str(data["language"]), int(data["frame"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a half-copied or foreign file is not a story
            # Only expiry hides a frame: one published "later" than now comes from a --now backfill.
            if expires <= now:
                continue
            media = record.parent / str(data.get("media") or "")
            if not data.get("media") or not media.is_file():
                continue
            if key not in latest or published >= latest[key][0]:
                latest[key] = (published, data, media)
    stories: dict[tuple[str, str], FeedStory] = {}
    for (story, lang, _), (_published, data, media) in sorted(
        latest.items(), key=lambda kv: (kv[1][0], kv[0])
    ):
        feed = stories.get((story, lang))
        if feed is None:
            kind = str(data.get("kind") or "story")
            feed = FeedStory(
                id=f"{story}.{lang}",
                story=story,
                lang=lang,
                kind=kind,
                title=_title(project, story, lang, kind),
                published_at=data["published_at"],
                expires_at=data["expires_at"],
                dir=text_direction(lang),
            )
            stories[(story, lang)] = feed
        feed.expires_at = max(feed.expires_at, data["expires_at"])
        feed.frames.append(
            FeedFrame(
                media=f"{media.parent.name}/{media.name}",
                kind="video" if media.suffix.lower() in VIDEO_SUFFIXES else "image",
                frame=int(data["frame"]),
                frames=int(data.get("frames") or 1),
                published_at=data["published_at"],
                expires_at=data["expires_at"],
                alt=str(data.get("alt") or ""),
                caption=str(data.get("caption") or ""),
                remote_id=str(data.get("remote_id") or ""),
                poll=data.get("poll") if isinstance(data.get("poll"), dict) else None,
            )
        )
    for feed in stories.values():
        feed.frames.sort(key=lambda f: f.frame)
    return sorted(stories.values(), key=lambda s: (s.published_at, s.id))


def count_expired(folder: Path, now: datetime) -> int:
    """How many published frames in ``folder`` have expired at ``now`` (the empty feed says so)."""
    n = 0
    if folder.is_dir():
        for record in folder.glob("*/*.json"):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                if _parse(data["expires_at"]) <= now:
                    n += 1
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return n
