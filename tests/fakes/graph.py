"""Fake Graph API that tells the two Instagram logins apart, with account types, insights
permissions and Facebook Page stories as Meta documents them.

:class:`FakeGraph` extends :class:`tests.fakes.meta.FakeMeta` (the publishing flows) with what
its ``me`` route glosses over. Written from Meta's reference pages:

- **Instagram Login** (graph.instagram.com, Instagram User token): ``GET /me`` is the app user's
  Instagram professional account; fields ``id`` (app-scoped), ``user_id`` (the IG user id used
  in publishing paths), ``username``, ``name``, ``account_type`` (``Business`` or
  ``Media_Creator``). Insights need ``instagram_business_manage_insights``.
- **Facebook Login** (graph.facebook.com, Facebook User token): ``GET /me`` is the Facebook
  *User* node (``id``, ``name``; no ``username``). The Instagram account is the IG User node,
  ``GET /{ig-user-id}``, whose fields are ``id``, ``ig_id``, ``username``, ``name``,
  ``biography``, ``followers_count``, ``follows_count``, ``media_count``,
  ``profile_picture_url``, ``website``... and no ``account_type``. Insights need
  ``instagram_manage_insights``.
- Asking a node for a field it does not have answers code 100 "Tried accessing nonexisting
  field (F) on node type (T)". Every error is ``{"error": {message, type, code,
  error_subcode?, fbtrace_id}}``.
- ``GET /{ig-media-id}/insights``: without the insights permission, code 10 "(#10) Application
  does not have permission for this action" (Graph API error 10: permission denied); a story
  metric under 5 answers code 10 "(#10) Not enough viewers for the media to show insights"
  (IG Media Insights, "Story media metrics").
- Stories publishing works for Business accounts only ("Stories are only supported for
  business accounts", Content Publishing): a Creator account's story container is refused
  (the error's code is not documented; code 100 is assumed).
- ``GET /{page-id}/stories`` lists Page stories: ``post_id``, ``status`` (PUBLISHED / ARCHIVED),
  ``creation_time`` (Unix time), ``media_type`` (photo / video), ``media_id`` (the uploaded
  photo or video) and ``url``; ``since``/``until`` bound the creation time.

Routes (fault names) added: ``ig_user`` GET /{v}/{ig-user-id}, ``insights`` GET
/{v}/{media}/insights; ``me``, ``permissions`` and ``page_stories`` as in FakeMeta.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from . import Reply, Request
from .meta import IG_USER, PAGE_ID, FakeMeta, meta_error

APP_SCOPED_ID = "27000000000000042"
FB_USER_ID = "10160000000000077"
USERNAME = "lumen_support"

IG_LOGIN_FIELDS = {"id", "user_id", "username", "name", "account_type", "profile_picture_url", "media_count"}
FB_USER_FIELDS = {"id", "name", "email"}
IG_USER_FIELDS = {
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
    "website",
}
PERMISSIONS = {
    "instagram_login": [
        "instagram_business_basic",
        "instagram_business_content_publish",
        "instagram_business_manage_insights",
    ],
    "facebook_login": [
        "instagram_basic",
        "instagram_content_publish",
        "pages_read_engagement",
        "instagram_manage_insights",
    ],
}
INSIGHTS_PERMISSION = {
    "instagram_login": "instagram_business_manage_insights",
    "facebook_login": "instagram_manage_insights",
}


def _nonexisting(field: str, node: str) -> Reply:
    return meta_error(100, f"(#100) Tried accessing nonexisting field ({field}) on node type ({node})")


class FakeGraph(FakeMeta):
    """A Graph API host for one login flavour and one Instagram account type."""

    def __init__(
        self,
        token: str = "EAAtesttoken123456",
        login: Literal["instagram_login", "facebook_login"] = "instagram_login",
        account_type: str = "Business",
    ) -> None:
        super().__init__(token)
        self.account_type = account_type
        self.insights: dict[str, dict[str, int]] = {}  # media id -> lifetime metrics
        self.use_login(login)

    def use_login(self, login: Literal["instagram_login", "facebook_login"]) -> None:
        """Answer as the host of this login, with the permissions its token would carry."""
        self.login = login
        self.permissions = [*PERMISSIONS[login], "pages_manage_posts", "pages_show_list"]

    # -- routing ------------------------------------------------------------------------------

    def dispatch(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        if req.method == "GET" and len(parts) == 2 and parts[1] == IG_USER:
            return self._route(req, "ig_user", self._ig_user)
        if req.method == "GET" and len(parts) == 3 and parts[2] == "insights":
            return self._route(req, "insights", lambda r: self._insights(r, parts[1]))
        return super().dispatch(req)

    def _route(self, req: Request, route: str, handler: Any) -> Reply:
        fault = self.next_fault(route)
        pre = self.generic_fault(fault)
        if pre:
            return pre
        if isinstance(fault, Reply):
            return fault
        denied = self._auth(req, req.form())
        if denied:
            return denied
        return self.after_fault(fault, handler(req))

    @staticmethod
    def _fields(req: Request) -> list[str]:
        return [f for f in req.query.get("fields", "id").split(",") if f]

    # -- nodes --------------------------------------------------------------------------------

    def _me(self, req: Request, form: dict[str, str], node: str) -> Reply:
        if self.login == "facebook_login":  # a Facebook User node
            values: dict[str, Any] = {"id": FB_USER_ID, "name": "Marta Ruiz", "email": "marta@lumen.example"}
            allowed, kind = FB_USER_FIELDS, "User"
        else:
            values = {
                "id": APP_SCOPED_ID,
                "user_id": IG_USER,
                "username": USERNAME,
                "name": "Lumen Support",
                "account_type": self.account_type,
                "profile_picture_url": "https://cdn.example/p.jpg",
                "media_count": 12,
            }
            allowed, kind = IG_LOGIN_FIELDS, "User"
        return self._answer(req, values, allowed, kind)

    def _ig_user(self, req: Request) -> Reply:
        values = {
            "id": IG_USER,
            "ig_id": 1234567,
            "username": USERNAME,
            "name": "Lumen Support",
            "media_count": 12,
            "followers_count": 3400,
        }
        return self._answer(
            req, values, IG_USER_FIELDS, "IGUser" if self.login == "facebook_login" else "User"
        )

    def _answer(self, req: Request, values: dict[str, Any], allowed: set[str], kind: str) -> Reply:
        fields = self._fields(req)
        for f in fields:
            if f not in allowed:
                return _nonexisting(f, kind)
        return Reply(200, {f: values[f] for f in fields if f in values} | {"id": values["id"]})

    # -- insights -----------------------------------------------------------------------------

    def _insights(self, req: Request, media_id: str) -> Reply:
        if INSIGHTS_PERMISSION[self.login] not in self.permissions:
            return meta_error(10, "(#10) Application does not have permission for this action", status=403)
        metrics = self.insights.get(media_id)
        if metrics is None:
            return meta_error(100, f"Unsupported get request. Object with ID '{media_id}' does not exist")
        if metrics.get("reach", 0) < 5:
            return meta_error(10, "(#10) Not enough viewers for the media to show insights")
        asked = req.query.get("metric", "").split(",")
        data = [
            {"name": m, "period": "lifetime", "values": [{"value": metrics[m]}]}
            for m in asked
            if m in metrics
        ]
        return Reply(200, {"data": data})

    # -- publishing: stories for Business accounts only ----------------------------------------

    def _container(self, req: Request, form: dict[str, str], node: str) -> Reply:
        if form.get("media_type") == "STORIES" and self.account_type.upper() != "BUSINESS":
            # Meta documents the rule, not the error: code 100 (invalid parameter) is assumed here.
            return meta_error(100, "(#100) Stories are only supported for business accounts")
        return super()._container(req, form, node)

    # -- Facebook Page stories: media id and creation time, as the Stories API lists them -------

    def _photo_story(self, req: Request, form: dict[str, str], node: str) -> Reply:
        reply = super()._photo_story(req, form, node)
        if reply.status == 200:
            self.stories[-1].update(media_id=form.get("photo_id"), media_type="photo")
        return reply

    def _video_story(self, req: Request, form: dict[str, str], node: str) -> Reply:
        reply = super()._video_story(req, form, node)
        if reply.status == 200 and form.get("upload_phase") == "finish":
            self.stories[-1].update(media_id=form.get("video_id"), media_type="video")
        return reply

    def _page_stories(self, req: Request, form: dict[str, str], node: str) -> Reply:
        if node != PAGE_ID:
            return meta_error(100, f"Unsupported get request. Object with ID '{node}' does not exist")
        since = float(req.query.get("since") or 0)
        until = float(req.query.get("until") or time.time() + 86400)
        data = [
            {
                "post_id": s["id"],
                "status": "PUBLISHED",
                "creation_time": str(int(s["_t"])),
                "media_type": s.get("media_type", "photo"),
                "media_id": s.get("media_id"),
                "url": f"https://www.facebook.com/stories/{PAGE_ID}/{s['id']}",
            }
            for s in reversed(self.stories)
            if s.get("page") and since <= s["_t"] <= until
        ]
        return Reply(200, {"data": data})
