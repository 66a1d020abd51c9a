"""Facebook Page stories through the Graph API.

- Photo: upload the frame as an *unpublished* Page photo (``published=false``: invisible), then
  ``POST /{page}/photo_stories`` with its ``photo_id`` (the irreversible step).
- Video: ``POST /{page}/video_stories upload_phase=start`` -> ``video_id`` and ``upload_url``;
  upload the bytes to rupload; ``upload_phase=finish`` (the irreversible step).

The uploaded photo/video id is journalled before the irreversible call, so a retry reuses it
instead of uploading again. When the answer to the final call is lost (the row becomes
``unknown``), ``lookup()`` settles it from ``GET /{page-id}/stories``, which lists each story
with its ``post_id``, ``creation_time`` and the ``media_id`` of the photo or video it shows: the
journalled upload id finds the story; failing that, the one story no other row claims that was
created around the real time of the call. Anything less certain stays ``unknown`` for a person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ..errors import ConfigError
from ..media import MediaLimits, VideoVariant
from ..secrets import SecretRef
from .base import (
    AmbiguousOutcome,
    Capabilities,
    CheckResult,
    NeedsAuth,
    PermanentFailure,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryableFailure,
)
from .http import NetworkChannel
from .journal import Journal
from .meta import raise_for_graph
from .registry import register_channel_type

PERMISSIONS = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")
STORY_FIELDS = "post_id,status,creation_time,media_type,media_id,url"
# How far from the real time of a lost final call a story's creation_time may be to match it.
MATCH_BEFORE, MATCH_AFTER = timedelta(minutes=2), timedelta(minutes=15)
PHOTO_LIMIT = 10 * 1024 * 1024

# Facebook Page stories (Stories API, May 2026; see docs/video.md): MP4, 9:16, 1080x1920 recommended (at
# least 540x960), 24-60 fps, fixed frame rate, progressive, 4:2:0, closed GOP of 2-5 s, H.264/H.265,
# AAC-LC stereo 48 kHz, "a video story can not exceed 60 seconds".
STORY_VIDEO = MediaLimits(
    name="facebook",
    codecs=("h264", "hevc"),
    encode_codec="h264",
    width=1080,
    height=1920,
    min_width=540,
    min_height=960,
    max_width=1920,
    exact_size=False,
    min_fps=24,
    max_fps=60,
    constant_fps=True,
    min_seconds=3,
    max_seconds=60,
    max_bytes=None,
    max_video_bitrate=None,
    audio_rates=(48000,),
    audio_channels=(2,),
    min_audio_bitrate=128_000,
    max_keyint_seconds=5.0,
)


class FacebookChannel(NetworkChannel):
    """Facebook Page stories (photo and video)."""

    type_name = "facebook"
    description = "Facebook Page stories: unpublished photo + photo_stories, or a 3-phase video story."
    capabilities = Capabilities(
        images=True, video=True, stories=True, multi_frame=True, captions=False, list_recent=True
    )
    default_api_base: ClassVar[str] = "https://graph.facebook.com"
    default_concurrency: ClassVar[int | None] = 1
    media_limits: ClassVar[MediaLimits | None] = STORY_VIDEO
    # The same file as Instagram's variant (story.mp4 fits both), so not rendered by default.
    video_variant: ClassVar[VideoVariant | None] = VideoVariant(STORY_VIDEO, default=False)

    class Options(NetworkChannel.Options):
        """[channels.NAME] keys of a facebook channel."""

        page_id: str = ""
        access_token: SecretRef = ""  # a Page access token, as a secret reference
        api_version: str = "v25.0"
        rupload_base: str = "https://rupload.facebook.com"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if not self.opts.page_id:
            raise ConfigError(
                f"channel {self.name!r} needs page_id",
                hint="the numeric id of the Facebook Page (Page settings > About)",
                file=self.project.config_path,
            )
        self.journal = Journal(self.project.state_dir / "channels" / f"{self.name}.json")

    def _url(self, path: str) -> str:
        return f"{self.api_base}/{self.opts.api_version}/{path.lstrip('/')}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"OAuth {self.secret(self.opts.access_token, 'access_token').reveal()}"}

    def _call(
        self, method: str, path: str, what: str, *, mutating: bool, files: Any = None, **params: Any
    ) -> dict[str, Any]:
        kw: dict[str, Any] = {"params": params} if method == "GET" else {"data": params}
        resp = self.http.request(
            method, self._url(path), mutating=mutating, what=what, headers=self._auth(), files=files, **kw
        )
        raise_for_graph(resp, self.name, what, self.redact, now=self.context.clock.wall())
        body = self.http.json_of(resp)
        return body if isinstance(body, dict) else {}

    # -- publish --------------------------------------------------------------------------------

    def _upload(self, request: PublishRequest) -> tuple[str, str]:
        """Upload the frame invisibly; return (kind, id)."""
        media = request.media
        assert media is not None
        page = self.opts.page_id
        if media.kind == "image":
            size = media.path.stat().st_size
            if size > PHOTO_LIMIT:
                raise PermanentFailure(
                    f"{self.name}: the photo is {size} bytes; Page stories take at most 10 MB",
                    hint='set format = "jpg" in [render] (PNG frames are far larger) or a lower quality',
                )
            with media.path.open("rb") as fh:
                body = self._call(
                    "POST",
                    f"{page}/photos",
                    "upload the photo (unpublished)",
                    mutating=False,  # unpublished: a duplicate upload is invisible
                    files={"source": (media.path.name, fh, "image/jpeg")},
                    published="false",
                )
            return "photo", str(body["id"])
        start = self._call(
            "POST", f"{page}/video_stories", "start the video story", mutating=False, upload_phase="start"
        )
        vid = str(start["video_id"])
        url = (
            start.get("upload_url") or f"{self.opts.rupload_base}/video-upload/{self.opts.api_version}/{vid}"
        )
        data = media.path.read_bytes()
        resp = self.http.request(
            "POST",
            url,
            mutating=False,
            data=data,
            headers={**self._auth(), "offset": "0", "file_size": str(len(data))},
            what="upload the video",
        )
        raise_for_graph(resp, self.name, "upload the video", self.redact, now=self.context.clock.wall())
        return "video", vid

    def publish(self, request: PublishRequest) -> PublishResult:
        """Publish one frame as a Page story."""
        if request.media is None or not request.media.path.is_file():
            raise PermanentFailure(
                f"{self.name}: a Page story needs an image or a video file",
                hint="polls are not available on Facebook stories; render the question into a frame",
            )
        key = request.idempotency_key
        entry = self.journal.get(key) or {}
        if entry.get("state") == "published":
            return self._result(entry.get("post_id"))
        if entry.get("upload"):
            kind, upload_id = entry["upload"]
        else:
            kind, upload_id = self._upload(request)
            self.journal.update(key, self.context.now(), upload=[kind, upload_id], state="uploaded")
        page = self.opts.page_id
        # The real time (not the tick's --now): Facebook stamps the story's creation_time with it.
        self.journal.update(
            key, self.context.now(), state="publishing", sent_at=self.context.clock.wall().isoformat()
        )
        if kind == "photo":
            body = self._call(
                "POST", f"{page}/photo_stories", "publish the photo story", mutating=True, photo_id=upload_id
            )
        else:
            body = self._call(
                "POST",
                f"{page}/video_stories",
                "finish the video story",
                mutating=True,
                upload_phase="finish",
                video_id=upload_id,
            )
        if not body.get("success", True):
            raise AmbiguousOutcome(
                f"{self.name}: Facebook answered success=false to the story call",
                hint="`storycast reconcile` compares with the Page's stories; or settle the row with "
                "`storycast reconcile --resolve ID=published|failed`",
            )
        post_id = str(body.get("post_id") or body.get("id") or "") or None
        self.journal.update(key, self.context.now(), state="published", post_id=post_id)
        return self._result(post_id)

    def _result(self, post_id: str | None) -> PublishResult:
        return PublishResult(
            remote_id=post_id,
            url=f"https://www.facebook.com/stories/{post_id}" if post_id else None,
            expires_utc=self.context.now() + timedelta(hours=24),
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Was this frame published? From the journal, else from the Page's stories; None if unsure.

        Only a row whose final call was made (journal state ``publishing``) can have become a
        story. Its story is the one showing the journalled photo/video (``media_id``); when
        Facebook lists no media id, the single story no other row claims whose ``creation_time``
        is within a few minutes of the call.
        """
        key = request.idempotency_key
        entry = self.journal.get(key) or {}
        if entry.get("state") == "published":
            return self._result(entry.get("post_id"))
        upload = entry.get("upload")
        if entry.get("state") != "publishing" or not upload:
            return None
        kind, upload_id = upload
        sent = _when(entry.get("sent_at"))
        since = sent - MATCH_BEFORE if sent else None
        stories = self._stories(since)
        found = next((s for s in stories if str(s.get("media_id") or "") == str(upload_id)), None)
        if found is None and sent is not None:
            claimed = {str(e.get("post_id")) for e in self.journal.entries().values() if e.get("post_id")}
            near = [
                s
                for s in stories
                if _story_id(s) not in claimed
                and not s.get("media_id")
                and str(s.get("media_type") or kind).lower() == kind
                and (when := _when(s.get("creation_time"))) is not None
                and sent - MATCH_BEFORE <= when <= sent + MATCH_AFTER
            ]
            found = near[0] if len(near) == 1 else None
        if found is None:
            return None
        post_id = _story_id(found)
        self.journal.update(key, self.context.now(), state="published", post_id=post_id)
        return self._result(post_id)

    def _stories(self, since: datetime | None) -> list[dict[str, Any]]:
        """The Page's stories (``GET /{page-id}/stories``), created since ``since`` when given."""
        params: dict[str, Any] = {"fields": STORY_FIELDS}
        if since is not None:
            params["since"] = int(since.timestamp())
        body = self._call(
            "GET", f"{self.opts.page_id}/stories", "list Page stories", mutating=False, **params
        )
        return [item for item in body.get("data") or [] if isinstance(item, dict)]

    def list_recent(self, since: datetime) -> list[RemotePost]:
        """The Page's stories created since ``since``."""
        markers = {e.get("post_id"): k for k, e in self.journal.entries().items() if e.get("post_id")}
        out = []
        for item in self._stories(None):
            pid = _story_id(item)
            when = _when(item.get("creation_time"))
            if when is None or when >= since:
                out.append(RemotePost(pid, when, markers.get(pid), item.get("url")))
        return out

    def check(self) -> list[CheckResult]:
        """The Page token and its permissions."""
        try:
            page = self._call("GET", self.opts.page_id, "read the Page", mutating=False, fields="id,name")
        except (NeedsAuth, PermanentFailure, RetryableFailure, AmbiguousOutcome) as exc:
            return [CheckResult("token", False, exc.message)]
        out = [CheckResult("token", True, f"Page token valid for {page.get('name') or page.get('id')}")]
        try:
            perms = self._call("GET", "me/permissions", "read the permissions", mutating=False)
            granted = {p.get("permission") for p in perms.get("data") or [] if p.get("status") == "granted"}
            missing = [p for p in PERMISSIONS if p not in granted]
            out.append(
                CheckResult(
                    "permissions", not missing, "missing " + ", ".join(missing) if missing else "granted"
                )
            )
        except (NeedsAuth, PermanentFailure, RetryableFailure) as exc:
            out.append(CheckResult("permissions", False, exc.message, "warning"))
        return out


def _story_id(item: dict[str, Any]) -> str:
    return str(item.get("post_id") or item.get("id"))


def _when(value: Any) -> datetime | None:
    """A Graph API time: Unix seconds (as Page stories give ``creation_time``) or ISO 8601."""
    text = str(value or "")
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        when = datetime.fromisoformat(text.replace("+0000", "+00:00")) if text else None
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


register_channel_type(FacebookChannel)
