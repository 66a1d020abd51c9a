"""The hand-off confirmation page: packs a person must post by hand (Snapchat, WhatsApp Status).

Rows in the ledger state ``handed_off`` are listed as packs (one story, language and channel of
one occurrence); the person posts them in the app, then presses **Posted**, which runs the same
ledger change as ``storycast confirm ID`` (:func:`storycast.ledger.admin.confirm`). The
``handoff`` channel's QR code can point at ``/confirm/{id}``, which shows just that row's pack.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..errors import StorycastError

if TYPE_CHECKING:
    from .app import WebState


def pending_packs(state: WebState) -> list[dict[str, Any]]:
    """Handed-off rows waiting for a person, grouped into packs, oldest first."""
    from ..ledger import open_ledger
    from ..ledger.models import publication

    ledger = open_ledger(state.project())
    try:
        rows = ledger.rows(publication.c.state == "handed_off")
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


def _render(request: Request, packs: list[dict[str, Any]], error: str | None, single: bool) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "handoff.html",
        {
            "packs": packs,
            "error": error,
            "lang": "en",
            "single": single,
            "done": request.query_params.get("done"),
        },
    )


async def page(request: Request) -> Response:
    state: WebState = request.app.state.web
    try:
        return _render(request, pending_packs(state), None, False)
    except StorycastError as exc:
        return _render(request, [], exc.message, False)


async def pack_page(request: Request) -> Response:
    """``/confirm/{row_id}``: only the pack holding that row (the QR code on the pack opens this)."""
    state: WebState = request.app.state.web
    try:
        row_id = int(request.path_params["row_id"])
        packs = [p for p in pending_packs(state) if any(r["id"] == row_id for r in p["rows"])]
    except ValueError:
        return Response("not a row id", status_code=404)
    except StorycastError as exc:
        return _render(request, [], exc.message, True)
    return _render(request, packs, None if packs else f"row {row_id} is not waiting for a hand-off", True)


async def _ids(request: Request) -> list[int]:
    if "row_id" in request.path_params:
        return [int(request.path_params["row_id"])]
    if "application/json" in request.headers.get("content-type", ""):
        data = await request.json()
        values = data.get("ids", []) if isinstance(data, dict) else []
    else:  # a plain HTML form (no multipart parser needed)
        values = parse_qs((await request.body()).decode("utf-8")).get("ids", [])
    return [int(v) for v in values]


async def confirm(request: Request) -> Response:
    """Mark rows as posted: ``POST /handoff/{id}/confirm`` or ``POST /handoff/confirm`` with ``ids``."""
    state: WebState = request.app.state.web
    try:
        ids = await _ids(request)
    except ValueError:
        return JSONResponse({"ok": False, "error": "row ids are numbers"}, status_code=400)
    if not ids:
        return JSONResponse({"ok": False, "error": "send the ids of the rows to confirm"}, status_code=400)
    try:
        result = confirm_rows(state, ids)
    except StorycastError as exc:
        return JSONResponse({"ok": False, "error": exc.message, "hint": exc.hint}, status_code=400)
    if "application/json" in request.headers.get("accept", ""):
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
