"""The built-in channel types, registered through the same hook as a third-party channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:
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
