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
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Localized = dict[str, str]

# Longest texts content may hold, in characters (docs/content.md). Far more than a frame shows
# (a title fits about 60, a step text about 250): the limits stop a pasted document or a runaway
# generator at load, with its line, instead of deep in the renderer.
MAX_TITLE_CHARS = 200  # titles, questions, poll options, calls to action, hosts, topics
MAX_TEXT_CHARS = 2000  # step texts, summaries, alt texts
MAX_LABEL_CHARS = 100  # categories, template sets, tags
MAX_PATH_CHARS = 300  # image paths

TitleText = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]
BodyText = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL_CHARS)]
LocalizedTitle = dict[str, TitleText]
LocalizedText = dict[str, BodyText]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def check_project_path(value: str) -> str:
    """A path from content: relative to the project folder and staying inside it."""
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if value.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", value) or ".." in parts:
        raise ValueError(
            f"{value!r} points outside the project: write the path relative to the project folder, "
            "such as assets/samples/router.png"
        )
    return value


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

    title: LocalizedTitle
    text: LocalizedText = Field(default_factory=dict)
    image: str | None = Field(None, max_length=MAX_PATH_CHARS)
    alt: LocalizedText = Field(default_factory=dict, description="alt text for the step's image")
    duration: float | None = Field(None, gt=0, le=60)

    _loc = field_validator("title", "text", "alt", mode="before")(
        classmethod(lambda cls, v: _check_localized(v))
    )

    @field_validator("image")
    @classmethod
    def _image(cls, v: str | None) -> str | None:
        return v if v is None else check_project_path(v)


class Story(_Model):
    """A multi-step visual tutorial."""

    id: str
    kind: str = "tutorial"
    template: Label = "tutorial"
    category: Label
    languages: list[str] = Field(min_length=1, max_length=50)
    title: LocalizedTitle
    summary: LocalizedText = Field(default_factory=dict)
    tags: list[Label] = Field(default_factory=list, max_length=50)
    cta: LocalizedTitle = Field(default_factory=dict, description="call to action on the outro frame")
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


class BrokenContent(BaseModel):
    """A content file that failed to load, and what it most likely defines.

    The publishing engine keeps going when one file is broken: the rows of the ids it defines
    wait (visibly) until it is fixed. What a broken file defines is read leniently: its ``id:``
    (or, when even that is unreadable, its file name), its ``kind:`` and ``languages:``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    file: Path
    error: Any  # the file's ContentError, every problem with its line
    id: str
    kind: str = "tutorial"
    languages: tuple[str, ...] = ()
    frames: int | None = None  # a tutorial's frame count, when its steps could be counted


class ContentSet(BaseModel):
    """Everything loaded from stories/."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    stories: dict[str, Story] = Field(default_factory=dict)
    # Other content kinds (Q&A events, polls) register loaders and land here by kind.
    extras: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Files that failed to load, when loaded leniently (the engine's view; see Project.refresh_content).
    broken: list[BrokenContent] = Field(default_factory=list)
    # What the files looked like when this set was loaded (Project.refresh_content compares it).
    stamp: Any = Field(None, exclude=True)

    def broken_file(self, content_id: str) -> BrokenContent | None:
        """The broken file that most likely defines ``content_id``, if any."""
        for b in self.broken:
            if b.id == content_id:
                return b
        return None

    def story(self, story_id: str) -> Story:
        from ..errors import ContentError

        broken = self.broken_file(story_id)
        if broken is not None:
            raise broken.error  # that file's own problems, with their lines
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
