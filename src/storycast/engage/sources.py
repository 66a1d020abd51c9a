"""Reading results back from platforms: poll counts and story insights.

The channel adapters own publishing; reading back is done here, through the adapter when it
offers a method (``Channel.poll_results``, ``Channel.fetch_insights``, Telegram's
``close_poll``) and otherwise through the small readers below, which use the adapter's own
options (``api_base``, token references) so tests point them at fake servers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..channels.base import InsightsUnavailable as InsightsUnavailable  # moved to channels.base
from ..errors import ChannelError

if TYPE_CHECKING:
    from ..channels.base import Channel
    from .polls import Poll

# Instagram story metrics (Graph API v25 names); navigation comes with a per-action breakdown.
IG_METRICS = ("reach", "views", "replies", "shares", "total_interactions", "follows", "profile_visits")
NAV_ACTIONS = {
    "TAP_FORWARD": "taps_forward",
    "TAP_BACK": "taps_back",
    "TAP_EXIT": "exits",
    "SWIPE_FORWARD": "swipes_forward",
}


def counts_by_option(texts: Sequence[str], by_text: Mapping[str, int]) -> dict[int, int]:
    """Map a platform's ``{option text: votes}`` onto 1-based option numbers (unknown texts dropped)."""
    out: dict[int, int] = {}
    for i, text in enumerate(texts, start=1):
        if text in by_text:
            out[i] = int(by_text[text])
    return out


def channel_poll_counts(channel: Channel, remote_id: str, poll: Poll, lang: str) -> dict[int, int] | None:
    """A native poll's counts from its channel, or None when the channel cannot tell.

    Uses ``channel.poll_results(remote_id)`` when the adapter implements it, else Telegram's
    ``close_poll`` (stopPoll: call it only once voting has closed).
    """
    texts = poll.option_texts(lang, emoji=True)
    getter = getattr(channel, "poll_results", None)
    if callable(getter):
        got = getter(remote_id)
        if got is not None:
            return (
                {int(k): int(v) for k, v in got.items()}
                if all(isinstance(k, int) for k in got)
                else counts_by_option(texts, got)
            )
    closer = getattr(channel, "close_poll", None)
    if callable(closer):
        return counts_by_option(texts, closer(remote_id))
    return None


def discord_poll_counts(
    api_base: str, webhook_id: str, webhook_token: str, message_id: str, *, timeout: float = 10.0
) -> dict[int, int]:
    """Counts of a poll sent through a Discord webhook (GET the webhook's message; ``poll.results``).

    Discord numbers answers by ``answer_id`` in the order they were sent, so answer 1 is option 1.
    """
    import requests

    url = f"{api_base.rstrip('/')}/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
    try:
        resp = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise ChannelError(f"cannot reach Discord to read poll results: {type(exc).__name__}") from None
    if resp.status_code != 200:
        raise ChannelError(
            f"Discord answered {resp.status_code} when reading poll results for message {message_id}"
        )
    poll = (resp.json() or {}).get("poll") or {}
    answers = {int(a["answer_id"]): i for i, a in enumerate(poll.get("answers", []), start=1)}
    out = {i: 0 for i in answers.values()}
    for row in (poll.get("results") or {}).get("answer_counts", []):
        option = answers.get(int(row["id"]))
        if option is not None:
            out[option] = int(row.get("count", 0))
    return out


def telegram_poll_counts(update: Mapping[str, Any]) -> tuple[str, dict[str, int]] | None:
    """(question, {option text: votes}) from a Telegram ``poll`` update; None for other updates."""
    poll = update.get("poll")
    if not isinstance(poll, Mapping):
        return None
    return str(poll.get("question", "")), {
        str(o.get("text", "")): int(o.get("voter_count", 0)) for o in poll.get("options", [])
    }


def parse_ig_insights(body: Mapping[str, Any]) -> dict[str, int]:
    """Flatten a Graph API ``/{media-id}/insights`` answer into ``{metric: value}``.

    ``navigation`` with the ``story_navigation_action_type`` breakdown becomes ``taps_forward``,
    ``taps_back``, ``exits`` and ``swipes_forward``; legacy metric names pass through.
    """
    out: dict[str, int] = {}
    for item in body.get("data", []):
        name = str(item.get("name", ""))
        total = item.get("total_value") or {}
        breakdowns = total.get("breakdowns") or []
        if name == "navigation" and breakdowns:
            for res in breakdowns[0].get("results", []):
                action = (res.get("dimension_values") or [""])[0]
                key = NAV_ACTIONS.get(str(action).upper())
                if key:
                    out[key] = int(res.get("value", 0))
            out["navigation"] = int(total.get("value", sum(out.get(v, 0) for v in NAV_ACTIONS.values())))
            continue
        values = item.get("values") or []
        if "value" in total:
            out[name] = int(total["value"])
        elif values:
            out[name] = int(values[0].get("value", 0))
    return out


def instagram_insights(channel: Channel, media_id: str) -> dict[str, int]:
    """Story insights through the committed Instagram adapter's authenticated ``_call``.

    Raises :class:`InsightsUnavailable` when Meta has no numbers (code 10: under 5 viewers;
    after 24 h the story's metrics are gone).
    """
    call = getattr(channel, "_call", None)
    if not callable(call):
        raise InsightsUnavailable(f"channel {channel.name!r} cannot read Instagram insights")
    metrics = ",".join((*IG_METRICS, "navigation"))
    try:
        body = call(
            "GET",
            f"{media_id}/insights",
            "read story insights",
            mutating=False,
            metric=metrics,
            breakdown="story_navigation_action_type",
        )
    except ChannelError as exc:
        text = exc.message.lower()
        expired = "expired" in text or "24 hours" in text or "does not exist" in text
        raise InsightsUnavailable(exc.message, expired=expired) from None
    return parse_ig_insights(body)


def fetch_insights(channel: Channel, remote_id: str) -> dict[str, int] | None:
    """Metrics of one post from its channel; None when the channel type has no insights."""
    getter = getattr(channel, "fetch_insights", None)
    if callable(getter):
        got = getter(remote_id)
        if got is not None:
            return dict(got)
    if getattr(channel, "type_name", "") == "instagram":
        return instagram_insights(channel, remote_id)
    return None
