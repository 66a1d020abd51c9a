"""Which story video spec to encode for and check against.

The specs themselves are data the channel types declare (``storycast.media.MediaLimits`` on
``Channel.media_limits`` and ``Channel.video_variant``; see docs/video.md for their sources). render
takes a ``MediaLimits``/``VideoVariant``, or for now a type name such as ``"telegram"``, which is
looked up among the registered channel types.

storycast's own encoding profile is stricter than the platforms (H.264 High, exactly 30 fps, 1080x1920,
a closed GOP of at most 4 s); ``check_media`` reports platform violations as errors and departures from the
storycast profile as warnings.
"""

from __future__ import annotations

from ...media import MB, MediaLimits, VideoVariant

__all__ = ["MB", "TargetSpec", "resolve_limits", "resolve_variant", "target_spec"]

#: The old name of :class:`storycast.media.MediaLimits`.
TargetSpec = MediaLimits


def resolve_variant(target: VideoVariant | str | None) -> VideoVariant:
    """``target`` itself, the variant of the type it names, or (None) the first default variant."""
    if isinstance(target, VideoVariant):
        return target
    # Temporary: names are resolved among the channel types until callers pass a variant
    # (issue #15, W2 step 8 drops str targets and this import).
    from ...channels.media import variant_for, video_variants

    if target is None:
        return next(v for v in video_variants() if v.default)
    return variant_for(target)


def resolve_limits(target: MediaLimits | VideoVariant | str | None) -> MediaLimits:
    """The limits ``target`` is, carries or names; None: those of the first default variant."""
    if isinstance(target, MediaLimits):
        return target
    if isinstance(target, str):
        from ...channels.media import limits_for  # temporary, see resolve_variant

        return limits_for(target)
    return resolve_variant(target).limits


def target_spec(name: str) -> MediaLimits:
    """The limits of a target platform; RenderError naming the choices when unknown."""
    return resolve_limits(name)
