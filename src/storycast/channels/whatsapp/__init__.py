"""WhatsApp Cloud API: messages to opt-in subscribers (``channel.py``, with the 24-hour window
learned from the webhook), the webhook's messages, taps, opt-outs and statuses (``inbound.py``),
and what the statuses set in motion: the send journal, opt-outs, the template re-send (``loop.py``)."""

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
from .loop import follow_up_all, read_optouts

__all__ = [
    "E164",
    "WINDOW",
    "WINDOW_FILE",
    "WhatsAppChannel",
    "follow_up_all",
    "inbound_times",
    "learn_windows",
    "normalize_number",
    "read_optouts",
    "read_windows",
    "record_windows",
]
