"""The publication ledger: one row per (entry, occurrence, channel, language, frame).

The ledger, not any scheduler, is the source of truth for what was published. Open it with
:func:`open_ledger` (it migrates an older schema and refuses a newer one)::

    ledger = open_ledger(project)
    ledger.claim(now, limit=10)        # atomic claim of due rows
    ledger.begin_send(row, now, ...)   # commit the attempt BEFORE calling the platform
    ledger.finish(row, no, now, State.PUBLISHED, remote_id=...)

This package imports no SQLAlchemy: it holds the value types, the states, opening and the
SQLite reader (:mod:`.reading`, what ``storycast status`` uses). The Ledger class lives in
:mod:`.store` and the operator actions (retry, cancel, history, resolve) in :mod:`.admin`;
import them from there (``from storycast.ledger.store import Ledger``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import DEFAULT_TIMEOUT_S, database_exists, head_revision, read_revision, safe_url, timeout_from
from .reading import LedgerReader
from .rows import (
    WAITING,
    ChannelLimits,
    HistoryItem,
    PostRef,
    Row,
    RowFilter,
    RowQuery,
    UnitKey,
    aware,
    naive,
)
from .states import State

if TYPE_CHECKING:
    from ..project import Project
    from .store import Ledger as Ledger  # for annotations: `from storycast.ledger import Ledger`


def open_ledger(project: Project) -> Ledger:
    """The project's ledger (STORYCAST_DB, [state] db, or .storycast/state.db), migrated to head."""
    from .store import Ledger

    return Ledger.open(project.db_url, timeout_from(project.environ))


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "WAITING",
    "ChannelLimits",
    "HistoryItem",
    "LedgerReader",
    "PostRef",
    "Row",
    "RowFilter",
    "RowQuery",
    "State",
    "UnitKey",
    "aware",
    "database_exists",
    "head_revision",
    "naive",
    "open_ledger",
    "read_revision",
    "safe_url",
    "timeout_from",
]
