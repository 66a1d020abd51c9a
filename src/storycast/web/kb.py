"""The knowledge base's side of ``storycast serve``: short links, helpful votes, the built site.

Routes::

    GET  /go/{story}?l=LANG&c=CHANNEL   count one visit, then 302 to the story's article
    GET  /kb/...                        the built site (``storycast kb build``), when there is one
    GET  /api/kb/token                  a signed viewer token and CSRF token for the vote
    POST /api/kb/helpful                {"story", "lang", "helpful": true|false}

A visit is a counter in the ledger (day, story, language, channel): no address, user agent or
cookie is stored, and ``/go/`` sets no cookie. The vote is guarded like the hand-off page's
buttons: same origin, the signed viewer token, the CSRF token bound to it, per-address limits.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from .api import client_address, viewer_gate
from .inputs import WebError, json_object, text_field
from .security import CSRF_HEADER
from .viewer import viewer_of_page, with_viewer_cookie

if TYPE_CHECKING:
    from ..project import Project
    from .app import WebState

_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}$")
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_STORY = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def _story_langs(project: Project, story: str) -> list[str]:
    """The languages of a story the knowledge base has; WebError 404 for an unknown story."""
    found = project.content.stories.get(story) if _STORY.match(story) else None
    if found is None:
        raise WebError(404, "no such story", hint="the link names a story this project does not have")
    return list(found.languages)


def article_url(project: Project, story: str, lang: str) -> str:
    """Where the article is: under [kb] base_url (or [project] base_url), else this server's /kb/."""
    site = project.config.kb.site_url(project.config.project.base_url)
    return f"{site or '/kb'}/{lang}/{story}/"


def _pick_lang(project: Project, langs: list[str], asked: str | None) -> str:
    if asked is None or asked == "":
        default = project.config.project.default_language
        return default if default in langs else langs[0]
    if not _LANG.match(asked) or asked not in langs:
        raise WebError(400, "l= is not a language of this story", hint=f"use one of {', '.join(langs)}")
    return asked


async def go(request: Request) -> Response:
    """Count a visit (day, story, language, channel) and redirect to the article."""
    from ..ledger import open_ledger

    state = _state(request)
    project = state.project()
    story = request.path_params["story"]
    langs = _story_langs(project, story)
    q = request.query_params
    lang = _pick_lang(project, langs, q.get("l"))
    channel = q.get("c") or ""
    if channel and not _CHANNEL.match(channel):
        raise WebError(400, "c= is not a channel name", hint="use the name of a channel in storycast.toml")
    if channel not in project.config.channels:
        channel = ""  # a link from elsewhere, or a channel since renamed: counted, unattributed
    # Each address counts at most the limits' requests a minute (kept in memory, never stored);
    # beyond that the reader is still redirected, the visit just is not counted.
    if request.method == "GET" and state.limits.check(client_address(request), "go") is None:
        ledger = open_ledger(project)
        try:
            ledger.count_visit(ref=story, lang=lang, channel=channel, day=state.now().date())
        finally:
            ledger.close()
    return RedirectResponse(article_url(project, story, lang), status_code=302, headers=NO_STORE)


async def token(request: Request) -> Response:
    """The tokens an article page needs to vote (and the viewer cookie they are bound to)."""
    state = _state(request)
    viewer, new_token = viewer_of_page(request)
    body = {"ok": True, "viewer": state.signer.viewer_token(viewer), "csrf": state.signer.csrf_token(viewer)}
    return with_viewer_cookie(request, JSONResponse(body, headers={"Cache-Control": "no-store"}), new_token)


async def helpful(request: Request) -> Response:
    """One reader's "Was this helpful?" answer: a vote on the poll ``kb:<story>``."""
    from ..ledger import open_ledger

    state = _state(request)
    viewer = viewer_gate(request)
    if not state.signer.csrf_ok(viewer, request.headers.get(CSRF_HEADER)):
        raise WebError(403, "missing or wrong CSRF token", hint="reload the article page")
    data = await json_object(request)
    story = text_field(data, "story", limit=128)
    lang = text_field(data, "lang", limit=35)
    value = data.get("helpful")
    if not isinstance(value, bool):
        raise WebError(400, "helpful must be true or false")
    project = state.project()
    if lang not in _story_langs(project, story):
        raise WebError(400, "lang is not a language of this story")
    ledger = open_ledger(project)
    try:
        new = ledger.put_article_vote(
            ref=story,
            helpful=value,
            voter=hashlib.sha256(viewer.encode("ascii")).hexdigest()[:32],
            lang=lang,
            now=state.now(),
        )
    finally:
        ledger.close()
    return JSONResponse({"ok": True, "new_voter": new, "helpful": value})


def hosts(project: Project) -> list[str]:
    """The host of the short links' address ([kb] go_url, else base_url): phones that scan a
    frame's code reach this server under that name, through the proxy."""
    from urllib.parse import urlsplit

    kb = project.config.kb
    host = urlsplit(kb.go_url or kb.base_url or "").hostname
    return [host] if host else []


def routes(project: Project) -> list[Any]:
    """The routes; ``/kb`` serves ``site/`` when a build is there at start-up."""
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from ..kb import default_out

    out: list[Any] = [
        Route("/go/{story}", go, methods=["GET", "HEAD"]),
        Route("/api/kb/token", token, methods=["GET"]),
        Route("/api/kb/helpful", helpful, methods=["POST"]),
    ]
    site = default_out(project)
    if (site / ".storycast-kb").is_file():
        out.append(Mount("/kb", app=StaticFiles(directory=str(site), html=True), name="kb"))
    return out
