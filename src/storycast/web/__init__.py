"""``storycast serve``: the local feed viewer, the authoring preview and the endpoints.

Public API::

    from storycast.web import create_app
    app = create_app(project)            # a Starlette app; run it with uvicorn
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Starlette is imported only when the app is wanted, so `storycast --help` stays fast.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
