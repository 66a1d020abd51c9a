"""The one plugin manager: built-ins and entry-point plugins load through the same hooks, once.

The hooks are in :mod:`storycast.hookspecs`. :data:`DEFAULT_PLUGINS` are storycast's own plugin
modules; after them come the modules named by entry points in the ``storycast`` group
(``[project.entry-points.storycast] acme = "storycast_acme"``). Nothing loads until a registry is
first asked for something, so ``storycast --help`` never imports pluggy or a plugin.

The built-ins are known by name with the hooks they implement (:data:`BUILTIN_HOOKS`; a test
holds it to the modules). Each is imported and registered the first time one of its hooks is
asked for: checking ``storycast.toml``'s channels (every project load) imports only the channel
types it names (:class:`ChannelOptions`, by :data:`BUILTIN_CHANNEL_TYPES`), not the other
channels, the timetable, content, guard, engine and engagement packages. The order of what a
hook returns is the order of a manager that loaded every plugin at once (built-ins first, in
:data:`DEFAULT_PLUGINS` order, then the entry points); everything that calls hooks directly
(after-tick steps, commands, :func:`manager`, :func:`loaded`) loads every built-in first.

Registries (channel types, content kinds, entry kinds, kind sources, lint rules) are views over
:func:`view`: one dict per hook, built once and rebuilt only when a plugin is added or removed.
A name provided twice by different plugins is a ConfigError naming both.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import ConfigError

if TYPE_CHECKING:
    import pluggy

T = TypeVar("T")

GROUP = "storycast"
BUILTIN = "built-in"
# storycast's own plugins, imported the way entry points are (this is the one data-driven load).
DEFAULT_PLUGINS = (
    "storycast.channels.plugin",
    "storycast.content.plugin",
    "storycast.timetable.plugin",
    "storycast.guard.plugin",
    "storycast.engine.plugin",
    "storycast.engage.plugin",
)
# The hooks each built-in implements (tests/test_plugins.py checks this against the modules).
BUILTIN_HOOKS: dict[str, tuple[str, ...]] = {
    "storycast.channels.plugin": ("register_channel_types", "after_tick"),
    "storycast.content.plugin": ("register_content_kinds",),
    "storycast.timetable.plugin": ("register_entry_kinds",),
    "storycast.guard.plugin": ("register_lint_rules",),
    "storycast.engine.plugin": ("register_kind_sources",),
    "storycast.engage.plugin": (
        "register_content_kinds",
        "register_entry_kinds",
        "register_kind_sources",
        "after_tick",
    ),
}
# The built-in channel types by name ("module:Class"), so loading a project whose channels are all
# built-in imports only the types its storycast.toml names (tests/test_plugins.py checks this
# against what storycast.channels.plugin registers).
BUILTIN_CHANNEL_TYPES: dict[str, str] = {
    "local": "storycast.channels.local:LocalChannel",
    "instagram": "storycast.channels.instagram:InstagramChannel",
    "facebook": "storycast.channels.facebook:FacebookChannel",
    "telegram": "storycast.channels.telegram:TelegramChannel",
    "whatsapp": "storycast.channels.whatsapp:WhatsAppChannel",
    "webhook": "storycast.channels.webhook:WebhookChannel",
    "slack": "storycast.channels.webhook:SlackChannel",
    "discord": "storycast.channels.webhook:DiscordChannel",
    "handoff": "storycast.channels.handoff:HandoffChannel",
}
# register_* hook -> (label in `storycast plugins --json`, the name of a value, what it is called)
_KEYS: dict[str, tuple[str, Callable[[Any], str], str]] = {
    "register_channel_types": ("channel_types", lambda cls: cls.type_name, "channel type"),
    "register_content_kinds": ("content_kinds", lambda kind: kind.name, "content kind"),
    "register_entry_kinds": ("entry_kinds", lambda kind: kind.name, "entry kind"),
    "register_kind_sources": ("kind_sources", lambda pair: pair[0], "publishing source for kind"),
    "register_lint_rules": ("lint_rules", lambda rule: rule.id, "lint rule"),
}
log = logging.getLogger("storycast.plugins")


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin, as ``storycast plugins`` shows it."""

    name: str
    module: str
    builtin: bool
    origin: str  # "built-in" or "plugin NAME (entry point value)"
    distribution: str | None = None
    version: str | None = None
    hooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provided(Generic[T]):
    """A value a hook returned, with the origin of the plugin that returned it."""

    value: T
    origin: str
    plugin: str = ""  # the name of the plugin that provided it ("" for a legacy registration in code)


