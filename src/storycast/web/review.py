"""The review page: one approver decides about one story in one language, through a signed link.

``storycast review --notify`` sends each approver a link of their own::

    GET  /review/{token}              the frames at phone size, alt texts, findings, what changed
    GET  /review/{token}/frame/{n}    one frame of the version shown
    POST /review/{token}              decision=approve|reject, reason, version, csrf

The token names the story, the language, the approver, when it expires and a random nonce,
under a MAC made with the project's signing key (``.storycast/web.key``, as every signed value
of ``storycast serve``). No account is needed: whoever holds the link is that approver for that
story until it expires, and only once: the decision is stored with the link's nonce, and the
ledger takes one decision per nonce. A form post must also come from this server's own page
(``Sec-Fetch-Site``/``Origin``) with the CSRF token bound to the page's viewer cookie, and
carries the digest of the version shown, so an approval always covers the pixels seen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ..errors import StorycastError
from .inputs import FORM, JSON, WebError, json_object, media_type
from .security import CSRF_FIELD, CSRF_HEADER, VIEWER_COOKIE, cross_site
from .viewer import viewer_of_page, with_viewer_cookie

if TYPE_CHECKING:
    from ..engine.approval import Version
    from .app import WebState

PURPOSE = b"storycast-review-link\0"
MAX_TOKEN = 600
_TOKEN = re.compile(r"v1\.[A-Za-z0-9_-]{10,500}\.[A-Za-z0-9_-]{32}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Link:
    """What a review link stands for."""

    ref: str
    lang: str
    approver: str
    expires: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, PURPOSE + payload.encode("ascii"), hashlib.sha256).digest()[:24])


def make_token(key: bytes, ref: str, lang: str, approver: str, expires: datetime) -> str:
    """A signed review link token for ``approver`` about ``ref`` in ``lang``, valid until ``expires``."""
    body = {"s": ref, "l": lang, "a": approver, "e": int(expires.timestamp()), "n": secrets.token_hex(16)}
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"v1.{payload}.{_mac(key, payload)}"


def link_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/review/{token}"


def read_token(key: bytes, token: str, now: datetime) -> Link:
    """The link a token stands for; 403 when it is malformed or tampered with, 410 when expired."""
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise WebError(
            403, "this review link is not valid", hint="ask for a new link: storycast review --notify"
        )
    _, payload, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        raise WebError(
            403, "this review link is not valid", hint="ask for a new link: storycast review --notify"
        )
    try:
        body = json.loads(_unb64(payload).decode("utf-8"))
        link = Link(
            str(body["s"]),
            str(body["l"]),
            str(body["a"]),
            datetime.fromtimestamp(int(body["e"]), UTC),
            str(body["n"]),
        )
    except (ValueError, KeyError, TypeError, OverflowError):
        raise WebError(403, "this review link is not valid") from None
    if now >= link.expires:
        raise WebError(
            410,
            f"this review link expired on {link.expires:%Y-%m-%d %H:%M} UTC",
            hint="ask for a new link: storycast review --notify",
        )
    return link


def _link(request: Request) -> tuple[WebState, Link]:
    state: WebState = request.app.state.web
    link = read_token(state.key, request.path_params["token"], state.now())
    project = state.project()
    if project.config.approval.approver(link.approver) is None:
        raise WebError(403, f"{link.approver} is no longer an approver of this project")
    from ..ledger import open_ledger

    ledger = open_ledger(project)
    try:
        used = ledger.link_used(link.nonce)
    finally:
        ledger.close()
    if used:
        raise WebError(
            410, "this review link has already been used for a decision", hint="each link decides once"
        )
    return state, link


def _version(state: WebState, link: Link) -> tuple[Version, list[Any], dict[str, Any]]:
    """Render the story as it would be published, with its findings and what changed."""
    from ..engine.approval import current_version, stand
    from ..guard.check import check_story
    from ..ledger import open_ledger
    from ..ledger.approvals import Item

    project = state.project()
    ledger = open_ledger(project)
    try:
        version = current_version(project, link.ref, link.lang, ledger=ledger)
        decisions = ledger.decisions(link.ref, link.lang)
    finally:
        ledger.close()
    findings = check_story(project, project.content.story(link.ref), [link.lang])
    rules = [project.config.approval.rule(ch) for ch in project.config.channels]
    rule = max(
        (r for r in rules if r.required), key=lambda r: r.min_approvals, default=rules[0] if rules else None
    )
    info: dict[str, Any] = {"changed": [], "last": None, "history": [d.to_json() for d in decisions[-10:]]}
    if rule is not None:
        items = [Item("frame", f.index, f.sha256) for f in version.frames]
        standing = stand(decisions, items, rule)
        info["changed"] = list(standing.changed)
        info["standing"] = f"{standing.got} of {standing.need} approval(s)"
    last = next((d for d in reversed(decisions) if d.approved), None)
    if last is not None:
        info["last"] = f"{last.by} on {last.at_utc:%Y-%m-%d %H:%M} UTC"
    return version, findings, info


def _page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    state: WebState = request.app.state.web
    viewer, new_token = viewer_of_page(request)
    context = {"lang": "en", "csrf": state.signer.csrf_token(viewer), **context}
    if JSON in request.headers.get("accept", ""):
        safe = {k: v for k, v in context.items() if k not in ("frames",)}
        response: Response = JSONResponse(safe, status_code=status)
    else:
        response = request.app.state.templates.TemplateResponse(
            request, "review.html", context, status_code=status
        )
    response.headers["Cache-Control"] = "no-store"
    # The token is in the address: the server-wide Referrer-Policy (same-origin) keeps it from
    # other sites; no-referrer would make the browser send "Origin: null" with the form.
    return with_viewer_cookie(request, response, new_token)


def _error_page(request: Request, exc: WebError) -> Response:
    return _page(request, {"error": exc.message, "hint": exc.hint, "ok": False}, exc.status)


async def page(request: Request) -> Response:
    """The review page of one link."""
    from starlette.concurrency import run_in_threadpool

    try:
        state, link = _link(request)
        version, findings, info = await run_in_threadpool(_version, state, link)
    except WebError as exc:
        return _error_page(request, exc)
    except StorycastError as exc:
        return _error_page(request, WebError(404, exc.message, hint=exc.hint))
    token = request.path_params["token"]
    frames = [
        {"index": f.index, "src": f"/review/{token}/frame/{f.index}", "alt": f.alt, "caption": f.caption,
         "sha256": f.sha256, "changed": f.index in info["changed"], "video": f.kind == "video"}
        for f in version.frames
    ]  # fmt: skip
    return _page(
        request,
        {
            "ok": True,
            "story": link.ref,
            "story_lang": link.lang,
            "approver": link.approver,
            "expires": f"{link.expires:%Y-%m-%d %H:%M} UTC",
            "version": version.digest,
            "frames": frames,
            "videos": {k: len(v) for k, v in version.videos.items()},
            "findings": [{"severity": f.severity, "rule": f.rule, "message": f.message} for f in findings],
            **info,
        },
    )


async def frame(request: Request) -> Response:
    """One frame of the version the link shows."""
    from starlette.concurrency import run_in_threadpool

    raw = request.path_params["n"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
        return Response("not found", status_code=404)
    try:
        state, link = _link(request)
    except WebError as exc:
        return Response(exc.message, status_code=exc.status, media_type="text/plain")

    def find() -> Any:
        from ..engine.frames import FrameCache

        frames = FrameCache(state.project()).frames("story", link.ref, link.lang)
        n = int(raw)
        return frames[n - 1].path if 1 <= n <= len(frames) else None

    try:
        path = await run_in_threadpool(find)
    except StorycastError:
        path = None
    if path is None or not path.is_file():
        return Response("not found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "private, no-store"})


async def _form(request: Request) -> dict[str, str]:
    kind = media_type(request)
    if kind == JSON:
        data = await json_object(request)
        return {k: v for k, v in data.items() if isinstance(v, str)}
    if kind == FORM:
        body = await request.body()
        try:
            form = parse_qs(body.decode("utf-8"), max_num_fields=10)
        except ValueError:
            raise WebError(400, "the form is malformed or too long") from None
        return {k: v[0] for k, v in form.items() if v}
    raise WebError(415, f"send the decision as {FORM} or {JSON}, not {kind or 'without a Content-Type'}")


async def decide(request: Request) -> Response:
    """Record the approver's decision: once per link, from this server's page, for the version shown."""
    try:
        return await _decide(request)
    except WebError as exc:
        return _error_page(request, exc)


async def _decide(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    state: WebState = request.app.state.web
    why = cross_site(request)
    if why:
        raise WebError(403, why)
    form = await _form(request)
    token = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    viewer = state.signer.viewer_of(request.cookies.get(VIEWER_COOKIE))
    if not state.signer.csrf_ok(viewer, token):
        raise WebError(
            403,
            "missing or wrong CSRF token: decide from the review page",
            hint="open the review link again and press Approve or Reject",
        )
    state, link = _link(request)
    choice = form.get("decision", "")
    if choice not in ("approve", "reject"):
        raise WebError(400, "decision must be approve or reject")
    version = form.get("version", "")
    if not _DIGEST.fullmatch(version):
        raise WebError(400, "the version shown is missing", hint="open the review link again")
    reason = form.get("reason", "")
    if len(reason) > 2000:
        raise WebError(400, "the reason is too long", hint="keep it under 2000 characters")
    if choice == "reject" and not reason.strip():
        raise WebError(400, "a rejection needs a reason", hint="say what must change")

    def record() -> Any:
        from ..engine.approval import decide as do_decide
        from ..ledger import open_ledger

        project = state.project()
        ledger = open_ledger(project)
        try:
            return do_decide(
                project,
                ledger,
                link.ref,
                link.lang,
                link.approver,
                "approved" if choice == "approve" else "rejected",
                state.now(),
                note=reason,
                via="web",
                link_nonce=link.nonce,
                expect_version=version,
            )
        finally:
            ledger.close()

    try:
        got = await run_in_threadpool(record)
    except StorycastError as exc:
        raise WebError(409, exc.message, hint=exc.hint) from None
    if got is None:
        raise WebError(
            410, "this review link has already been used for a decision", hint="each link decides once"
        )
    word = "approved" if got.approved else "rejected"
    return _page(
        request,
        {
            "ok": True,
            "done": word,
            "story": link.ref,
            "story_lang": link.lang,
            "approver": link.approver,
            "message": f"{link.ref} [{link.lang}] {word} by {link.approver}; storycast publishes it "
            + (
                "once every approval it needs is in"
                if got.approved
                else "only after a new version is approved"
            ),
        },
    )


def routes() -> list[Any]:
    from starlette.routing import Route

    return [
        Route("/review/{token}", page),
        Route("/review/{token}", decide, methods=["POST"]),
        Route("/review/{token}/frame/{n}", frame),
    ]
