# ruff: noqa: F811
"""Journeys under the daemon's tick and under procrastinate workers (issue #16, "Done when").

Each journey's schedule file runs (a) through the daemon's tick (``storycast run --once``, or
``Daemon`` itself) and (b) under procrastinate workers on PostgreSQL: the worker's periodic tick
(:meth:`Runtime.tick_once`, which claims due rows onto the publish queue in the claim's own
transaction) and the job bodies a worker runs (``publish_rows``, ``render_langs``), drained in
the order they were deferred, as ``test_queue_workers_keep_the_order`` does. Each ends at what
the fake platform received (once, in order, right variant) and what ``status``, ``polls
results`` and ``report`` show.

Also here, the bugs these journeys found under workers: a job claims what its channel's
``concurrency`` held back at the tick; a render job encodes each channel's video variant; and an
entry's ``format:`` changed while an occurrence is planned (it switches, or status says why not).

The fakes are the journeys' own (tests/fakes/*, written from the platforms' documentation);
none is changed here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests import test_journey_discord as jd
from tests import test_journey_handoff as jh
from tests import test_journey_telegram as jt
from tests import test_journey_whatsapp as jw
from tests.conftest import build_file_tree
from tests.conftest_db import pg_database, pg_schema_url  # noqa: F401  (fixtures)
from tests.fakes import ffprobe
from tests.fakes.discord import WEBHOOK_PATH, FakeDiscord
from tests.fakes.hooks import FakeHooks
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.postgres


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


class Workers:
    """A deployment's workers, one job at a time: the periodic tick, then every job it deferred
    (and every job those deferred) in order, through the bodies a ``storycast worker`` runs."""

    def __init__(self, root: Path, environ: dict[str, str]) -> None:
        from storycast.context import Context
        from storycast.engine.scaleout.runtime import Runtime
        from storycast.project import Project

        self.ctx = Context(environ=environ)
        self.ctx.fixed_clock(datetime(2026, 1, 1, tzinfo=UTC))
        self.project = Project.load(root, environ)
        self.jobs: list[tuple[str, dict[str, Any]]] = []
        self.ran: list[str] = []
        self.runtime = Runtime(
            self.project, self.ctx, lambda task, conn, opts, kws: self.jobs.extend((task, k) for k in kws)
        )

    def tick(self, now: str) -> Any:
        from storycast.engine.scaleout.runtime import PUBLISH, RENDER

        self.ctx.fixed_clock(_at(now))
        report = self.runtime.tick_if_idle(self.ctx.now())  # what the periodic tick job runs
        assert report is not None
        while self.jobs:
            task, kwargs = self.jobs.pop(0)
            self.ran.append(task)
            if task == PUBLISH:
                self.runtime.publish_rows(kwargs["row_ids"], force=bool(kwargs.get("force")))
            elif task == RENDER:
                self.runtime.render_langs(
                    kwargs["kind"],
                    kwargs["ref"],
                    kwargs.get("langs") or [],
                    video=bool(kwargs.get("video")),
                    channels=kwargs.get("channels") or (),
                )
        return report

    def close(self) -> None:
        self.runtime.close()


@pytest.fixture
def pg_env(pg_database: str) -> dict[str, str]:
    return {"STORYCAST_DB": pg_schema_url(pg_database), "STORYCAST_DB_TIMEOUT": "10"}


@pytest.fixture
def workers_for(pg_env: dict[str, str]) -> Iterator[Any]:
    made: list[Workers] = []

    def make(root: Path, env: dict[str, str]) -> Workers:
        w = Workers(root, {**env, **pg_env})
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def _rows(run_cli, root: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    code, out, err = run_cli("-P", str(root), "status", "--all", "--json", env=env)
    assert code == 0, err
    return json.loads(out)["rows"]


def _daemon(run_cli, root: Path, env: dict[str, str], now: str) -> None:
    code, out, err = run_cli("-P", str(root), "run", "--once", "--now", now, env=env)
    assert code == 0, out + err


# -- Telegram albums -------------------------------------------------------------------------


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(jt.TOKEN).start()
    fake.clock = datetime(2026, 12, 1, 9, 1, tzinfo=UTC).timestamp
    yield fake
    fake.stop()
    fake.assert_clean()  # no frame, album or poll was sent twice


def _check_albums(run_cli, tg: FakeTelegram, root: Path, env: dict[str, str]) -> None:
    albums = jt._albums(tg)
    assert [len(a) for a in albums] == [10, 2]
    assert tg.calls("POST", "sendPhoto") == []  # no frame went alone
    captions = [item["caption"] for album in albums for item in album]
    assert captions == ["Reset in ten steps", *jt.STEPS, "Still stuck? Reply here"]
    assert len(tg.calls("POST", "sendPoll")) == 1
    rows = sorted((r for r in _rows(run_cli, root, env) if r["ref"] == "long-fix"), key=lambda r: r["frame"])
    assert [r["state"] for r in rows] == ["published"] * 12
    assert [r["remote_id"] for r in rows] == [str(m["message_id"]) for m in tg.messages if m.get("album")]


@pytest.mark.parametrize("path", ["daemon", "workers"])
def test_telegram_albums(tmp_path, tg, run_cli, workers_for, pg_env, path):
    env = {"JOURNEY_TG_TOKEN": jt.TOKEN}
    root = jt._project(tmp_path, tg)
    if path == "daemon":
        _daemon(run_cli, root, env, jt.NOW)
        _daemon(run_cli, root, env, jt.LATER)
    else:
        env = {**env, **pg_env}
        workers = workers_for(root, env)
        workers.tick(jt.NOW)
        workers.tick(jt.LATER)  # a second tick sends nothing
    _check_albums(run_cli, tg, root, env)


# -- video stories ---------------------------------------------------------------------------

VIDEO_TOML = """[project]
name = "Video"
languages = ["en"]
timezone = "UTC"

