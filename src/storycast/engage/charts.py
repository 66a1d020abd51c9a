"""Charts for poll results and reports (matplotlib, Agg backend; imported only when drawing).

Every chart is drawn in the brand's colours with a quiet style: no chart junk, direct labels
instead of legends where possible, one accent colour for the thing to look at.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .polls import Tally

INK = "#0D1B45"
MUTED = "#7A86A8"
GRID = "#E6E9F2"
PRIMARY = "#2454E6"
ACCENT = "#FFB547"
BAD = "#E5484D"
GOOD = "#2BA673"
SERIES = ("#2454E6", "#FFB547", "#2BA673", "#9B5DE5", "#E5484D", "#00A3C4", "#7A86A8")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from ..resources import assets_dir

    fonts = assets_dir() / "fonts"
    for name in (
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSansThai-Regular.ttf",
        "NotoSansThai-Bold.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
    ):
        path = fonts / name
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
    plt.rcParams.update(
        {
            # In SVG the browser draws the text (report.html sets its own stack over this one).
            "font.family": [
                "Noto Sans",
                "Noto Sans Thai",
                "Noto Sans Devanagari",
                "Noto Sans Arabic",
                "DejaVu Sans",
            ],
            "font.size": 11,
            "axes.edgecolor": GRID,
            "axes.labelcolor": MUTED,
            "axes.titlecolor": INK,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "xtick.color": MUTED,
            "ytick.color": MUTED,
            "svg.fonttype": "none",  # keep text as text: the browser shapes Thai and Devanagari
            "svg.hashsalt": "storycast",  # deterministic ids
        }
    )
    return plt


def _out(fig: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(
        buf, format=fmt, dpi=160, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None
    )
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def poll_figure(t: Tally, fmt: str = "png") -> bytes:
    """Horizontal bars per option, stacked by channel, with counts and shares at the bar ends."""
    plt = _plt()
    n = len(t.options)
    fig, ax = plt.subplots(figsize=(7.2, 0.55 * n + 1.3))
    y = list(range(n))[::-1]
    left = [0] * n
    channels = sorted(t.by_channel) or ["votes"]
    for i, ch in enumerate(channels):
        vals = t.by_channel.get(ch, [0] * n)
        ax.barh(y, vals, left=left, color=SERIES[i % len(SERIES)], height=0.62, label=ch)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    total = max(t.total, 1)
    for yi, c in zip(y, t.counts, strict=True):
        ax.text(c + total * 0.01, yi, f"{c}  ({100 * c / total:.0f}%)", va="center", color=INK, fontsize=10)
    labels = [f"{i}. {o if len(o) <= 32 else o[:31] + '…'}" for i, o in enumerate(t.options, start=1)]
    ax.set_yticks(y, labels)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(0, max([*t.counts, 1]) * 1.25)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelcolor=INK)
    title = t.question if len(t.question) <= 70 else t.question[:69] + "…"
    ax.set_title(title, pad=30)
    sub = f"{t.total} votes"
    if t.csat is not None:
        sub += f" · CSAT {t.csat:.0f}% · mean {t.mean:.2f}/5"
    ax.text(0, 1.03, sub, transform=ax.transAxes, color=MUTED, fontsize=10, va="bottom")
    if len(channels) > 1:
        ax.legend(frameon=False, loc="lower right", fontsize=9, ncols=min(len(channels), 4))
    return _out(fig, fmt)


def poll_bars(t: Tally, out: Path) -> Path:
    """Write :func:`poll_figure` as a PNG."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(poll_figure(t, "png"))
    return out


