"""Project discovery and paths.

A project is a folder with a ``storycast.toml``. It is found from ``--project``, then the
``STORYCAST_PROJECT`` environment variable, then by walking up from the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import config as config_mod
from .errors import ConfigError

if TYPE_CHECKING:
    from .content.models import ContentSet

CONFIG_NAME = "storycast.toml"


def find_root(explicit: str | Path | None = None, environ: dict[str, str] | None = None) -> Path:
    """Locate the project root, or raise ConfigError saying how to point at one."""
    env = os.environ if environ is None else environ
    chosen = explicit or env.get("STORYCAST_PROJECT")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise ConfigError(
                f"{root} is not a storycast project (it has no {CONFIG_NAME})",
                hint="pass the folder that holds storycast.toml, or create one with `storycast init DIR`",
            )
        return root
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} in {here} or any folder above it",
        hint="cd into a project, pass --project DIR, or create one with `storycast init DIR`",
    )


@dataclass
class Project:
    """A loaded project: its root, its validated config and its well-known folders."""

    root: Path
    config: config_mod.Config
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def load(cls, explicit: str | Path | None = None, environ: dict[str, str] | None = None) -> Project:
        env = dict(os.environ) if environ is None else environ
        root = find_root(explicit, env)
        return cls(root=root, config=config_mod.load(root / CONFIG_NAME), environ=env)

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
        url = self.environ.get("STORYCAST_DB") or self.config.state.db
        if url:
            return url
        return f"sqlite:///{self.state_dir / 'state.db'}"

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