[channels.hook]
type = "webhook"
url = "{url}/hook"
signing_secret = "env:J_HOOK"
"""

# One step, one language: the shortest story a video journey can take (its MP4s are encoded
# once per project, and each test has its own).
VIDEO_STORY = """\
id: sample
template: tutorial
category: connectivity
languages: [en]
title: {en: Restart your modem}
steps:
  - title: {en: Unplug it}
    text: {en: Wait ten seconds.}
"""

VIDEO_SCHEDULE = """timezone: UTC
entries:
  - id: sample-video
    story: sample
    at: "2026-12-01T09:00"
    channels: [hook]
    languages: [en]
    format: {fmt}
    grace: 2h
"""


@pytest.fixture
def hooks() -> Iterator[FakeHooks]:
    fake = FakeHooks("whsec-workers").start()
    yield fake
    fake.stop()
    fake.assert_clean()  # no part was delivered twice


def _video_project(tmp_path: Path, hooks: FakeHooks, fmt: str = "video") -> Path:
    return build_file_tree(
        tmp_path / "video",
        {
            "storycast.toml": VIDEO_TOML.format(url=hooks.url),
            "stories/sample.yaml": VIDEO_STORY,
            "schedules/video.yaml": VIDEO_SCHEDULE.format(fmt=fmt),
        },
    )


def _check_video(run_cli, hooks: FakeHooks, root: Path, env: dict[str, str]) -> None:
    import base64

    rows = _rows(run_cli, root, env)
    assert rows and {r["kind"] for r in rows} == {"story-video"}
    assert {r["state"] for r in rows} == {"published"}
    assert len(hooks.generic) == len(rows)  # one delivery per part, once
    for doc in hooks.generic:
        media = doc["media"]
        assert media["content_type"] == "video/mp4" and media["kind"] == "video"
        info = ffprobe.probe_bytes(base64.b64decode(media["data_base64"]))
        assert (info["codec_name"], info["width"], info["height"]) == ("h264", 1080, 1920)
        assert info["pix_fmt"] == "yuv420p"


@pytest.mark.skipif(not ffprobe.available(), reason="ffprobe (Debian ffmpeg) is not installed")
@pytest.mark.parametrize("path", ["daemon", "workers"])
def test_video_stories(tmp_path, hooks, run_cli, workers_for, pg_env, path):
    env = {"J_HOOK": "whsec-workers"}
    root = _video_project(tmp_path, hooks)
    if path == "daemon":
        _daemon(run_cli, root, env, "2026-12-01T09:01:00Z")
        _daemon(run_cli, root, env, "2026-12-01T09:02:00Z")
    else:
        env = {**env, **pg_env}
        workers = workers_for(root, env)
        workers.tick("2026-12-01T08:50:00Z")  # within the render lead time: a render job, no post
        assert hooks.generic == []
        workers.tick("2026-12-01T09:01:00Z")
        workers.tick("2026-12-01T09:02:00Z")
    _check_video(run_cli, hooks, root, env)


# -- Discord poll results --------------------------------------------------------------------


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    fake = FakeDiscord().start()
    yield fake
    fake.stop()
    fake.assert_clean()


@pytest.mark.parametrize("path", ["daemon", "workers"])
def test_discord_poll_results(make_project, run_cli, discord, workers_for, pg_env, path):
    root = make_project(
        {"stories/router-color.yaml": jd.POLL, "schedules/polls.yaml": jd.SCHEDULE},
        toml=jd._toml(discord.url),
    )
    env = {"DISCORD_URL": "https://discord.com" + WEBHOOK_PATH}
    if path == "workers":
        env = {**env, **pg_env}
        workers = workers_for(root, env)
        tick = workers.tick
    else:

        def tick(now: str) -> None:
            _daemon(run_cli, root, env, now)

    tick(jd.DUE)
    (msg,) = discord.polls()
    assert [a["poll_media"]["text"] for a in msg["poll"]["answers"]] == ["White", "Black", "Blue"]
    discord.vote(msg["id"], 1, 2)
    discord.vote(msg["id"], 3, 5)
    tick(jd.BEFORE_FINAL)  # Discord is still counting: nothing is stored yet
    code, out, _ = run_cli("-P", str(root), "polls", "results", "router-color", "--json", env=env)
    assert json.loads(out)["polls"][0]["total"] == 0
    discord.end_poll(msg["id"])
    tick(jd.AFTER)
    reads = len(discord.calls("GET", f"{WEBHOOK_PATH}/messages/"))
    tick(jd.AFTER)
    assert len(discord.calls("GET", f"{WEBHOOK_PATH}/messages/")) == reads  # tallied once

    code, out, err = run_cli("-P", str(root), "polls", "results", "router-color", "--json", env=env)
    assert code == 0, err
    (tally,) = json.loads(out)["polls"]
    assert [o["votes"] for o in tally["options"]] == [2, 0, 5]
    assert tally["by_channel"] == {"discord": {"votes": [2, 0, 5], "total": 7}}
    code, out, err = run_cli("-P", str(root), "report", "--now", jd.AFTER, env=env)
    assert code == 0, err
    assert "poll router-color: 7 votes" in out
    assert len(discord.polls()) == 1


# -- hand-off follow-up ----------------------------------------------------------------------


@pytest.fixture
def endpoints() -> Iterator[tuple[jh.FakeApprise, jh.FakeApprise]]:
    marta, lead = jh.FakeApprise().start(), jh.FakeApprise().start()
    marta.delay = lead.delay = 0.0
    yield marta, lead
    for fake in (marta, lead):
        fake.stop()
        fake.assert_clean()


@pytest.mark.parametrize("path", ["daemon", "workers"])
def test_handoff_follow_up(tmp_path, endpoints, run_cli, workers_for, pg_env, path):
    """The follow-up is an after-tick step: it runs after the daemon's tick and after a worker's."""
    marta, lead = endpoints
    root = jh._project(tmp_path)
    env = jh._env(marta, lead)
    if path == "workers":
        env = {**env, **pg_env}
        workers = workers_for(root, env)
        tick = workers.tick
    else:

        def tick(now: str) -> None:
            _daemon(run_cli, root, env, now)

    tick("2026-12-01T09:01:00Z")  # 10:00 Madrid: handed off, Marta told once
    assert len(marta.received) == 1 and "post sample to Snapchat" in marta.titles()[0]
    rows = _rows(run_cli, root, env)
    assert rows and {r["state"] for r in rows} == {"handed_off"}
    tick("2026-12-01T09:30:00Z")
    assert len(marta.received) == 1 and not lead.received
    tick("2026-12-01T09:32:00Z")  # 30 minutes on: one reminder
    tick("2026-12-01T09:33:00Z")
    assert len(marta.received) == 2 and "reminder" in marta.titles()[1]
    out, packs = jh._status(run_cli, root, env, "2026-12-01T10:00:00Z")
    assert "reminded at 2026-12-01 09:32Z" in out and packs[0]["stage"] == "reminded"
    tick("2026-12-01T11:02:00Z")  # two hours on: the team lead is told, once
    tick("2026-12-01T11:10:00Z")
    assert len(lead.received) == 1 and len(marta.received) == 2
    out, packs = jh._status(run_cli, root, env, "2026-12-01T11:15:00Z")
    assert "escalated to Luis (team lead) at 2026-12-01 11:02Z" in out and packs[0]["stage"] == "escalated"


# -- WhatsApp closed loop ----------------------------------------------------------------------


@pytest.fixture
def wa() -> Iterator[Any]:
    from tests.fakes.whatsapp_cloud import FakeCloudAPI

    fake = FakeCloudAPI(jw.TOKEN, app_secret=jw.SECRET).start()
    yield fake
    fake.stop()
    fake.assert_clean()


@pytest.fixture(params=["daemon", "workers"])
def wa_path(request, tmp_path: Path, wa: Any) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """The path, the project, its environment; ``storycast serve``'s app on a real port
    receiving the fake's webhooks, on the same ledger as the ticks."""
    import threading
    import time

    import uvicorn

    from storycast.project import Project
    from storycast.web.app import create_app

    env = dict(jw.ENV)
    if request.param == "workers":
        env.update(request.getfixturevalue("pg_env"))
    root = jw._project(tmp_path / "proj", wa.url)
    app = create_app(Project.load(root, environ=env), now=lambda: datetime.now(UTC), watch=False)
    port = jw._free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    wa.webhook_url = f"http://127.0.0.1:{port}/hooks/whatsapp/wa"
    yield request.param, root, env
    wa.flush()
    server.should_exit = True
    thread.join(timeout=10)


