"""Facebook Page stories against the fake Graph API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, RetryableFailure
from tests.fakes.graph import FakeGraph
from tests.fakes.meta import PAGE_ID, FakeMeta, meta_error
from tests.fakes.project import channel, jpeg, make_project, request, video

TOKEN = "EAApagetoken987654"
ENV = {"FB_PAGE_TOKEN": TOKEN}


@pytest.fixture
def meta() -> Iterator[FakeGraph]:
    fake = FakeGraph(TOKEN, login="facebook_login").start()
    yield fake
    fake.stop()
    fake.assert_clean()


def _channel(tmp_path: Path, meta: FakeMeta, env: dict[str, str] = ENV):
    project = make_project(
        tmp_path / "proj",
        f"""[channels.fb]
type = "facebook"
api_base = "{meta.url}"
page_id = "{PAGE_ID}"
access_token = "env:FB_PAGE_TOKEN"
timeout = 0.5
backoff = 0
""",
    )
    return channel(project, "fb", env)


def test_photo_story_is_an_unpublished_upload_then_photo_stories(tmp_path, meta):
    ch = _channel(tmp_path, meta)
    result = ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert result.remote_id == meta.stories[0]["id"]
    assert result.url and result.url.endswith(result.remote_id)
    paths = [r.path.rsplit("/", 1)[-1] for r in meta.calls("POST")]
    assert paths == ["photos", "photo_stories"]


def test_video_story_start_upload_finish(tmp_path, meta):
    ch = _channel(tmp_path, meta)
    ch.publish(request(video(tmp_path / "v.mp4", 2)))
    assert len(meta.calls("POST", "video-upload")) == 1
    phases = [r.form().get("upload_phase") for r in meta.calls("POST", "video_stories")]
    assert phases == ["start", "finish"]


def test_multi_frame_failure_resumes_with_the_same_upload(tmp_path, meta):
    ch = _channel(tmp_path, meta)
    reqs = [request(jpeg(tmp_path / f"{i}.jpg", i), index=i, total=3) for i in (1, 2, 3)]
    ch.publish(reqs[0])
    meta.script("photo_story", "503")
    with pytest.raises(RetryableFailure):
        ch.publish(reqs[1])
    ch.publish(reqs[1])
    ch.publish(reqs[2])
    assert len(meta.stories) == 3
    assert len(meta.calls("POST", "/photos")) == 3  # frame 2 was uploaded once


def test_throttle_expired_token_and_timeout(tmp_path, meta, caplog):
    caplog.set_level(logging.DEBUG)
    ch = _channel(tmp_path, meta)
    meta.script("photos", meta_error(32, "Page request limit reached"))
    with pytest.raises(RetryableFailure):
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    meta.expired = True
    with pytest.raises(NeedsAuth) as info:
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert TOKEN not in str(info.value)
    meta.expired = False
    meta.script("photo_story", "hang")
    req = request(jpeg(tmp_path / "b.jpg", 2))
    with pytest.raises(AmbiguousOutcome):
        ch.publish(req)
    # The Page's stories show the journalled photo: the lost answer is settled.
    found = ch.lookup(req)
    assert found is not None and found.remote_id == meta.stories[-1]["id"]
    assert TOKEN not in caplog.text


def test_check_and_list_recent(tmp_path, meta):
    ch = _channel(tmp_path, meta)
    req = request(jpeg(tmp_path / "a.jpg", 1))
    ch.publish(req)
    posts = ch.list_recent(ch.context.now())
    assert posts[0].marker == req.idempotency_key
    assert all(c.ok for c in ch.check())
    meta.expired = True
    assert not ch.check()[0].ok


def test_lookup_matches_by_media_id_then_by_creation_time_else_stays_unsure(tmp_path, meta):
    ch = _channel(tmp_path, meta)
    done = request(jpeg(tmp_path / "0.jpg", 9), index=1, total=3)
    ch.publish(done)
    # A lost answer whose story Facebook lists without a media id: the one unclaimed story
    # created around the (real) time of the call is it.
    meta.script("photo_story", "hang")
    lost = request(jpeg(tmp_path / "a.jpg", 1), index=2, total=3)
    with pytest.raises(AmbiguousOutcome):
        ch.publish(lost)
    meta.stories[-1].pop("media_id")
    found = ch.lookup(lost)
    assert found is not None and found.remote_id == meta.stories[-1]["id"]
    asked = meta.calls("GET", f"{PAGE_ID}/stories")[-1].query
    assert "media_id" in asked["fields"] and "creation_time" in asked["fields"] and asked["since"].isdigit()
    # A lost answer that never became a story (Facebook lists nothing new): still unknown.
    meta.script("photo_story", "hang")
    gone = request(jpeg(tmp_path / "b.jpg", 2), index=3, total=3)
    with pytest.raises(AmbiguousOutcome):
        ch.publish(gone)
    meta.stories.pop()
    assert ch.lookup(gone) is None
    # Never sent the final call (only the invisible upload): nothing to find.
    meta.script("photo_story", "503")
    never = request(jpeg(tmp_path / "c.jpg", 3), index=3, total=3, ref="other")
    with pytest.raises(RetryableFailure):
        ch.publish(never)
    assert ch.lookup(never) is None


STORY = """\
id: restart-modem
template: tutorial
category: connectivity
languages: [en]
title: {en: Restart your modem}
steps:
  - title: {en: Unplug it}
    text: {en: Wait ten seconds.}
  - title: {en: Plug it back in}
    text: {en: Wait for the light to turn green.}
"""

SCHEDULE = """\
timezone: UTC
entries:
  - id: modem
    story: restart-modem
    at: "2026-12-01T09:00"
    channels: [fb]
    languages: [en]
    grace: 2h
"""


def test_reconcile_settles_an_unknown_row_from_the_page_stories(tmp_path, meta, run_cli):
    """Schedule -> publish --due (the answer to photo_stories is lost) -> reconcile -> published."""
    import json

    ch = _channel(tmp_path, meta)
    root = ch.project.root
    (root / "stories").mkdir()
    (root / "stories" / "restart-modem.yaml").write_text(STORY, encoding="utf-8")
    (root / "schedules").mkdir()
    (root / "schedules" / "modem.yaml").write_text(SCHEDULE, encoding="utf-8")
    cli = ("-P", str(root))
    meta.script("photo_story", "hang")
    code, out, err = run_cli(*cli, "publish", "--due", "--now", "2026-12-01T09:01:00Z", "--json", env=ENV)
    outcomes = [i["outcome"] for i in json.loads(out)["items"]]
    assert outcomes[0] == "unknown", out + err
    code, out, err = run_cli(*cli, "status", "--all", "--json", env=ENV)
    (unknown,) = [r for r in json.loads(out)["rows"] if r["state"] == "unknown"]
    code, out, err = run_cli(*cli, "reconcile", "--now", "2026-12-01T09:20:00Z", "--json", env=ENV)
    assert code == 0, out + err
    report = json.loads(out)
    assert report["published"] == [unknown["id"]] and report["still_unknown"] == []
    code, out, err = run_cli(*cli, "status", "--all", "--json", env=ENV)
    row = next(r for r in json.loads(out)["rows"] if r["id"] == unknown["id"])
    first_story = next(s for s in meta.stories if s.get("page"))
    assert row["state"] == "published" and row["remote_id"] == first_story["id"]
    assert len([s for s in meta.stories if s.get("page")]) == len(outcomes)  # nothing sent twice
