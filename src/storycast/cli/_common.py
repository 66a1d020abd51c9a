"""Helpers every command module uses: project loading, output, --now parsing.

Command modules stay thin: parse options, call one core function, print the result.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..errors import StorycastError

if TYPE_CHECKING:
    import typer
    from rich.console import Console
    from rich.text import Text

    from ..project import Project


class State:
    """Global options, stored on the Typer context object."""

    def __init__(
        self, project: str | None = None, traceback: bool = False, origin: str | None = None
    ) -> None:
        self.project_arg = project
        self.project_origin = origin  # "--project" or "STORYCAST_PROJECT", for messages
        self.traceback = traceback
        self.context = Context()
        self._project: Project | None = None

    @property
    def loaded(self) -> bool:
        """Whether :meth:`project` has loaded the project already."""
        return self._project is not None

    def project(self) -> Project:
        if self._project is None:
            from ..project import Project

            self._project = Project.load(self.project_arg, self.context.environ, origin=self.project_origin)
        return self._project


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State()
        ctx.find_root().obj = obj
    return obj


def load_project(ctx: typer.Context) -> Project:
    """The project named by --project / STORYCAST_PROJECT / the working directory."""
    return state(ctx).project()


def get_context(ctx: typer.Context) -> Context:
    return state(ctx).context


_console: Console | None = None
_err_console: Console | None = None


# Both consoles have Rich markup off: titles, story fields, file names, channel names and
# messages reach them, and "[bold red]" or "[link=...]" in any of those must print as written.
# Styled output is built from rich.text.Text (see styled()), never from markup strings.


def console() -> Console:
    """Rich console on stdout (plain text when not a terminal; markup off)."""
    global _console
    if _console is None:
        from rich.console import Console, RenderHook
        from rich.table import Table

        class WholeTables(RenderHook):
            """Tables print whole on a console that is not a terminal (see _plain_table)."""

            def process_renderables(self, renderables: list[Any]) -> list[Any]:
                return [_plain_table(r) if isinstance(r, Table) else r for r in renderables]

        _console = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
        if not _console.is_terminal:
            _console.push_render_hook(WholeTables())
    return _console


def _plain_table(table: Any) -> Any:
    """``table`` drawn whole: as wide as its cells need, and with no vertical rules.

    Piped into a file or another program there is no screen width to fit: a table squeezed to
    80 columns would wrap cells, cut headers to ``la…`` and leave columns out.
    """
    from rich import box
    from rich.measure import Measurement
    from rich.segment import Segment

    class Whole:
        def __rich_console__(self, con: Any, options: Any) -> Any:
            if table.box is not None and table.box not in (box.SIMPLE, box.SIMPLE_HEAD, box.SIMPLE_HEAVY):
                table.box = box.SIMPLE_HEAD
            for column in table.columns:
                column.no_wrap, column.overflow = True, "ignore"
            natural = Measurement.get(con, options.update(width=1_000_000), table).maximum
            width = max(natural, options.max_width)
            for line in con.render_lines(table, options.update(width=width), pad=False):
                text = "".join(segment.text for segment in line).rstrip()
                if text:  # the blank top and bottom edges of a simple box
                    yield Segment(text)
                    yield Segment.line()

    return Whole()


def err_console() -> Console:
    """Rich console on stderr (markup off)."""
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
    return _err_console


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and ``(text, style)`` pairs; no part is ever read as markup."""
    from rich.text import Text

    return Text.assemble(*parts)


def _default(o: Any) -> Any:
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if isinstance(o, datetime):
        return o.isoformat()
    if isinstance(o, (date, Path)):
        return str(o)
    if isinstance(o, timedelta):
        return o.total_seconds()
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def to_json(obj: Any) -> str:
    return json.dumps(obj, default=_default, ensure_ascii=False, indent=2, sort_keys=False)


def print_json(obj: Any) -> None:
    """Write ``obj`` as JSON to stdout (never through rich: no wrapping, no markup)."""
    sys.stdout.write(to_json(obj) + "\n")
    sys.stdout.flush()


# The clock a command may be told to pretend (--now, --from, --since). Beyond these bounds the
# engine's own arithmetic (a day's lookback, an hour's horizon, a post's 24 hours) leaves the
# calendar, and no schedule means anything there anyway.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def parse_time(value: str) -> datetime:
    """An ISO 8601 time (naive values are UTC) within EARLIEST..LATEST, as UTC; ValueError says why."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 time; write it like 2026-12-01T09:30:00+01:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the calendar begins
        utc = EARLIEST - timedelta(days=1)
    if not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"{value!r} is out of range; give a time from {EARLIEST:%Y-%m-%d} to "
            f"{LATEST - timedelta(days=1):%Y-%m-%d} (UTC)"
        )
    return utc


def parse_now(value: str | None, ctx: typer.Context | None = None, *, option: str = "--now") -> datetime:
    """``--now ISO8601`` (naive values are UTC), or the context clock. Also freezes the context clock.

    ``option`` names the option in error messages (``--from``, ``--since`` parse the same way).
    """
    if value is None:
        return get_context(ctx).now() if ctx is not None else datetime.now(UTC)
    try:
        utc = parse_time(value)
    except ValueError as exc:
        import typer

        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None
    if ctx is not None:
        get_context(ctx).fixed_clock(utc)
    return utc


def fail(error: StorycastError) -> None:
    """Raise a StorycastError from a command (the app's handler prints it and exits)."""
    raise error


def language_list(values: list[str] | None) -> list[str] | None:
    """``-l th -l en``, ``-l th,en`` or both, as one list; None when none is given or one is ``all``.

    Every command that takes several languages reads them this way, so one habit works everywhere.
    """
    langs = [code.strip() for value in values or [] for code in value.split(",") if code.strip()]
    if not langs or any(code.lower() == "all" for code in langs):
        return None
    return list(dict.fromkeys(langs))


LANGS_HELP = "repeat -l or separate with commas"
NOW_HELP = "Pretend the current time is this ISO 8601 instant (for tests, backfills and dry runs)."
JSON_HELP = "Print machine-readable JSON instead of a table."
