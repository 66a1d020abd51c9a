"""The sections of ``storycast.toml`` that belong to no single package: project, brand, render,
state, cache, support hours and the common keys of every ``[channels.NAME]`` table."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ..units import parse_age, parse_size

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def check_color(value: str) -> str:
    if not _COLOR.match(value):
        raise ValueError(f"{value!r} is not a colour; write it as #RRGGBB (for example #2454E6)")
    return value


class ProjectSection(_Section):
    """[project]: who this is and which languages it speaks."""

    name: str = "storycast project"
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    default_language: str = "en"
    timezone: str = "UTC"
    base_url: str | None = None

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        for lang in v:
            if not _LANG.match(lang):
                raise ValueError(f"{lang!r} is not a language code (use BCP 47, such as en, th, sr)")
        if len(set(v)) != len(v):
            raise ValueError("a language is listed twice")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not an IANA time zone (for example Europe/Madrid)") from None
        return v


class BrandSection(_Section):
    """[brand]: colours, font and logo every template can read as ``brand``."""

    name: str = ""
    primary: str = "#2454E6"
    secondary: str = "#0D1B45"
    accent: str = "#FFB547"
    background: str = "#0D1B45"
    surface: str = "#FFFFFF"
    text: str = "#FFFFFF"
    ink: str = "#0D1B45"
    muted: str = "#B9C6F2"
    font: str = "Noto Sans"
    logo: str | None = None
    corner_radius: int = Field(40, ge=0, le=400)

    _c = field_validator("primary", "secondary", "accent", "background", "surface", "text", "ink", "muted")(
        classmethod(lambda cls, v: check_color(v))
    )


class SafeZone(_Section):
    """Platform overlay margins, in pixels at 1080x1920."""

    top: int = Field(250, ge=0)
    bottom: int = Field(340, ge=0)
    left: int = Field(65, ge=0)
    right: int = Field(65, ge=0)


class RenderSection(_Section):
    """[render]: output format and parallelism."""

    width: int = Field(1080, ge=320, le=4096)
    height: int = Field(1920, ge=320, le=4096)
    format: Literal["jpg", "png"] = "jpg"
    quality: int = Field(92, ge=90, le=100)
    out: str = "build"
    jobs: int = Field(1, ge=1, le=64)
    safe_zone: SafeZone = Field(default_factory=SafeZone)
    # Bounds on one frame template's run (see docs/templates.md, "Limits").
    template_timeout: float = Field(10, gt=0, le=600)
    template_max_output: int = Field(1_000_000, ge=10_000, le=100_000_000)
    frame_timeout: float = Field(60, gt=0, le=3600)


class StateSection(_Section):
    """[state]: where the publication ledger lives."""

    db: str | None = None


class CacheSection(_Section):
    """[cache]: limits of the render cache under .storycast/cache/ (see storycast cache prune)."""

    max_size: str = "2GB"
    max_age: str = "60d"
    auto_prune: bool = True

    @field_validator("max_size")
    @classmethod
    def _size(cls, v: str) -> str:
        parse_size(v)
        return v

    @field_validator("max_age")
    @classmethod
    def _age(cls, v: str) -> str:
        parse_age(v)
        return v


_SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SupportHoursSection(_Section):
    """[support_hours]: when human support is live, per weekday, in one time zone."""

    timezone: str | None = None  # default: [project] timezone
    mon: list[str] = Field(default_factory=list)
    tue: list[str] = Field(default_factory=list)
    wed: list[str] = Field(default_factory=list)
    thu: list[str] = Field(default_factory=list)
    fri: list[str] = Field(default_factory=list)
    sat: list[str] = Field(default_factory=list)
    sun: list[str] = Field(default_factory=list)
    holidays: list[str] = Field(default_factory=list)  # ISO dates with no support

    @field_validator(*WEEKDAYS)
    @classmethod
    def _spans(cls, v: list[str]) -> list[str]:
        for span in v:
            m = _SPAN.match(span)
            if not m or (int(m.group(1)), int(m.group(2))) >= (int(m.group(3)), int(m.group(4))):
                raise ValueError(f"{span!r} is not a time span; write it as HH:MM-HH:MM, such as 09:00-18:00")
        return v

    @field_validator("holidays")
    @classmethod
    def _dates(cls, v: list[str]) -> list[str]:
        from datetime import date

        for d in v:
            try:
                date.fromisoformat(d)
            except ValueError:
                raise ValueError(f"{d!r} is not a date; write it as YYYY-MM-DD") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return v if v is None else ProjectSection._tz(v)  # type: ignore[operator]

    def week(self) -> dict[str, list[str]]:
        """Weekday name -> spans, Monday first."""
        return {d: list(getattr(self, d)) for d in WEEKDAYS}

    @property
    def configured(self) -> bool:
        return any(getattr(self, d) for d in WEEKDAYS)


class ChannelSection(BaseModel):
    """[channels.NAME]: one configured channel. Keys beyond ``type`` belong to the channel type."""

    model_config = ConfigDict(extra="allow")
    type: str
    enabled: bool = True
    # Only these languages go to this channel (each must be one of [project] languages; see
    # :func:`.problems.channel_language_problems`); None: every language an entry names.
    languages: list[str] | None = Field(default=None, min_length=1)

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError("a language is listed twice")
        return v

    def takes(self, lang: str) -> bool:
        """Whether this channel takes posts in ``lang``."""
        return self.languages is None or lang in self.languages


def _channel_name(name: str) -> str:
    if not re.match(r"^[a-z0-9][a-z0-9_-]*$", name):
        raise ValueError(f"channel name {name!r} must be lower-case letters, digits, '-' or '_'")
    return name


ChannelName = Annotated[str, AfterValidator(_channel_name)]