@dataclass
class _State:
    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)  # plugin name -> info
    # Plugin name -> its place in the load order (built-ins first, then entry points, then add()).
    order: dict[str, int] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # built-ins not imported yet


_lock = threading.RLock()  # worker threads may ask for a registry at the same moment
_state: _State | None = None
_generation = 0
_collected: dict[str, tuple[int, list[Provided[Any]]]] = {}
_views: dict[str, tuple[int, dict[str, Provided[Any]]]] = {}
# Values registered through the deprecated register_* functions, by hook.
_legacy: dict[str, list[Provided[Any]]] = {}
_building: _State | None = None  # the manager being loaded (only the loading thread sees it)
# (name, origin) of the entry point being imported, for legacy registrations made by its import.
_loading: tuple[str, str] | None = None


def manager() -> pluggy.PluginManager:
    """The plugin manager with every plugin registered (built-ins and entry points)."""
    state = _current()
    _register_builtins(state)
    return state.pm


def _current() -> _State:
    state = _state
    if state is None:
        with _lock:
            # _building: a plugin looking something up while it is being imported (same thread).
            state = _state or _building or _load()
    return state


def _load() -> _State:
    global _state, _building
    state = _building = _State(_new_manager())
    try:
        _fill(state)
    finally:
        _building = None
    # Set last: a concurrent caller must not see a half-loaded manager.
    _state = state
    _bump()
    return state


def _new_manager() -> pluggy.PluginManager:
    import pluggy

    from . import hookspecs

    pm = pluggy.PluginManager("storycast")
    pm.add_hookspecs(hookspecs)
    return pm


def _fill(state: _State) -> None:
    global _loading
    from importlib.metadata import entry_points

    import pluggy

    pm = state.pm
    for modname in DEFAULT_PLUGINS:  # imported when one of their hooks is first asked for
        state.order[modname] = len(state.order)
        state.pending.append(modname)
    for ep in entry_points(group=GROUP):
        origin = f"plugin {ep.name} ({ep.value})"
        _loading = (ep.name, origin)
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take storycast down silently
            raise ConfigError(
                f"the storycast plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                hint="upgrade or uninstall that plugin",
            ) from None
        finally:
            _loading = None
        if pm.has_plugin(ep.name) or pm.is_registered(plugin):
            continue  # the same distribution found twice on the path
        try:
            pm.register(plugin, name=ep.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise ConfigError(
                f"the storycast plugin {ep.name!r} ({ep.value}) cannot be used: {exc}",
                hint="upgrade or uninstall that plugin",
            ) from None
        _legacy_register_callback(plugin, pm, origin)
        state.order.setdefault(ep.name, len(state.order))
        dist = ep.dist
        state.infos[ep.name] = PluginInfo(
            ep.name,
            getattr(plugin, "__name__", ep.value),
            False,
            origin,
            dist.name if dist is not None else None,
            dist.version if dist is not None else None,
            _hooks_of(pm, plugin),
        )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise ConfigError(
            f"the storycast plugin {name!r} implements a hook storycast does not have: {exc}",
            hint="upgrade or uninstall that plugin",
        ) from None


def _register_builtins(state: _State, hook: str | None = None) -> None:
    """Import and register the pending built-ins that implement ``hook`` (every one for None)."""
    if not state.pending or (hook is not None and not any(hook in BUILTIN_HOOKS[m] for m in state.pending)):
        return
    import importlib

    with _lock:
        for modname in list(state.pending):
            if hook is not None and hook not in BUILTIN_HOOKS[modname]:
                continue
            state.pending.remove(modname)
            module = importlib.import_module(modname)
            state.pm.register(module, name=modname)
            state.infos[modname] = PluginInfo(
                modname, modname, True, BUILTIN, hooks=_hooks_of(state.pm, module)
            )


def _in_load_order(state: _State, impls: list[Any]) -> list[Any]:
    """``impls`` of one hook in the order a manager that registered every plugin at once keeps
    them: trylast first, tryfirst last, each group in load order."""

    def key(impl: Any) -> tuple[int, int]:
        group = 0 if impl.trylast else 2 if impl.tryfirst else 1
        return group, state.order.get(impl.plugin_name, len(state.order))

    return sorted(impls, key=key)


def _hooks_of(pm: pluggy.PluginManager, plugin: object) -> tuple[str, ...]:
    return tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or []))


def _legacy_register_callback(plugin: object, pm: pluggy.PluginManager, origin: str) -> None:
    # Before the hooks, a plugin module could expose register(callback) for its channel classes.
    register = getattr(plugin, "register", None)
    if callable(register) and not pm.get_hookcallers(plugin):
        register(
            lambda cls: _legacy.setdefault("register_channel_types", []).append(
                Provided(cls, origin, pm.get_name(plugin) or "")
            )
        )


