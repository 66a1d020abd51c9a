"""The ``[approval]`` section of ``storycast.toml``: who must see a story before it goes public.

``required = false`` (the default) keeps publishing as it was. With ``required = true`` a story
row publishes only when every frame it would send carries ``min_approvals`` approvals from the
``approvers``; ``[approval.channels.NAME]`` changes that for one channel (two approvals for
Instagram, none for the local feed). ``lead_time`` is how long before the slot an approval must
have been given. docs/approval.md describes the workflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import tomlsrc
from ..errors import StorycastError
from ..units import parse_duration

# A name people type after --by and see in status: letters (any script), digits, . _ - @ +
_NAME = re.compile(r"^[\w.@+-]{1,64}$")


class Approver(BaseModel):
    """One person who may approve: a name, and where to tell them a story waits (optional)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    # An apprise URL (mailto://, tgram://, slack://, json://...), plain or a secret reference
    # (env:/file:/keyring:) when it carries a token.
    contact: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_name(cls, value: Any) -> Any:
        # approvers = ["ana", "ben"] is shorthand for tables with a name only.
        return {"name": value} if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                f"{v!r} is not an approver name; use one word of letters, digits, '.', '_', '-', '@' or '+' "
                "(at most 64), such as ana or ana.garcia"
            )
        return v


class ChannelApproval(BaseModel):
    """[approval.channels.NAME]: this channel's own rule (unset keys follow [approval])."""

    model_config = ConfigDict(extra="forbid")
    required: bool | None = None
    min_approvals: int | None = Field(None, ge=0, le=20)
    approvers: list[str] | None = None  # only these (names from [approval] approvers) count here


def _lead_time(value: str) -> timedelta:
    try:
        got = parse_duration(value)
    except ValueError as exc:
        raise ValueError(
            f"{exc}; lead_time is how long before the slot, like 2h or 1d (0: any time)"
        ) from None
    if got > timedelta(days=60):
        raise ValueError("lead_time is at most 60d")
    return got


class ApprovalSection(BaseModel):
    """[approval]: approvals bound to the frames' hashes (see docs/approval.md)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    required: bool = False
    approvers: list[Approver] = Field(default_factory=list)
    min_approvals: int = Field(1, ge=1, le=20)
    lead_time: str = "0"  # an approval given later than this before the slot does not count for it
    review_url: str = "http://127.0.0.1:8000"  # where `storycast serve` answers; review links start here
    link_ttl: str = "7d"  # how long a review link works
    channels: dict[str, ChannelApproval] = Field(default_factory=dict)

    @field_validator("lead_time")
    @classmethod
    def _lead(cls, v: str) -> str:
        _lead_time(v)
        return v

    @field_validator("link_ttl")
    @classmethod
    def _ttl(cls, v: str) -> str:
        try:
            got = parse_duration(v)
        except ValueError as exc:
            raise ValueError(f"{exc}; link_ttl is how long a review link works, like 2d") from None
        if not timedelta(minutes=1) <= got <= timedelta(days=90):
            raise ValueError("link_ttl is between 1m and 90d")
        return v

    @field_validator("review_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", v):
            raise ValueError(f"{v!r} is not an http(s) address such as https://review.example.com")
        return v.rstrip("/")

    @field_validator("approvers")
    @classmethod
    def _unique(cls, v: list[Approver]) -> list[Approver]:
        seen: set[str] = set()
        for a in v:
            if a.name.casefold() in seen:
                raise ValueError(f"approver {a.name!r} is listed twice")
            seen.add(a.name.casefold())
        return v

    @property
    def lead(self) -> timedelta:
        return _lead_time(self.lead_time)

    @property
    def ttl(self) -> timedelta:
        return parse_duration(self.link_ttl)

    def approver(self, name: str) -> Approver | None:
        """The configured approver called ``name`` (case does not matter), or None."""
        return next((a for a in self.approvers if a.name.casefold() == name.casefold()), None)

    def rule(self, channel: str) -> ApprovalRule:
        """What channel ``channel`` needs before a story goes out on it."""
        own = self.channels.get(channel) or ChannelApproval()
        required = self.required if own.required is None else own.required
        need = self.min_approvals if own.min_approvals is None else own.min_approvals
        names = tuple(a.name for a in self.approvers)
        if own.approvers is not None:
            names = tuple(n for n in names if n.casefold() in {x.casefold() for x in own.approvers})
        return ApprovalRule(channel, required and need > 0, need, names, self.lead)


@dataclass(frozen=True)
class ApprovalRule:
    """One channel's approval rule: whether it is needed, how many, from whom, how early."""

    channel: str
    required: bool
    min_approvals: int
    approvers: tuple[str, ...]
    lead_time: timedelta


def approval_problems(
    section: ApprovalSection, channels: list[str], text: str, path: Path
) -> list[StorycastError]:
    """What [approval] gets wrong across sections: unknown channels and approvers, a rule nobody can meet."""
    out: list[StorycastError] = []

    def problem(loc: tuple[str, ...], message: str, hint: str) -> None:
        line, column = tomlsrc.position(text, loc)
        out.append(StorycastError(message, hint=hint, file=path, line=line, column=column))

    names = [a.name for a in section.approvers]
    if section.required and not names:
        problem(
            ("approval", "required"),
            "approval.required: approval is required but [approval] names no approvers",
            'add approvers = ["ana", "ben"] (or [[approval.approvers]] tables with a contact) to [approval]',
        )
    elif section.required and section.min_approvals > len(names):
        problem(
            ("approval", "min_approvals"),
            f"approval.min_approvals: {section.min_approvals} approvals needed but only "
            f"{len(names)} approver(s)",
            "add approvers, or lower min_approvals",
        )
    for channel, own in section.channels.items():
        if channel not in channels:
            problem(
                ("approval", "channels", channel),
                f"approval.channels.{channel}: there is no channel named {channel!r}",
                f"configured channels: {', '.join(channels) or 'none'}; rename the table or add "
                f"[channels.{channel}]",
            )
            continue
        for name in own.approvers or []:
            if section.approver(name) is None:
                problem(
                    ("approval", "channels", channel, "approvers"),
                    f"approval.channels.{channel}.approvers: {name!r} is not one of [approval] approvers",
                    f"approvers are {', '.join(names) or 'none yet'}; add {name} there first",
                )
        rule = section.rule(channel)
        if rule.required and rule.min_approvals > len(rule.approvers):
            problem(
                ("approval", "channels", channel),
                f"approval.channels.{channel}: {rule.min_approvals} approvals needed but only "
                f"{len(rule.approvers)} approver(s) may give them",
                "add approvers, or lower min_approvals for this channel",
            )
    return out
