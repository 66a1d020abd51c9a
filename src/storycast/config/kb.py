"""The ``[kb]`` section of ``storycast.toml``: where the knowledge base lives, and links to it.

``link = "none"`` (the default) leaves every frame as it was. ``"short"`` writes a short link to
the story's article on its step frames, ``"qr"`` draws a QR code of it; ``[kb.stories]`` changes
that for one story. The link points at ``storycast serve``'s ``/go/{story}?l={lang}``, which
counts the visit (a day counter, nothing about the visitor) and redirects to the article;
docs/kb.md describes it.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LinkMode = Literal["none", "short", "qr"]
_STORY = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


def _http_url(v: str | None) -> str | None:
    if v is None:
        return None
    if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", v):
        raise ValueError(f"{v!r} is not an http(s) address without a query, such as https://help.example.com")
    return v.rstrip("/")


class KbSection(BaseModel):
    """[kb]: the published knowledge base, and whether frames link to it."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    base_url: str | None = Field(
        None, description="public address of the built site (default: [project] base_url)"
    )
    go_url: str | None = Field(
        None, description="public address of storycast serve for /go/ links (default: base_url)"
    )
    link: LinkMode = Field("none", description="what step frames carry: none, short (text) or qr")
    stories: dict[str, LinkMode] = Field(default_factory=dict, description="per-story link overrides")
    deflection_days: int = Field(7, ge=1, le=90, description="days after a story that count towards it")

    @field_validator("base_url")
    @classmethod
    def _base(cls, v: str | None) -> str | None:
        return _http_url(v)

    @field_validator("go_url")
    @classmethod
    def _go(cls, v: str | None) -> str | None:
        return _http_url(v)

    @field_validator("stories")
    @classmethod
    def _stories(cls, v: dict[str, LinkMode]) -> dict[str, LinkMode]:
        for sid in v:
            if not _STORY.match(sid):
                raise ValueError(f"{sid!r} is not a story id (lower-case letters, digits and '-')")
        return v

    @model_validator(mode="after")
    def _needs_address(self) -> KbSection:
        # A frame with a link to nowhere is worse than none: say so at load time.
        if (self.link != "none" or any(m != "none" for m in self.stories.values())) and not (
            self.go_url or self.base_url
        ):
            raise ValueError(
                'link = "short" or "qr" needs an address: set go_url (where storycast serve answers) '
                "or base_url (where the site is published)"
            )
        return self

    def link_mode(self, story: str) -> LinkMode:
        """What the frames of ``story`` carry."""
        return self.stories.get(story, self.link)

    def go_link(self, story: str, lang: str, channel: str | None = None) -> str | None:
        """The short link of ``story``'s article in ``lang`` (None without an address)."""
        root = self.go_url or self.base_url
        if root is None:
            return None
        url = f"{root}/go/{quote(story, safe='')}?l={quote(lang, safe='')}"
        return url + (f"&c={quote(channel, safe='')}" if channel else "")

    def site_url(self, fallback: str | None = None) -> str | None:
        """The site's public address: ``base_url``, else ``fallback`` ([project] base_url)."""
        return self.base_url or (fallback.rstrip("/") if fallback else None)
