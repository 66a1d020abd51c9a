"""The hand-off confirmation page: packs a person must post by hand (Snapchat, WhatsApp Status).

Rows in the ledger state ``handed_off`` are listed as packs (one story, language and channel of
one occurrence); the person posts them in the app, then presses **Posted**, which runs the same
ledger change as ``storycast confirm ID`` (:func:`storycast.ledger.admin.confirm`). The
``handoff`` channel's QR code can point at ``/confirm/{id}``, which shows just that row's pack.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..errors import StorycastError
from .inputs import FORM, JSON, WebError, json_object, media_type, row_ids
from .security import CSRF_FIELD, CSRF_HEADER, VIEWER_COOKIE, cross_site
from .viewer import viewer_of_page, with_viewer_cookie

if TYPE_CHECKING:
    from .app import WebState

_DONE = re.compile(r"(none|\d{1,19}(,\d{1,19}){0,999})")


def pending_packs(state: WebState) -> list[dict[str, Any]]:
    """Handed-off rows waiting for a person, grouped into packs, oldest first."""
    from ..ledger import RowQuery, State, open_ledger

    ledger = open_ledger(state.project())
    try:
        rows = ledger.find(RowQuery(states=[State.HANDED_OFF.value]))
    finally:
        ledger.close()
    packs: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
    for row in rows:
        pack = packs.setdefault(
            row.group,
            {
                "ref": row.ref,
                "lang": row.lang,
                "channel": row.channel,
                "label": row.label,
                "due_utc": row.due_utc.strftime("%Y-%m-%d %H:%M UTC"),
                "pack_url": row.remote_url,
                "rows": [],
            },
        )
        pack["rows"].append({"id": row.id, "frame": row.frame, "frame_total": row.frame_total})
    return list(packs.values())


def confirm_rows(state: WebState, ids: list[int]) -> dict[str, Any]:
    """Confirm ``ids`` as posted; returns ``{"confirmed": [...], "skipped": {id: why}}``."""
    from ..ledger import open_ledger
    from ..ledger.admin import confirm

    ledger = open_ledger(state.project())
    try:
        result = confirm(ledger, ids, state.now())
    finally:
        ledger.close()
    return {"confirmed": result.changed, "skipped": result.skipped}


def _render(
    request: Request, packs: list[dict[str, Any]], error: str | None, single: bool, status: int = 200
) -> Response:
    state: WebState = request.app.state.web
    viewer, new_token = viewer_of_page(request)
    csrf = state.signer.csrf_token(viewer)
    if JSON in request.headers.get("accept", ""):  # scripts: the packs and the token to confirm them
        response: Response = JSONResponse({"ok": error is None, "packs": packs, "csrf": csrf, "error": error})
    else:
        done = request.query_params.get("done", "")
        response = request.app.state.templates.TemplateResponse(
            request,
            "handoff.html",
            {
                "packs": packs,
                "error": error,
                "lang": "en",
                "single": single,
                # Only what the redirect after Posted puts there: no text of a stranger's choosing.
                "done": done if _DONE.fullmatch(done) else None,
                "csrf": csrf,
            },
            status_code=status,
        )
    response.headers["Cache-Control"] = "no-store"
    return with_viewer_cookie(request, response, new_token)


async def page(request: Request) -> Response:
    state: WebState = request.app.state.web
    try:
        return _render(request, pending_packs(state), None, False)
    except StorycastError as exc:
        return _render(request, [], exc.message, False)


async def pack_page(request: Request) -> Response:
    """``/confirm/{row_id}``: only the pack holding that row (the QR code on the pack opens this)."""
    state: WebState = request.app.state.web
    raw = request.path_params["row_id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19):
        return Response("not a row id", status_code=404)
    row_id = int(raw)
    try:
        packs = [p for p in pending_packs(state) if any(r["id"] == row_id for r in p["rows"])]
    except StorycastError as exc:
        return _render(request, [], exc.message, True)
    return _render(request, packs, None if packs else f"row {row_id} is not waiting for a hand-off", True)


async def _ids_and_token(request: Request) -> tuple[list[int], str | None]:
    """The row ids to confirm and the CSRF token sent with them (header, form field or JSON key)."""
    token = request.headers.get(CSRF_HEADER)
    kind = media_type(request)
    body = await request.body()
    values: Any = None
    if kind == JSON:
        data = await json_object(request)
        values = data.get("ids")
        if token is None and isinstance(data.get(CSRF_FIELD), str):
            token = data[CSRF_FIELD]
    elif kind == FORM:
        try:
            form = parse_qs(body.decode("utf-8"), max_num_fields=1001)
        except ValueError:  # not UTF-8, or more fields than ids can be
            raise WebError(400, "the form is malformed or too long") from None
        values = form.get("ids")
        token = token or next(iter(form.get(CSRF_FIELD, [])), None)
    elif body or kind:
        raise WebError(415, f"send the ids as {JSON} or {FORM}, not {kind or 'without a Content-Type'}")
    if "row_id" in request.path_params:  # the id is in the path; a body may still carry the token
        return row_ids([request.path_params["row_id"]]), token
    return row_ids(values), token


async def confirm(request: Request) -> Response:
    """Mark rows as posted: ``POST /handoff/{id}/confirm`` or ``POST /handoff/confirm`` with ``ids``.

    Only a page of this server (or a script holding its cookie and token) may do it: the browser
    must not say the request is cross-site, and the CSRF token issued with the hand-off page must
    come back with the viewer cookie it is bound to.
    """
    state: WebState = request.app.state.web
    if "row_id" in request.path_params:
        row_ids([request.path_params["row_id"]])  # a malformed path is a 400 before anything else
    why = cross_site(request)
    if why:
        raise WebError(403, why)
    ids, token = await _ids_and_token(request)
    viewer = state.signer.viewer_of(request.cookies.get(VIEWER_COOKIE))
    if not state.signer.csrf_ok(viewer, token):
        raise WebError(
            403,
            "missing or wrong CSRF token: confirm from the hand-off page, or send the csrf token "
            "GET /handoff gave you with its cookie",
            hint="reload the hand-off page and press Posted again",
        )
    try:
        result = confirm_rows(state, ids)
    except StorycastError as exc:
        return JSONResponse({"ok": False, "error": exc.message, "hint": exc.hint}, status_code=400)
    if JSON in request.headers.get("accept", ""):
        return JSONResponse({"ok": not result["skipped"], **result})
    done = ",".join(str(i) for i in result["confirmed"]) or "none"
    return RedirectResponse(f"/handoff?done={done}", status_code=303)


def routes() -> list[Any]:
    from starlette.routing import Route

    return [
        Route("/handoff", page),
        Route("/handoff/confirm", confirm, methods=["POST"]),
        Route("/handoff/{row_id}/confirm", confirm, methods=["POST"]),
        Route("/confirm/{row_id}", pack_page),
    ]
