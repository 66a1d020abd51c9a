"""The publication ledger: one row per (entry, occurrence, channel, language, frame).

The ledger, not any scheduler, is the source of truth for what was published. Open it with
:func:`open_ledger` (it migrates an older schema and refuses a newer one)::

    ledger = open_ledger(project)
    ledger.claim(now, limit=10)        # atomic claim of due rows
    ledger.begin_send(row, now, ...)   # commit the attempt BEFORE calling the platform
    ledger.finish(row, no, now, State.PUBLISHED, remote_id=...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .admin import ActionResult, NoSuchRow, attempts_of, cancel, history, resolve, retry
from .db import DEFAULT_TIMEOUT_S, database_exists, head_revision, read_revision, safe_url, timeout_from
from .reading import LedgerReader
from .rows import HistoryItem, PostRef, RowQuery, UnitKey
from .states import State
from .store import WAITING, ChannelLimits, Ledger, Row, RowFilter, aware, naive

if TYPE_CHECKING:
    from ..project import Project


def open_ledger(project: Project) -> Ledger:
    """The project's ledger (STORYCAST_DB, [state] db, or .storycast/state.db), migrated to head."""
    return Ledger.open(project.db_url, timeout_from(project.environ))


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "WAITING",
    "ActionResult",
    "ChannelLimits",
    "HistoryItem",
    "Ledger",
    "LedgerReader",
    "NoSuchRow",
    "PostRef",
    "Row",
    "RowFilter",
    "RowQuery",
    "State",
    "UnitKey",
    "attempts_of",
    "aware",
    "cancel",
    "database_exists",
    "head_revision",
    "history",
    "naive",
    "open_ledger",
    "read_revision",
    "resolve",
    "retry",
    "safe_url",
    "timeout_from",
]
