"""WhatsApp Cloud API: messages to opt-in subscribers (``channel.py``, with the 24-hour window
learned from the webhook) and the webhook's messages, taps and statuses (``inbound.py``)."""

from .channel import (
    E164,
    WINDOW,
    WINDOW_FILE,
    WhatsAppChannel,
    inbound_times,
    learn_windows,
    normalize_number,
    read_windows,
    record_windows,
)

__all__ = [
    "E164",
    "WINDOW",
    "WINDOW_FILE",
    "WhatsAppChannel",
    "inbound_times",
    "learn_windows",
    "normalize_number",
    "read_windows",
    "record_windows",
]
