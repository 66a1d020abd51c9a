"""A small, exact evaluator for standard 5-field cron expressions.

Why our own instead of APScheduler's ``CronTrigger``: APScheduler 3 numbers weekdays from
Monday (``0 9 * * 0`` fires on Mondays) and handles DST gaps its own way. Here a cron expression
only answers two questions about *local wall-clock* time: "does this date match?" and "at which
wall-clock minutes of a matching day does it fire?". Turning wall-clock times into instants (DST
gaps and folds) is :mod:`storycast.timetable.zones`' job, so the policy lives in one place.

Semantics (Vixie cron, as in ``man 5 crontab``):

* fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec),
  day of week (0-7 or sun-sat; 0 and 7 are both Sunday);
* ``*``, lists ``a,b``, ranges ``a-b``, steps ``*/n``, ``a-b/n`` and ``a/n`` (= ``a-max/n``);
* a range may end with ``sun`` (``fri-sun``), which counts as 7;
* when both day of month and day of week are restricted, a day matches if EITHER matches;
  a field counts as unrestricted when it starts with ``*`` (so ``*/2`` is unrestricted for
  this rule, exactly as in Vixie cron);
* macros ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``, ``@daily`` (``@midnight``),
  ``@hourly``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0  # value of names[0]


_FIELDS = (
    _FieldSpec("minute", 0, 59),
    _FieldSpec("hour", 0, 23),
    _FieldSpec("day of month", 1, 31),
    _FieldSpec("month", 1, 12, _MONTHS, 1),
    _FieldSpec("day of week", 0, 7, _DAYS, 0),
)


class CronSyntaxError(ValueError):
    """A cron expression is malformed; ``hint`` says how to write it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _value(token: str, spec: _FieldSpec, *, range_end: bool = False) -> int:
    low = token.lower()
    if spec.names and low in spec.names:
        n = spec.names.index(low) + spec.name_base
        # "fri-sun": Sunday at the end of a range means 7, so the range is not reversed.
        if range_end and spec.name == "day of week" and n == 0:
            return 7
        return n
    if not token.isdigit():
        allowed = f"{spec.low}-{spec.high}"
        if spec.names:
            allowed += f" or {spec.names[0]}-{spec.names[-1]}"
        raise CronSyntaxError(f"{spec.name} field: {token!r} is not a number", hint=f"use {allowed}")
    n = int(token)
    if not spec.low <= n <= spec.high:
        raise CronSyntaxError(
            f"{spec.name} field: {n} is out of range {spec.low}-{spec.high}",
            hint="0 and 7 both mean Sunday"
            if spec.name == "day of week"
            else f"the {spec.name} field takes {spec.low} to {spec.high}",
        )
    return n


def _parse_field(text: str, spec: _FieldSpec) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronSyntaxError(
                f"{spec.name} field {text!r} has an empty list item", hint="remove the extra comma, like 1,15"
            )
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronSyntaxError(
                    f"{spec.name} field: step {step_text!r} must be a positive number",
                    hint="for example */15",
                )
            step = int(step_text)
        if base == "*":
            first, last = spec.low, spec.high
            if spec.name == "day of week":
                last = 6  # 7 is an alias of 0, not an extra day
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(a, spec), _value(b, spec, range_end=True)
            if first > last:
                raise CronSyntaxError(
                    f"{spec.name} field: range {base!r} runs backwards",
                    hint="write the smaller value first, or use a list (for example 22,23,0)",
                )
        else:
            first = _value(base, spec)
            # "a/n" means "from a to the end in steps of n" (cronie, croniter); plain "a" is one value.
            last = (6 if spec.name == "day of week" else spec.high) if slash else first
        values.update(range(first, last + 1, step))
    if spec.name == "day of week" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


@dataclass(frozen=True)
class CronExpr:
    """A parsed cron expression. Use :func:`parse_cron` to build one."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday ... 6 = Saturday
    dom_star: bool
    dow_star: bool

    def __post_init__(self) -> None:
        # Wall-clock (hour, minute) pairs of a matching day, sorted; computed once.
        times = tuple(sorted((h, m) for h in self.hours for m in self.minutes))
        object.__setattr__(self, "_times", times)

    @property
    def times(self) -> tuple[tuple[int, int], ...]:
        """The (hour, minute) pairs at which a matching day fires, in order."""
        return self._times  # type: ignore[attr-defined, no-any-return]

    def matches_date(self, day: date) -> bool:
        """True when ``day`` (a local calendar date) is a firing day."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def dates(self, first: date, last: date) -> Iterator[date]:
        """Matching dates from ``first`` to ``last`` inclusive, in order."""
        one = timedelta(days=1)
        day = first
        while day <= last:
            if self.matches_date(day):
                yield day
            day += one

    def can_ever_fire(self) -> bool:
        """False for expressions like ``0 0 31 2 *`` that name a day that never exists."""
        if self.dom_star or not self.dow_star:
            return True  # any month has day 1, and with both restricted the weekday can match
        longest = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
        return any(d <= longest[m] for m in self.months for d in self.days)

    def __str__(self) -> str:
        return self.text


def parse_cron(text: str) -> CronExpr:
    """Parse a 5-field cron expression or macro; raise :class:`CronSyntaxError` when invalid."""
    if not isinstance(text, str):
        raise CronSyntaxError("a cron expression must be text", hint='quote it, for example "30 9 * * 1-5"')
    source = " ".join(text.split())
    expanded = source
    if source.startswith("@"):
        if source.lower() == "@reboot":
            raise CronSyntaxError(
                "@reboot has no time of day", hint="use an explicit time, for example @daily"
            )
        if source.lower() not in _MACROS:
            raise CronSyntaxError(
                f"unknown cron macro {source!r}", hint="use one of " + ", ".join(sorted(_MACROS))
            )
        expanded = _MACROS[source.lower()]
    parts = expanded.split(" ")
    if len(parts) != 5:
        hint = "minute hour day-of-month month day-of-week, for example 30 9 * * 1-5"
        if len(parts) == 6:
            hint = "seconds are not supported; drop the first field. " + hint
        raise CronSyntaxError(f"a cron expression has 5 fields, this one has {len(parts)}", hint=hint)
    sets = [_parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    expr = CronExpr(
        text=source,
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=sets[4],
        dom_star=parts[2].startswith("*"),
        dow_star=parts[4].startswith("*"),
    )
    if not expr.can_ever_fire():
        raise CronSyntaxError(
            f"{source!r} never fires: no month in it has that day",
            hint="check the day-of-month and month fields",
        )
    return expr
