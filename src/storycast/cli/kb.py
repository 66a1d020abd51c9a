"""storycast kb build / kb serve: the static knowledge base site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import JSON_HELP, console, load_project, print_json
from ._paths import output_folder


def register(app: typer.Typer) -> None:
    kb = typer.Typer(help="Build and preview the static, multilingual knowledge base.", no_args_is_help=True)
    app.add_typer(kb, name="kb")

    @kb.command("build")
    def build(
        ctx: typer.Context,
        stories: Annotated[
            list[str] | None, typer.Argument(help="Only these story ids (default: every tutorial).")
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="Output folder (default: <project>/site).", callback=output_folder
            ),
        ] = None,
        base_url: Annotated[
            str | None,
            typer.Option("--base-url", help="Public URL of the site, for sitemap.xml and hreflang links."),
        ] = None,
        render: Annotated[
            bool,
            typer.Option("--render/--no-render", help="Bring frame builds up to date first (cached)."),
        ] = True,
        jobs: Annotated[
            int | None, typer.Option("--jobs", "-j", help="Parallel workers (default: CPUs).")
        ] = None,
        ledger: Annotated[
            bool,
            typer.Option(
                "--ledger/--no-ledger",
                help="Show where and when each story was published, its reach, votes and Q&A recaps.",
            ),
        ] = True,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Build the knowledge base: home, categories, one page per tutorial and language, search, sitemap."""
        from ._kbfast import build_and_report

        build_and_report(
            lambda: load_project(ctx),
            stories=stories,
            out=out,
            base_url=base_url,
            render=render,
            jobs=jobs,
            ledger=ledger,
            as_json=as_json,
        )

    @kb.command("visits")
    def visits(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Article visits through the short links, per day, story, language and channel, and helpful votes."""
        from ..kb.shipped import visit_summary

        summary = visit_summary(load_project(ctx))
        if as_json:
            print_json(summary)
            return
        out = console()
        if not summary["visits"] and not summary["helpful"]:
            out.print("no visits or votes yet (storycast serve counts them at /go/ and /api/kb/helpful)")
            return
        for row in summary["visits"]:
            channel = row["channel"] or "-"
            out.print(
                f"{row['day']}  {row['story']:<24} {row['lang']:<6} {channel:<12} {row['count']:>6}",
                markup=False,
            )
        for story, votes in summary["helpful"].items():
            out.print(f"{story}: {votes['yes']} found it helpful, {votes['no']} did not", markup=False)

    @kb.command("serve")
    def serve(
        ctx: typer.Context,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="Site folder (default: <project>/site).", callback=output_folder
            ),
        ] = None,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[
            int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
        ] = 8001,
        build_first: Annotated[
            bool, typer.Option("--build/--no-build", help="Build the site before serving.")
        ] = True,
    ) -> None:
        """Serve the built knowledge base locally for a look (not for production hosting)."""
        import uvicorn

        from ..kb import build_site, default_out
        from ..kb.serve import static_app

        project = load_project(ctx)
        folder = out or default_out(project)
        if build_first:
            build_site(project, folder)
        console().print(f"knowledge base at http://{host}:{port}/  (Ctrl-C stops)", markup=False)
        uvicorn.run(static_app(folder), host=host, port=port, log_level="warning")
