"""The ``[i18n]`` section of storycast.toml: the translation workflow (docs/translation.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .sections import _LANG


class I18nSection(BaseModel):
    """[i18n]: which language translators translate from, and how much a stale translation weighs."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    source_language: str | None = Field(
        None, description="the language stories are written in (default: [project] default_language)"
    )
    stale: Literal["warning", "error", "off"] = Field(
        "warning",
        description="what lint makes of a translation whose source text changed after it was made; "
        "error holds the item back from publishing",
    )
    lock_file: str = Field("translations.lock", description="fingerprints of the translated source texts")

    @field_validator("source_language")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        if v is not None and not _LANG.match(v):
            raise ValueError(f"{v!r} is not a language code (use BCP 47, such as en, th, sr)")
        return v

    @field_validator("lock_file")
    @classmethod
    def _lock(cls, v: str) -> str:
        if not v or v.startswith(("/", "\\", "~")) or ".." in v.replace("\\", "/").split("/"):
            raise ValueError(f"{v!r} must be a file name inside the project, such as translations.lock")
        return v
