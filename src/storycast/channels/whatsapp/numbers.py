"""What every part of the WhatsApp channel shares: the one form numbers are compared in, the
files' default places, and the Cloud API codes storycast acts on."""

from __future__ import annotations

import re

TYPE_NAME = "whatsapp"
OPTOUT_FILE = ".storycast/whatsapp-optout.json"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_FORMATTING = re.compile(r"[\s().-]")  # what people type between digits: spaces, dashes, dots
THROUGHPUT = 130429  # synchronous: the number's throughput; the rest of the list waits
PAIR_RATE = 131056  # synchronous: too many messages to this number; it waits
OUTSIDE_WINDOW = 131047
# Failures the statuses webhook reports, and what storycast makes of them (the ledger's outcome).
OUTCOMES = {OUTSIDE_WINDOW: "resend", 131049: "deferred", 131026: "undeliverable"}


def normalize_number(raw: str) -> str:
    """The one form numbers are compared in: ``+`` then digits (``+34600111001``).

    Formatting people type (spaces, dashes, dots, brackets) is dropped, and a bare run of digits
    is a WhatsApp id (``wa_id``: the number with its country code and no ``+``), so a config
    number and the webhook's ``from`` of the same phone come out equal.
    """
    number = _FORMATTING.sub("", str(raw))
    return "+" + number if number.isdigit() else number
