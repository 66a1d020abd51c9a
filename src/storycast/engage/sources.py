"""Left-overs of reading results back, kept until the Telegram webhook parse moves to its channel.

Insights and poll results are the channel contract now (``Channel.fetch_insights``,
``Channel.poll_results``); option-text mapping lives in ``engage/inbound.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..channels.base import InsightsUnavailable as InsightsUnavailable  # moved to channels.base
from .inbound import counts_by_option as counts_by_option  # moved to engage.inbound


def telegram_poll_counts(update: Mapping[str, Any]) -> tuple[str, dict[str, int]] | None:
    """(question, {option text: votes}) from a Telegram ``poll`` update; None for other updates."""
    poll = update.get("poll")
    if not isinstance(poll, Mapping):
        return None
    return str(poll.get("question", "")), {
        str(o.get("text", "")): int(o.get("voter_count", 0)) for o in poll.get("options", [])
    }
