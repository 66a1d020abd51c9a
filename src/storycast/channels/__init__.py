"""Channels: where stories are published. See base.py for the adapter contract."""

from .base import (
    AmbiguousOutcome,
    Capabilities,
    Channel,
    CheckResult,
    MediaItem,
    NeedsAuth,
    PermanentFailure,
    PollSpec,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryableFailure,
)
from .registry import channel_types, get_channel_type, open_channel, open_channels, register_channel_type

__all__ = [
    "AmbiguousOutcome",
    "Capabilities",
    "Channel",
    "CheckResult",
    "MediaItem",
    "NeedsAuth",
    "PermanentFailure",
    "PollSpec",
    "PublishRequest",
    "PublishResult",
    "RemotePost",
    "RetryableFailure",
    "channel_types",
    "get_channel_type",
    "open_channel",
    "open_channels",
    "register_channel_type",
]