def _bump() -> None:
    global _generation
    _generation += 1


def generation() -> int:
    """A counter that changes whenever the set of plugins (or legacy registrations) changes."""
    _current()
    return _generation


def origin_of(name: str) -> str:
    """The origin text of a registered plugin name."""
    info = _infos().get(name)
    return info.origin if info is not None else f"plugin {name}"


def _infos() -> dict[str, PluginInfo]:
    """Every plugin's info, in load order (imports the built-ins not imported yet)."""
    state = _current()
    _register_builtins(state)
    return dict(sorted(state.infos.items(), key=lambda kv: state.order.get(kv[0], len(state.order))))


def collect(hook: str) -> list[Provided[Any]]:
    """What every plugin returns for the ``register_*`` hook, flattened, in load order.

    A Mapping result gives ``(key, value)`` pairs. Cached until the plugins change.
    """
    state = _current()
    got = _collected.get(hook)
    if got is not None and got[0] == _generation:
        return got[1]
    with _lock:
        _register_builtins(state, hook)
        gen = _generation
        out: list[Provided[Any]] = []
        infos = state.infos
        for impl in _in_load_order(state, getattr(state.pm.hook, hook).get_hookimpls()):
            info = infos.get(impl.plugin_name)
            origin = info.origin if info is not None else f"plugin {impl.plugin_name}"
            try:
                result = impl.function()
            except Exception as exc:
                if info is not None and info.builtin:
                    raise
                raise ConfigError(
                    f"the storycast plugin {impl.plugin_name!r} failed in {hook}: {exc}",
                    hint="upgrade or uninstall that plugin",
                ) from None
            if result is None:
                continue
            items = result.items() if isinstance(result, Mapping) else result
            out.extend(Provided(value, origin, impl.plugin_name) for value in items)
        out.extend(_legacy.get(hook, []))
        _collected[hook] = (gen, out)
        return out


def view(hook: str) -> dict[str, Provided[Any]]:
    """``collect(hook)`` by name; a name given twice by different plugins is a ConfigError.

    The same value from two origins (a built-in class that also calls a legacy ``register_*``)
    counts once, under its first origin. The dict is rebuilt only when the plugins change.
    """
    _current()
    got = _views.get(hook)
    if got is not None and got[0] == _generation:
        return got[1]
    with _lock:
        gen = _generation
        _label, key, what = _KEYS[hook]
        out: dict[str, Provided[Any]] = {}
        for item in collect(hook):
            name = key(item.value)
            first = out.get(name)
            if first is None:
                out[name] = item
            elif first.value is not item.value and first.value != item.value:
                raise ConfigError(
                    f"{what} {name!r} is registered twice: by {first.origin} and by {item.origin}",
                    hint=f"uninstall one of the plugins, or rename its {what}",
                )
        _views[hook] = (gen, out)
        return out


def builtin_channel_type(name: str) -> Any | None:
    """The built-in channel type ``name``, importing only its own module, while no plugin adds
    channel types; None for any other name, or when a plugin does (then ask :func:`view`, which
    loads them all and reports a name registered twice)."""
    if name not in BUILTIN_CHANNEL_TYPES:
        return None
    hook = "register_channel_types"
    state = _current()  # the entry points are loaded; the built-ins may still be pending
    home = "storycast.channels.plugin"
    if home not in state.pending and home not in state.infos:
        return None  # the built-in channels plugin was removed (remove())
    if _legacy.get(hook) or any(hook in info.hooks for info in state.infos.values() if not info.builtin):
        return None
    import importlib

    module, _, cls = BUILTIN_CHANNEL_TYPES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


class ChannelOptions(Mapping[str, Any]):
    """Channel type name -> its ``Options`` model, for checking ``[channels.*]`` tables.

    While no plugin adds channel types, a built-in type is imported only when it is asked for:
    a project that names one type loads one channel module, not nine. Listing the types (the
    hint for an unknown one) or any plugin that registers channel types loads them all through
    :func:`view`, so a name registered twice is still reported."""

    def __init__(self) -> None:
        self._all: dict[str, Any] | None = None

    def _every(self) -> dict[str, Any]:
        if self._all is None:
            self._all = {name: p.value.Options for name, p in view("register_channel_types").items()}
        return self._all

    def __getitem__(self, name: str) -> Any:
        cls = builtin_channel_type(name) if self._all is None else None
        return cls.Options if cls is not None else self._every()[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and self._all is None and builtin_channel_type(name) is not None:
            return True
        return name in self._every()

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())


def loaded() -> list[PluginInfo]:
    """Every loaded plugin, built-ins first, in load order."""
    return list(_infos().values())


