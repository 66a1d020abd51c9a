"""Project discovery and paths.

A project is a folder with a ``storycast.toml``. It is found from ``--project``, then the
``STORYCAST_PROJECT`` environment variable, then by walking up from the working directory.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from . import config as config_mod
    from .content.models import ContentSet

CONFIG_NAME = "storycast.toml"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a folder we may not enter, a NUL
        return False


def _chosen_root(chosen: str, origin: str) -> Path:
    """The folder ``chosen`` (from ``origin``: --project or STORYCAST_PROJECT) names, checked."""
    hint = "pass the folder that holds storycast.toml, or create one with `storycast init DIR`"
    try:
        root = Path(chosen).expanduser().resolve()
        exists, is_dir = root.exists(), root.is_dir()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, names too long, symlink loops
        raise ConfigError(f"{origin} is not a usable folder path ({type(exc).__name__})", hint=hint) from None
    if not exists:
        raise ConfigError(f"{origin} names {root}, which does not exist", hint=hint)
    if not is_dir:
        hint = f"pass the folder that holds it: {origin} {root.parent}" if root.name == CONFIG_NAME else hint
        raise ConfigError(f"{origin} names {root}, which is a file, not a project folder", hint=hint)
    config = root / CONFIG_NAME
    if config.is_dir():
        raise ConfigError(
            f"{config} is a folder; storycast.toml must be a file",
            hint="remove or rename that folder, then create the file (storycast init writes one)",
        )
    if not _is_file(config):
        raise ConfigError(f"{root} is not a storycast project (it has no {CONFIG_NAME})", hint=hint)
    return root


def find_root(
    explicit: str | Path | None = None,
    environ: dict[str, str] | None = None,
    *,
    origin: str | None = None,
) -> Path:
    """Locate the project root, or raise ConfigError saying how to point at one.

    ``origin`` names where ``explicit`` came from in messages (``--project`` by default).
    """
    env = os.environ if environ is None else environ
    if explicit:
        return _chosen_root(str(explicit), origin or "--project")
    if env.get("STORYCAST_PROJECT"):
        return _chosen_root(env["STORYCAST_PROJECT"], "STORYCAST_PROJECT")
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working folder was deleted (or moved) under the shell
        raise ConfigError(
            "the working folder no longer exists, so no project can be found from it",
            hint="cd into the project again, or pass --project DIR",
        ) from None
    for folder in (here, *here.parents):
        if _is_file(folder / CONFIG_NAME):
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} in {here} or any folder above it",
        hint="cd into a project, pass --project DIR, or create one with `storycast init DIR`",
    )


_DB_URL = re.compile(r"^([a-z0-9]+)(?:\+([a-z0-9_]+))?://", re.IGNORECASE)
# (dialect, driver) pairs the ledger runs on.
_DB_DRIVERS = {
    ("sqlite", None),
    ("sqlite", "pysqlite"),
    ("postgresql", None),
    ("postgresql", "psycopg"),
    ("postgresql", "psycopg2"),
}


def ledger_url(root: Path, environ: Mapping[str, str], configured: str | None) -> str:
    """SQLAlchemy URL of a project's ledger: STORYCAST_DB, then ``configured`` ([state] db in
    storycast.toml), then ``.storycast/state.db``. A URL storycast cannot open is refused,
    naming its source, never its text."""
    url = (environ.get("STORYCAST_DB") or configured or "").strip()
    if not url:
        return f"sqlite:///{root / '.storycast' / 'state.db'}"
    from_env = bool(environ.get("STORYCAST_DB", "").strip())
    where = "STORYCAST_DB" if from_env else "[state] db in storycast.toml"
    example = "sqlite:////path/to/state.db or postgresql+psycopg://user@host/db"
    m = _DB_URL.match(url)
    problem = None
    if not m:
        problem, hint = f"{where} is not a database URL", f"write a SQLAlchemy URL such as {example}"
    elif (m.group(1), m.group(2)) not in _DB_DRIVERS:
        scheme = m.group(1) + (f"+{m.group(2)}" if m.group(2) else "")
        problem = f"{where} uses {scheme}://, which storycast cannot use for its ledger"
        hint = f"the ledger runs on SQLite or PostgreSQL: write {example}" + (
            " (SQLAlchemy spells it postgresql://, not postgres://)" if m.group(1) == "postgres" else ""
        )
    elif m.group(2) == "psycopg2" and importlib.util.find_spec("psycopg2") is None:
        problem = f"{where} names the psycopg2 driver, which is not installed"
        hint = "write postgresql+psycopg://... (the driver storycast[postgres] installs)"
    if problem:
        raise ConfigError(
            problem,
            hint=hint + "; keep the password out of the URL (~/.pgpass or PGPASSWORD)",
            file=None if from_env else root / CONFIG_NAME,
        )
    return url


def _channel_options() -> Mapping[str, type[BaseModel]]:
    # Through the plugin manager, which loads the channel types (built-in and third-party) below
    # this floor's imports: the project never imports the channels package itself. Only the
    # types the file names are imported (plugins.ChannelOptions).
    from . import plugins

    return plugins.ChannelOptions()


@dataclass
class Project:
    """A loaded project: its root, its validated config and its well-known folders."""

    root: Path
    config: config_mod.Config
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def load(
        cls,
        explicit: str | Path | None = None,
        environ: dict[str, str] | None = None,
        *,
        origin: str | None = None,
    ) -> Project:
        """Find the project and validate all of storycast.toml, channel options included."""
        from . import config as config_mod  # here, not above: `status` finds a root without the models

        env = dict(os.environ) if environ is None else environ
        root = find_root(explicit, env, origin=origin)
        return cls(root=root, config=config_mod.load(root / CONFIG_NAME, _channel_options), environ=env)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def stories_dir(self) -> Path:
        return self.root / "stories"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def assets_dir(self) -> Path:
        return self.root / "assets"

    @property
    def schedules_dir(self) -> Path:
        return self.root / "schedules"

    @property
    def build_dir(self) -> Path:
        return self.root / self.config.render.out

    @property
    def state_dir(self) -> Path:
        return self.root / ".storycast"

    @property
    def languages(self) -> list[str]:
        return list(self.config.project.languages)

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL of the ledger: STORYCAST_DB, then [state] db, then a SQLite file."""
        return ledger_url(self.root, self.environ, self.config.state.db)

    def resolve_path(self, value: str | Path) -> Path:
        """A path from config or content, relative to the project root."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.root / p

    @cached_property
    def content(self) -> ContentSet:
        """Every story (and other content) under stories/, loaded and validated once."""
        from .content.loader import load_content

        return load_content(self)

    def refresh_content(self) -> ContentSet:
        """The publishing engine's view of stories/: re-read when a file changed, broken files set aside.

        A broken file lands in ``ContentSet.broken`` instead of raising, so one bad file holds
        back only its own posts. Long-lived processes (the daemon, workers) call this every tick
        and see fixes without a restart. Afterwards :attr:`content` returns this set too.
        """
        from .content.loader import content_stamp, load_content

        stamp = content_stamp(self)
        current = self.__dict__.get("content")
        # A set with broken files is always re-read: the fix may be a new image, not a changed file.
        if current is not None and current.stamp == stamp and not current.broken:
            return current
        fresh = load_content(self, strict=False)
        fresh.stamp = stamp
        self.__dict__["content"] = fresh  # replaces the cached_property's value
        return fresh
