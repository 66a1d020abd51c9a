"""What platforms send back, stored: replies, votes, poll totals and pushed insights.

The channel types read their platforms (``Channel.poll_results``, ``Channel.parse_webhook``); this
module decides what the results mean for storycast's content: which poll an option text belongs
to, which of our posts a reply answers, when a reply is a vote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def counts_by_option(texts: Sequence[str], by_text: Mapping[str, int]) -> dict[int, int]:
    """Map a platform's ``{option text: votes}`` onto 1-based option numbers (unknown texts dropped)."""
    out: dict[int, int] = {}
    for i, text in enumerate(texts, start=1):
        if text in by_text:
            out[i] = int(by_text[text])
    return out


def option_counts(got: Mapping[int, int] | Mapping[str, int], texts: Sequence[str]) -> dict[int, int]:
    """A channel's ``poll_results`` as 1-based option numbers: numbered already, or by option text."""
    if all(isinstance(k, int) for k in got):
        return {int(k): int(v) for k, v in got.items()}
    return counts_by_option(texts, {str(k): int(v) for k, v in got.items()})