def provides(info: PluginInfo) -> dict[str, list[str]]:
    """What ``info`` registered, by kind of thing (``channel_types``, ``lint_rules``, ...), names only."""
    out: dict[str, list[str]] = {}
    for hook, (label, key, _what) in _KEYS.items():
        out[label] = sorted({key(p.value) for p in collect(hook) if p.plugin == info.name})
    out["commands"] = sorted(n for n, (plugin, _origin) in _commands.items() if plugin == info.name)
    return out


def run_after_tick(**kw: Any) -> dict[str, int]:
    """Call every ``after_tick`` hook; each failure is logged and never raised. Returns summed counts."""
    pm = manager()
    counts: dict[str, int] = {}
    for impl in _in_load_order(_current(), pm.hook.after_tick.get_hookimpls()):
        try:
            got: Any = impl.function(**{k: kw[k] for k in impl.argnames})
        except Exception as exc:  # work after the tick must not look like a publishing problem
            log.warning("after-tick step of %s failed: %s", origin_of(impl.plugin_name), exc)
            continue
        for name, n in (got or {}).items():
            counts[name] = counts.get(name, 0) + int(n)
    return counts


_commands: dict[str, tuple[str, str]] = {}  # plugin command name -> (plugin name, origin)


def _names(commands: list[Any], groups: list[Any]) -> list[str]:
    out = [(c.name or c.callback.__name__).lower().replace("_", "-") for c in commands]
    return out + [g.name or g.typer_instance.info.name for g in groups]


def register_commands(app: Any) -> dict[str, str]:
    """Let every plugin add commands to the Typer ``app``; returns command name -> origin.

    A plugin command named like a command ``app`` already has is a ConfigError naming both.
    """
    pm = manager()
    for impl in _in_load_order(_current(), pm.hook.register_commands.get_hookimpls()):
        origin = origin_of(impl.plugin_name)
        n_cmd, n_grp = len(app.registered_commands), len(app.registered_groups)
        before = set(_names(app.registered_commands, app.registered_groups))
        impl.function(app=app)
        added = _names(app.registered_commands[n_cmd:], app.registered_groups[n_grp:])
        for name in added:
            if name in before:
                first = _commands[name][1] if name in _commands else BUILTIN
                raise ConfigError(
                    f"command {name!r} is registered twice: by {first} and by {origin}",
                    hint="uninstall that plugin, or ask its author to rename the command",
                )
            _commands[name] = (impl.plugin_name, origin)
    return {name: origin for name, (_plugin, origin) in _commands.items()}


def add(plugin: object, name: str, origin: str | None = None) -> None:
    """Register a plugin object in this process (tests, embedding applications)."""
    pm = manager()
    with _lock:
        pm.register(plugin, name=name)
        _current().order.setdefault(name, len(_current().order))
        _current().infos[name] = PluginInfo(
            name,
            getattr(plugin, "__name__", type(plugin).__name__),
            False,
            origin or f"plugin {name}",
            hooks=_hooks_of(pm, plugin),
        )
        _bump()


def remove(name: str) -> None:
    """Unregister the plugin ``name`` (added with :func:`add`); unknown names are ignored."""
    pm = manager()
    with _lock:
        if pm.has_plugin(name):
            pm.unregister(name=name)
        _current().infos.pop(name, None)
        _bump()


def reload() -> None:
    """Forget every loaded plugin; the next lookup loads the built-ins and entry points again.

    For tests that install a plugin package while the process runs.
    """
    global _state
    with _lock:
        _state = None
        _collected.clear()
        _views.clear()
        _commands.clear()
        _bump()


def legacy_add(hook: str, value: Any, module: str) -> None:
    """Back end of the deprecated ``register_*`` functions: ``value`` joins ``hook``'s results.

    ``module`` is where the value was defined. storycast's own modules are skipped: their
    plugin modules return them through the hooks already.
    """
    if module.startswith("storycast."):
        return
    warnings.warn(
        f"registering through a function is deprecated; implement the {hook} hook (see docs/plugins.md)",
        DeprecationWarning,
        stacklevel=3,
    )
    # Registered while an entry point imports: that plugin's origin.
    name, origin = _loading or ("", f"plugin {module}" if module else "plugin (registered in code)")
    with _lock:
        _legacy.setdefault(hook, []).append(Provided(value, origin, name))
        _bump()


def legacy_remove(hook: str, match: Callable[[Any], bool]) -> None:
    """Drop legacy registrations of ``hook`` whose value ``match`` accepts."""
    with _lock:
        _legacy[hook] = [p for p in _legacy.get(hook, []) if not match(p.value)]
        _bump()
