"""The ``[engine]`` section of ``storycast.toml``: who runs ``tick`` and the publish/render work.

``engine = "procrastinate"`` is shorthand for ``[engine] kind = "procrastinate"``. This module is
imported by :mod:`storycast.config`, so it stays free of heavy imports.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_CRON_FIELD = re.compile(r"^[0-9*/,\-A-Za-z]+$")


class EngineSection(BaseModel):
    """[engine]: the embedded engine (one machine) or procrastinate workers on PostgreSQL."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    kind: Literal["embedded", "procrastinate"] = "embedded"
    # procrastinate evaluates this in UTC; it only paces the tick, schedules keep their own zones.
    tick_cron: str = "* * * * *"
    render_concurrency: int = Field(1, ge=1, le=64)
    publish_concurrency: int = Field(8, ge=1, le=256)
    render_lead_minutes: int = Field(15, ge=0, le=1440)
    heartbeat_seconds: float = Field(10.0, gt=0, le=600)
    stalled_after_seconds: float = Field(30.0, gt=0, le=3600)
    queue_lease_minutes: int = Field(60, ge=1, le=10080)
    # procrastinate wakes on new jobs at once, but notices a job freed by its channel lock only
    # when it polls.
    poll_seconds: float = Field(1.0, ge=0.05, le=60)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `engine = "procrastinate"` at the top level of storycast.toml.
        if isinstance(value, str):
            return {"kind": value}
        return value

    @field_validator("tick_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        parts = v.split()
        if len(parts) not in (5, 6) or not all(_CRON_FIELD.match(p) for p in parts):
            raise ValueError(
                f"{v!r} is not a cron expression; write 5 fields (minute hour day month weekday) "
                "or 6 (a seconds field last), such as '* * * * *'"
            )
        return v

    @model_validator(mode="after")
    def _stall_after_heartbeat(self) -> EngineSection:
        if self.stalled_after_seconds <= self.heartbeat_seconds:
            raise ValueError(
                "stalled_after_seconds must be longer than heartbeat_seconds "
                "(a live worker would otherwise look stalled)"
            )
        return self
