"""The one place storycast reads the clock and the terminal.

Core code takes a ``Context`` (or just its ``clock``) instead of calling ``datetime.now()`` or
writing to ``sys.stdout``, so tests can swap both. No other module reads the wall clock.

A clock answers two questions. ``now()`` is the instant storycast acts as of: what is due, what
has expired; ``--now`` moves it. ``wall()`` is the real time, for what must follow the machine
whatever ``--now`` says: timers, file ages, HTTP dates.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TextIO, runtime_checkable


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def wall_timestamp() -> float:
    """The current time as a POSIX timestamp (comparable with file mtimes)."""
    return time.time()


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The instant storycast acts as of (``--now``); aware UTC."""
        ...

    def wall(self) -> datetime:
        """The real time, aware UTC: timers, file ages, HTTP dates."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return utcnow()

    def wall(self) -> datetime:
        return utcnow()


@dataclass(frozen=True)
class FixedClock:
    """Stopped at ``at`` (``--now`` for one-shot commands); ``wall`` stays real."""

    at: datetime

    def __post_init__(self) -> None:
        _check_aware(self.at)
        object.__setattr__(self, "at", self.at.astimezone(UTC))

    def now(self) -> datetime:
        return self.at

    def wall(self) -> datetime:
        return utcnow()


class OffsetClock:
    """Starts at ``start`` and runs at real speed (``storycast run --now``); ``wall`` stays real."""

    def __init__(self, start: datetime) -> None:
        _check_aware(start)
        self._delta = start.astimezone(UTC) - utcnow()

    def now(self) -> datetime:
        return utcnow() + self._delta

    def wall(self) -> datetime:
        return utcnow()

    def __call__(self) -> datetime:
        # The daemon used to take a bare callable; a caller that still calls the clock works.
        return self.now()


class _CallableClock:
    """A bare ``() -> datetime`` (tests pass lambdas) as a Clock."""

    def __init__(self, fn: Callable[[], datetime]) -> None:
        self.fn = fn

    def now(self) -> datetime:
        return self.fn()

    def wall(self) -> datetime:
        return utcnow()


def as_clock(clock: Clock | Callable[[], datetime]) -> Clock:
    """``clock`` itself when it is a Clock; a bare callable is wrapped."""
    if isinstance(clock, Clock):
        return clock
    return _CallableClock(clock)


def _check_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("a clock needs an aware datetime (with a time zone)")


@dataclass
class Context:
    """Console streams, the clock and terminal facts for one invocation."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Clock = field(default_factory=SystemClock)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def __setattr__(self, name: str, value: object) -> None:
        if name == "clock":
            value = as_clock(value)  # type: ignore[arg-type]
        super().__setattr__(name, value)

    def now(self) -> datetime:
        """Aware UTC 'now' from the injected clock."""
        value = self.clock.now()
        if value.tzinfo is None:
            raise ValueError("Context.clock must return an aware datetime")
        return value.astimezone(UTC)

    @property
    def is_tty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def err_is_tty(self) -> bool:
        return _isatty(self.stderr)

    def fixed_clock(self, at: datetime) -> None:
        """Freeze the clock at ``at`` (used by ``--now``)."""
        self.clock = FixedClock(at)


def _isatty(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())
