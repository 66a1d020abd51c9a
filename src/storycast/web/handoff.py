"""The hand-off confirmation page: packs a person must post by hand (Snapchat, WhatsApp Status).

Rows in the ledger state ``handed_off`` are listed with their frame and caption; the person
posts them in the app, then presses "Posted" here, which runs the same confirmation as
``storycast confirm ID`` (the channels package owns that ledger change).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..errors import StorycastError

if TYPE_CHECKING:
    from .app import WebState

# Where the confirmation lives; the first that exists is used.
CONFIRM_FUNCTIONS = (
    ("storycast.channels.handoff", "confirm"),
    ("storycast.channels.handoff", "confirm_handoff"),
    ("storycast.ledger.admin", "confirm_handoff"),
    ("storycast.ledger.admin", "confirm"),
)


def confirm_function() -> Callable[..., Any] | None:
    """The channels package's confirm function, or None when it is not installed yet."""
    for module, name in CONFIRM_FUNCTIONS:
        try:
            fn = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    return None


def pending(state: WebState) -> list[dict[str, Any]]:
    """Handed-off rows waiting for a person, oldest first."""
    from ..ledger import open_ledger
    from ..ledger.models import publication

    ledger = open_ledger(state.project())
    try:
        rows = ledger.rows(publication.c.state == "handed_off")
    finally:
        ledger.close()
    return [r.to_json() for r in rows]


async def page(request: Request) -> Response:
    state: WebState = request.app.state.web
    try:
        rows = pending(state)
        error = None
    except StorycastError as exc:
        rows, error = [], exc.message
    return request.app.state.templates.TemplateResponse(
        request,
        "handoff.html",
        {
            "rows": rows,
            "error": error,
            "lang": "en",
            "can_confirm": confirm_function() is not None,
            "done": request.query_params.get("done"),
        },
    )


async def confirm(request: Request) -> Response:
    """Mark one handed-off row as posted (form post from the page, or JSON from a script)."""
    state: WebState = request.app.state.web
    fn = confirm_function()
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        row_id = int(request.path_params["row_id"])
    except ValueError:
        return JSONResponse({"ok": False, "error": "not a row id"}, status_code=400)
    if fn is None:
        return JSONResponse(
            {"ok": False, "error": "this storycast has no hand-off confirmation; use `storycast confirm ID`"},
            status_code=501,
        )
    try:
        fn(state.project(), row_id, now=state.now())
    except StorycastError as exc:
        return JSONResponse({"ok": False, "error": exc.message, "hint": exc.hint}, status_code=400)
    if wants_json:
        return JSONResponse({"ok": True, "id": row_id})
    return RedirectResponse(f"/handoff?done={row_id}", status_code=303)


def routes() -> list[Any]:
    from starlette.routing import Route

    return [
        Route("/handoff", page),
        Route("/handoff/{row_id}/confirm", confirm, methods=["POST"]),
    ]
