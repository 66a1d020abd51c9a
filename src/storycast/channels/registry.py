"""Channel types: a view over the plugin manager's ``register_channel_types`` hook.

Built-ins (``channels/plugin.py``) and entry-point plugins register the same way; see
docs/plugins.md. Plugins load once, lazily, the first time a channel type is looked up. A
duplicate type name fails at start-up with both origins named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .. import plugins
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..context import Context
    from ..project import Project
    from .base import Channel

HOOK = "register_channel_types"


@dataclass(frozen=True)
class Registered:
    cls: type[Channel]
    origin: str  # "built-in" or "plugin <entry point> (<module>)"


_cache: tuple[Any, dict[str, Registered]] | None = None


def register_channel_type(cls: type[Channel], origin: str = "built-in") -> type[Channel]:
    """Deprecated: implement the ``register_channel_types`` hook instead (docs/plugins.md).

    Kept for plugins written before the hooks; usable as a decorator.
    """
    plugins.legacy_add(HOOK, cls, cls.__module__)
    return cls


def channel_types() -> dict[str, Registered]:
    """Every channel type by name (sorted), with where it came from."""
    global _cache
    view = plugins.view(HOOK)
    cache = _cache
    if cache is None or cache[0] is not view:
        cache = _cache = (view, {n: Registered(p.value, p.origin) for n, p in sorted(view.items())})
    return dict(cache[1])


def get_channel_type(type_name: str) -> Registered:
    types = channel_types()
    if type_name not in types:
        import difflib

        close = difflib.get_close_matches(type_name, list(types), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known types: {', '.join(types)}"
        raise ConfigError(f"unknown channel type {type_name!r}", hint=hint)
    return types[type_name]


def open_channel(project: Project, name: str, context: Context) -> Channel:
    """Build the channel ``name`` from [channels.NAME], validating its options."""
    section = project.config.channels.get(name)
    if section is None:
        import difflib

        close = difflib.get_close_matches(name, list(project.config.channels), n=3)
        raise ConfigError(
            f"no channel named {name!r} in storycast.toml",
            hint=(f"did you mean {', '.join(close)}? " if close else "")
            + f"add a [channels.{name}] table with a type",
            file=project.config_path,
        )
    reg = get_channel_type(section.type)
    raw = section.model_dump()
    try:
        options = reg.cls.Options.model_validate(raw)
    except ValidationError:
        # Project.load validated the file already; this is for projects built in code.
        from ..config import channel_problems
        from ..files import read_text

        path = project.config_path
        text = read_text(path, error=ConfigError, what="storycast.toml") if path.is_file() else ""
        problems = channel_problems(name, raw, reg.cls.Options, text=text, path=path, type_name=section.type)
        raise ConfigError(f"[channels.{name}] in {path} is invalid:", problems=problems, file=path) from None
    return reg.cls(name, options, project, context)


def channel_class(type_name: str) -> type[Channel] | None:
    """The channel type ``type_name`` (None if unknown), importing only its module when it is a
    built-in and no plugin adds channel types."""
    cls = plugins.builtin_channel_type(type_name)
    if cls is not None:
        return cls  # type: ignore[no-any-return]
    reg = channel_types().get(type_name)
    return reg.cls if reg is not None else None


def enabled_of_kind(project: Project, base: type[Channel] | str) -> list[str]:
    """The enabled channels whose type is ``base`` or a subclass of it, in storycast.toml order.

    ``base`` may be named ``"module:Class"``: then it is not imported to answer (a project with
    no channel of that kind does not load it)."""
    out: list[str] = []
    for name, section in project.config.channels.items():
        cls = channel_class(section.type) if section.enabled else None
        if cls is None:
            continue
        if isinstance(base, str):
            match = any(f"{k.__module__}:{k.__qualname__}" == base for k in cls.__mro__)
        else:
            match = issubclass(cls, base)
        if match:
            out.append(name)
    return out


def open_channels(project: Project, context: Context) -> dict[str, Channel]:
    return {n: open_channel(project, n, context) for n, s in project.config.channels.items() if s.enabled}
