"""A PostgreSQL ledger URL in the two spellings its clients want (the scale-out engine's job queue
connects with libpq, the ledger with SQLAlchemy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..project import Project


@dataclass(frozen=True)
class PgUrls:
    """One database: a SQLAlchemy URL (psycopg 3 driver) and a libpq conninfo for procrastinate."""

    sqlalchemy: str
    conninfo: str


def pg_urls(url: str, *, config_file: str | None = None) -> PgUrls:
    """Both spellings of ``url``; a ConfigError when it is not PostgreSQL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() != "postgresql":
        scheme = url.split(":", 1)[0] if ":" in url else "an unparsable URL"
        raise ConfigError(
            f'engine "procrastinate" needs a PostgreSQL ledger, but the state database is {scheme}',
            hint="set [state] db (or STORYCAST_DB) to a URL such as "
            "postgresql+psycopg://storycast@db-host/storycast, and copy an existing SQLite ledger there "
            'with `storycast db migrate-to URL`; or set [engine] kind = "embedded"',
            file=config_file,
        )
    sa = parsed.set(drivername="postgresql+psycopg")
    libpq = parsed.set(drivername="postgresql")
    return PgUrls(sa.render_as_string(hide_password=False), libpq.render_as_string(hide_password=False))


def project_pg_urls(project: Project) -> PgUrls:
    """The project's ledger URL, checked: the procrastinate engine runs only on PostgreSQL."""
    return pg_urls(project.db_url, config_file=str(project.root / "storycast.toml"))
