"""The viewer cookie of page requests: which browser is asking, for CSRF tokens and reactions.

Pages (the feed in ``app.py``, the hand-off packs in ``handoff.py``) read it here, so neither page
module imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .security import VIEWER_COOKIE

if TYPE_CHECKING:
    from .app import WebState


def viewer_of_page(request: Request) -> tuple[str, str | None]:
    """The viewer id of a page request (its valid cookie, else a new one), and the cookie to set."""
    state: WebState = request.app.state.web
    signer = state.signer
    viewer = signer.viewer_of(request.cookies.get(VIEWER_COOKIE))
    if viewer is not None:
        return viewer, None
    viewer = signer.new_viewer()
    return viewer, signer.viewer_token(viewer)


def with_viewer_cookie(request: Request, response: Response, token: str | None) -> Response:
    """Set the viewer cookie when the page issued a new token."""
    if token is not None:
        response.set_cookie(
            VIEWER_COOKIE,
            token,
            max_age=365 * 86400,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response
