"""The HTML report: one self-contained page (inline SVG charts, no external files or scripts).

Read top to bottom: the headline numbers, then each tutorial's viewer funnel with its weakest
step in red, then satisfaction (CSAT by week and every poll), then support outcomes (time to
first response and to resolution), then what works (variants and time slots), then deflection,
then channels, then the full table.

The fonts travel inside the page: for each script the page holds (Thai titles, Arabic poll
options), the shipped face is cut to the characters used and embedded as a WOFF2 data URL, so
the file shows no empty boxes on a machine without those fonts, offline.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ..render.text.webfonts import STACK, embedded_css, scripts_in, text_direction, web_faces
from . import charts
from .report import Report, StoryLine, delivery_line, format_duration
from .variants import Figures

CSS = """
:root { --ink:#0D1B45; --muted:#6B7594; --line:#E3E7F1; --bg:#F4F6FB; --primary:#2454E6;
        --accent:#FFB547; --bad:#E5484D; --good:#2BA673; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font: 15px/1.45 var(--font); }
.chart svg text { font-family: var(--font) !important; }
header { background:var(--ink); color:#fff; padding:36px 48px 84px; }
header .kicker {
  color:var(--accent); font-weight:700; letter-spacing:.08em; text-transform:uppercase;
  font-size:12px;
}
header h1 { margin:6px 0 4px; font-size:30px; }
header p { margin:0; color:#B9C6F2; }
main { max-width:1180px; margin:-56px auto 48px; padding:0 24px; }
.kpis { display:grid; grid-template-columns:repeat(6, 1fr); gap:14px; }
.kpis.four { grid-template-columns:repeat(4, 1fr); margin-bottom:16px; }
.kpi {
  background:#fff; border-radius:16px; padding:18px 18px 16px;
  box-shadow:0 1px 2px rgba(13,27,69,.06), 0 8px 24px rgba(13,27,69,.06);
}
.kpi .label {
  color:var(--muted); font-size:12px; font-weight:600; text-transform:uppercase;
  letter-spacing:.05em;
}
.kpi .value { font-size:28px; font-weight:700; margin-top:4px; }
.kpi .note { color:var(--muted); font-size:12px; }
.kpi.bad .value { color:var(--bad); } .kpi.good .value { color:var(--good); }
h2 { font-size:19px; margin:40px 0 4px; } h2 + p.sub { margin:0 0 16px; color:var(--muted); }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(350px, 1fr)); gap:16px; }
.card {
  background:#fff; border-radius:16px; padding:18px 20px; box-shadow:0 1px 2px rgba(13,27,69,.05);
}
.card h3 {
  margin:0; font-size:15px; } .card .lang { display:inline-block; margin-left:6px; padding:1px 8px;
  border-radius:99px;
}
  background:#EEF2FF; color:var(--primary); font-size:11px; font-weight:700; vertical-align:2px; }
.card .title { color:var(--muted); font-size:13px; margin:2px 0 6px; }
.chart svg { width:100%; height:auto; display:block; }
.facts { display:grid; grid-template-columns:repeat(4, 1fr); gap:6px; margin-top:6px; }
.facts div {
  font-size:12px; color:var(--muted); } .facts b { display:block; font-size:16px; color:var(--ink);
}
.facts .warn b { color:var(--bad); }
.two { display:grid; grid-template-columns:1fr 1fr; gap:16px; align-items:start; }
.wide { display:grid; grid-template-columns:1fr 1fr; gap:16px; margin-top:16px; }
table {
  width:100%; border-collapse:collapse; background:#fff; border-radius:16px; overflow:hidden;
  font-size:13px;
}
th, td { padding:9px 12px; text-align:right; border-bottom:1px solid var(--line); white-space:nowrap; }
th { background:#FAFBFE; color:var(--muted); font-weight:600; font-size:12px; }
td:first-child, th:first-child, td:nth-child(2), th:nth-child(2) { text-align:left; }
tr:last-child td { border-bottom:none; }
.empty { color:var(--muted); background:#fff; border-radius:16px; padding:24px; }
footer { color:var(--muted); font-size:12px; text-align:center; margin:32px 0; }
@media (max-width: 900px) {
  .kpis { grid-template-columns:repeat(2, 1fr); } .two { grid-template-columns:1fr;
}
"""


def _svg(data: bytes) -> str:
    """Inline an SVG document (drop the XML prolog and doctype)."""
    text = data.decode("utf-8")
    return text[text.index("<svg") :]


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}%"


def _kpi(label: str, value: str, note: str = "", cls: str = "") -> str:
    return (
        f'<div class="kpi {cls}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
    )


def _story_card(s: StoryLine) -> str:
    chart = _svg(charts.funnel_figure(s.reach_by_frame, s.drop_off, "svg")) if s.reach else ""
    body = chart or '<p class="title">No insights captured yet.</p>'
    warn = ' class="warn"' if s.drop_off is not None else ""
    return f"""
<div class="card">
  <h3>{escape(s.ref)}<span class="lang">{escape(s.lang)}</span></h3>
  <div class="title" lang="{escape(s.lang)}" dir="{text_direction(s.lang)}">{escape(s.title)}</div>
  <div class="chart">{body}</div>
  <div class="facts">
    <div>Completion<b>{_pct(s.completion)}</b></div>
    <div{warn}>Drop-off<b>{escape(s.drop_off_label())}</b></div>
    <div>Replies<b>{s.replies}</b></div>
    <div>1st response<b>{escape(format_duration(s.first_response))}</b></div>
  </div>
</div>"""


def _table(report: Report) -> str:
    head = (
        "<tr><th>Tutorial</th><th>Lang</th><th>Reach</th><th>Completion</th><th>Drop-off</th>"
        "<th>Replies</th><th>1st response</th><th>Published</th><th>Failed</th><th>Handed off</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{escape(s.ref)}</td><td>{escape(s.lang)}</td><td>{s.reach}</td><td>{_pct(s.completion)}</td>"
        f"<td>{escape(s.drop_off_label())}</td><td>{s.replies}</td><td>{escape(format_duration(s.first_response))}</td>"
        f"<td>{s.published}</td><td>{s.failed}</td><td>{s.handed_off}</td></tr>"
        for s in report.stories
    )
    return f"<table>{head}{rows}</table>"


def render_html(report: Report, *, fonts_from: Path | None = None) -> str:
    """The whole report page; ``fonts_from``: the project root whose ``assets/fonts`` come
    before the packaged fonts."""
    t = report.totals
    period = (
        f"{report.since:%d %b %Y} – {report.now:%d %b %Y}"
        if report.since
        else f"everything up to {report.now:%d %b %Y %H:%M} UTC"
    )
    posts = t["published"] + t["handed_off"] + t["failed"]
    kpis = "".join(
        [
            _kpi("Reach", f"{t['reach']:,}", "first-frame viewers"),
            _kpi("Completion", _pct(t["completion"]), "reached the last frame"),
            _kpi("Replies", str(t["replies"]), "replies and mentions"),
            _kpi(
                "First response",
                format_duration(None if t["first_response_s"] is None else _td(t["first_response_s"])),
                "median wait",
            ),
            _kpi(
                "CSAT",
                _pct(t["csat"]),
                "latest week",
                "good" if (t["csat"] or 0) >= 80 else ("bad" if t["csat"] is not None else ""),
            ),
            _kpi(
                "Posts",
                str(posts),
                f"{t['failed']} failed · {t['handed_off']} handed off",
                "bad" if t["failed"] else "",
            ),
        ]
    )
    cards = (
        "".join(_story_card(s) for s in report.stories[:12])
        or '<div class="empty">No tutorials published in this period.</div>'
    )
    trend = (
        f'<div class="card chart">{_svg(charts.trend_figure(report.csat_trend, "svg"))}</div>'
        if report.csat_trend
        else '<div class="empty">No satisfaction answers yet.</div>'
    )
    poll_svgs = [f'<div class="card chart">{_svg(charts.poll_figure(p, "svg"))}</div>' for p in report.polls]
    first_poll = poll_svgs[0] if poll_svgs else '<div class="empty">No poll answers yet.</div>'
    more_polls = "".join(poll_svgs[1:])
    outcomes = (
        f'<div class="card chart">{_svg(charts.outcomes_figure(report.channels, "svg"))}</div>'
        if report.channels
        else '<div class="empty">Nothing was published in this period.</div>'
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(report.project)} · storycast report</title><style>{CSS}</style></head>
<body>
<header><div class="kicker">storycast report</div>
<h1>{escape(report.project)}</h1><p>{escape(period)}</p></header>
<main>
<section class="kpis">{kpis}</section>
<h2>Tutorials</h2>
<p class="sub">Viewers per frame; the frame after the biggest loss is red.
Numbers are captured before stories expire.</p>
<section class="grid">{cards}</section>
<h2>Satisfaction and polls</h2>
<p class="sub">CSAT is the share of 4 and 5 answers on the 1–5 scale,
from every channel and the local feed.</p>
<section class="two">{trend}{first_poll}</section>
<section class="wide">{more_polls}</section>
{_outcomes(report)}
{_what_works(report)}
{_deflection(report)}
<h2>Channels</h2><p class="sub">Every post (one frame on one channel in one language) by outcome.</p>
<section class="two">{outcomes}<div></div></section>
{_deliveries(report)}
<h2>All tutorials</h2>
<p class="sub">Per tutorial and language. Q&amp;A announcements published: {report.qa_announcements}.</p>
{_table(report)}
</main>
<footer>Generated by storycast at {report.now:%Y-%m-%d %H:%M} UTC.</footer>
</body></html>
"""
    # matplotlib names clip paths by a hash of their geometry, so equal ids in two charts are
    # equal shapes and the inlined SVGs can share one page.
    return _with_fonts(page, fonts_from)


def _deliveries(report: Report) -> str:
    """Message-list posts (WhatsApp): per channel, then per post, what the platform's delivery
    statuses said: the same counts as the text report's delivery lines."""
    if not report.deliveries:
        return ""
    keys = ("messages", "delivered", "read", "failed")
    totals: dict[str, dict[str, int]] = {}
    for d in report.deliveries:
        sums = totals.setdefault(d["channel"], dict.fromkeys(keys, 0))
        for k in keys:
            sums[k] += int(d.get(k) or 0)
    head = "<tr><th>Channel</th><th></th>" + "".join(f"<th>{k.capitalize()}</th>" for k in keys) + "</tr>"
    per_channel = "".join(
        f"<tr><td>{escape(ch)}</td><td></td>" + "".join(f"<td>{sums[k]}</td>" for k in keys) + "</tr>"
        for ch, sums in sorted(totals.items())
    )
    post_head = (
        "<tr><th>Post</th><th>Lang</th><th>Channel</th>"
        + "".join(f"<th>{k.capitalize()}</th>" for k in keys)
        + "<th>In words</th></tr>"
    )
    posts = "".join(
        f"<tr><td>{escape(str(d['ref']))}</td><td>{escape(str(d['lang']))}</td><td>{escape(str(d['channel']))}</td>"
        + "".join(f"<td>{int(d.get(k) or 0)}</td>" for k in keys)
        + f"<td>{escape(delivery_line(d))}</td></tr>"  # the text report's line
        for d in report.deliveries
    )
    return (
        '<h2>Deliveries</h2><p class="sub">Message-list posts (WhatsApp), from the platform\'s delivery '
        "statuses: a message the platform accepted counts as delivered only once it says so; each "
        "subscriber counts once, with their newest message.</p>"
        f'<table class="deliveries">{head}{per_channel}</table>'
        f'<div style="margin-top:16px"><table class="deliveries">{post_head}{posts}</table></div>'
    )


def _outcomes(report: Report) -> str:
    """Conversations: median and p90 time to first response and to resolution, still open."""
    head = (
        '<h2>Support outcomes</h2><p class="sub">A conversation opens with a customer\'s first message and '
        "is resolved by an agent's marker or the customer's satisfaction answer. Median and p90 (nine in ten "
        "were faster).</p>"
    )
    if not report.conversations:
        return head + '<div class="empty">No conversations in this period.</div>'
    lines = report.outcomes
    overall = lines[0]
    kpis = "".join(
        [
            _kpi("Conversations", str(overall.conversations), "opened by a customer"),
            _kpi("Still open", str(overall.open), "not resolved yet", "bad" if overall.open else "good"),
            _kpi(
                "First response",
                format_duration(overall.first_response.median),
                f"median · p90 {format_duration(overall.first_response.p90)}",
            ),
            _kpi(
                "Resolution",
                format_duration(overall.resolution.median),
                f"median · p90 {format_duration(overall.resolution.p90)}",
            ),
        ]
    )
    charts_html = []
    for dim, title in (("channel", "By channel"), ("lang", "By language"), ("story", "By tutorial")):
        mine = [o for o in lines if o.dimension == dim]
        if mine:
            rows = [
                (
                    o.value,
                    o.first_response.median,
                    o.first_response.p90,
                    o.resolution.median,
                    o.resolution.p90,
                    o.open,
                )
                for o in mine
            ]
            charts_html.append(
                f'<div class="card chart">{_svg(charts.waits_figure(rows, title, "svg"))}</div>'
            )
    table_rows = "".join(
        f"<tr><td>{escape(o.dimension)}</td><td>{_cell(o.value, o.dimension)}</td><td>{o.conversations}</td>"
        f"<td>{o.open}</td><td>{escape(format_duration(o.first_response.median))}</td>"
        f"<td>{escape(format_duration(o.first_response.p90))}</td>"
        f"<td>{escape(format_duration(o.resolution.median))}</td><td>{escape(format_duration(o.resolution.p90))}</td></tr>"
        for o in lines
    )
    table = (
        "<table><tr><th>By</th><th></th><th>Conversations</th><th>Open</th><th>1st response median</th>"
        f"<th>p90</th><th>Resolution median</th><th>p90</th></tr>{table_rows}</table>"
    )
    return (
        f'{head}<section class="kpis four">{kpis}</section>'
        f'<section class="wide">{"".join(charts_html)}</section><div style="margin-top:16px">{table}</div>'
    )


def _cell(value: str, dimension: str) -> str:
    # A language code is marked up as one, so screen readers and fonts pick the right language.
    if dimension == "lang" and value != "–":
        return f'<span lang="{escape(value)}">{escape(value)}</span>'
    return escape(value)


def _figure_rows(figs: list[Figures]) -> list[tuple[str, float | None, float | None, int]]:
    return [(f.value, f.completion, f.csat, f.viewers) for f in figs]


def _what_works(report: Report) -> str:
    """Variants per language, weekday and hour, and each channel's best slot (or why none)."""
    head = (
        '<h2>What works</h2><p class="sub">Completion (viewers of the last frame per viewer of the first) '
        "and CSAT (answers after the post on its channel) per schedule variant and time slot. "
        f"A slot is suggested once two slots have {report.thresholds.get('min_occurrences', 3)} "
        f"measured posts and {report.thresholds.get('min_viewers', 50)} viewers.</p>"
    )
    parts = []
    variants = [f for f in report.comparisons if f.dimension == "variant"]
    for lang in sorted({f.lang for f in variants}):
        mine = [f for f in variants if f.lang == lang]
        title = "Variants, every language" if not lang else f"Variants in {lang}"
        parts.append(
            f'<div class="card chart">{_svg(charts.compare_figure(_figure_rows(mine), title))}</div>'
        )
    for s in report.suggestions:
        mine = [f for f in report.slots if f.channel == s.channel]
        best = s.slot.value if s.slot else None
        chart = _svg(charts.compare_figure(_figure_rows(mine), f"Slots on {s.channel}", best))
        parts.append(f'<div class="card chart">{chart}<p class="title">{escape(s.reason)}</p></div>')
    if not parts:
        return head + '<div class="empty">No story posts in this period.</div>'
    rows = "".join(
        f"<tr><td>{escape(f.dimension)}</td><td>{escape(f.value)}</td>"
        f"<td>{_cell(f.lang, 'lang') if f.lang else 'all'}</td>"
        f"<td>{f.measured}/{f.posts}</td><td>{f.viewers}</td><td>{_pct(f.completion)}</td>"
        f"<td>{escape(f.drop_off_label())}</td><td>{_pct(f.csat)} ({f.csat_answers})</td></tr>"
        for f in report.comparisons
    )
    table = (
        "<table><tr><th>By</th><th></th><th>Lang</th><th>Measured</th><th>Viewers</th><th>Completion</th>"
        f"<th>Drop-off</th><th>CSAT (answers)</th></tr>{rows}</table>"
    )
    return f'{head}<section class="wide">{"".join(parts)}</section><div style="margin-top:16px">{table}</div>'


def _deflection(report: Report) -> str:
    """Per story: views, article visits through the frames' links, on-topic conversations."""
    d = report.deflection
    if d is None:
        return ""
    head = (
        f'<h2>Deflection</h2><p class="sub">Within {d["days"]} days of each post: story views, article '
        "visits through the frames' links, and conversations opened on the same topic. Self-service is "
        "visits as a share of visits and conversations.</p>"
    )
    stories = d.get("stories", [])
    if not stories:
        return head + '<div class="empty">No tutorials published in this period.</div>'
    rows = [(s["story"], s["visit_rate"], s["self_service"], int(s["views"])) for s in stories]
    chart = _svg(charts.deflection_figure(rows, "Article visits per 100 views"))
    cells = "".join(
        f"<tr><td>{escape(s['story'])}</td><td>{escape(s['title'])}</td><td>{s['views']}</td>"
        f"<td>{s['visits']}</td><td>{s['conversations']}</td><td>{_num(s['visit_rate'])}</td>"
        f"<td>{_num(s['conversations_per_1000'])}</td><td>{_pct(s['self_service'])}</td>"
        f"<td>{_pct(s['helpful_share'])}</td></tr>"
        for s in stories
    )
    table = (
        "<table><tr><th>Tutorial</th><th>Title</th><th>Views</th><th>Visits</th><th>Conversations</th>"
        "<th>Visits /100 views</th><th>Conv. /1,000 views</th><th>Self-service</th><th>Helpful</th></tr>"
        f"{cells}</table>"
    )
    return f'{head}<section class="two"><div class="card chart">{chart}</div><div></div></section>' + (
        f'<div style="margin-top:16px">{table}</div>'
    )


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:g}"


def _with_fonts(page: str, fonts_from: Path | None) -> str:
    """``page`` with the faces its text needs embedded, cut to its characters."""
    fonts = embedded_css(web_faces(fonts_from, scripts_in(page)), page)
    style = f"<style>:root {{ --font: {STACK}; }}\n{fonts}</style>"
    return page.replace("<style>", style + "<style>", 1)


def _td(seconds: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)
