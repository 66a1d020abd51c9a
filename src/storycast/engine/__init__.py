"""The engine: ``tick(now)`` and its callers (the daemon, cron, reconcile, scale-out workers).

Public API::

    from storycast.engine import tick, publish_now, reconcile, TickOptions

    report = tick(project, context, now)     # one idempotent publishing step
    report.problems                          # failed + unknown + missed in this tick

Names are imported on first use (PEP 562), so ``storycast.config`` can import the small
``storycast.engine.config`` schema without loading SQLAlchemy and the channels.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .frames import Frame, KindSource, register_kind_source
    from .publisher import ItemResult, idempotency_key
    from .tick import Dispatcher, InlineDispatcher, TickOptions, TickReport, publish_now, tick

_WHERE = {
    "Frame": ".frames",
    "KindSource": ".frames",
    "register_kind_source": ".frames",
    "ItemResult": ".publisher",
    "idempotency_key": ".publisher",
    "Dispatcher": ".tick",
    "InlineDispatcher": ".tick",
    "TickOptions": ".tick",
    "TickReport": ".tick",
    "publish_now": ".tick",
    "tick": ".tick",
}


class _EngineModule(types.ModuleType):
    # Importing the submodule ``storycast.engine.tick`` would bind the package attribute ``tick``
    # to that module; the public name is the function (as it was with eager imports).
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _EngineModule


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