def test_whatsapp_closed_loop(wa, wa_path, run_cli, workers_for):
    path, root, env = wa_path
    wa.marketing_capped = {jw.B}
    wa.readers = {jw.C}
    if path == "workers":
        workers = workers_for(root, env)
        tick = workers.tick
    else:

        def tick(now: str) -> None:
            _daemon(run_cli, root, env, now)

    tick(jw.T0)
    assert sorted(jw._sent(wa, jw.A)[:2]) == ["image", "interactive"]  # A's window looked open
    assert jw._sent(wa, jw.B) == jw._sent(wa, jw.C) == jw._sent(wa, jw.D) == ["template", "template"]
    wa.flush()  # 131047 for A, 131049 for B, deliveries and reads, through the webhook
    tick(jw.T1)  # re-sends A's two messages as the approved templates; B is deferred
    wa.flush()
    tick(jw.T1)
    assert jw._sent(wa, jw.A)[2:] == ["template", "template"]  # once each
    assert jw._sent(wa, jw.B) == ["template", "template"]

    code, out, _ = run_cli("-P", str(root), "status", "--all", "--json", "--now", jw.T1, env=env)
    assert code == 0
    story = next(d for d in json.loads(out)["deliveries"] if d["kind"] == "story")
    assert (story["messages"], story["delivered"], story["read"], story["failed"]) == (4, 3, 1, 1)
    assert story["deferred"] == 1 and story["resend"] == 0
    code, out, _ = run_cli("-P", str(root), "report", "--json", "--now", jw.T1, env=env)
    posts = {d["kind"]: d for d in json.loads(out)["deliveries"]}
    assert (posts["poll"]["delivered"], posts["poll"]["read"], posts["poll"]["failed"]) == (3, 1, 1)
    code, out, _ = run_cli("-P", str(root), "report", "--now", jw.T1, env=env)
    assert "4 messages: 3 delivered (1 read), 1 failed (1 deferred)" in out
    # The HTML report carries the same counts: per channel (story + poll), then per post.
    page = root / "report.html"
    code, out, err = run_cli("-P", str(root), "report", "--out", str(page), "--now", jw.T1, env=env)
    assert code == 0, out + err
    html = page.read_text(encoding="utf-8")
    assert "<h2>Deliveries</h2>" in html
    assert "<tr><td>wa</td><td></td><td>8</td><td>6</td><td>2</td><td>2</td></tr>" in html
    assert html.count("<td>4 messages: 3 delivered (1 read), 1 failed (1 deferred)</td>") == 2

    # C taps a quick-reply button of the poll template: a vote
    poll_msg = next(m for m in wa.sent if m["to"] == jw.C and m["body"]["template"]["name"] == "quick_poll")
    wa.customer_taps(jw.C, poll_msg["id"], 2)
    wa.flush()
    code, out, _ = run_cli("-P", str(root), "polls", "results", "csat-weekly", "--json", env=env)
    assert [o["votes"] for o in json.loads(out)["polls"][0]["options"]] == [0, 0, 1, 0, 0]


