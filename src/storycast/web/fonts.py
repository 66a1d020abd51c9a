"""Web fonts for the pages of ``storycast serve``: ``/fonts/fonts.css`` and ``/fonts/<face>``.

The faces are the shipped fonts (the project's ``assets/fonts`` first) cut to one script each
(``render.text.webfonts``). A face's url carries its source font's digest (``?v=``), so it is
cached for a year; the style sheet itself is revalidated on every load. Only names the style
sheet lists are answered: nothing from the request reaches the file system.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..render.text.webfonts import MIME, WebFace, face_bytes, font_face_css, web_faces

if TYPE_CHECKING:
    from ..project import Project

YEAR = "public, max-age=31536000, immutable"


def _faces(request: Request) -> tuple[Project, list[WebFace]]:
    project = request.app.state.web.project()
    return project, web_faces(project.root)


def _url(face: WebFace) -> str:
    return f"/fonts/{face.file}?v={face.version}"


def _not_modified(request: Request, etag: str, cache: str) -> Response | None:
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache})
    return None


async def fonts_css(request: Request) -> Response:
    _, faces = _faces(request)
    css = font_face_css(faces, _url)
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'
    cache = "no-cache"
    return _not_modified(request, etag, cache) or Response(
        css, media_type="text/css; charset=utf-8", headers={"ETag": etag, "Cache-Control": cache}
    )


async def font_file(request: Request) -> Response:
    project, faces = _faces(request)
    name = request.path_params["name"]
    face = next((f for f in faces if f.file == name), None)
    if face is None:
        return Response("not found", status_code=404, media_type="text/plain")
    etag = f'"{face.version}-{face.file}"'
    # Only the url the style sheet names may be kept for a year; any other is revalidated.
    cache = YEAR if request.query_params.get("v") == face.version else "no-cache"
    hit = _not_modified(request, etag, cache)
    if hit is not None:
        return hit
    from starlette.concurrency import run_in_threadpool

    # Cutting a face the first time takes about a second: off the event loop.
    data, fmt = await run_in_threadpool(
        face_bytes, face, None, cache_dir=project.state_dir / "cache" / "webfonts"
    )
    return Response(data, media_type=MIME[fmt], headers={"ETag": etag, "Cache-Control": cache})


def routes() -> list[Route]:
    return [Route("/fonts/fonts.css", fonts_css), Route("/fonts/{name}", font_file)]