def funnel_figure(reach: Sequence[int], worst: int | None, fmt: str = "svg") -> bytes:
    """Viewers per step of one tutorial; the step that loses most is drawn in the alert colour."""
    plt = _plt()
    n = len(reach)
    fig, ax = plt.subplots(figsize=(4.6, 2.5))
    colors = [PRIMARY] * n
    if worst is not None and 0 <= worst + 1 < n:
        colors[worst + 1] = BAD
    labels = ["cover" if i == 0 else ("end" if i == n - 1 else str(i)) for i in range(n)]
    ax.bar(range(n), reach, color=colors, width=0.7)
    top = max([*reach, 1])
    for i, v in enumerate(reach):
        ax.text(i, v + top * 0.03, f"{v}", ha="center", va="bottom", fontsize=9, color=INK)
    ax.set_xticks(range(n), labels)
    ax.set_ylim(0, top * 1.22)
    ax.yaxis.set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="x", length=0)
    return _out(fig, fmt)


def trend_figure(points: Sequence[tuple[str, float, int]], fmt: str = "svg") -> bytes:
    """CSAT per week: a line with the value at each point and the answer count under it."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    xs = list(range(len(points)))
    ys = [p[1] for p in points]
    ax.axhspan(80, 100, color=GOOD, alpha=0.07, lw=0)
    ax.plot(xs, ys, color=PRIMARY, lw=2.5, marker="o", ms=7, mfc="white", mew=2.2)
    for x, (_, v, n) in zip(xs, points, strict=True):
        ax.text(x, v + 4, f"{v:.0f}%", ha="center", fontsize=10, color=INK, fontweight="bold")
        ax.text(x, 3, f"n={n}", ha="center", fontsize=8, color=MUTED)
    ax.set_xticks(xs, [p[0] for p in points])
    ax.set_ylim(0, 108)
    ax.set_yticks([0, 50, 80, 100], ["0", "50", "80", "100%"])
    ax.grid(axis="y", color=GRID, lw=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(length=0)
    ax.set_title("CSAT by week (share of 4 and 5 answers)", pad=10)
    return _out(fig, fmt)


def outcomes_figure(rows: Sequence[tuple[str, int, int, int]], fmt: str = "svg") -> bytes:
    """Published / handed off / failed posts per channel, as stacked horizontal bars."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 0.42 * len(rows) + 1.0))
    y = list(range(len(rows)))[::-1]
    pub = [r[1] for r in rows]
    hand = [r[2] for r in rows]
    fail = [r[3] for r in rows]
    ax.barh(y, pub, color=PRIMARY, height=0.6, label="published")
    ax.barh(y, hand, left=pub, color=ACCENT, height=0.6, label="handed off")
    ax.barh(
        y, fail, left=[a + b for a, b in zip(pub, hand, strict=True)], color=BAD, height=0.6, label="failed"
    )
    for yi, a, b, c in zip(y, pub, hand, fail, strict=True):
        ax.text(a + b + c + 0.3, yi, f"{a + b + c}", va="center", fontsize=9, color=INK)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelcolor=INK)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncols=3, fontsize=9)
    ax.set_title("Posts per channel", pad=10, fontsize=12)
    return _out(fig, fmt)