def test_a_worker_job_claims_what_the_channels_concurrency_held_back(
    tmp_path, tg, run_cli, workers_for, pg_env
):
    """Two entries due at once on a channel with ``concurrency = 1``: the tick can queue only
    one; the job that publishes it claims the other, as the daemon's claim loop would, instead
    of leaving it to the next periodic tick."""
    env = {"JOURNEY_TG_TOKEN": jt.TOKEN, **pg_env}
    root = jt._project(tmp_path, tg, extra="concurrency = 1\n")
    workers = workers_for(root, env)
    report = workers.tick(jt.NOW)
    assert {i.ref for i in report.items if i.outcome == "queued"} == {"long-fix"}  # one album
    assert len(jt._albums(tg)) == 2 and len(tg.calls("POST", "sendPoll")) == 1
    assert {r["state"] for r in _rows(run_cli, root, env)} == {"published"}


# -- an entry's format changed while an occurrence is planned ---------------------------------------


def _switch(root: Path, old: str, new: str) -> None:
    sched = root / "schedules" / "video.yaml"
    sched.write_text(sched.read_text().replace(f"format: {old}", f"format: {new}"), encoding="utf-8")


@pytest.mark.skipif(not ffprobe.available(), reason="ffprobe (Debian ffmpeg) is not installed")
@pytest.mark.parametrize(("old", "new"), [("frames", "video"), ("video", "frames")])
def test_a_format_change_before_the_story_goes_out_takes_effect(tmp_path, hooks, run_cli, old, new):
    """Planned as one format at 08:30, the entry switched before 09:00: it goes out in the new one."""
    env = {"J_HOOK": "whsec-workers"}
    root = _video_project(tmp_path, hooks, fmt=old)
    _daemon(run_cli, root, env, "2026-12-01T08:30:00Z")  # planned, not due
    assert {r["kind"] for r in _rows(run_cli, root, env)} == {"story" if old == "frames" else "story-video"}
    _switch(root, old, new)
    _daemon(run_cli, root, env, "2026-12-01T09:01:00Z")
    rows = _rows(run_cli, root, env)
    live = [r for r in rows if r["state"] != "cancelled"]
    want_kind = "story-video" if new == "video" else "story"
    assert live and {r["kind"] for r in live} == {want_kind}
    assert {r["state"] for r in live} == {"published"}
    assert [r["frame"] for r in live] == list(range(1, len(live) + 1))
    assert all(r["frame_total"] == len(live) for r in live)
    kinds = [d["media"]["kind"] for d in hooks.generic]
    assert kinds == ["video" if new == "video" else "image"] * len(live)


