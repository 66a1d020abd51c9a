"""The built-in channel types, registered through the same hook as a third-party channel."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from ..context import Context
    from ..project import Project
    from .base import Channel


@hookimpl
def register_channel_types() -> list[type[Channel]]:
    # Imported here, not at the top: loading the plugin manager must not import every platform.
    from .facebook import FacebookChannel
    from .handoff import HandoffChannel
    from .instagram import InstagramChannel
    from .local import LocalChannel
    from .telegram import TelegramChannel
    from .webhook import DiscordChannel, SlackChannel, WebhookChannel
    from .whatsapp import WhatsAppChannel

    return [
        LocalChannel,
        InstagramChannel,
        FacebookChannel,
        TelegramChannel,
        WhatsAppChannel,
        WebhookChannel,
        SlackChannel,
        DiscordChannel,
        HandoffChannel,
    ]


@hookimpl
def after_tick(project: Project, context: Context, now: datetime) -> dict[str, int]:
    """Work channels owe after a tick: WhatsApp's template for each message that failed because
    the customer's 24-hour window had closed (journalled by the statuses webhook)."""
    from .registry import open_channel
    from .whatsapp import follow_up_all

    sent = follow_up_all(project, lambda name: open_channel(project, name, context), now)
    return {"whatsapp_resent": sent} if sent else {}
