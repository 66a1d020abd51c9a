"""Channel type registry: built-ins and entry-point plugins register the same way.

Plugins declare ``[project.entry-points.storycast] myplugin = "pkg.module"``; loading the
module calls ``register_channel_type``. Plugins load once, lazily, the first time a channel
type is looked up. A duplicate type name fails at start-up with both origins named.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..context import Context
    from ..project import Project
    from .base import Channel

# Built-in channel modules; each calls register_channel_type at import.
BUILTIN_MODULES = (
    "storycast.channels.local",
    "storycast.channels.instagram",
    "storycast.channels.facebook",
    "storycast.channels.telegram",
    "storycast.channels.whatsapp",
    "storycast.channels.webhook",
    "storycast.channels.handoff",
)


@dataclass(frozen=True)
class Registered:
    cls: type[Channel]
    origin: str  # "built-in" or "plugin <dist>:<entry point>"


_TYPES: dict[str, Registered] = {}
_loaded = False
# Worker threads may look up channel types at the same moment; plugins must load once, fully.
_load_lock = threading.RLock()


def register_channel_type(cls: type[Channel], origin: str = "built-in") -> type[Channel]:
    """Register a Channel subclass under ``cls.type_name`` (usable as a decorator)."""
    name = cls.type_name
    if name in _TYPES and _TYPES[name].cls is not cls:
        raise ConfigError(
            f"channel type {name!r} is registered twice: by {_TYPES[name].origin} and by {origin}",
            hint="uninstall one of the plugins, or rename its channel type",
        )
    _TYPES[name] = Registered(cls, origin)
    return cls


def _load() -> None:
    if _loaded:
        return
    with _load_lock:
        if not _loaded:
            _load_locked()


def _load_locked() -> None:
    global _loaded
    for mod in BUILTIN_MODULES:
        if importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod)
    from importlib.metadata import entry_points

    for ep in entry_points(group="storycast"):
        before = set(_TYPES)
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin must not take storycast down silently
            raise ConfigError(
                f"the storycast plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                hint="upgrade or uninstall that plugin",
            ) from None
        for name in set(_TYPES) - before:
            _TYPES[name] = Registered(_TYPES[name].cls, f"plugin {ep.name} ({ep.value})")
        register = getattr(module, "register", None)
        if callable(register) and not (set(_TYPES) - before):
            register(lambda cls, _ep=ep: register_channel_type(cls, f"plugin {_ep.name} ({_ep.value})"))
    # Set last: a concurrent caller must not see a half-loaded registry.
    _loaded = True


def channel_types() -> dict[str, Registered]:
    _load()
    return dict(sorted(_TYPES.items()))


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


def open_channels(project: Project, context: Context) -> dict[str, Channel]:
    return {n: open_channel(project, n, context) for n, s in project.config.channels.items() if s.enabled}