def test_a_format_change_after_the_story_began_keeps_its_format_and_status_says_why(tmp_path, hooks, run_cli):
    """Frame 1 went out, frame 2 is waiting for a retry when the entry switches to video: the rest
    goes out as frames (half frames, half video reads as neither), and status says why."""
    env = {"J_HOOK": "whsec-workers"}
    root = _video_project(tmp_path, hooks, fmt="frames")
    hooks.script("generic", None, "503")  # frame 2: the receiver is busy, retried later
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", "2026-12-01T09:01:00Z", env=env)
    assert code == 0, out + err
    _switch(root, "frames", "video")
    code, out, err = run_cli("-P", str(root), "status", "--now", "2026-12-01T09:01:30Z", env=env)
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", "2026-12-01T09:01:30Z", env=env)
    code, out, _ = run_cli("-P", str(root), "status", env=env)
    assert "the entry's format changed to video after this story began going out as frames" in out
    assert "the rest of it goes out as frames" in out
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", "2026-12-01T09:10:00Z", env=env)
    assert code == 0, out + err
    rows = _rows(run_cli, root, env)
    assert {r["kind"] for r in rows} == {"story"} and {r["state"] for r in rows} == {"published"}
    assert [d["media"]["kind"] for d in hooks.generic] == ["image"] * len(rows)


