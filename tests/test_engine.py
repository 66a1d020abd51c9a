# ruff: noqa: F811
"""tick(now) in-process against SQLite and PostgreSQL: ordering, grace, retries, failures, reconcile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storycast.context import Context
from storycast.engine.tick import TickOptions, tick
from storycast.errors import ExitStatus
from storycast.ledger import Row, State, open_ledger
from storycast.ledger.store import Ledger
from storycast.project import Project
from tests.conftest_db import calls, db_url, make_engine_project, pg_database, pg_schema_url  # noqa: F401

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

ONE_CARD = """\
timezone: UTC
entries:
  - card: card-a
    at: "2026-12-01T09:00"
    channels: [rec]
    languages: [en, es]
    grace: 30m
"""


TELEGRAM = """
[channels.tg]
type = "telegram"
bot_token = "env:SC_NO_SUCH_TOKEN"
"""

STORY = """\
id: {id}
template: {template}
category: connectivity
languages: [en, es]
title: {{en: Restart your modem, es: Reinicia tu módem}}
steps:
  - title: {{en: Unplug it, es: Desconéctalo}}
    text: {{en: Wait ten seconds., es: Espera diez segundos.}}
"""

TWO_STORIES = """\
timezone: UTC
entries:
  - story: good
    at: "2026-12-01T09:00"
    channels: [local]
    grace: 30m
  - story: bad
    at: "2026-12-01T09:00"
    channels: [local]
    grace: 30m
