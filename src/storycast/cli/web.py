"""storycast serve: the local feed viewer, the authoring preview and the webhook endpoints."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import console, load_project


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[
            str, typer.Option("--host", help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8000,
        watch: Annotated[
            bool,
            typer.Option(
                "--watch/--no-watch", help="Re-render the preview when stories, templates or assets change."
            ),
        ] = True,
    ) -> None:
        """Serve the local feed (/), the authoring preview (/preview), hand-offs (/handoff) and webhooks (/hooks/...)."""
        import uvicorn

        from ..web import create_app

        project = load_project(ctx)
        application = create_app(project, watch=watch)
        base = f"http://{host}:{port}"
        console().print(
            f"feed     {base}/\npreview  {base}/preview\nhand-off {base}/handoff\n(Ctrl-C stops)",
            markup=False,
        )
        uvicorn.run(application, host=host, port=port, log_level="warning")