def _short(seconds: float | None) -> str:
    """``12m``, ``3.5h``, ``2.1d``: a wait short enough for a bar end."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def waits_figure(rows: Sequence[tuple[str, Any, Any, Any, Any, int]], title: str, fmt: str = "svg") -> bytes:
    """Median (solid) and p90 (light) time to first response and to resolution, one row each.

    ``rows``: (label, first-response median, p90, resolution median, p90, open) with waits as
    timedeltas or None. Bars are in hours on one axis, so the two measures compare directly.
    """
    plt = _plt()
    n = len(rows)
    fig, ax = plt.subplots(figsize=(7.2, 0.75 * n + 1.4))
    y = list(range(n))[::-1]
    hours = [[(w.total_seconds() / 3600 if w is not None else 0.0) for w in r[1:5]] for r in rows]
    top = max([v for h in hours for v in h] + [0.1])
    for yi, h, r in zip(y, hours, rows, strict=True):
        fr_med, fr_p90, res_med, res_p90 = h
        ax.barh(yi + 0.18, fr_p90, height=0.32, color=PRIMARY, alpha=0.25)
        ax.barh(yi + 0.18, fr_med, height=0.32, color=PRIMARY)
        ax.barh(yi - 0.18, res_p90, height=0.32, color=GOOD, alpha=0.25)
        ax.barh(yi - 0.18, res_med, height=0.32, color=GOOD)
        waits = [(None if w is None else w.total_seconds()) for w in r[1:5]]
        ax.text(
            max(fr_p90, fr_med) + top * 0.01,
            yi + 0.18,
            f"{_short(waits[0])} · p90 {_short(waits[1])}",
            va="center",
            fontsize=8.5,
            color=INK,
        )
        note = f"{_short(waits[2])} · p90 {_short(waits[3])}" + (f" · {r[5]} open" if r[5] else "")
        ax.text(max(res_p90, res_med) + top * 0.01, yi - 0.18, note, va="center", fontsize=8.5, color=INK)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel("hours")
    ax.grid(axis="x", color=GRID, lw=0.8)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelcolor=INK)
    ax.set_title(title, pad=24)
    ax.text(0, 1.02, "■ first response   ", transform=ax.transAxes, color=PRIMARY, fontsize=9, va="bottom")
    ax.text(
        0.22, 1.02, "■ resolution   (light: p90)", transform=ax.transAxes, color=GOOD, fontsize=9, va="bottom"
    )
    return _out(fig, fmt)


def compare_figure(
    rows: Sequence[tuple[str, float | None, float | None, int]],
    title: str,
    best: str | None = None,
    fmt: str = "svg",
) -> bytes:
    """Completion per group (variant, slot) as horizontal bars, CSAT and viewers at the bar end.

    ``rows``: (label, completion %, CSAT % or None, viewers). ``best`` is drawn in the good colour;
    groups without measured viewers are grey.
    """
    plt = _plt()
    n = len(rows)
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * n + 1.3))
    y = list(range(n))[::-1]
    for yi, (label, completion, csat, viewers) in zip(y, rows, strict=True):
        color = GOOD if label == best else (PRIMARY if completion is not None else MUTED)
        ax.barh(yi, completion or 0, color=color, height=0.6)
        text = ("–" if completion is None else f"{completion:.0f}%") + f"  · {viewers} viewers"
        if csat is not None:
            text += f" · CSAT {csat:.0f}%"
        ax.text((completion or 0) + 1.5, yi, text, va="center", fontsize=9, color=INK)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlim(0, 160)
    ax.set_xticks([0, 50, 100], ["0", "50", "100%"])
    ax.grid(axis="x", color=GRID, lw=0.8)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelcolor=INK)
    ax.set_title(title, pad=10)
    return _out(fig, fmt)


def deflection_figure(
    rows: Sequence[tuple[str, float | None, float | None, int]], title: str, fmt: str = "svg"
) -> bytes:
    """Article visits per 100 views per story, with the self-service share at the bar end.

    ``rows``: (story, visits per 100 views, self-service %, views)."""
    plt = _plt()
    n = len(rows)
    fig, ax = plt.subplots(figsize=(6.0, 0.5 * n + 1.3))
    y = list(range(n))[::-1]
    top = max([r[1] or 0 for r in rows] + [1.0])
    for yi, (_, rate, share, views) in zip(y, rows, strict=True):
        ax.barh(yi, rate or 0, color=PRIMARY if rate is not None else MUTED, height=0.6)
        text = ("–" if rate is None else f"{rate:g}") + f"  · {views} views"
        if share is not None:
            text += f" · self-service {share:.0f}%"
        ax.text((rate or 0) + top * 0.02, yi, text, va="center", fontsize=9, color=INK)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlim(0, top * 1.9)
    ax.grid(axis="x", color=GRID, lw=0.8)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelcolor=INK)
    ax.set_title(title, pad=10)
    return _out(fig, fmt)
