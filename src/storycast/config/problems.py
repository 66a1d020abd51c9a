"""Validation problems as StorycastErrors, each with its key, file, line, column and a fix.

Used for ``storycast.toml`` as a whole, for a channel type's options and for content files.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .. import tomlsrc
from ..errors import StorycastError


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
        key = ".".join(str(k + 1) if isinstance(k, int) else str(k) for k in loc)  # items count from 1
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


def channel_language_problems(
    channels: Mapping[str, Any], project_languages: Sequence[str], text: str, path: Path
) -> list[StorycastError]:
    """A channel's ``languages`` that the project does not declare, each with a did-you-mean."""
    out: list[StorycastError] = []
    known = list(project_languages)
    for name, section in channels.items():
        for lang in getattr(section, "languages", None) or ():
            if lang in known:
                continue
            close = difflib.get_close_matches(lang, known, n=1, cutoff=0.5)
            line, column = tomlsrc.position(text, ("channels", name, "languages"))
            out.append(
                StorycastError(
                    f"channels.{name}.languages: {lang!r} is not one of the project's languages",
                    hint=(f"did you mean {close[0]}? " if close else "")
                    + f"[project] languages are {', '.join(known)}; add it there first, or remove "
                    f"it from [channels.{name}] languages",
                    file=path,
                    line=line,
                    column=column,
                )
            )
    return out
