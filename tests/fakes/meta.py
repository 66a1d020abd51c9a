"""Fake Meta Graph API: Instagram stories (both hosts), Facebook Page stories, rupload.

Instagram routes (fault names): ``container`` POST /{v}/{ig-user}/media, ``status`` GET
/{v}/{container}, ``publish`` POST /{v}/{ig-user}/media_publish, ``stories`` GET
/{v}/{ig-user}/stories, ``limit`` GET /{v}/{ig-user}/content_publishing_limit, ``upload`` POST
/ig-api-upload/{v}/{container}, ``me`` GET /{v}/me, ``permissions`` GET /{v}/me/permissions,
``refresh`` GET /refresh_access_token?grant_type=ig_refresh_token&access_token=... (Instagram
Login: the token goes in the query; the new token replaces the old, which stops working here).

Facebook routes: ``photos`` POST /{v}/{page}/photos (published=false), ``photo_story`` POST
/{v}/{page}/photo_stories, ``video_story`` POST /{v}/{page}/video_stories (start|finish),
``video_upload`` POST /video-upload/{v}/{video}, ``page_stories`` GET /{v}/{page}/stories.

Media given as a URL is fetched for real (from the static fake), as Meta "cURLs" it.
"""

from __future__ import annotations

import hashlib
import itertools
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from . import FakeServer, Reply, Request

IG_USER = "17841400000000001"
PAGE_ID = "100000000000001"


def meta_error(code: int, message: str, subcode: int | None = None, status: int = 400) -> Reply:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        err["error_subcode"] = subcode
    return Reply(status, {"error": err})


