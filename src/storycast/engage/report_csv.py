"""``storycast report --format csv``: every figure of the report as one long table.

One row per figure: ``table, by, key, lang, channel, figure, value``. A spreadsheet's pivot table
(or pandas ``pivot``) turns it into any shape; the columns never change when a figure is added.
Durations are in seconds, shares in percent, empty cells mean "no data".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from .report import Report

COLUMNS = ("table", "by", "key", "lang", "channel", "figure", "value")


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flat(f"{prefix}_{k}" if prefix else str(k), v)
    elif isinstance(value, list):
        for i, v in enumerate(value, start=1):
            yield from _flat(f"{prefix}_{i}", v)
    else:
        yield prefix, value


def rows(report: Report) -> Iterator[dict[str, Any]]:
    """The report's figures, one dict per CSV row."""

    def row(
        table: str, by: str, key: str, figure: str, value: Any, lang: str = "", channel: str = ""
    ) -> dict[str, Any]:
        return dict(
            zip(COLUMNS, (table, by, key, lang, channel, figure, "" if value is None else value), strict=True)
        )

    for figure, value in report.totals.items():
        yield row("totals", "all", "", figure, value)
    for s in report.stories:
        for figure, value in _flat(
            "", {k: v for k, v in s.to_json().items() if k not in ("story", "lang", "title")}
        ):
            yield row("stories", "story", s.ref, figure, value, lang=s.lang)
    for o in report.outcomes:
        data = o.to_json()
        for figure, value in _flat("", {k: v for k, v in data.items() if k not in ("by", "value")}):
            yield row("outcomes", o.dimension, o.value, figure, value)
    for f in report.comparisons:
        data = f.to_json()
        for figure, value in _flat(
            "", {k: v for k, v in data.items() if k not in ("by", "value", "lang", "channel")}
        ):
            yield row("comparisons", f.dimension, f.value, figure, value, lang=f.lang)
    for f in report.slots:
        data = f.to_json()
        for figure, value in _flat(
            "", {k: v for k, v in data.items() if k not in ("by", "value", "lang", "channel")}
        ):
            yield row("slots", "slot", f.value, figure, value, channel=f.channel)
    for sug in report.suggestions:
        best = sug.slot.value if sug.slot else None
        yield row("suggestions", "channel", sug.channel, "best_slot", best, channel=sug.channel)
        yield row("suggestions", "channel", sug.channel, "reason", sug.reason, channel=sug.channel)
    for t in report.polls:
        yield row("polls", "poll", t.poll_id, "total", t.total)
        yield row("polls", "poll", t.poll_id, "csat", None if t.csat is None else round(t.csat, 1))
    for week, value, n in report.csat_trend:
        yield row("csat_trend", "week", week, "csat", round(value, 1))
        yield row("csat_trend", "week", week, "answers", n)
    for name, published, handed, failed in report.channels:
        for figure, value in (("published", published), ("handed_off", handed), ("failed", failed)):
            yield row("channels", "channel", name, figure, value, channel=name)
    d = report.deflection or {}
    for figure, value in d.items():
        if figure != "stories":
            yield row("deflection", "all", "", figure, value)
    for story in d.get("stories", []):
        key = str(story.get("story", ""))
        data = {k: v for k, v in story.items() if k not in ("story", "title", "posted")}
        for figure, value in _flat("", data):
            yield row("deflection", "story", key, figure, value)


def to_csv(report: Report) -> str:
    """The whole report as CSV text (RFC 4180, ``\\r\\n`` line ends as the csv module writes)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows(report))
    return buf.getvalue()
