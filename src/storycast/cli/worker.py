"""``storycast worker``: a scale-out worker (procrastinate on the project's PostgreSQL ledger)."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import get_context, load_project

QUEUES_HELP = "Comma-separated queues to take jobs from: control (the tick), publish, render. Default: all."


def worker(
    ctx: typer.Context,
    queues: Annotated[str | None, typer.Option("--queues", "-q", help=QUEUES_HELP)] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            max=256,
            help="Jobs run at once (default: [engine] publish_concurrency, or render_concurrency "
            "for --queues render).",
        ),
    ] = None,
) -> None:
    """Run a worker until SIGTERM or Ctrl-C, which stop it taking jobs, finish those running, and exit 0.

    Needs `engine = "procrastinate"` in storycast.toml and a PostgreSQL ledger. Any number of
    workers on any number of machines may run; each publication still goes out once.
    """
    import faulthandler
    import logging
    import signal
    import sys

    from ..engine.scaleout import QUEUES, make_app
    from ..errors import ConfigError

    project = load_project(ctx)
    if project.config.engine.kind != "procrastinate":
        raise ConfigError(
            "storycast worker runs the procrastinate engine, but this project uses the embedded one",
            hint='add `engine = "procrastinate"` (or [engine] kind = "procrastinate") to storycast.toml '
            "with a PostgreSQL [state] db; or run `storycast run` instead",
            file=project.root / "storycast.toml",
        )
    chosen = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    for q in chosen or []:
        if q not in QUEUES:
            raise typer.BadParameter(f"unknown queue {q!r}; choose from {', '.join(QUEUES)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("storycast.worker", "procrastinate"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO if name == "storycast.worker" else logging.WARNING)
        logger.propagate = False
    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 <pid>` prints every thread's stack to stderr: what a stuck worker is doing.
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    make_app(project, get_context(ctx)).run_worker(queues=chosen, concurrency=concurrency)


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the app."""
    app.command("worker")(worker)