class FakeMeta(FakeServer):
    """One Graph API host. ``token`` is the valid access token; ``expired`` turns it stale."""

    def __init__(self, token: str = "EAAtesttoken123456") -> None:
        super().__init__()
        self.token = token
        self.expired = False
        self.permissions = [
            "instagram_business_basic",
            "instagram_business_content_publish",
            "instagram_basic",
            "instagram_content_publish",
            "pages_manage_posts",
            "pages_read_engagement",
            "pages_show_list",
        ]
        self.quota_total = 50
        self.extra_usage = 0  # posts published by someone else in the last 24 h
        self.container_states: list[str] = ["IN_PROGRESS", "FINISHED"]
        self.containers: dict[str, dict[str, Any]] = {}
        self.stories: list[dict[str, Any]] = []
        self.published_hashes: dict[str, str] = {}
        self.versions: set[str] = set()
        self.fb_photos: dict[str, dict[str, Any]] = {}
        self.fb_videos: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(18000000000000001)
        self.refresh_expires_in = 5184000  # 60 days, as Meta answers
        self.refreshed_tokens: list[str] = []  # tokens handed out by refresh_access_token
        # Every story media Meta fetched or received: {"field", "data", "content_type", "container"}.
        self.media: list[dict[str, Any]] = []

    def new_id(self) -> str:
        return str(next(self._ids))

    # -- helpers ------------------------------------------------------------------------------

    def _auth(self, req: Request, form: dict[str, str]) -> Reply | None:
        token = form.get("access_token")
        auth = req.headers.get("authorization", "")
        if not token and auth.lower().startswith(("oauth ", "bearer ")):
            token = auth.split(" ", 1)[1]
        if token != self.token:
            return meta_error(190, "Invalid OAuth access token - Cannot parse access token")
        if self.expired:
            return meta_error(190, "Error validating access token: Session has expired", 463)
        return None

    def _publish_media(self, digest: str, what: str) -> Reply | None:
        if digest in self.published_hashes:
            self.problem(
                f"duplicate publish of the same media ({what}; first {self.published_hashes[digest]})"
            )
            return meta_error(9, "duplicate", 2207001)
        self.published_hashes[digest] = what
        return None

    def usage(self) -> int:
        now = time.time()
        return self.extra_usage + sum(1 for s in self.stories if now - s["_t"] < 86400)

    # -- dispatch -----------------------------------------------------------------------------

    def dispatch(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        form = req.form()
        if parts and parts[0] == "static":
            return Reply(404, {})
        if parts[:1] in (["ig-api-upload"], ["video-upload"]):
            route = "upload" if parts[0] == "ig-api-upload" else "video_upload"
            fault = self.next_fault(route)
            pre = self.generic_fault(fault)
            if pre:
                return pre
            denied = self._auth(req, {})
            if denied:
                return denied
            self.versions.add(parts[1])
            reply = self._upload(req, parts[2], route)
            return self.after_fault(fault, reply)
        if parts == ["refresh_access_token"] and req.method == "GET":
            fault = self.next_fault("refresh")
            pre = self.generic_fault(fault)
            if pre:
                return pre
            if isinstance(fault, Reply):
                return fault
            return self._refresh(req)
        if len(parts) < 2:
            return meta_error(100, "Unsupported request")
        self.versions.add(parts[0])
        node, edge = parts[1], parts[2] if len(parts) > 2 else ""
        route = {
            ("POST", "media"): "container",
            ("POST", "media_publish"): "publish",
            ("GET", "content_publishing_limit"): "limit",
            ("POST", "photos"): "photos",
            ("POST", "photo_stories"): "photo_story",
            ("POST", "video_stories"): "video_story",
        }.get((req.method, edge))
        if route is None and req.method == "GET" and edge == "stories":
            route = "stories" if node == IG_USER else "page_stories"
        if route is None and req.method == "GET" and node == "me":
            route = "permissions" if edge == "permissions" else "me"
        if route is None and req.method == "GET" and not edge:
            route = "page" if node == PAGE_ID else "status"
        if route is None:
            return meta_error(100, f"Unsupported {req.method} request on {edge or node}")
        fault = self.next_fault(route)
        pre = self.generic_fault(fault)
        if pre:
            return pre
        if isinstance(fault, Reply):
            return fault
        denied = self._auth(req, form)
        if denied:
            return denied
        reply = getattr(self, "_" + route)(req, form, node)
        return self.after_fault(fault, reply)

    # -- Instagram ----------------------------------------------------------------------------

    def _refresh(self, req: Request) -> Reply:
        if req.query.get("grant_type") != "ig_refresh_token":
            return meta_error(100, "grant_type must be ig_refresh_token")
        if "access_token" not in req.query:
            return meta_error(100, "access_token is required")
        denied = self._auth(req, dict(req.query))
        if denied:
            return denied
        if "instagram_business_basic" not in self.permissions:
            return meta_error(10, "instagram_business_basic is required to refresh the token")
        new = f"IGQWR{len(self.refreshed_tokens) + 1:04d}refreshed{self.token[-6:]}"
        self.refreshed_tokens.append(new)
        self.token = new
        return Reply(
            200, {"access_token": new, "token_type": "bearer", "expires_in": self.refresh_expires_in}
        )

    def _container(self, req: Request, form: dict[str, str], node: str) -> Reply:
        if form.get("media_type") != "STORIES":
            return meta_error(100, "media_type must be STORIES for a story")
        if "caption" in form or "alt_text" in form:
            self.problem("caption/alt_text sent on a story container (not supported)")
        cid = self.new_id()
        entry: dict[str, Any] = {"states": list(self.container_states), "digest": None, "published": False}
        url = form.get("image_url") or form.get("video_url")
        if form.get("upload_type") == "resumable":
            entry["states"] = ["IN_PROGRESS", *entry["states"]]
            entry["awaiting_upload"] = True
            self.containers[cid] = entry
            return Reply(200, {"id": cid, "uri": f"{self.url}/ig-api-upload/{req.path.split('/')[1]}/{cid}"})
        if not url:
            return meta_error(100, "image_url or video_url is required")
        if "image_url" in form and "video_url" in form:  # "Not both URLs" (IG User Media, stories)
            return meta_error(100, "Only one of image_url and video_url can be given")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                data = resp.read()
                ctype = resp.headers.get("Content-Type", "")
        except OSError as exc:
            return meta_error(9004, f"Media download has failed: {exc}", 2207052)
        if "image_url" in form and not data.startswith(b"\xff\xd8"):
            return meta_error(9004, "Only photo or video can be accepted as media type.", 2207026)
        if "video_url" in form and data[4:8] != b"ftyp":  # stories take MOV or MP4 video
            return meta_error(9004, "Only photo or video can be accepted as media type.", 2207026)
        field = "image_url" if "image_url" in form else "video_url"
        self.media.append({"field": field, "data": data, "content_type": ctype, "container": cid})
        entry["media_type"] = "VIDEO" if field == "video_url" else "IMAGE"
        entry["digest"] = hashlib.sha256(data).hexdigest()
        self.containers[cid] = entry
        return Reply(200, {"id": cid})

    def _upload(self, req: Request, cid: str, route: str) -> Reply:
        if route == "video_upload":
            return self._fb_video_upload(req, cid)
        entry = self.containers.get(cid)
        if entry is None:
            return meta_error(100, "Unknown container")
        size = int(req.headers.get("file_size", "-1"))
        if req.headers.get("offset") != "0" or size != len(req.body):
            return meta_error(100, "offset/file_size headers do not match the body")
        if req.body[4:8] != b"ftyp":
            return meta_error(9004, "Only photo or video can be accepted as media type.", 2207026)
        self.media.append({"field": "upload", "data": req.body, "content_type": "", "container": cid})
        entry["media_type"] = "VIDEO"
        entry["digest"] = hashlib.sha256(req.body).hexdigest()
        entry["awaiting_upload"] = False
        entry["states"] = entry["states"][1:]
        return Reply(200, {"success": True, "message": "Upload successful."})

    def _status(self, req: Request, form: dict[str, str], node: str) -> Reply:
        entry = self.containers.get(node)
        if entry is None:
            return meta_error(100, f"Unsupported get request. Object with ID '{node}' does not exist")
        if entry["published"]:
            state = "PUBLISHED"
        elif entry.get("awaiting_upload"):
            state = "IN_PROGRESS"
        else:
            state = entry["states"][0]
            if len(entry["states"]) > 1:
                entry["states"].pop(0)
        status = {"ERROR": "Error: 2207001", "EXPIRED": "Expired"}.get(state, state)
        return Reply(200, {"id": node, "status_code": state, "status": status})

    def _publish(self, req: Request, form: dict[str, str], node: str) -> Reply:
        cid = form.get("creation_id", "")
        entry = self.containers.get(cid)
        if entry is None:
            return meta_error(100, "Invalid creation_id")
        if entry["published"]:
            self.problem(f"container {cid} published twice")
            return meta_error(9, "The media has already been published", 2207008)
        state = entry["states"][0]
        if state == "EXPIRED":
            return meta_error(9, "The media container has expired", 2207008)
        if state != "FINISHED":
            return meta_error(9007, "Media ID is not available", 2207027)
        if self.usage() >= self.quota_total:
            return meta_error(9, "Application request limit reached", 2207042, 403)
        dup = self._publish_media(entry["digest"], f"container {cid}")
        if dup:
            return dup
        entry["published"] = True
        mid = self.new_id()
        entry["media_id"] = mid
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        self.stories.append(
            {
                "id": mid,
                "container": cid,
                "timestamp": stamp,
                "_t": time.time(),
                "media_type": entry.get("media_type", "IMAGE"),
            }
        )
        return Reply(200, {"id": mid})

    def _stories(self, req: Request, form: dict[str, str], node: str) -> Reply:
        data = [
            {
                "id": s["id"],
                "media_type": s.get("media_type", "IMAGE"),
                "media_product_type": "STORY",
                "timestamp": s["timestamp"],
                "permalink": f"https://instagram.com/stories/x/{s['id']}",
            }
            for s in reversed(self.stories)
        ]
        return Reply(200, {"data": data})

    def _limit(self, req: Request, form: dict[str, str], node: str) -> Reply:
        return Reply(
            200,
            {
                "data": [
                    {
                        "quota_usage": self.usage(),
                        "config": {"quota_total": self.quota_total, "quota_duration": 86400},
                    }
                ]
            },
        )

    def _me(self, req: Request, form: dict[str, str], node: str) -> Reply:
        return Reply(200, {"id": IG_USER, "username": "lumen_support", "name": "Lumen Support"})

    def _permissions(self, req: Request, form: dict[str, str], node: str) -> Reply:
        return Reply(200, {"data": [{"permission": p, "status": "granted"} for p in self.permissions]})

    # -- Facebook Page stories ----------------------------------------------------------------

    def _photos(self, req: Request, form: dict[str, str], node: str) -> Reply:
        if form.get("published") not in ("false", "0"):
            self.problem("photo uploaded as published (it would appear on the Page feed)")
        files = req.files()
        data = files.get("source", b"")
        if not data and form.get("url"):
            with urllib.request.urlopen(form["url"], timeout=5) as resp:
                data = resp.read()
        if not data:
            return meta_error(100, "source or url is required")
        pid = self.new_id()
        self.fb_photos[pid] = {"digest": hashlib.sha256(data).hexdigest(), "story": None}
        return Reply(200, {"id": pid})

    def _photo_story(self, req: Request, form: dict[str, str], node: str) -> Reply:
        photo = self.fb_photos.get(form.get("photo_id", ""))
        if photo is None:
            return meta_error(100, "Invalid photo_id")
        if photo["story"]:
            self.problem(f"photo {form.get('photo_id')} made a story twice")
            return meta_error(100, "A photo used in a story cannot be used again")
        dup = self._publish_media(photo["digest"], f"photo {form.get('photo_id')}")
        if dup:
            return dup
        post = self.new_id()
        photo["story"] = post
        self.stories.append({"id": post, "page": True, "timestamp": "", "_t": time.time()})
        return Reply(200, {"success": True, "post_id": post})

    def _video_story(self, req: Request, form: dict[str, str], node: str) -> Reply:
        phase = form.get("upload_phase")
        if phase == "start":
            vid = self.new_id()
            self.fb_videos[vid] = {"digest": None, "story": None}
            return Reply(
                200,
                {"video_id": vid, "upload_url": f"{self.url}/video-upload/{req.path.split('/')[1]}/{vid}"},
            )
        if phase == "finish":
            video = self.fb_videos.get(form.get("video_id", ""))
            if video is None or video["digest"] is None:
                return meta_error(100, "The video was not uploaded")
            if video["story"]:
                self.problem(f"video {form.get('video_id')} finished twice")
                return meta_error(100, "already published")
            dup = self._publish_media(video["digest"], f"video {form.get('video_id')}")
            if dup:
                return dup
            post = self.new_id()
            video["story"] = post
            self.stories.append({"id": post, "page": True, "timestamp": "", "_t": time.time()})
            return Reply(200, {"success": True, "post_id": post})
        return meta_error(100, "upload_phase must be start or finish")

    def _fb_video_upload(self, req: Request, vid: str) -> Reply:
        video = self.fb_videos.get(vid)
        if video is None:
            return meta_error(100, "Unknown video")
        if req.headers.get("offset") != "0" or int(req.headers.get("file_size", "-1")) != len(req.body):
            return meta_error(100, "offset/file_size headers do not match the body")
        video["digest"] = hashlib.sha256(req.body).hexdigest()
        return Reply(200, {"success": True})

    def _page(self, req: Request, form: dict[str, str], node: str) -> Reply:
        return Reply(200, {"id": PAGE_ID, "name": "Lumen Support"})

    def _page_stories(self, req: Request, form: dict[str, str], node: str) -> Reply:
        data = [{"post_id": s["id"], "status": "PUBLISHED"} for s in self.stories if s.get("page")]
        return Reply(200, {"data": data})


class StaticFiles(FakeServer):
    """Serves a folder read-only, like the user's web server in front of the hosting folder."""

    def __init__(self, folder: Any) -> None:
        super().__init__()
        self.folder = folder

    def dispatch(self, req: Request) -> Reply:
        from pathlib import Path

        path = Path(self.folder) / req.path.lstrip("/")
        if req.method != "GET" or not path.is_file():
            return Reply(404, {"error": "not found"})
        ctype = "video/mp4" if path.suffix == ".mp4" else "image/jpeg"
        return Reply(200, path.read_bytes(), {"Content-Type": ctype})
