"""The typed ``storycast.toml`` schema.

Every key is documented in docs/configuration.md (a test checks that). Loading validates the
whole file and reports every problem at once, each with its file, line and key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import tomlsrc
from .engine.config import EngineSection
from .errors import ConfigError, StorycastError
from .files import read_text
from .guard.config import GuardConfig
from .units import parse_age, parse_size

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


def _channel_name(name: str) -> str:
    if not re.match(r"^[a-z0-9][a-z0-9_-]*$", name):
        raise ValueError(f"channel name {name!r} must be lower-case letters, digits, '-' or '_'")
    return name


ChannelName = Annotated[str, AfterValidator(_channel_name)]


class Config(_Section):
    """The whole storycast.toml."""

    project: ProjectSection = Field(default_factory=ProjectSection)
    brand: BrandSection = Field(default_factory=BrandSection)
    render: RenderSection = Field(default_factory=RenderSection)
    state: StateSection = Field(default_factory=StateSection)
    cache: CacheSection = Field(default_factory=CacheSection)
    channels: dict[ChannelName, ChannelSection] = Field(default_factory=dict)
    support_hours: SupportHoursSection = Field(default_factory=SupportHoursSection)
    guard: GuardConfig = Field(default_factory=GuardConfig)
    engine: EngineSection = Field(default_factory=EngineSection)


def _unwrap(annotation: Any) -> Any:
    """The model inside ``X | None`` or ``Annotated[X, ...]``, or the annotation itself."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, UnionType):
        for arg in get_args(annotation):
            inner = _unwrap(arg)
            if get_origin(inner) in (dict, list) or (
                isinstance(inner, type) and issubclass(inner, BaseModel)
            ):
                return inner
    return annotation


def known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys the table at ``loc`` (a path inside ``model``) accepts; [] when unknown."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = _unwrap(field.annotation)
        elif get_origin(current) is dict:  # dict[str, Model]: this part is the key
            current = _unwrap(get_args(current)[1])
        elif get_origin(current) is list:  # list[Model]: this part is the index
            current = _unwrap(get_args(current)[0])
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unknown_key_hint(key: str, known: list[str], docs: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}? (or remove the line; every key is in {docs})"
    if known:
        shown = ", ".join(known[:14]) + (", ..." if len(known) > 14 else "")
        return f"remove it; this table takes: {shown} (see {docs})"
    return f"remove it, or check its spelling against {docs}"


def problems_from(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    prefix: tuple[str, ...],
    text: str,
    path: Path,
    docs: str = "docs/configuration.md",
) -> list[StorycastError]:
    """One StorycastError per pydantic error, each with its key, line, column and a fix."""
    out: list[StorycastError] = []
    for err in exc.errors():
        rel = tuple(err["loc"])
        if rel and rel[-1] == "[key]":  # a bad table name (pydantic marks dict keys so)
            rel = rel[:-1]
        loc = (*prefix, *rel)
        key = ".".join(str(k) for k in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
            hint = _unknown_key_hint(str(rel[-1]), known_keys(model, rel[:-1]), docs)
        elif err["type"] == "missing":
            table = ".".join(str(k) for k in loc[:-1])
            hint = f"add {rel[-1]} = ... to [{table}]" if table else f"add {rel[-1]} = ... to the file"
        elif err["type"] == "secret_literal":
            var = "_".join(str(k) for k in loc[1:]).upper().replace("-", "_")
            hint = (
                f'keep the secret out of the file: export {var}=... and write {rel[-1]} = "env:{var}" '
                "(or file:PATH, keyring:SERVICE/NAME); it has been saved in a file, so revoke it "
                "and use a new one"
            )
        elif err["type"] in ("model_type", "dict_type"):
            hint = f"{key} is a table: write a [{key}] header with its keys below it"
        else:
            hint = f"see {key} in {docs}"
        line, column = tomlsrc.position(text, loc)
        out.append(StorycastError(f"{key}: {msg}", hint=hint, file=path, line=line, column=column))
    return out


def channel_problems(
    name: str,
    section: Any,
    options: type[BaseModel],
    *,
    text: str,
    path: Path,
    type_name: str,
) -> list[StorycastError]:
    """Problems of one [channels.NAME] table against its channel type's ``Options`` model."""
    try:
        options.model_validate(section)
    except ValidationError as exc:
        return problems_from(
            exc,
            model=options,
            prefix=("channels", name),
            text=text,
            path=path,
            docs=f"the {type_name} page in docs/channels/",
        )
    return []


#: Channel type name -> its ``Options`` model; called only when the file has channels.
ChannelTypes = Callable[[], Mapping[str, type[BaseModel]]]


def _channels_problems(
    raw: dict[str, Any], channel_types: ChannelTypes, text: str, path: Path, reported: set[str]
) -> list[StorycastError]:
    channels = raw.get("channels")
    if not isinstance(channels, dict) or not channels:
        return []
    types = channel_types()
    out: list[StorycastError] = []
    for name, section in channels.items():
        if not isinstance(section, dict) or not isinstance(section.get("type"), str):
            continue  # the base schema reports it
        type_name = section["type"]
        if type_name not in types:
            close = difflib.get_close_matches(type_name, list(types), n=1)
            line, column = tomlsrc.position(text, ("channels", name, "type"))
            out.append(
                StorycastError(
                    f"channels.{name}.type: unknown channel type {type_name!r}",
                    hint=(f"did you mean {close[0]}? " if close else "")
                    + f"known types: {', '.join(types)} (a plugin may add more: "
                    "`storycast channels list` shows what is installed)",
                    file=path,
                    line=line,
                    column=column,
                )
            )
            continue
        for problem in channel_problems(
            name, section, types[type_name], text=text, path=path, type_name=type_name
        ):
            key = problem.message.partition(":")[0]
            if key not in reported:  # type and enabled are checked by the base schema too
                out.append(problem)
    return out


def parse(text: str, path: Path, channel_types: ChannelTypes | None = None) -> Config:
    """Validate TOML text; raise one ConfigError listing every problem.

    ``channel_types``: when given, every [channels.NAME] table is also checked against its
    channel type's options (unknown keys, literal secrets, bad values).
    """
    raw = tomlsrc.loads(text, path)
    problems: list[StorycastError] = []
    config: Config | None = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from(exc, model=Config, prefix=(), text=text, path=path)
    if channel_types is not None:
        reported = {p.message.partition(":")[0] for p in problems}
        problems += _channels_problems(raw, channel_types, text, path, reported)
    if problems or config is None:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        n = len(problems)
        raise ConfigError(f"{path} has {n} problem{'s' if n != 1 else ''}:", problems=problems, file=path)
    return config


def load(path: Path, channel_types: ChannelTypes | None = None) -> Config:
    """Read and validate storycast.toml (see :func:`parse`); unreadable files are ConfigErrors too."""
    if not path.exists() and not path.is_symlink():
        raise ConfigError(f"no storycast.toml at {path}", hint="run `storycast init DIR` to create a project")
    text = read_text(path, error=ConfigError, what="storycast.toml")
    return parse(text, path, channel_types)
