"""The typed ``storycast.toml`` schema: every section, and loading with every problem reported.

Every key is documented in docs/configuration.md (a test checks that). Loading validates the
whole file and reports every problem at once, each with its file, line and key. This package is
on the ground floor: it imports no feature package (sections live in ``sections.py``,
``guard.py`` and ``engine.py``), so any package can read the configuration.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from .. import tomlsrc
from ..errors import ConfigError, StorycastError
from ..files import read_text
from .approval import ApprovalRule, ApprovalSection, Approver, approval_problems
from .engine import EngineSection
from .guard import GuardConfig
from .i18n import I18nSection
from .kb import KbSection
from .outcomes import OutcomesSection
from .problems import (
    ChannelTypes,
    _channels_problems,
    channel_language_problems,
    channel_problems,
    known_keys,
    problems_from,
)
from .sections import (
    WEEKDAYS,
    BrandSection,
    CacheSection,
    ChannelName,
    ChannelSection,
    ProjectSection,
    RenderSection,
    SafeZone,
    StateSection,
    SupportHoursSection,
    _Section,
    check_color,
)


class Config(_Section):
    """The whole storycast.toml."""

    project: ProjectSection = Field(default_factory=ProjectSection)
    brand: BrandSection = Field(default_factory=BrandSection)
    render: RenderSection = Field(default_factory=RenderSection)
    state: StateSection = Field(default_factory=StateSection)
    cache: CacheSection = Field(default_factory=CacheSection)
    channels: dict[ChannelName, ChannelSection] = Field(default_factory=dict)
    support_hours: SupportHoursSection = Field(default_factory=SupportHoursSection)
    guard: GuardConfig = Field(default_factory=GuardConfig)
    engine: EngineSection = Field(default_factory=EngineSection)
    i18n: I18nSection = Field(default_factory=I18nSection)
    approval: ApprovalSection = Field(default_factory=ApprovalSection)
    kb: KbSection = Field(default_factory=KbSection)
    outcomes: OutcomesSection = Field(default_factory=OutcomesSection)


def parse(text: str, path: Path, channel_types: ChannelTypes | None = None) -> Config:
    """Validate TOML text; raise one ConfigError listing every problem.

    ``channel_types``: when given, every [channels.NAME] table is also checked against its
    channel type's options (unknown keys, literal secrets, bad values).
    """
    raw = tomlsrc.loads(text, path)
    problems: list[StorycastError] = []
    config: Config | None = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from(exc, model=Config, prefix=(), text=text, path=path)
    else:
        problems = channel_language_problems(config.channels, config.project.languages, text, path)
        problems += approval_problems(config.approval, list(config.channels), text, path)
    if channel_types is not None:
        reported = {p.message.partition(":")[0] for p in problems}
        problems += _channels_problems(raw, channel_types, text, path, reported)
    if problems or config is None:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        n = len(problems)
        raise ConfigError(f"{path} has {n} problem{'s' if n != 1 else ''}:", problems=problems, file=path)
    return config


def load(path: Path, channel_types: ChannelTypes | None = None) -> Config:
    """Read and validate storycast.toml (see :func:`parse`); unreadable files are ConfigErrors too."""
    if not path.exists() and not path.is_symlink():
        raise ConfigError(f"no storycast.toml at {path}", hint="run `storycast init DIR` to create a project")
    text = read_text(path, error=ConfigError, what="storycast.toml")
    return parse(text, path, channel_types)


__all__ = [
    "WEEKDAYS",
    "ApprovalRule",
    "ApprovalSection",
    "Approver",
    "BrandSection",
    "CacheSection",
    "ChannelName",
    "ChannelSection",
    "ChannelTypes",
    "Config",
    "EngineSection",
    "GuardConfig",
    "KbSection",
    "OutcomesSection",
    "ProjectSection",
    "RenderSection",
    "SafeZone",
    "StateSection",
    "SupportHoursSection",
    "channel_problems",
    "check_color",
    "known_keys",
    "load",
    "parse",
    "problems_from",
]
