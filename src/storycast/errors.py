"""One error hierarchy for storycast and the exit codes the CLI maps it to.

Core code raises these; only ``storycast.cli`` turns them into messages and exit codes.
Every error carries a sentence saying what is wrong, an optional hint saying how to fix it,
and, where it applies, the file, line and column it points at.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """Process exit codes. Pinned by tests and documented in docs/cli.md."""

    SUCCESS = 0
    ERROR = 1  # lint found errors, or a command-level failure that is not one of the below
    USAGE = 2  # bad command-line usage (Typer/Click's own code)
    CONFIG = 3  # storycast.toml is invalid or missing
    CONTENT = 4  # a story, schedule, template or asset is invalid
    CHANNEL = 5  # a channel refused, failed or is misconfigured
    DATABASE = 6  # the state database is locked, unreachable or from a newer storycast
    PARTIAL = 7  # some items of a batch failed (publish --due), the rest succeeded
    INTERNAL = 70  # an unexpected error (a bug): rerun with --traceback and report it
    INTERRUPTED = 130  # Ctrl-C


class StorycastError(Exception):
    """Base class of every error storycast reports to its user."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = Path(file) if file is not None else None
        self.line = line
        self.column = column

    @property
    def location(self) -> str | None:
        """``file:line:column`` (as much of it as is known), or None."""
        if self.file is None:
            return None
        loc = str(self.file)
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class _ProblemsError(StorycastError):
    """An error that gathers every problem found (all of a file's mistakes, reported at once)."""

    def __init__(self, message: str, *, problems: list[StorycastError] | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        lines = [self.message, *(f"  {p}" for p in self.problems)]
        return "\n".join([*lines, f"  hint: {self.hint}"] if self.hint else lines)


class ConfigError(_ProblemsError):
    """storycast.toml (or an environment override) is invalid."""

    exit_status = ExitStatus.CONFIG


class ContentError(_ProblemsError):
    """A story, Q&A event, poll or other content file is invalid."""

    exit_status = ExitStatus.CONTENT


class TemplateError(ContentError):
    """A Jinja template failed to load, render, or produced an invalid frame spec."""


class RenderError(ContentError):
    """Drawing a frame or encoding a video failed because of its inputs (fonts, images, text)."""


class ScheduleError(ContentError):
    """A schedule file is invalid (syntax, unknown story/channel/language, bad zone or cron)."""


class ChannelError(StorycastError):
    """A channel is misconfigured or a platform call failed."""

    exit_status = ExitStatus.CHANNEL


class LedgerError(StorycastError):
    """The state database is locked, unreachable, or was written by a newer storycast."""

    exit_status = ExitStatus.DATABASE


class GuardError(StorycastError):
    """Guard findings block an action (publishing a story with lint errors)."""

    exit_status = ExitStatus.ERROR
