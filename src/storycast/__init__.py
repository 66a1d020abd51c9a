"""storycast: render, schedule, publish and archive support stories for ephemeral channels."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    ChannelError,
    ConfigError,
    ContentError,
    ExitStatus,
    LedgerError,
    RenderError,
    ScheduleError,
    StorycastError,
    TemplateError,
)

__all__ = [
    "ChannelError",
    "ConfigError",
    "ContentError",
    "ExitStatus",
    "LedgerError",
    "RenderError",
    "ScheduleError",
    "StorycastError",
    "TemplateError",
    "__version__",
]
