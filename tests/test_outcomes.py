"""Support outcomes in `storycast report`: conversations, first response and resolution, variants,
slots, CSAT per variant and deflection, from a seeded ledger (replies, votes, visits, variants)
whose figures the test computes on its own."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import pytest

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.engage.outcomes import conversations, marker_pattern, percentile
from storycast.engage.polls import record_vote
from storycast.engage.report import build_report
from storycast.ledger import open_ledger
from storycast.ledger.rows import PostRef
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Madrid
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

POLL = """\
kind: poll
id: csat
languages: [en, es]
question: {en: How did we do?, es: ¿Qué tal lo hicimos?}
scale: "1-5"
"""

TOML = MINIMAL_TOML + '\n[channels.instagram]\ntype = "local"\n\n[channels.telegram]\ntype = "local"\n'

# Reach per frame (4 frames: cover, 2 steps, end) of each post of entry "tips" on instagram/es.
# Morning posts go out Mondays 09:00 local, evening posts Mondays 18:30 local (weeks 0..5).
MORNING = [[200, 150, 120, 100], [100, 90, 60, 50], [300, 200, 180, 150]]
EVENING = [[100, 95, 90, 80], [80, 70, 66, 60], [60, 58, 50, 45]]


# (day, language, visits): the posts run from 2 to 16 November, so their merged 7-day windows end on
# 23 November; the 1 December visits fall outside every window.
VISITS = [
    (date(2026, 11, 3), "es", 7),
    (date(2026, 11, 10), "en", 3),
    (date(2026, 11, 20), "es", 2),
    (date(2026, 12, 1), "es", 4),
]


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


# (channel, thread, kind, text, minutes after T0, ref, lang)
MESSAGES: list[tuple[str, str, str, str, float, str, str]] = [
    # u1: two messages, an answer at +10, resolved by the marker (any case) at +40.
    ("instagram", "u1", "reply", "mi router no va", 0, "sample", "es"),
    ("instagram", "u1", "reply", "¿hola?", 5, "sample", "es"),
    ("instagram", "u1", "agent", "Prueba a reiniciarlo", 10, "", ""),
    ("instagram", "u1", "agent", "Listo #Resolved", 40, "", ""),
    # u1 again later: a new conversation, never answered: open.
    ("instagram", "u1", "reply", "otra cosa", 300, "sample", "es"),
    # u2 on telegram: answered at +90, resolved by a satisfaction vote at +180 (seeded below).
    ("telegram", "u2", "reply", "help please", 60, "sample", "en"),
    ("telegram", "u2", "agent", "On it", 90, "", ""),
    # u3: answered after 2 h, but "#resolvedx" is not the marker: still open.
    ("telegram", "u3", "reply", "wifi slow", 20, "sample", "en"),
    ("telegram", "u3", "agent", "see #resolvedx", 140, "", ""),
    # u4: answered at +15, then replies "4" to the satisfaction poll post: resolved by CSAT at +25.
    ("instagram", "u4", "reply", "no internet", 0, "sample", "es"),
    ("instagram", "u4", "agent", "fixed?", 15, "", ""),
    ("instagram", "u4", "reply", "4", 25, "csat", "es"),
    # An agent message outside any conversation is no first response.
    ("instagram", "u5", "agent", "hello from us", 1, "", ""),
]

# Conversations the seed makes, as (channel, lang, story, first response min, resolution min | None).
EXPECTED_CONVS = [
    ("instagram", "es", "sample", 10, 40),
    ("instagram", "es", "sample", 15, 25),
    ("telegram", "en", "sample", 120, None),
    ("telegram", "en", "sample", 30, 120),
    ("instagram", "es", "sample", None, None),
]


def _units(
    entry: str, occ: str, channel: str, lang: str, due: datetime, variant: str
) -> list[dict[str, Any]]:
    return [
        {
            "entry_key": entry,
            "occurrence_key": occ,
            "channel": channel,
            "lang": lang,
            "frame": f,
            "frame_total": 4,
            "kind": "story",
            "ref": "sample",
            "label": "sample",
            "source": "seed",
            "due_utc": due,
            "deadline_utc": due + timedelta(minutes=30),
            "variant": variant,
        }
        for f in range(1, 5)
    ]


def _post(led: Any, channel: str, lang: str, occ: str, due: datetime, variant: str, reach: list[int]) -> None:
    from sqlalchemy import update

    from storycast.ledger.models import publication

    led.insert_units(_units("tips", occ, channel, lang, due, variant), due)
    for frame, r in enumerate(reach, start=1):
        remote = f"{channel}-{occ}-{lang}-{frame}"

        def run(c: Any, frame: int = frame, remote: str = remote) -> None:
            p = publication
            c.execute(
                update(p)
                .where(
                    p.c.occurrence_key == occ, p.c.channel == channel, p.c.lang == lang, p.c.frame == frame
                )
                .values(state="published", remote_id=remote, published_utc=due.replace(tzinfo=None))
            )

        led._write(run)
        post = led.find_post(channel, remote)
        led.upsert_insight(
            channel=channel,
            remote_id=remote,
            source="pull",
            metrics={"reach": r},
            now=due + timedelta(hours=23),
            post=post,
        )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = build_file_tree(
        tmp_path_factory.mktemp("outcomes"),
        {"storycast.toml": TOML, "stories/sample.yaml": MINIMAL_STORY, "stories/csat.yaml": POLL},
    )
    project = Project.load(root, environ={})
    led = open_ledger(project)
    try:
        for week, reach in enumerate(MORNING):
            due = T0 + timedelta(days=7 * week)
            _post(led, "instagram", "es", f"{due + timedelta(hours=1):%Y-%m-%dT%H:%M}", due, "morning", reach)
        for week, reach in enumerate(EVENING):
            due = T0 + timedelta(days=7 * week, hours=9, minutes=30)
            _post(led, "instagram", "es", f"{due + timedelta(hours=1):%Y-%m-%dT%H:%M}", due, "evening", reach)
        # One telegram post: not enough for a slot suggestion there.
        _post(led, "telegram", "en", "2026-11-03T09:00", T0 + timedelta(days=1), "morning", [40, 30, 20, 10])
        # The poll post u4 answers.
        led.insert_units(
            [
                {
                    **_units("poll", "2026-11-02T09:00", "instagram", "es", T0, "")[0],
                    "kind": "poll",
                    "ref": "csat",
                    "frame_total": 1,
                }
            ],
            T0,
        )
        for i, (channel, thread, kind, text, minutes, ref, lang) in enumerate(MESSAGES):
            post = PostRef(0, "poll" if ref == "csat" else "story", ref, lang, 1, 1, channel) if ref else None
            led.put_reply(
                channel=channel,
                message_id=f"m{i}",
                kind=kind,
                thread=thread,
                at=T0 + _m(minutes),
                text=text,
                post=post,
            )
        # Satisfaction answers: u2's vote (resolves at +180), u4's reply-vote "4" (as inbound stores it),
        # and answers that the report attributes to the latest instagram/es post before them.
        record_vote(
            project, "csat", 5, "telegram", "telegram:u2", now=T0 + _m(180), channel="telegram", ledger=led
        )
        record_vote(
            project,
            "csat",
            4,
            "reply",
            "instagram:u4",
            now=T0 + _m(25),
            channel="instagram",
            lang="es",
            ledger=led,
        )
        evening_week1 = T0 + timedelta(days=7, hours=9, minutes=30)
        for n, option in enumerate((5, 5, 2)):
            record_vote(
                project,
                "csat",
                option,
                "local",
                f"e{n}",
                now=evening_week1 + _m(60 + n),
                channel="instagram",
                lang="es",
                ledger=led,
            )
        morning_week2 = T0 + timedelta(days=14)
        record_vote(
            project,
            "csat",
            1,
            "local",
            "m0",
            now=morning_week2 + _m(30),
            channel="instagram",
            lang="es",
            ledger=led,
        )
        # Article visits through the short link (day counters): three days inside the 7-day windows
        # after the posts, one day long after the last window ends (an old bookmark).
        for day, lang, n in VISITS:
            led.count_visit(ref="sample", lang=lang, channel="", day=day, n=n)
        # Too late to attribute: 3 days after the last post on that channel.
        record_vote(
            project,
            "csat",
            5,
            "local",
            "late",
            now=T0 + timedelta(days=17, hours=12),
            channel="instagram",
            lang="es",
            ledger=led,
        )
    finally:
        led.close()
    return project


def _waits(minutes: list[int | None]) -> tuple[int | None, int | None]:
    """(median, p90) in seconds, computed here without the code under test."""
    vals = sorted(60 * m for m in minutes if m is not None)
    if not vals:
        return None, None
    p90 = vals[max(1, math.ceil(0.9 * len(vals))) - 1]
    return int(median(vals)), p90


def _expected_line(pick: Any) -> dict[str, Any]:
    mine = [c for c in EXPECTED_CONVS if pick(c)]
    fr = _waits([c[3] for c in mine])
    res = _waits([c[4] for c in mine])
    return {
        "conversations": len(mine),
        "open": sum(1 for c in mine if c[4] is None),
        "first_response": {
            "count": sum(1 for c in mine if c[3] is not None),
            "median_s": fr[0],
            "p90_s": fr[1],
        },
        "resolution": {
            "count": sum(1 for c in mine if c[4] is not None),
            "median_s": res[0],
            "p90_s": res[1],
        },
    }


def _lines(report: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o.dimension, o.value): o.to_json() for o in report.outcomes}


@pytest.mark.parametrize(
    ("key", "pick"),
    [
        (("all", ""), lambda c: True),
        (("channel", "instagram"), lambda c: c[0] == "instagram"),
        (("channel", "telegram"), lambda c: c[0] == "telegram"),
        (("lang", "es"), lambda c: c[1] == "es"),
        (("lang", "en"), lambda c: c[1] == "en"),
        (("story", "sample"), lambda c: c[2] == "sample"),
    ],
)
def test_first_response_and_resolution_match_the_seed(
    seeded: Project, key: tuple[str, str], pick: Any
) -> None:
    got = _lines(build_report(seeded, now=NOW))[key]
    want = _expected_line(pick)
    for field, value in want.items():
        assert got[field] == value, (key, field)


def test_deflection_matches_the_seed(seeded: Project) -> None:
    """Views of the first frames, visits inside the windows, and the conversations on the story."""
    got = build_report(seeded, now=NOW).deflection
    assert got is not None
    views = sum(r[0] for r in MORNING + EVENING) + 40  # every post's first frame, the telegram one too
    visits = sum(n for day, _, n in VISITS if day <= date(2026, 11, 23))
    convs = len(EXPECTED_CONVS)  # each replies to a post of "sample" inside its window
    assert (got["views"], got["visits"], got["conversations"]) == (views, visits, convs)
    assert got["unmatched_visits"] == 4
    assert got["visit_rate"] == round(100 * visits / views, 1)
    assert got["conversations_per_1000"] == round(1000 * convs / views, 1)
    assert got["self_service"] == round(100 * visits / (visits + convs), 1)
    (story,) = got["stories"]
    assert story["story"] == "sample"
    assert story["by_lang"]["es"]["visits"] == 9 and story["by_lang"]["en"]["visits"] == 3
    assert story["by_channel"]["instagram"]["conversations"] == 3
    assert story["by_channel"]["telegram"]["conversations"] == 2


def test_how_each_conversation_ended(seeded: Project) -> None:
    report = build_report(seeded, now=NOW)
    ends = sorted((c.channel, c.thread, c.resolved_by or "open") for c in report.conversations)
    assert ends == [
        ("instagram", "u1", "marker"),
        ("instagram", "u1", "open"),
        ("instagram", "u4", "csat"),
        ("telegram", "u2", "csat"),
        ("telegram", "u3", "open"),
    ]
    assert report.open_conversations == 2


def test_markers_and_csat_are_configurable(seeded: Project, tmp_path: Path) -> None:
    text = (seeded.root / "storycast.toml").read_text(encoding="utf-8")
    (seeded.root / "storycast.toml").write_text(
        text + '\n[outcomes]\nresolved_markers = ["#resolvedx"]\ncsat_resolves = false\n', encoding="utf-8"
    )
    try:
        report = build_report(Project.load(seeded.root, environ={}), now=NOW)
    finally:
        (seeded.root / "storycast.toml").write_text(text, encoding="utf-8")
    ends = sorted((c.channel, c.thread, c.resolved_by or "open") for c in report.conversations)
    # u1's "#Resolved" no longer counts (and the next message continues the same conversation),
    # u3's "#resolvedx" does; votes resolve nothing, and u4's "4" is not a message either.
    assert ends == [
        ("instagram", "u1", "open"),
        ("instagram", "u4", "open"),
        ("telegram", "u2", "open"),
        ("telegram", "u3", "marker"),
    ]


def _completion(posts: list[list[int]]) -> float:
    return round(100 * sum(p[-1] for p in posts) / sum(p[0] for p in posts), 1)


def test_per_variant_completion_drop_off_and_csat(seeded: Project) -> None:
    report = build_report(seeded, now=NOW)
    figs = {(f.dimension, f.value, f.lang): f.to_json() for f in report.comparisons}
    morning = figs[("variant", "tips · morning", "es")]
    evening = figs[("variant", "tips · evening", "es")]
    assert morning["completion"] == _completion(MORNING)
    assert evening["completion"] == _completion(EVENING)
    assert (morning["posts"], morning["measured"], morning["viewers"]) == (3, 3, 600)
    funnel = [sum(col) for col in zip(*MORNING, strict=True)]
    losses = [a - b for a, b in itertools.pairwise(funnel)]
    assert morning["drop_off"]["from_frame"] == losses.index(max(losses)) + 1
    # Answers go to the latest post on their channel and language within 48 h: three to the
    # evening post of week 1 (two of them 4-5), one to the morning post of week 2; the late one
    # and u4's answer (T0+25 min, before that channel's first... morning post at T0) as counted:
    assert (evening["csat_answers"], evening["csat"]) == (3, round(100 * 2 / 3, 1))
    # Morning: u4's "4" at T0+25min follows the week-0 morning post; "1" follows week 2's.
    assert (morning["csat_answers"], morning["csat"]) == (2, 50.0)
    # All languages together: telegram's one post is a morning post as well.
    both = figs[("variant", "tips · morning", "")]
    assert both["posts"] == 4 and both["viewers"] == 640
    # Weekday and hour groups (local time of the occurrence key).
    assert figs[("hour", "09:00", "es")]["completion"] == _completion(MORNING)
    assert figs[("hour", "18:00", "es")]["completion"] == _completion(EVENING)
    assert figs[("weekday", "Mon", "es")]["posts"] == 6


def test_best_slot_per_channel_and_not_enough_data(seeded: Project) -> None:
    report = build_report(seeded, now=NOW)
    by = {s.channel: s for s in report.suggestions}
    best = "Mon 18:00" if _completion(EVENING) > _completion(MORNING) else "Mon 09:00"
    assert by["instagram"].slot is not None and by["instagram"].slot.value == best
    assert by["telegram"].slot is None and by["telegram"].reason.startswith("not enough data")
    assert "Tue 09:00 (1 post, 40 viewers)" in by["telegram"].reason
    assert report.thresholds == {"min_occurrences": 3, "min_viewers": 50}


def test_formats_carry_the_same_figures(seeded: Project, run_cli: Any, tmp_path: Path) -> None:
    args = ("--project", str(seeded.root), "report", "--now", NOW.isoformat())
    code, out, _ = run_cli(*args, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["outcomes"]["open"] == 2 and data["outcomes"]["conversations"] == 5
    code, alias, _ = run_cli(*args, "--json")
    assert code == 0 and json.loads(alias)["outcomes"] == data["outcomes"]
    code, out, _ = run_cli(*args, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0].keys() == {"table", "by", "key", "lang", "channel", "figure", "value"}
    got = {(r["table"], r["by"], r["key"], r["figure"]): r["value"] for r in rows}
    assert got[("outcomes", "all", "", "open")] == "2"
    assert got[("outcomes", "channel", "instagram", "resolution_median_s")] == str(_waits([40, 25])[0])
    assert got[("comparisons", "variant", "tips · evening", "completion")] == str(_completion(EVENING))
    code, out, _ = run_cli(*args)
    assert code == 0
    assert "still open: 2" in out and "best slot on instagram" in out and "not enough data" in out
    html = tmp_path / "r.html"
    code, _, _ = run_cli(*args, "--format", "html", "--out", str(html))
    assert code == 0
    page = html.read_text(encoding="utf-8")
    assert "Resolution" in page and "tips · evening" in page and page.count("<svg") >= 7
    code, out, _ = run_cli(*args, "--format", "html")
    assert code == 0 and out.startswith("<!doctype html>")


@pytest.mark.parametrize(
    "extra",
    [("--json", "--format", "csv"), ("--format", "xml"), ("--json", "--format", "html")],
)
def test_conflicting_formats_are_a_usage_error(seeded: Project, run_cli: Any, extra: tuple[str, ...]) -> None:
    code, _out, err = run_cli("--project", str(seeded.root), "report", "--now", NOW.isoformat(), *extra)
    assert code == 2
    assert "--format" in err and "Traceback" not in err


def test_helpers() -> None:
    assert percentile([], 90) is None
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([5], 90) == 5
    find = marker_pattern(["#resolved", "/done"])
    assert find is not None
    assert find.search("ok #RESOLVED.") and find.search("/done") and not find.search("#resolvedx")
    assert not find.search("x#resolved") and marker_pattern([]) is None
    t = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": 1,
            "channel": "c",
            "thread": "t",
            "kind": "reply",
            "text": "",
            "at_utc": t,
            "ref": "",
            "lang": "",
        },
        {
            "id": 2,
            "channel": "c",
            "thread": "t",
            "kind": "agent",
            "text": "#resolved",
            "at_utc": t + _m(3),
            "ref": "",
            "lang": "",
        },
    ]
    (conv,) = conversations(rows)
    assert conv.response_wait == conv.resolution_wait == _m(3)


def test_every_format_writes_to_out(seeded: Project, run_cli: Any, tmp_path: Path) -> None:
    args = ("--project", str(seeded.root), "report", "--now", NOW.isoformat())
    for fmt, first in (("text", "Test project: stories"), ("csv", "table,by,key"), ("json", "{")):
        out = tmp_path / f"report.{fmt}"
        code, said, _ = run_cli(*args, "--format", fmt, "--out", str(out))
        assert code == 0 and f"wrote {out}" in said
        assert out.read_text(encoding="utf-8").lstrip().startswith(first)
    assert "still open: 2" in (tmp_path / "report.text").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["outcomes"]["open"] == 2
    # --json --out keeps its old meaning: the HTML page, and its name in the JSON.
    page = tmp_path / "old.html"
    code, said, _ = run_cli(*args, "--json", "--out", str(page))
    assert (
        code == 0
        and json.loads(said)["html"] == str(page)
        and page.read_text(encoding="utf-8").startswith("<!doctype")
    )


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ('resolved_markers = ["two words"]', "is not a marker"),
        ('resolved_markers = [""]', "is not a marker"),
        ("min_occurrences = 0", "outcomes.min_occurrences"),
        ("csat_resolves = 3", "outcomes.csat_resolves"),
        ("resolve_markers = []", "resolve_markers"),
    ],
)
def test_bad_outcomes_settings_name_the_key_and_line(tmp_path: Path, table: str, needle: str) -> None:
    from storycast.config import parse
    from storycast.errors import ConfigError

    path = tmp_path / "storycast.toml"
    text = MINIMAL_TOML + "\n[outcomes]\n" + table + "\n"
    with pytest.raises(ConfigError) as info:
        parse(text, path)
    problem = info.value.problems[0]
    assert needle in problem.message + (problem.hint or "")
    assert problem.line == text.splitlines().index(table) + 1


def test_open_conversations_are_listed_oldest_first_without_thread_ids(seeded: Project, run_cli: Any) -> None:
    data = build_report(seeded, now=NOW).to_json()["outcomes"]["still_open"]
    # telegram u3 opened at +20 min (answered, no marker), instagram u1's second at +300 min.
    assert [(c["channel"], c["waiting_s"]) for c in data] == [
        ("telegram", int((NOW - T0 - _m(20)).total_seconds())),
        ("instagram", int((NOW - T0 - _m(300)).total_seconds())),
    ]
    assert all("thread" not in c and "u3" not in json.dumps(c) for c in data)
    code, out, _ = run_cli("--project", str(seeded.root), "report", "--now", NOW.isoformat())
    assert code == 0 and "oldest open conversation: " in out and "on telegram (sample, en)" in out
