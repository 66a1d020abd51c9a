"""The story video limits and variants the registered channel types declare.

Each channel type names its own (``Channel.media_limits``, ``Channel.video_variant``); render and the
CLI look them up here instead of naming platforms. Variants are listed by the file they write
(``story.mp4`` first), and for one file the variant rendered by default first: for the built-ins
``instagram``, ``facebook``, ``telegram``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import RenderError, StorycastError
from ..media import VIDEO_NAME, MediaLimits, VideoVariant
from .registry import channel_types, get_channel_type

if TYPE_CHECKING:
    from ..project import Project


def _order(variant: VideoVariant) -> tuple[bool, str, bool, str]:
    return (variant.filename != VIDEO_NAME, variant.filename, not variant.default, variant.name)


def video_variants() -> list[VideoVariant]:
    """Every declared video variant, one per limits name (a subclass inheriting its base's counts once)."""
    seen: dict[str, VideoVariant] = {}
    for reg in channel_types().values():
        variant = reg.cls.video_variant
        if variant is not None:
            seen.setdefault(variant.name, variant)
    return sorted(seen.values(), key=_order)


def media_limits() -> dict[str, MediaLimits]:
    """Every declared ``media_limits`` by name: the variants' order first, then the rest by name."""
    out = {v.name: v.limits for v in video_variants()}
    for reg in channel_types().values():
        limits = reg.cls.media_limits
        if limits is not None:
            out.setdefault(limits.name, limits)
    return out


def limits_for(name: str) -> MediaLimits:
    """The limits called ``name``; RenderError naming the choices when unknown."""
    known = media_limits()
    try:
        return known[name]
    except KeyError:
        raise RenderError(f"unknown video target {name!r}", hint=f"use one of: {', '.join(known)}") from None


def variant_for(name: str) -> VideoVariant:
    """The video variant called ``name``; RenderError naming the choices when unknown."""
    known = {v.name: v for v in video_variants()}
    try:
        return known[name]
    except KeyError:
        raise RenderError(f"unknown video target {name!r}", hint=f"use one of: {', '.join(known)}") from None


def default_variant() -> VideoVariant | None:
    """The variant ``render --video`` writes first (``story.mp4``); None when no type declares one."""
    return next((v for v in video_variants() if v.default), None)


def channel_variant(project: Project, channel: str) -> VideoVariant | None:
    """The video a configured channel publishes: its type's own variant, else the default one.

    None when the channel's type takes no video (``capabilities.video`` is false), or the channel
    or its type is unknown (the engine reports that when it opens the channel).
    """
    section = project.config.channels.get(channel)
    if section is None:
        return None
    try:
        cls = get_channel_type(section.type).cls
    except StorycastError:
        return None
    if not cls.capabilities.video:
        return None
    return cls.video_variant or default_variant()