@pytest.mark.skipif(not ffprobe.available(), reason="ffprobe (Debian ffmpeg) is not installed")
def test_a_render_job_encodes_the_video_variant_its_channels_take(tmp_path, tg, workers_for, pg_env):
    """Within the render lead time a worker encodes the story's video in the variant each of
    its channels takes (a Telegram story: H.265 720x1280), not only the default H.264 one, so
    the publish job finds it ready."""
    env = {"JOURNEY_TG_TOKEN": jt.TOKEN, **pg_env}
    root = build_file_tree(
        tmp_path / "tgvideo",
        {
            "storycast.toml": VIDEO_TOML.format(url="http://127.0.0.1:9")
            + f"""
[channels.tgstory]
type = "telegram"
api_base = "{tg.url}"
bot_token = "env:JOURNEY_TG_TOKEN"
mode = "story"
business_connection_id = "biz-1"
min_interval = 0
""",
            "stories/sample.yaml": VIDEO_STORY,
            "schedules/video.yaml": VIDEO_SCHEDULE.format(fmt="video").replace("[hook]", "[tgstory]"),
        },
    )
    workers = workers_for(root, env)
    workers.tick("2026-12-01T08:50:00Z")
    assert workers.ran == ["storycast.render"] and tg.requests == []
    parts = sorted((root / ".storycast" / "renders" / "story-video").rglob("*telegram*.mp4"))
    assert parts, sorted(p.name for p in (root / ".storycast" / "renders").rglob("*.mp4"))
    info = ffprobe.probe_file(parts[0])
    assert (info["codec_name"], info["width"], info["height"]) == ("hevc", 720, 1280)


def test_an_album_met_by_flood_control_goes_again_whole_under_workers(
    tmp_path, tg, run_cli, workers_for, pg_env
):
    """A 429 on the first sendMediaGroup: the album journal (Ledger.begin_album, on PostgreSQL)
    plans all ten frames again; the next periodic tick sends the album whole, then the last two."""
    env = {"JOURNEY_TG_TOKEN": jt.TOKEN, **pg_env}
    root = jt._project(tmp_path, tg)
    tg.script("sendMediaGroup", "429")
    workers = workers_for(root, env)
    workers.tick(jt.NOW)
    rows = {r["frame"]: r for r in _rows(run_cli, root, env) if r["ref"] == "long-fix"}
    assert {rows[f]["state"] for f in range(1, 11)} == {"planned"}
    assert {rows[f]["attempts"] for f in range(1, 11)} == {1}
    assert not [m for m in tg.messages if m.get("album")]  # Telegram refused the call: nothing is out
    workers.tick("2026-12-01T09:03:00Z")  # past the retry time
    workers.tick("2026-12-01T09:04:00Z")
    assert [len(a) for a in jt._albums(tg)] == [10, 10, 2]  # the refused call, then the album whole
    rows = sorted((r for r in _rows(run_cli, root, env) if r["ref"] == "long-fix"), key=lambda r: r["frame"])
    assert [r["state"] for r in rows] == ["published"] * 12
    assert [r["remote_id"] for r in rows] == [str(m["message_id"]) for m in tg.messages if m.get("album")]
