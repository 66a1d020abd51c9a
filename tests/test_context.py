"""storycast.context: the one clock (Fixed, Offset, System) and the terminal facts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storycast.context import Clock, Context, FixedClock, OffsetClock, SystemClock

AT = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def test_system_clock_reads_the_machine_time() -> None:
    before = datetime.now(UTC)
    clock = SystemClock()
    assert before <= clock.now() <= clock.wall() <= datetime.now(UTC)
    assert isinstance(clock, Clock)


def test_fixed_clock_stops_now_but_not_wall() -> None:
    clock = FixedClock(AT.astimezone(timezone(timedelta(hours=7))))
    assert clock.now() == AT and clock.now().tzinfo is UTC
    assert abs(clock.wall() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 12, 3, 13, 0))


def test_offset_clock_runs_at_real_speed_from_its_start() -> None:
    clock = OffsetClock(AT)
    first = clock.now()
    assert timedelta(0) <= first - AT < timedelta(seconds=5)
    assert clock.now() >= first
    assert clock() >= first  # still callable, as the daemon's clock used to be
    assert abs(clock.wall() - datetime.now(UTC)) < timedelta(seconds=5)


def test_context_wraps_a_bare_callable_and_freezes_on_now() -> None:
    ctx = Context(clock=lambda: AT)
    assert ctx.now() == AT
    assert isinstance(ctx.clock, Clock)
    ctx.fixed_clock(AT + timedelta(days=1))
    assert ctx.now() == AT + timedelta(days=1)
    ctx.clock = lambda: datetime(2026, 1, 1)  # naive: refused when read
    with pytest.raises(ValueError, match="aware"):
        ctx.now()


def test_tty_facts_come_from_the_streams() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    ctx = Context(stdout=io.StringIO(), stderr=Tty())
    assert ctx.is_tty is False
    assert ctx.err_is_tty is True
