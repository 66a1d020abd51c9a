"""storycast serve: the local feed viewer, the authoring preview and the webhook endpoints."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import NOW_HELP, console, load_project, parse_now


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[
            str, typer.Option("--host", help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
        ] = "127.0.0.1",
        port: Annotated[
            int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
        ] = 8000,
        watch: Annotated[
            bool,
            typer.Option(
                "--watch/--no-watch", help="Re-render the preview when stories, templates or assets change."
            ),
        ] = True,
        now: Annotated[
            str | None, typer.Option("--now", help=NOW_HELP + " The feed shows what was live then.")
        ] = None,
        allowed_host: Annotated[
            list[str] | None,
            typer.Option(
                "--allowed-host",
                help="A host name the pages answer to besides IP addresses and localhost "
                "(repeatable; the name a TLS proxy passes on).",
            ),
        ] = None,
    ) -> None:
        """Serve the local feed (/), the preview (/preview), hand-offs (/handoff) and webhooks (/hooks/)."""
        import uvicorn

        from ..web.app import create_app

        project = load_project(ctx)
        fixed = parse_now(now) if now else None
        application = create_app(
            project, watch=watch, now=(lambda: fixed) if fixed else None, allowed_hosts=allowed_host or ()
        )
        base = f"http://{host}:{port}"
        console().print(
            f"feed     {base}/\npreview  {base}/preview\nhand-off {base}/handoff\n(Ctrl-C stops)",
            markup=False,
        )
        uvicorn.run(application, host=host, port=port, log_level="warning")
