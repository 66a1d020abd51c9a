"""Scale-out: storycast on procrastinate workers sharing one PostgreSQL ledger.

The embedded engine's protocol, unchanged, with a queue between claim and send::

    from storycast.engine.scaleout import make_app, queue_status

    scale = make_app(project, context)        # ConfigError unless the ledger is PostgreSQL
    scale.run_worker(queues=["publish"])      # `storycast worker --queues publish`
    scale.runtime.tick_once()                 # claim due rows onto the publish queue (outbox)
    scale.runtime.publish_rows(ids, job_id=j) # what a publish job runs (and goes on with)
    queue_status(project)                     # depth per queue, workers alive, stuck jobs

procrastinate itself is imported only when an App is made.
"""

from __future__ import annotations

from .app import ScaleOut, make_app
from .runtime import PUBLISH, QUEUES, RENDER, TICK, QueueDispatcher, Runtime, remove_stale_temps
from .schema import ensure_schema, has_schema
from .status import QueueStatus, queue_status

__all__ = [
    "PUBLISH",
    "QUEUES",
    "RENDER",
    "TICK",
    "QueueDispatcher",
    "QueueStatus",
    "Runtime",
    "ScaleOut",
    "ensure_schema",
    "has_schema",
    "make_app",
    "queue_status",
    "remove_stale_temps",
]
