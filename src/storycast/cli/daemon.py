"""``storycast run`` (the embedded daemon) and ``storycast cron`` (crontab/systemd for publish --due)."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import get_context, load_project, parse_now, print_json


def run(
    ctx: typer.Context,
    json_logs: Annotated[
        bool, typer.Option("--json-logs", help="Log one JSON object per line on stderr.")
    ] = False,
    once: Annotated[bool, typer.Option("--once", help="Catch up (one tick) and exit.")] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", help="Start the daemon's clock at this ISO 8601 instant (it then runs at real speed)."
        ),
    ] = None,
    no_watch: Annotated[
        bool, typer.Option("--no-watch", help="Do not reload when schedule files change.")
    ] = False,
) -> None:
    """Run the publishing daemon: sleep until something is due, publish it, repeat.

    One daemon per project (a second one exits). SIGTERM or Ctrl-C finishes the post in flight
    and exits 0. Late posts within their grace window go out on start; older ones become missed.
    A broken story, schedule or template holds back only its own posts (logged as "waiting"
    every tick until fixed); with --once the run then exits 3 or 4 like `publish --due`.
    """
    import logging
    import sys

    from ..engine.daemon import Daemon, JsonLinesFormatter, PlainFormatter, offset_clock

    project = load_project(ctx)
    if project.config.engine.kind == "procrastinate":
        from ..errors import ConfigError

        raise ConfigError(
            "storycast run is the embedded daemon, but this project's engine is procrastinate",
            hint="run `storycast worker` on each machine instead: the workers' periodic tick replaces "
            "the daemon (`storycast publish --due` queues what is due once, for cron or by hand)",
            file=project.root / "storycast.toml",
        )
    context = get_context(ctx)
    if now is not None:
        context.clock = offset_clock(parse_now(now))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter() if json_logs else PlainFormatter())
    logger = logging.getLogger("storycast.daemon")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    stats = Daemon(project, context, once=once, watch=not no_watch).run()
    if once and stats.errors:
        # A catch-up run reports like `publish --due`: what held rows back decides the exit code.
        from ..engine.holds import HeldBack

        raise HeldBack(stats.errors)


def cron(
    ctx: typer.Context,
    every: Annotated[int, typer.Option("--every", min=1, max=59, help="Minutes between runs.")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the three files as one JSON object.")
    ] = False,
) -> None:
    """Print a crontab line, and a systemd service + timer, that run `storycast publish --due`."""
    from ..engine.cronhelp import cron_files

    files = cron_files(load_project(ctx), every)
    if as_json:
        print_json({"crontab": files.crontab, "service": files.service, "timer": files.timer})
        return
    typer.echo("# --- crontab (crontab -e) ---")
    typer.echo(files.crontab)
    typer.echo("# --- ~/.config/systemd/user/storycast-publish.service ---")
    typer.echo(files.service)
    typer.echo("# --- ~/.config/systemd/user/storycast-publish.timer ---")
    typer.echo(files.timer)
    typer.echo(
        "# then: systemctl --user daemon-reload && systemctl --user enable --now storycast-publish.timer"
    )


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``cron`` to the app."""
    app.command("run")(run)
    app.command("cron")(cron)
