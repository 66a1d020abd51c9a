"""Facebook Page stories against the fake Graph API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, RetryableFailure
from tests.fakes.meta import PAGE_ID, FakeMeta, meta_error
from tests.fakes.project import channel, jpeg, make_project, request, video

TOKEN = "EAApagetoken987654"
ENV = {"FB_PAGE_TOKEN": TOKEN}


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    fake = FakeMeta(TOKEN).start()
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
    assert ch.lookup(req) is None  # Facebook cannot tell: the row stays unknown
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
