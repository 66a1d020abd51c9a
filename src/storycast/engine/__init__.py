"""The engine: ``tick(now)`` and its callers (the daemon, cron, reconcile).

Public API::

    from storycast.engine import tick, publish_now, reconcile, TickOptions

    report = tick(project, context, now)     # one idempotent publishing step
    report.problems                          # failed + unknown + missed in this tick
"""

from __future__ import annotations

from .frames import Frame, KindSource, register_kind_source
from .publisher import ItemResult, idempotency_key
from .tick import Dispatcher, InlineDispatcher, TickOptions, TickReport, publish_now, tick

__all__ = [
    "Dispatcher",
    "Frame",
    "InlineDispatcher",
    "ItemResult",
    "KindSource",
    "TickOptions",
    "TickReport",
    "idempotency_key",
    "publish_now",
    "register_kind_source",
    "tick",
]
