"""What holds posts back: broken files and channels, found before and while publishing.

A broken story, Q&A event or poll file, a broken schedule file, an entry whose times cannot be
computed, a channel that cannot be opened, a template or image that fails for one language:
each holds back only the rows that need it. Those rows stay ``planned`` with the reason
(``waiting for a fix: stories/x.yaml:7:1: …``, shown by ``storycast status``), everything else
is published, and the command reports every problem. Fixed while the rows are within their grace
window, they go out at the next tick; otherwise they become ``missed``, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExitStatus, StorycastError
from ..ledger import RowFilter

if TYPE_CHECKING:
    from ..content.models import ContentSet
    from ..timetable.table import Timetable

# Which problem decides the exit code when several hold posts back: the most fundamental first.
_PRECEDENCE = (ExitStatus.CONFIG, ExitStatus.CONTENT, ExitStatus.CHANNEL)


def describe(error: StorycastError, root: Path) -> str:
    """One line for the ledger's ``reason``: where the (first) problem is, relative to the project."""
    problems = getattr(error, "problems", None) or [error]
    first = problems[0]
    file = first.file
    where = None
    if file is not None:
        if file.is_absolute() and file.is_relative_to(root):
            file = file.relative_to(root)
        where = file.as_posix()
        if first.line is not None:
            where += f":{first.line}" + (f":{first.column}" if first.column is not None else "")
    text = (f"{where}: {first.message}" if where else first.message).rstrip(":")
    if len(problems) > 1:
        text += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return text


@dataclass
class Holds:
    """The holds of one tick: which rows wait, why, and the errors the command reports."""

    root: Path
    # False for `publish STORY --channel`: the person is waiting for the answer, and a held row
    # sent later by cron (after they fixed the file and ran the command again) would post twice.
    hold: bool = True
    items: list[tuple[RowFilter, str]] = field(default_factory=list)
    errors: list[StorycastError] = field(default_factory=list)
    skip: RowFilter = field(default_factory=RowFilter)  # not held, just not claimed again this tick

    def add(self, rows: RowFilter, error: StorycastError) -> str:
        """Hold ``rows`` because of ``error``; return the reason recorded on them."""
        reason = describe(error, self.root)
        self.items.append((rows, reason))
        if all(str(e) != str(error) for e in self.errors):
            self.errors.append(error)
        return reason

    def add_content(self, content: ContentSet) -> None:
        """Every broken content file holds the rows of the id it defines."""
        for broken in content.broken:
            self.add(RowFilter(refs=frozenset({broken.id})), broken.error)

    def add_schedules(self, timetable: Timetable) -> None:
        """Every broken schedule file holds the rows it planned."""
        for file, error in timetable.broken.items():
            rel = file.relative_to(self.root).as_posix() if file.is_relative_to(self.root) else str(file)
            self.add(RowFilter(sources=frozenset({rel})), error)

    @property
    def held(self) -> RowFilter:
        """Every held row, as one filter."""
        out = RowFilter()
        for rows, _ in self.items:
            out = out | rows
        return out

    @property
    def excluded(self) -> RowFilter:
        """Rows this tick must not claim: the held ones and those it gave back."""
        return self.held | self.skip


def _rank(error: StorycastError) -> int:
    status = error.exit_status
    return _PRECEDENCE.index(status) if status in _PRECEDENCE else len(_PRECEDENCE)


class HeldBack(StorycastError):
    """Problems that hold posts back; the exit code is that of the most fundamental one."""

    def __init__(self, errors: list[StorycastError], *, dry_run: bool = False, held: bool = True) -> None:
        ordered = sorted(errors, key=_rank)
        n = len(ordered)
        if not held:
            head = "1 problem stopped" if n == 1 else f"{n} problems stopped"
            message = f"{head} this publish; nothing was sent for the posts it concerns:"
        else:
            head = "1 problem holds" if n == 1 else f"{n} problems hold"
            rest = (
                "they would wait, everything else would go out"
                if dry_run
                else "they wait in `storycast status`, everything else went out"
            )
            message = f"{head} posts back until fixed; {rest}:"
        super().__init__(message)
        self.problems = ordered
        self.exit_status = ordered[0].exit_status

    def __str__(self) -> str:
        lines = [self.message]
        for e in self.problems:
            lines.extend("  " + line for line in str(e).splitlines())
        return "\n".join(lines)
