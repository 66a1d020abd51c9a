"""Instagram story insights: the metrics asked for and how Graph API answers are flattened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Story metrics (Graph API v25 names); navigation comes with a per-action breakdown.
IG_METRICS = ("reach", "views", "replies", "shares", "total_interactions", "follows", "profile_visits")
NAV_ACTIONS = {
    "TAP_FORWARD": "taps_forward",
    "TAP_BACK": "taps_back",
    "TAP_EXIT": "exits",
    "SWIPE_FORWARD": "swipes_forward",
}
METRIC_PARAM = ",".join((*IG_METRICS, "navigation"))
BREAKDOWN = "story_navigation_action_type"


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


def is_expired(message: str) -> bool:
    """Whether a Graph API refusal means the story's numbers are gone (after 24 h)."""
    text = message.lower()
    return "expired" in text or "24 hours" in text or "does not exist" in text