"""


def story(sid: str, template: str = "tutorial") -> str:
    return STORY.format(id=sid, template=template)


def load(root: Path, db_url: str, **env: str) -> tuple[Project, Context]:
    environ = {"STORYCAST_DB": db_url, "STORYCAST_DB_TIMEOUT": "10", **env}
    ctx = Context(environ=environ)
    ctx.fixed_clock(T0)
    return Project.load(root, environ), ctx


def at(ctx: Context, when: datetime) -> datetime:
    ctx.fixed_clock(when)
    return when


def rows_of(project: Project) -> list[Row]:
    ledger = open_ledger(project)
    try:
        return ledger.rows()
    finally:
        ledger.close()


def states(project: Project) -> dict[str, int]:
    ledger = open_ledger(project)
    try:
        return ledger.counts()
    finally:
        ledger.close()


def test_tick_publishes_each_frame_once_in_order(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD})
    project, ctx = load(root, db_url)
    report = tick(project, ctx, T0)
    assert report.count("published") == 10  # 2 languages x 5 frames
    assert report.problems == 0
    got = calls(root)
    assert len(got) == 10
    for lang in ("en", "es"):
        frames = sorted((c for c in got if c["lang"] == lang), key=lambda c: c["t"])  # type: ignore[arg-type,return-value]
        assert [c["frame"] for c in frames] == [1, 2, 3, 4, 5]
    again = tick(project, ctx, T0 + timedelta(minutes=1))
    assert again.items == [] and len(calls(root)) == 10
    assert states(project) == {"published": 10}


def test_nothing_due_before_its_time_and_next_due_is_reported(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD})
    project, ctx = load(root, db_url)
    early = at(ctx, T0 - timedelta(minutes=20))
    report = tick(project, ctx, early)
    assert report.items == []
    assert report.next_due == T0
    assert states(project) == {"planned": 10}


def test_past_grace_becomes_missed_and_is_never_sent(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD})
    project, ctx = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(minutes=5)))  # planned, not due yet
    late = at(ctx, T0 + timedelta(minutes=31))
    report = tick(project, ctx, late)
    assert report.missed == 10 and report.problems == 10
    assert states(project) == {"missed": 10}
    assert calls(root) == []


def test_within_grace_still_goes_out(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD})
    project, ctx = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(minutes=5)))
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=29)))
    assert report.count("published") == 10


def test_retryable_failures_back_off_then_fail(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD.replace("[en, es]", "[en]")})
    project, ctx = load(root, db_url)
    monkeypatch.setenv("SC_MODE", "retryable")
    outcomes = []
    waits = [timedelta(0), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)]
    now = T0
    for wait in waits:
        now = now + wait
        # Just before the backoff ends nothing is claimed.
        if wait:
            assert tick(project, ctx, at(ctx, now - timedelta(seconds=1))).items == []
        report = tick(project, ctx, at(ctx, now))
        outcomes.append([i.outcome for i in report.items])
    assert outcomes == [["retry"], ["retry"], ["retry"], ["failed"]]
    ledger = open_ledger(project)
    try:
        rows = ledger.rows()
    finally:
        ledger.close()
    first = next(r for r in rows if r.frame == 1)
    assert first.state == "failed" and first.retryable and first.attempts == 4
    assert "gave up after 4 attempts" in (first.reason or "")
    # Frames 2..5 never went before frame 1: they are failed as blocked, not sent.
    assert all(r.state == "failed" and (r.reason or "").startswith("frame 1") for r in rows if r.frame > 1)


def test_permanent_failure_blocks_later_frames_and_retry_brings_them_back(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storycast.ledger.admin import retry

    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD.replace("[en, es]", "[en]")})
    project, ctx = load(root, db_url)
    monkeypatch.setenv("SC_MODE", "permanent")
    report = tick(project, ctx, T0)
    assert [i.outcome for i in report.items] == ["failed"]
    assert states(project) == {"failed": 5}
    monkeypatch.delenv("SC_MODE")
    ledger = open_ledger(project)
    try:
        first = ledger.rows()[0]
        result = retry(ledger, [first.id], T0 + timedelta(hours=2))
    finally:
        ledger.close()
    assert len(result.changed) == 5
    report = tick(project, ctx, at(ctx, T0 + timedelta(hours=2)))
    assert report.count("published") == 5


def test_ambiguous_outcome_is_unknown_and_never_resent(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storycast.engine.reconcile import reconcile

    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD.replace("[en, es]", "[en]")})
    project, ctx = load(root, db_url)
    monkeypatch.setenv("SC_MODE", "ambiguous")
    report = tick(project, ctx, T0)
    assert [i.outcome for i in report.items] == ["unknown"] and report.problems == 1
    monkeypatch.delenv("SC_MODE")
    for minutes in (1, 2, 20):
        assert tick(project, ctx, at(ctx, T0 + timedelta(minutes=minutes))).count("published") == 0
    assert len(calls(root)) == 1
    ledger = open_ledger(project)
    try:
        unknown = ledger.rows(Ledger_state("unknown"))
        assert len(unknown) == 1
        rep = reconcile(project, ctx, ledger, T0, resolve={unknown[0].id: "published"})
        assert rep.resolved == {unknown[0].id: "published"}
    finally:
        ledger.close()
    # Frame 1 settled as published: frame 2.. follow while still within grace.
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=25)))
    assert report.count("published") == 4
    assert len(calls(root)) == 5


def Ledger_state(state: str):
    from storycast.ledger.models import publication

    return publication.c.state == state


def test_local_channel_unknown_is_reconciled_by_lookup(tmp_path: Path, db_url: str) -> None:
    from storycast.channels.base import AmbiguousOutcome
    from storycast.channels.local import LocalChannel

    sched = ONE_CARD.replace("[rec]", "[local]").replace("[en, es]", "[en]")
    root = make_engine_project(tmp_path / "p", {"one.yaml": sched})
    project, ctx = load(root, db_url)

    # A local channel whose write succeeds but whose answer is lost (the crash window).
    class Flaky(LocalChannel):
        type_name = "local"

        def publish(self, request):  # type: ignore[no-untyped-def]
            super().publish(request)
            if request.frame_index == 1:
                raise AmbiguousOutcome("lost the answer")
            return super().publish(request)

    from storycast import plugins
    from storycast.channels import plugin as builtin_channels
    from storycast.hookspecs import hookimpl

    class FlakyLocal:  # the built-in channel types, with Flaky as "local"
        @hookimpl
        def register_channel_types(self):  # type: ignore[no-untyped-def]
            return [Flaky if c is LocalChannel else c for c in builtin_channels.register_channel_types()]

    plugins.remove("storycast.channels.plugin")
    plugins.add(FlakyLocal(), name="flaky-local")
    try:
        report = tick(project, ctx, T0, options=TickOptions(reconcile=False))
    finally:
        plugins.reload()
    assert [i.outcome for i in report.items] == ["unknown"]
    # The next tick asks the (authoritative) feed, finds the post, and carries on with frame 2.
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=1)))
    assert report.reconciled == 1
    assert report.count("published") == 4
    records = sorted((root / "feed").glob("*/*.json"))
    assert len(records) == 5  # one per frame, none twice


def test_schedule_edit_cancels_planned_rows_that_left_it(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD})
    project, ctx = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(minutes=30)))
    assert states(project) == {"planned": 10}
    (root / "schedules" / "one.yaml").write_text(ONE_CARD.replace("[en, es]", "[en]"))
    project, _ = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(minutes=29)))
    assert states(project) == {"planned": 5, "cancelled": 5}


def test_channel_concurrency_and_rate_limits(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storycast.ledger import ChannelLimits

    many = """\
    timezone: UTC
    entries:
      - card: card-b
        cron: "* * * * *"
        start: "2026-12-01T08:50"
        until: "2026-12-01T09:01"
        channels: [rec]
        languages: [en]
        grace: 1h
    """
    root = make_engine_project(tmp_path / "p", {"m.yaml": many})
    monkeypatch.setenv("SC_FRAMES", "1")
    project, ctx = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(hours=1)))  # plan only
    ledger = open_ledger(project)
    try:
        claimed = ledger.claim(T0, 50, {"rec": ChannelLimits(concurrency=3)})
        assert len(claimed) == 3
        assert ledger.claim(T0, 50, {"rec": ChannelLimits(concurrency=3)}) == []
        ledger.release(claimed, T0)
        first = ledger.claim(T0, 50, {"rec": ChannelLimits(rate_per_minute=4)})
        assert len(first) == 4  # a full bucket
        ledger.release(first, T0)
        assert ledger.claim(T0 + timedelta(seconds=10), 50, {"rec": ChannelLimits(rate_per_minute=4)}) == []
        assert (
            len(ledger.claim(T0 + timedelta(seconds=31), 50, {"rec": ChannelLimits(rate_per_minute=4)})) == 2
        )
    finally:
        ledger.close()


def test_rate_limit_from_config_holds_across_ticks(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = """\
    timezone: UTC
    entries:
      - card: card-b
        cron: "* * * * *"
        start: "2026-12-01T08:55"
        until: "2026-12-01T09:01"
        channels: [rec]
        languages: [en]
        grace: 1h
    """
    root = make_engine_project(tmp_path / "p", {"m.yaml": many}, extra_toml="")
    toml = (root / "storycast.toml").read_text().replace('log_dir = "', 'rate_per_minute = 2\nlog_dir = "')
    (root / "storycast.toml").write_text(toml)
    monkeypatch.setenv("SC_FRAMES", "1")
    project, ctx = load(root, db_url)
    assert tick(project, ctx, T0).count("published") == 2
    assert tick(project, ctx, at(ctx, T0 + timedelta(seconds=30))).count("published") == 1
    assert tick(project, ctx, at(ctx, T0 + timedelta(minutes=2))).count("published") == 2


def test_stop_request_gives_the_rest_of_the_batch_back(tmp_path: Path, db_url: str) -> None:
    # Two stories, one language each: a batch holds the first frame of each (the languages of
    # one story go out one after the other, so they never share a batch).
    two = ONE_CARD.replace("[en, es]", "[en]") + ONE_CARD.split("entries:\n", 1)[1].replace(
        "card-a", "card-b"
    ).replace("[en, es]", "[en]")
    root = make_engine_project(tmp_path / "p", {"one.yaml": two})
    project, ctx = load(root, db_url)
    seen: list[str] = []

    def checkpoint(name: str, row: object) -> None:
        seen.append(name)

    def stop() -> bool:
        return seen.count("before_send") >= 1

    report = tick(project, ctx, T0, options=TickOptions(should_stop=stop, checkpoint=checkpoint))
    assert report.count("published") == 1
    assert report.count("released") >= 1
    assert states(project) == {"published": 1, "planned": 9}


def test_a_channel_that_cannot_be_opened_holds_only_its_own_rows(tmp_path: Path, db_url: str) -> None:
    schedule = ONE_CARD.replace("[en, es]", "[en]").replace("[rec]", "[rec, tg]")
    # A telegram channel without chat_id passes the file's schema but cannot be opened.
    root = make_engine_project(tmp_path / "p", {"one.yaml": schedule}, extra_toml=TELEGRAM)
    project, ctx = load(root, db_url)
    report = tick(project, ctx, T0)
    assert report.count("published") == 5  # every frame to rec
    assert [(i.channel, i.outcome) for i in report.items if i.outcome != "published"] == [("tg", "waiting")]
    assert report.waiting == 5 and report.problems == 0
    assert "needs chat_id" in str(report.error()) and report.error().exit_status == ExitStatus.CONFIG  # type: ignore[union-attr]
    held = [r for r in rows_of(project) if r.channel == "tg"]
    reason = "waiting for a fix: storycast.toml: channel 'tg' needs chat_id"
    assert {(r.state, r.reason) for r in held} == {("planned", reason)}
    # Fixed within grace (here: made a channel that works), the next tick sends them.
    fixed = f'[channels.tg]\ntype = "recorder"\nlog_dir = "{root / "calls-tg"}"\n'
    (root / "storycast.toml").write_text((root / "storycast.toml").read_text().replace(TELEGRAM, fixed))
    project, _ = load(root, db_url)
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=5)))
    assert report.errors == [] and report.waiting == 0
    assert report.count("published") == 5 and states(project) == {"published": 10}


def test_ledger_states_are_visible_in_status_json(tmp_path: Path, db_url: str) -> None:
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD})
    project, ctx = load(root, db_url)
    tick(project, ctx, T0)
    ledger = Ledger.open(db_url)
    try:
        rows = ledger.rows()
        assert {r.state for r in rows} == {State.PUBLISHED.value}
        assert all(r.idempotency_key and len(r.idempotency_key) == 64 for r in rows)
        assert len({r.idempotency_key for r in rows}) == 10
        assert all(r.remote_id and r.remote_id.startswith("rec-") for r in rows)
        assert all(r.expires_utc == T0 + timedelta(hours=24) for r in rows)
    finally:
        ledger.close()


def test_dst_fold_publishes_once_and_gap_moves_forward(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    nightly = """\
    timezone: Europe/Madrid
    entries:
      - card: card-b
        cron: "30 2 * * *"
        channels: [rec]
        languages: [en]
        grace: 3h
    """
    monkeypatch.setenv("SC_FRAMES", "1")
    root = make_engine_project(tmp_path / "p", {"n.yaml": nightly})
    project, ctx = load(root, db_url)
    # Fall back, 2026-10-25: 02:30 happens twice (00:30 and 01:30 UTC); it publishes once, at the first.
    fold_day = datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    report = tick(project, ctx, at(ctx, fold_day))
    assert [i.occurrence_key for i in report.items] == ["2026-10-25T02:30"]
    assert tick(project, ctx, at(ctx, fold_day + timedelta(hours=1))).items == []
    ledger = open_ledger(project)
    try:
        from storycast.ledger.tables import publication as p

        (row,) = ledger.rows(p.c.occurrence_key == "2026-10-25T02:30")
        assert row.due_utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    finally:
        ledger.close()
    assert len(calls(root)) == 1
    # Spring forward, 2026-03-29: 02:30 does not exist; it moves to 03:00 CEST (01:00 UTC).
    root2 = make_engine_project(tmp_path / "q", {"n.yaml": nightly})
    project2, ctx2 = load(root2, db_url.replace("state.db", "state2.db") if "sqlite" in db_url else db_url)
    gap = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert tick(project2, ctx2, at(ctx2, gap - timedelta(seconds=1))).items == []
    report = tick(project2, ctx2, at(ctx2, gap))
    assert [i.occurrence_key for i in report.items] == ["2026-03-29T03:00"]


def test_a_broken_schedule_file_holds_only_its_own_rows(tmp_path: Path, db_url: str) -> None:
    other = ONE_CARD.replace("card-a", "card-b").replace("[en, es]", "[en]")
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD, "two.yaml": other})
    project, ctx = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(minutes=30)))  # planned while the files were fine
    (root / "schedules" / "one.yaml").write_text(ONE_CARD.replace("card-a", "card-zz"))
    project, _ = load(root, db_url)
    report = tick(project, ctx, at(ctx, T0))
    assert report.count("published") == 5  # two.yaml's card-b; one.yaml's rows wait
    assert len(report.errors) == 1 and "card-zz" in str(report.errors[0])
    assert "one.yaml:3" in str(report.errors[0]) and report.waiting == 10
    held = {r.reason for r in rows_of(project) if r.state == "planned"}
    assert len(held) == 1 and held.pop().startswith("waiting for a fix: schedules/one.yaml:3:")
    assert states(project) == {"published": 5, "planned": 10}  # waiting, not cancelled
    (root / "schedules" / "one.yaml").write_text(ONE_CARD)
    project, _ = load(root, db_url)
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=5)))
    assert report.count("published") == 10 and report.errors == []
    assert len(calls(root)) == 15


def test_a_broken_story_holds_only_its_own_rows_until_fixed(tmp_path: Path, db_url: str) -> None:
    stories = {"good.yaml": story("good"), "bad.yaml": story("bad")}
    root = make_engine_project(tmp_path / "p", {"s.yaml": TWO_STORIES}, stories=stories)
    project, ctx = load(root, db_url)
    tick(project, ctx, at(ctx, T0 - timedelta(minutes=30)))  # planned while both were fine
    bad = root / "stories" / "bad.yaml"
    bad.write_text(story("bad").replace("  - title:", "\t- title:"))
    report = tick(project, ctx, at(ctx, T0))
    assert {i.ref for i in report.items} == {"good"} and report.count("published") == 6
    assert report.waiting == 6 and report.problems == 0
    (error,) = report.errors
    assert error.exit_status == ExitStatus.CONTENT and "bad.yaml:7:1" in str(error)
    held = [r for r in rows_of(project) if r.ref == "bad"]
    assert {r.state for r in held} == {"planned"}
    syntax = "YAML syntax error: found character that cannot start any token"
    assert {r.reason for r in held} == {f"waiting for a fix: stories/bad.yaml:7:1: {syntax}"}
    assert tick(project, ctx, at(ctx, T0 + timedelta(minutes=1))).items == []  # still waiting
    bad.write_text(story("bad"))
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=2)))
    assert report.errors == [] and report.count("published") == 6
    assert states(project) == {"published": 12}


def test_a_story_broken_before_it_was_planned_waits_then_goes_out_whole(tmp_path: Path, db_url: str) -> None:
    stories = {"good.yaml": story("good"), "bad.yaml": story("bad").replace("steps:", "steps: [")}
    root = make_engine_project(tmp_path / "p", {"s.yaml": TWO_STORIES}, stories=stories)
    project, ctx = load(root, db_url)
    report = tick(project, ctx, T0)
    assert report.count("published") == 6 and report.waiting == 2  # one row per language waits
    bad = root / "stories" / "bad.yaml"
    bad.write_text(story("bad"))
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=3)))
    assert report.count("published") == 6  # all three frames of each language
    assert states(project) == {"published": 12}
    assert sorted((r.lang, r.frame, r.frame_total) for r in rows_of(project) if r.ref == "bad") == [
        (lang, f, 3) for lang in ("en", "es") for f in (1, 2, 3)
    ]


def test_a_story_still_broken_after_its_grace_is_missed_with_the_reason(tmp_path: Path, db_url: str) -> None:
    stories = {"good.yaml": story("good"), "bad.yaml": "id: bad\nsteps: [\n"}
    root = make_engine_project(tmp_path / "p", {"s.yaml": TWO_STORIES}, stories=stories)
    project, ctx = load(root, db_url)
    tick(project, ctx, T0)
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=31)))
    assert report.missed == 2 and len(report.errors) == 1
    reasons = {r.reason for r in rows_of(project) if r.ref == "bad"}
    assert len(reasons) == 1 and reasons.pop().startswith(
        "not published within its grace window; it was waiting for a fix: stories/bad.yaml:"
    )


def test_a_template_error_in_one_language_holds_only_that_language(tmp_path: Path, db_url: str) -> None:
    cover = (
        '{% extends "default/tutorial/cover.j2" %}\n'
        "{% block content %}"
        '{% if lang == "es" %}{{ no_such_variable }}{% endif %}{{ super() }}'
        "{% endblock %}\n"
    )
    stories = {"good.yaml": story("good"), "bad.yaml": story("bad", template="custom")}
    root = make_engine_project(tmp_path / "p", {"s.yaml": TWO_STORIES}, stories=stories)
    for name in ("cover", "step", "outro"):
        body = cover if name == "cover" else f'{{% extends "default/tutorial/{name}.j2" %}}\n'
        (root / "templates" / "custom").mkdir(parents=True, exist_ok=True)
        (root / "templates" / "custom" / f"{name}.j2").write_text(body)
    project, ctx = load(root, db_url)
    report = tick(project, ctx, T0)
    assert report.count("published") == 9  # good in both languages, bad in English
    assert [(i.ref, i.lang, i.outcome) for i in report.items if i.outcome != "published"] == [
        ("bad", "es", "waiting")
    ]
    assert report.waiting == 3 and "templates/custom/cover.j2:2" in str(report.error())
    (root / "templates" / "custom" / "cover.j2").write_text('{% extends "default/tutorial/cover.j2" %}\n')
    report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=1)))
    assert report.count("published") == 3 and report.errors == []


def test_an_entry_whose_times_fail_does_not_stop_the_others(tmp_path: Path, db_url: str) -> None:
    from storycast.timetable.kinds import EntryKind, register_entry_kind, unregister_entry_kind

    class Boom(EntryKind):  # a plugin's entry kind with a bug in its producer
        name = "boom"

        def refs(self, project: object) -> dict[str, tuple[str, ...]]:
            return {"x": ("en",)}

        def produce(self, entry: object, start: object, end: object) -> list[object]:
            raise RuntimeError("the producer fell over")

    boom = 'timezone: UTC\nentries:\n  - boom: x\n    cron: "* * * * *"\n    channels: [rec]\n'
    register_entry_kind(Boom())
    try:
        root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD, "zz.yaml": boom})
        project, ctx = load(root, db_url)
        report = tick(project, ctx, T0)
    finally:
        unregister_entry_kind("boom")
    assert report.count("published") == 10
    (error,) = report.errors
    assert "schedules/zz.yaml:3" in str(error) and "the producer fell over" in str(error)


@pytest.mark.postgres
def test_workers_hold_a_broken_storys_rows_and_publish_the_rest(tmp_path: Path, pg_database: str) -> None:
    """The procrastinate path: the tick queues only healthy rows; publish jobs run the same holds."""
    from storycast.engine.scaleout.runtime import PUBLISH, Runtime

    url = pg_schema_url(pg_database)
    stories = {"good.yaml": story("good"), "bad.yaml": story("bad")}
    root = make_engine_project(tmp_path / "p", {"s.yaml": TWO_STORIES}, stories=stories)
    project, ctx = load(root, url)
    jobs: list[tuple[str, dict[str, object]]] = []
    runtime = Runtime(project, ctx, lambda task, conn, opts, kws: jobs.extend((task, k) for k in kws))

    def run_jobs() -> None:  # what the workers would do, in order, until the queue is empty
        while jobs:
            task, kwargs = jobs.pop(0)
            if task == PUBLISH:
                runtime.publish_rows(kwargs["row_ids"])  # type: ignore[arg-type]

    try:
        runtime.tick_once(at(ctx, T0 - timedelta(minutes=30)))  # planned while both were fine
        run_jobs()
        (root / "stories" / "bad.yaml").write_text(story("bad").replace("  - title:", "\t- title:"))
        report = runtime.tick_once(at(ctx, T0))
        # good's first frame only (its second language follows the first); bad's rows wait
        assert report.count("queued") == 1 and report.waiting == 6
        assert [r for task, k in jobs if task != PUBLISH for r in [k["ref"]]] == ["good"]  # no doomed render
        run_jobs()
        assert {(r.ref, r.state) for r in rows_of(project)} == {("good", "published"), ("bad", "planned")}
        (root / "stories" / "bad.yaml").write_text(story("bad"))
        report = runtime.tick_once(at(ctx, T0 + timedelta(minutes=2)))
        assert report.errors == [] and report.count("queued") == 1
        run_jobs()
        assert states(project) == {"published": 12}
    finally:
        runtime.close()


def test_a_schedule_key_too_long_for_the_ledger_holds_only_that_entry(tmp_path: Path, db_url: str) -> None:
    # PostgreSQL refuses a value over its column's width (and the whole batch with it); SQLite
    # would store it. Both now hold just that entry and publish the rest.
    long_name = "s" * 190 + ".yaml"
    root = make_engine_project(tmp_path / "p", {"one.yaml": ONE_CARD, long_name: ONE_CARD})
    project, ctx = load(root, db_url)
    report = tick(project, ctx, T0)
    assert report.count("published") == 10
    (error,) = report.errors
    assert f"schedules/{long_name}:3" in str(error) and "longer than the ledger keeps (200" in str(error)
    assert "shorter id:" in str(error)


def test_a_channel_lookup_that_crashes_does_not_stop_the_tick(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storycast.channels import registry

    class Shaky(registry.get_channel_type("recorder").cls):  # type: ignore[misc,name-defined]
        type_name = "shaky"

        def lookup(self, request: object) -> object:
            raise RuntimeError("the platform's search answered nonsense")

    schedule = """\
    timezone: UTC
    entries:
      - card: card-a
        at: "2026-12-01T09:00"
        channels: [sh]
        languages: [en]
        grace: 30m
      - card: card-b
        at: "2026-12-01T09:10"
        channels: [rec]
        grace: 30m
    """
    from storycast import plugins
    from storycast.hookspecs import hookimpl

    class ShakyPlugin:
        @hookimpl
        def register_channel_types(self):  # type: ignore[no-untyped-def]
            return [Shaky]

    plugins.add(ShakyPlugin(), name="shaky")
    try:
        extra = f'[channels.sh]\ntype = "shaky"\nlog_dir = "{tmp_path / "sh"}"\n'
        root = make_engine_project(tmp_path / "p", {"one.yaml": schedule}, extra_toml=extra)
        project, ctx = load(root, db_url)
        monkeypatch.setenv("SC_MODE", "ambiguous")
        assert [i.outcome for i in tick(project, ctx, T0).items] == ["unknown"]
        monkeypatch.delenv("SC_MODE")
        report = tick(project, ctx, at(ctx, T0 + timedelta(minutes=11)))  # reconcile asks, and fails
    finally:
        plugins.remove("shaky")
    assert report.count("published") == 5 and report.reconciled == 0
    assert states(project) == {"unknown": 1, "planned": 4, "published": 5}
