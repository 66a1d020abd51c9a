"""Story content models.

A story file (``stories/*.yaml``) looks like::

    id: reset-router
    template: tutorial            # template set under templates/ (cover.j2, step.j2, outro.j2)
    category: connectivity
    languages: [en, es]
    title: {en: Reset your router, es: Reinicia tu router}
    steps:
      - title: {en: Unplug it, es: Desconéctalo}
        text: {en: ..., es: ...}
        image: assets/samples/router-back.png   # optional
        duration: 5                             # optional, seconds (video)

Localized values are mappings from language code to text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Localized = dict[str, str]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_localized(v: Any) -> Any:
    if isinstance(v, dict):
        for lang, text in v.items():
            if not isinstance(text, str):
                raise ValueError(f"the {lang!r} text must be a string")
    return v


class Step(_Model):
    """One tutorial step: one frame."""

    title: Localized
    text: Localized = Field(default_factory=dict)
    image: str | None = None
    alt: Localized = Field(default_factory=dict, description="alt text for the step's image")
    duration: float | None = Field(None, gt=0, le=60)

    _loc = field_validator("title", "text", "alt", mode="before")(
        classmethod(lambda cls, v: _check_localized(v))
    )


class Story(_Model):
    """A multi-step visual tutorial."""

    id: str
    kind: str = "tutorial"
    template: str = "tutorial"
    category: str
    languages: list[str] = Field(min_length=1)
    title: Localized
    summary: Localized = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    cta: Localized = Field(default_factory=dict, description="call to action on the outro frame")
    steps: list[Step] = Field(min_length=1, max_length=20)

    # Set by the loader, not by the file.
    source: Path | None = Field(None, exclude=True)

    _loc = field_validator("title", "summary", "cta", mode="before")(
        classmethod(lambda cls, v: _check_localized(v))
    )

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(
                f"{v!r} is not a valid id: use lower-case letters, digits and '-' (like reset-router)"
            )
        return v

    def text(self, value: Localized, lang: str) -> str:
        """The ``lang`` text of a localized value ('' when absent)."""
        return value.get(lang, "")

    @property
    def frame_count(self) -> int:
        """Cover + one frame per step + outro."""
        return len(self.steps) + 2


class ContentSet(BaseModel):
    """Everything loaded from stories/."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    stories: dict[str, Story] = Field(default_factory=dict)
    # Other content kinds (Q&A events, polls) register loaders and land here by kind.
    extras: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def story(self, story_id: str) -> Story:
        from ..errors import ContentError

        try:
            return self.stories[story_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(story_id, list(self.stories), n=3)
            hint = (
                f"did you mean {', '.join(close)}?"
                if close
                else "run `storycast render --help`; ids come from stories/*.yaml"
            )
            raise ContentError(f"no story with id {story_id!r}", hint=hint) from None
