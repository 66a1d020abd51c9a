"""Publication states and the transitions the ledger allows.

::

    planned ──claim──> claimed ──> rendering ──> sending ──> published | handed_off
       ^                  │            │            ├──> failed (reason, retryable or not)
       │   (owner died,   │            │            └──> unknown (crash/timeout mid-call)
       │    lease ended)  │            │                   ──reconcile──> published | failed | planned*
       └──────────────────┴────────────┘
    planned ──(deadline passed)──> missed          any open state ──cancel──> cancelled
    failed | missed | unknown ──retry──> planned

    * back to planned only when the channel's lookup is authoritative ("definitely not published").

A row is never moved from ``sending`` back to ``planned`` without an answer from the channel or
the user: that is the line between effectively-once and a duplicate post.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PLANNED = "planned"
    CLAIMED = "claimed"
    RENDERING = "rendering"
    SENDING = "sending"
    PUBLISHED = "published"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"
    CANCELLED = "cancelled"
    HANDED_OFF = "handed_off"


IN_FLIGHT = (State.CLAIMED, State.RENDERING, State.SENDING)
DONE = (State.PUBLISHED, State.HANDED_OFF)  # a later frame may follow these
OPEN = (State.PLANNED, *IN_FLIGHT)
FINAL = (State.PUBLISHED, State.HANDED_OFF, State.FAILED, State.MISSED, State.CANCELLED)
RETRYABLE_FROM = (State.FAILED, State.MISSED, State.UNKNOWN, State.CANCELLED)
CANCELLABLE_FROM = (State.PLANNED, State.FAILED, State.MISSED, State.UNKNOWN)
