"""``storycast db migrate-to | upgrade | current``: the ledger's database itself."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import JSON_HELP, console, load_project, print_json

db_app = typer.Typer(
    help="The ledger database: schema version, upgrades, moving to PostgreSQL.", no_args_is_help=True
)


@db_app.command("migrate-to")
def migrate_to(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the new, empty database.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Copy the ledger (STORYCAST_DB / [state] db / the SQLite file) into a new database; verify every row.

    Stop storycast (daemon, cron, workers) first. The target gets the newest schema and must be
    empty; the copy is one transaction, then row counts and checksums are compared per table.
    """
    from ..ledger import timeout_from
    from ..ledger.copy import copy_ledger

    project = load_project(ctx)
    report = copy_ledger(project.db_url, url, timeout_from(project.environ))
    if as_json:
        print_json(report.to_json())
        return
    out = console()
    for t in report.tables:
        out.print(f"{t.name:<16} {t.rows:>8} rows  sha256 {t.checksum[:16]}  ok", markup=False)
    out.print(
        f"copied {report.total} rows from {report.source} to {report.target}; every table verified",
        markup=False,
    )
    out.print("next: set [state] db to the new URL (or STORYCAST_DB) on every machine", markup=False)


@db_app.command("upgrade")
def upgrade(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False
) -> None:
    """Bring the ledger to the newest schema (and create the job tables when the engine is procrastinate)."""
    from ..ledger import head_revision, open_ledger

    project = load_project(ctx)
    open_ledger(project).close()
    job_tables = None  # only the procrastinate engine has job tables
    if project.config.engine.kind == "procrastinate":
        from ..engine.scaleout.schema import ensure_schema
        from ..ledger.urls import project_pg_urls

        job_tables = "created" if ensure_schema(project_pg_urls(project).conninfo) else "present"
    if as_json:
        print_json({"revision": head_revision(), "job_tables": job_tables})
        return
    out = console()
    out.print(f"ledger schema: {head_revision()}", markup=False)
    if job_tables is not None:
        out.print(f"job queue tables: {job_tables}", markup=False)


@db_app.command("current")
def current(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False
) -> None:
    """Show the ledger's URL (without password), its schema revision and the newest one known."""
    from ..ledger import head_revision, safe_url
    from ..ledger.db import current_revision, make_engine, retrying

    project = load_project(ctx)
    engine = make_engine(project.db_url)
    try:

        def read() -> str | None:
            with engine.connect().execution_options(storycast_read=True) as conn:
                rev = current_revision(conn)
                conn.rollback()
                return rev

        rev = retrying(read, project.db_url)
    finally:
        engine.dispose()
    info = {
        "url": safe_url(project.db_url),
        "revision": rev,
        "head": head_revision(),
        "engine": project.config.engine.kind,
    }
    if as_json:
        print_json(info)
        return
    state = "up to date" if rev == info["head"] else ("empty" if rev is None else f"behind {info['head']}")
    console().print(f"{info['url']}  revision {rev or '-'} ({state}); engine {info['engine']}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``db`` group to the app."""
    app.add_typer(db_app, name="db")
