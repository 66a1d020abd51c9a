"""The one place storycast reads the clock and the terminal.

Core code takes a ``Context`` (or just a ``now`` callable) instead of calling
``datetime.now()`` or writing to ``sys.stdout``, so tests can swap both.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class Context:
    """Console streams, the clock and terminal facts for one invocation."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], datetime] = utcnow
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def now(self) -> datetime:
        """Aware UTC 'now' from the injected clock."""
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("Context.clock must return an aware datetime")
        return value.astimezone(UTC)

    @property
    def is_tty(self) -> bool:
        return bool(getattr(self.stdout, "isatty", lambda: False)())

    def fixed_clock(self, at: datetime) -> None:
        """Freeze the clock at ``at`` (used by ``--now``)."""
        frozen = at.astimezone(UTC)
        self.clock = lambda: frozen
