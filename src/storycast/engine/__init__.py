"""The engine: ``tick(now)`` and its callers (the daemon, cron, reconcile, scale-out workers).

Importing this package loads nothing; the API is in its modules::

    from storycast.engine.tick import tick, publish_now, TickOptions
    from storycast.engine.reconcile import reconcile

    report = tick(project, context, now)     # one idempotent publishing step
    report.problems                          # failed + unknown + missed in this tick

:mod:`storycast.engine.frames` has the kind sources (``Frame``, ``KindSource``) and
:mod:`storycast.engine.publisher` the per-item results (``ItemResult``, ``idempotency_key``).
"""
