"""Journey: video stories from a schedule.

A schedule entry with ``format: video`` publishes the story's MP4 part(s), in the variant each
channel's platform takes, through ``storycast publish --due`` (and the daemon's tick) against fake
Instagram, Telegram and webhook servers: one ledger row per part, each sent exactly once. A channel
whose platform takes no video gets the frames, and says so.

What the fakes hold the uploads to (from the platforms' documentation, not from the adapters):

- Instagram (IG User Media, Content Publishing guide): a story container is
  ``POST /{ig-user-id}/media`` with ``media_type=STORIES`` and ``video_url`` (not both URLs);
  Meta fetches the URL; ``media_publish`` works only once ``status_code`` is ``FINISHED``; the
  published story lists with ``media_type`` ``VIDEO``.
- Telegram (Bot API ``postStory`` + ``InputStoryContentVideo``, ``sendVideo``): only documented
  parameters; a story video is H.265, 720x1280, at most 60 s and 30 MB; a fresh upload.
- webhook (docs/channels/webhook.md): the signed JSON carries ``media.content_type``.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import ffprobe
from tests.fakes.hooks import FakeHooks
from tests.fakes.meta import IG_USER, FakeMeta, StaticFiles
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.skipif(not ffprobe.available(), reason="ffprobe (Debian ffmpeg) is not installed")

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-12-01T09:01:00Z"  # the entry is due at 10:00 Madrid = 09:00 UTC
ENV = {"J_IG": "EAAvideotoken01", "J_TG": "42:AAvideotoken", "J_HOOK": "whsec-video"}


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[dict[str, object]]:
    servers = {
        "meta": FakeMeta(ENV["J_IG"]),
        "tg": FakeTelegram(ENV["J_TG"]),
        "hooks": FakeHooks(ENV["J_HOOK"]),
        "static": StaticFiles(tmp_path / "proj" / "public"),
    }
    for s in servers.values():
        s.start()
    servers["meta"].container_states = ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]  # video takes a while
    yield servers
    for s in servers.values():
        s.stop()
    for s in servers.values():
        s.assert_clean()


def _project(tmp_path: Path, f: dict, *, entry_format: str | None = "video", channels: str = "") -> Path:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    for part in ("stories", "templates", "assets"):
        shutil.copytree(REPO / part, root / part)
    (root / "schedules").mkdir()
    fmt = f"    format: {entry_format}\n" if entry_format else ""
    (root / "schedules" / "video.yaml").write_text(
        "timezone: Europe/Madrid\n"
        "entries:\n"
        "  - id: reset-video\n"
        "    story: reset-router\n"
        '    at: "2026-12-01T10:00"\n'
        f"    channels: [{channels or 'instagram, tgstory, tgpost, webhook'}]\n"
        "    languages: [en]\n"
        f"{fmt}"
        "    grace: 2h\n",
        encoding="utf-8",
    )
    (root / "audience").mkdir()
    (root / "audience" / "whatsapp.txt").write_text("+34600111001\n", encoding="utf-8")
    base = (REPO / "storycast.toml").read_text(encoding="utf-8").split("[channels.local]")[0]
    toml = (
        base
        + f"""
[channels.instagram]
type = "instagram"
api_base = "{f["meta"].url}"
ig_user_id = "{IG_USER}"
access_token = "env:J_IG"
video_upload = "url"
first_poll = 0
poll_interval = 0
rate_per_minute = 600

[channels.instagram.hosting]
kind = "folder"
folder = "public"
base_url = "{f["static"].url}"

[channels.tgstory]
type = "telegram"
api_base = "{f["tg"].url}"
bot_token = "env:J_TG"
mode = "story"
business_connection_id = "biz-1"
min_interval = 0
rate_per_minute = 600

[channels.tgpost]
type = "telegram"
api_base = "{f["tg"].url}"
bot_token = "env:J_TG"
chat_id = "@lumen"
min_interval = 0
rate_per_minute = 600

[channels.webhook]
type = "webhook"
url = "{f["hooks"].url}/hook"
signing_secret = "env:J_HOOK"

[channels.wa]
type = "whatsapp"
api_base = "http://127.0.0.1:9"
phone_number_id = "1"
access_token = "env:J_IG"
subscribers_file = "audience/whatsapp.txt"
template = "story_update"

