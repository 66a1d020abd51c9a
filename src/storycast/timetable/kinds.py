"""Entry kinds: the registry of occurrence producers.

An entry in a schedule file names its kind by the key that carries its reference::

    - story: reset-router      # kind "story", ref "reset-router"
    - qa: weekly-qa            # kind "qa" (registered by storycast.engage), ref "weekly-qa"

Each kind is an :class:`EntryKind`. The loader asks it which refs exist (and which languages
each declares), which extra keys it accepts, and, for events that carry their own time, a
default trigger. The timetable asks it to *produce* occurrences of an entry inside a UTC window;
a kind may produce several per firing (a Q&A event: T-24h, T-1h, live, recap).

A plugin registers its kinds through the ``register_entry_kinds`` hook (docs/plugins.md);
``story`` comes from ``timetable/plugin.py``, ``qa`` and ``poll`` from ``engage/plugin.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import StorycastError
from .model import Entry, Occurrence, Trigger
from .variants import slot_time, variant_of
from .zones import local_key, resolve

if TYPE_CHECKING:
    from ..project import Project
    from ..yamlsrc import PosDict


class EntryKind:
    """Base class of an entry kind. Subclasses set ``name`` and implement :meth:`refs`."""

    #: The entry key that names this kind and carries the ref (``story:``).
    name: ClassVar[str] = ""
    #: Extra entry keys this kind accepts (validated by :meth:`parse_options`).
    option_keys: ClassVar[frozenset[str]] = frozenset()
    #: Whether an entry must have ``at:`` or ``cron:`` (False when :meth:`default_trigger` can supply one).
    needs_trigger: ClassVar[bool] = True

    def refs(self, project: Project) -> Mapping[str, Sequence[str]]:
        """Every valid ref of this kind, mapped to the languages it declares."""
        raise NotImplementedError

    def label(self, ref: str, project: Project) -> str:
        """Default human label of an entry (``label:`` in the file overrides it)."""
        return ref

    def default_trigger(self, ref: str, project: Project) -> Trigger | None:
        """A trigger taken from the referenced content (an event's own time), or None."""
        return None

    def parse_options(self, data: PosDict, file: Path) -> tuple[dict[str, Any], list[StorycastError]]:
        """Validate this kind's extra keys; return (options, problems). The default copies them."""
        return {k: data[k] for k in self.option_keys if k in data}, []

    def produce(self, entry: Entry, start_utc: datetime, end_utc: datetime) -> Iterable[Occurrence]:
        """Occurrences of ``entry`` that may be due in [start_utc, end_utc).

        The default yields one occurrence per firing, after the blackout policy. It may yield
        occurrences outside the window and duplicates of one key; the timetable filters them,
        keeping the first of each key, in the order yielded.
        """
        # A variant's time slot may also move a firing earlier in its day.
        early = timedelta(hours=26) if entry.variants else timedelta(0)
        for naive, local in entry.triggers(start_utc - entry.max_delay, end_utc + early):
            variant = variant_of(entry, naive)
            if variant is not None and variant.at is not None:
                naive = slot_time(variant, naive)
                local = resolve(naive, entry.zone)
            due = entry.place(local)
            if due is None:
                continue
            extra: dict[str, Any] = {}
            if due != local:
                extra = {"moved_from": local_key(naive), "reason": "blackout"}
            elif local.minute != naive.minute or local.hour != naive.hour:
                extra = {"moved_from": local_key(naive), "reason": "dst-gap"}
            if variant is None:
                yield entry.occurrence(due, extra=extra)
                continue
            yield entry.occurrence(
                due, extra={**extra, "variant": variant.name}, ref=variant.story, label=variant.label
            )


#: What a story entry's ``format:`` may say: its frames as images, or its video (MP4 parts).
STORY_FORMATS = ("frames", "video")


class StoryKind(EntryKind):
    """``story: ID``: publish a tutorial story (all its frames, or its video) once per firing.

    ``format: frames | video`` chooses; without it each channel's ``format`` option does
    (default frames). The choice travels in the occurrence's ``extra`` as ``format``.
    """

    name = "story"
    option_keys = frozenset({"format"})

    def refs(self, project: Project) -> Mapping[str, Sequence[str]]:
        return {sid: tuple(s.languages) for sid, s in project.content.stories.items()}

    def parse_options(self, data: PosDict, file: Path) -> tuple[dict[str, Any], list[StorycastError]]:
        options, problems = super().parse_options(data, file)
        fmt = options.get("format")
        if fmt is not None and fmt not in STORY_FORMATS:
            from ..content.validate import locate

            line, col = locate(data, ("format",))
            problems.append(
                StorycastError(
                    f"format: {fmt!r} is not a story format",
                    hint="write `format: frames` (the frames as images) or `format: video` (the story's "
                    "MP4); leave it out to use each channel's format option",
                    file=file,
                    line=line,
                    column=col,
                )
            )
            options.pop("format")
        return options, problems

    def produce(self, entry: Entry, start_utc: datetime, end_utc: datetime) -> Iterable[Occurrence]:
        fmt = entry.options.get("format")
        for occ in super().produce(entry, start_utc, end_utc):
            yield replace(occ, extra=MappingProxyType({**occ.extra, "format": fmt})) if fmt else occ


HOOK = "register_entry_kinds"
_cache: tuple[Any, dict[str, EntryKind]] | None = None


def register_entry_kind(kind: EntryKind) -> None:
    """Deprecated: implement the ``register_entry_kinds`` hook instead (docs/plugins.md)."""
    if not kind.name:
        raise ValueError("an entry kind needs a name")
    from .. import plugins

    plugins.legacy_add(HOOK, kind, type(kind).__module__)


def unregister_entry_kind(name: str) -> None:
    """Deprecated: remove a kind added with :func:`register_entry_kind`; unknown names are ignored."""
    from .. import plugins

    plugins.legacy_remove(HOOK, lambda kind: kind.name == name)


def entry_kinds() -> Mapping[str, EntryKind]:
    """The registered kinds, by name."""
    global _cache
    from .. import plugins

    view = plugins.view(HOOK)
    cache = _cache
    if cache is None or cache[0] is not view:
        cache = _cache = (view, {n: p.value for n, p in view.items()})
    return cache[1]


def get_entry_kind(name: str) -> EntryKind:
    """The kind called ``name``; KeyError when none is registered."""
    return entry_kinds()[name]
