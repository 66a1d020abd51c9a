"""The ``[outcomes]`` section of storycast.toml: how ``storycast report`` measures support outcomes
(docs/engagement.md, "Outcomes")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..secrets import SecretRef


class OutcomesSection(BaseModel):
    """[outcomes]: what resolves a conversation, and how much data a slot suggestion needs."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    resolved_markers: list[str] = Field(
        default_factory=lambda: ["#resolved"],
        description="words in an agent's message that mark its conversation resolved (any case)",
    )
    csat_resolves: bool = Field(
        True, description="whether a customer's answer to a satisfaction poll resolves their conversation"
    )
    helpdesk_secret: SecretRef = Field(
        "",
        description="secret reference (env:, file:, keyring:) that signs the help desk's resolution "
        "webhook (POST /hooks/helpdesk); empty refuses every delivery",
    )
    min_occurrences: int = Field(
        3, ge=1, le=1000, description="measured occurrences a time slot needs before report suggests it"
    )
    min_viewers: int = Field(
        50, ge=0, description="first-frame viewers a time slot needs before report suggests it"
    )

    @field_validator("resolved_markers")
    @classmethod
    def _markers(cls, v: list[str]) -> list[str]:
        for m in v:
            if not m.strip() or any(c.isspace() for c in m.strip()):
                raise ValueError(f"{m!r} is not a marker; write one word such as #resolved or /done")
        return [m.strip() for m in v]