[channels.feed]
type = "local"
format = "video"
"""
    )
    (root / "storycast.toml").write_text(toml, encoding="utf-8")
    return root


def _status_rows(run_cli, root: Path) -> list[dict]:
    code, out, err = run_cli("-P", str(root), "status", "--all", "--json", env=ENV)
    assert code == 0, err
    return json.loads(out)["rows"]


def _check_mp4(info: dict, codec: str, size: tuple[int, int]) -> None:
    assert info["codec_name"] == codec
    assert (info["width"], info["height"]) == size
    assert info["pix_fmt"] == "yuv420p"
    assert info.get("color_range") == "tv"
    assert info.get("color_space") == info.get("color_primaries") == info.get("color_transfer") == "bt709"
    if codec == "h264":
        assert info["profile"] == "High"
    assert float(info["format"]["duration"]) <= 60.05


@pytest.mark.slow
def test_format_video_publishes_each_part_once_in_the_platform_variant(tmp_path, fakes, run_cli):
    root = _project(tmp_path, fakes)
    meta, tg, hooks = fakes["meta"], fakes["tg"], fakes["hooks"]

    code, out, err = run_cli("-P", str(root), "plan", "--json", env=ENV)
    assert code == 0, err

    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=ENV)
    assert code == 0, out + err
    items = json.loads(out)["items"]
    by_channel: dict[str, list[dict]] = {}
    for i in items:
        by_channel.setdefault(i["channel"], []).append(i)
    assert set(by_channel) == {"instagram", "tgstory", "tgpost", "webhook"}
    parts = {ch: len(rows) for ch, rows in by_channel.items()}
    for ch, rows in by_channel.items():
        assert [r["outcome"] for r in rows] == ["published"] * len(rows), (ch, rows)
        assert all(r["frame_total"] == len(rows) and not r["reason"] for r in rows)
    assert parts["instagram"] == parts["webhook"]  # the same H.264 variant

    # Instagram: one STORIES container per part, created from video_url, published once FINISHED.
    assert [m["field"] for m in meta.media] == ["video_url"] * parts["instagram"]
    assert all(m["content_type"] == "video/mp4" for m in meta.media)
    assert len(meta.stories) == parts["instagram"]
    assert all(s["media_type"] == "VIDEO" for s in meta.stories)
    for m in meta.media:
        _check_mp4(ffprobe.probe_bytes(m["data"]), "h264", (1080, 1920))

    # Telegram: postStory with video content (H.265 720x1280), sendVideo for the channel post.
    stories = [u for u in tg.uploads if u["method"] == "postStory"]
    posts = [u for u in tg.uploads if u["method"] == "sendVideo"]
    assert len(stories) == parts["tgstory"] and len(posts) == parts["tgpost"]
    for u in stories:
        assert u["type"] == "video"
        content = json.loads(u["form"]["content"])
        assert content["type"] == "video" and content["video"].startswith("attach://")
        assert u["form"]["business_connection_id"] == "biz-1"
        _check_mp4(ffprobe.probe_bytes(u["data"]), "hevc", (720, 1280))
    assert all(p["form"]["chat_id"] == "@lumen" for p in posts)
    assert not tg.problems

    # webhook: the signed JSON names the video's content type; the bytes are the H.264 part.
    assert len(hooks.generic) == parts["webhook"]
    for doc in hooks.generic:
        media = doc["media"]
        assert media["content_type"] == "video/mp4" and media["kind"] == "video"
        _check_mp4(ffprobe.probe_bytes(base64.b64decode(media["data_base64"])), "h264", (1080, 1920))

    # status: one row per part, kind story-video, all published
    rows = _status_rows(run_cli, root)
    assert {r["kind"] for r in rows} == {"story-video"}
    assert all(r["state"] == "published" for r in rows)
    assert len(rows) == sum(parts.values())
    code, out, _ = run_cli("-P", str(root), "status", "--all", env=ENV)
    assert f"reset-router [en] 1/{parts['tgstory']} -> tgstory" in out

    # the MP4s `media check` sees agree with ffprobe
    for mp4 in sorted((root / ".storycast" / "renders" / "story-video").rglob("story*.mp4")):
        target = "telegram" if "telegram" in mp4.name else "instagram"
        code, out, _ = run_cli("media", "check", str(mp4), "--target", target)
        assert code == 0 and "(0 errors, 0 warnings)" in out, out

    # a second tick sends nothing
    code, out, err = run_cli(
        "-P", str(root), "publish", "--due", "--now", "2026-12-01T09:02:00Z", "--json", env=ENV
    )
    assert code == 0 and json.loads(out)["items"] == [], out
    assert len(meta.stories) == parts["instagram"] and len(tg.uploads) == parts["tgstory"] + parts["tgpost"]
    assert len(hooks.generic) == parts["webhook"]


def test_format_is_checked_with_its_file_and_line(tmp_path, fakes, run_cli):
    root = _project(tmp_path, fakes, entry_format="vidoe")
    code, _, err = run_cli("-P", str(root), "plan", env=ENV)
    assert code != 0
    assert "video.yaml:8" in err and "'vidoe' is not a story format" in err and "format: video" in err
    toml = root / "storycast.toml"
    toml.write_text(toml.read_text().replace('format = "video"', 'format = "movie"'), encoding="utf-8")
    (root / "schedules" / "video.yaml").write_text(
        (root / "schedules" / "video.yaml").read_text().replace("vidoe", "video"), encoding="utf-8"
    )
    code, _, err = run_cli("-P", str(root), "plan", env=ENV)
    assert code != 0 and "channels.feed.format" in err and "storycast.toml" in err


def test_a_channel_that_takes_no_video_gets_the_frames_and_says_so(tmp_path, fakes, run_cli, caplog):
    from tests.fakes.whatsapp import PNID, FakeWhatsApp

    wa = FakeWhatsApp("EAAvideowatoken9")
    wa.start()
    try:
        root = _project(tmp_path, fakes, channels="wa")
        toml = root / "storycast.toml"
        text = toml.read_text().replace('api_base = "http://127.0.0.1:9"', f'api_base = "{wa.url}"')
        text = text.replace('phone_number_id = "1"', f'phone_number_id = "{PNID}"')
        toml.write_text(
            text.replace('access_token = "env:J_IG"\nsubscribers', 'access_token = "env:J_WA"\nsubscribers')
        )
        env = {**ENV, "J_WA": "EAAvideowatoken9"}
        # planned, not yet due: status already says why these rows are frames
        code, out, err = run_cli(
            "-P", str(root), "publish", "--due", "--now", "2026-12-01T08:30:00Z", env=env
        )
        assert code == 0, out + err
        code, out, _ = run_cli("-P", str(root), "status", env=env)
        assert "video asked for: channel 'wa' (whatsapp) takes no video, so the story's frames go out" in out
        code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
        assert code == 0, out + err
        items = json.loads(out)["items"]
        assert items and all(i["outcome"] == "published" for i in items)
        assert all(i["reason"].startswith("video asked for: channel 'wa' (whatsapp)") for i in items)
        logged = [r for r in caplog.records if r.name == "storycast.engine" and "takes no video" in r.message]
        assert len(logged) == len(items) and all(r.levelname == "WARNING" for r in logged)
        rows = _status_rows(run_cli, root)
        assert {r["kind"] for r in rows} == {"story"} and len(rows) > 1
        assert all(r["reason"].startswith("video asked for:") for r in rows)
    finally:
        wa.stop()
    wa.assert_clean()


@pytest.mark.slow
def test_the_daemon_tick_publishes_video_too(tmp_path, fakes, run_cli):
    """`storycast run` ticks through engine.daemon; a channel's format = "video" is its default."""
    from datetime import UTC, datetime

    from storycast.context import Context
    from storycast.engine.daemon import Daemon
    from storycast.project import Project

    root = _project(tmp_path, fakes, entry_format=None, channels="feed")
    ctx = Context(environ=dict(ENV))
    ctx.fixed_clock(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    project = Project.load(root, environ=dict(ENV))
    Daemon(project, ctx, once=True, watch=False).run()
    rows = _status_rows(run_cli, root)
    assert rows and {r["kind"] for r in rows} == {"story-video"}
    assert all(r["state"] == "published" and r["channel"] == "feed" for r in rows)
    videos = sorted((root / "feed").rglob("*.mp4"))
    assert len(videos) == len(rows)
    records = [json.loads(p.with_suffix(".json").read_text()) for p in videos]
    assert [r["kind"] for r in records] == ["story-video"] * len(rows)
    for mp4 in videos:
        _check_mp4(ffprobe.probe_file(mp4), "h264", (1080, 1920))
