"""A per-channel journal of half-done publishes: the stage reached before the irreversible call.

Platforms whose publish is two steps (Instagram: create an invisible container, then publish
it; Facebook: upload unpublished, then make it a story) write the first step's id here,
keyed by the request's idempotency key, *before* the irreversible call. A retry then reuses
the container instead of creating a second one, and ``lookup()`` can ask the platform
whether that container went live. Stored as JSON in ``.storycast/channels/<name>.json``,
written atomically under a file lock (several workers may share a channel).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..files import replace_atomically

KEEP = timedelta(days=3)  # entries older than this are dropped; containers expire after 24 h


class JsonStore:
    """A JSON object in one file, shared by processes: read freely, written atomically under a lock."""

    def __init__(self, path: Path, *, timeout: float = 30) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", timeout=timeout)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        replace_atomically(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


class Journal(JsonStore):
    """Small key -> dict store for one channel."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for ``key``, or None."""
        with self._lock:
            return self._read().get(key)

    def update(self, key: str, now: datetime, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the entry for ``key`` (created with ``at``), pruning old entries."""
        with self._lock:
            data = self._read()
            entry = data.setdefault(key, {"at": now.isoformat()})
            entry.update(values)
            cutoff = now - KEEP
            for k in [k for k, v in data.items() if _when(v) is not None and _when(v) < cutoff]:  # type: ignore[operator]
                del data[k]
            self._write(data)
            return dict(entry)

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry (a copy)."""
        with self._lock:
            return self._read()


def _when(entry: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(entry["at"])
    except (KeyError, TypeError, ValueError):
        return None
