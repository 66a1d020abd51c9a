"""Moved to :mod:`storycast.ledger.copy`; these names stay until ``storycast db`` imports them from there."""

from __future__ import annotations

from ...ledger.copy import CHUNK, CopyReport, TableCopy, copy_ledger, normalize_target, table_digest

MigrationReport = CopyReport
migrate_ledger = copy_ledger

__all__ = [
    "CHUNK",
    "MigrationReport",
    "TableCopy",
    "migrate_ledger",
    "normalize_target",
    "table_digest",
]
