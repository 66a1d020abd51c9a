"""Parse ``schedules/*.yaml`` into validated :class:`Entry` objects, reporting every problem at once.

A schedule file::

    timezone: Europe/Madrid          # optional, default [project] timezone
    defaults:                        # optional, applied to every entry that does not set the key
      channels: [local]
      blackout: "22:00-07:00"
    entries:
      - story: reset-router
        cron: "30 9 * * 1-5"
        languages: [es, en]

The keys are documented in docs/schedules.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import yamlsrc
from ..errors import ContentError, ScheduleError, StorycastError
from ..yamlsrc import PosDict, PosList
from .cron import CronSyntaxError, parse_cron
from .kinds import EntryKind, entry_kinds
from .model import AtTrigger, CronTrigger, Entry, EveryTrigger, Trigger
from .variants import MAX_VARIANTS, NAME, VARIANT_KEYS, Variant, default_name
from .zones import (
    Blackout,
    UnknownZoneError,
    get_zone,
    parse_bound,
    parse_date,
    parse_duration,
    parse_local_datetime,
    parse_time_of_day,
)

if TYPE_CHECKING:
    from ..project import Project

DEFAULT_GRACE = timedelta(minutes=15)
MAX_GRACE = timedelta(days=7)  # the engine's lookback after downtime (engine.materialize.LOOKBACK_CAP)
MAX_EVERY = timedelta(days=3660)  # ten years, as far as `storycast plan --days` lists
EVERY_HINT = "an interval like every: 90m, 12h or 2d, with start: the first publication"

FILE_KEYS = frozenset({"timezone", "defaults", "entries"})
# Keys every entry kind accepts. "defaults:" may set any of them except the identity/trigger ones.
COMMON_KEYS = frozenset(
    {
        "id",
        "at",
        "cron",
        "every",
        "timezone",
        "start",
        "until",
        "except",
        "grace",
        "blackout",
        "blackout_policy",
        "channels",
        "languages",
        "label",
        "enabled",
        "variants",
    }
)
NOT_DEFAULTABLE = frozenset({"id", "at", "cron", "every", "label", "variants"})
TRIGGER_KEYS = ("at", "cron", "every")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def schedule_files(project: Project) -> list[Path]:
    """``schedules/*.yaml`` and ``*.yml``, sorted (not recursive: the file stem is part of entry keys)."""
    folder = project.schedules_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


class _Collector:
    """Gathers problems for one file, each pointing at the YAML node it is about."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.problems: list[StorycastError] = []

    def add(
        self, message: str, node: Any = None, key: str | int | None = None, hint: str | None = None
    ) -> None:
        pos = yamlsrc.where(node, key) if node is not None else None
        self.problems.append(
            StorycastError(
                message,
                hint=hint,
                file=self.file,
                line=pos.line if pos else None,
                column=pos.column if pos else None,
            )
        )


def _suggest(value: str, choices: Iterable[str], what: str) -> str:
    choices = sorted(choices)
    close = difflib.get_close_matches(value, choices, n=3)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    if not choices:
        return f"there are no {what} yet"
    shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    return f"known {what}: {shown}"


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    return None


class _EntryReader:
    """Validates one entry (merged with the file's defaults) and builds an Entry."""

    def __init__(
        self,
        data: PosDict,
        defaults: PosDict | None,
        file_tz: str,
        rel: str,
        project: Project,
        out: _Collector,
        broken_refs: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.data = data
        self.defaults = defaults
        self.file_tz = file_tz
        self.rel = rel
        self.project = project
        self.out = out
        self.ok = True
        # Content ids whose file is broken (tolerant loading): the entry stays, its rows wait.
        self.broken_refs = broken_refs or {}

    def get(self, key: str) -> tuple[Any, Any]:
        """(value, node the value came from) from the entry, then the defaults."""
        if key in self.data:
            return self.data[key], self.data
        if self.defaults is not None and key in self.defaults and key not in NOT_DEFAULTABLE:
            return self.defaults[key], self.defaults
        return None, None

    def fail(
        self, message: str, node: Any = None, key: str | int | None = None, hint: str | None = None
    ) -> None:
        self.ok = False
        self.out.add(message, node if node is not None else self.data, key, hint)

    def kind(self, kinds: dict[str, EntryKind]) -> tuple[EntryKind, str] | None:
        named = [k for k in self.data if k in kinds]
        if len(named) != 1:
            if named:
                self.fail(
                    f"an entry names {len(named)} kinds ({', '.join(named)}); it can have only one",
                    hint="split it into one entry per story, event or poll",
                )
            else:
                self.fail(
                    "this entry does not say what to publish",
                    hint="add one of: " + ", ".join(f"{k}: ID" for k in sorted(kinds)),
                )
            return None
        kind = kinds[named[0]]
        ref = self.data[kind.name]
        if not isinstance(ref, str) or not ref:
            self.fail(
                f"{kind.name}: must be an id (text)",
                self.data,
                kind.name,
                hint=f"write the id from its file in stories/, like {kind.name}: reset-router",
            )
            return None
        return kind, ref

    def unknown_keys(self, kind: EntryKind | None, kinds: dict[str, EntryKind]) -> None:
        allowed = COMMON_KEYS | set(kinds) | (kind.option_keys if kind else frozenset())
        for key in self.data:
            if key not in allowed:
                self.fail(f"unknown key {key!r}", self.data, key, hint=_suggest(key, allowed, "keys"))
        # Keys in defaults are checked once per file (see _load_file).

    def trigger(self, kind: EntryKind, ref: str) -> Trigger | None:
        given = [k for k in TRIGGER_KEYS if k in self.data]
        if len(given) > 1:
            self.fail(
                f"an entry has one of at: (once), cron: or every: (repeating), not {' and '.join(given)}",
                self.data,
                given[1],
            )
            return None
        if given == ["at"]:
            try:
                return AtTrigger(parse_local_datetime(self.data["at"]))
            except ValueError as exc:
                self.fail(
                    f"at: {exc}", self.data, "at", hint='a local time like at: "2026-12-01T10:00" (no offset)'
                )
                return None
        if given == ["cron"]:
            try:
                return CronTrigger(parse_cron(self.data["cron"]))
            except CronSyntaxError as exc:
                self.fail(f"cron: {exc.message}", self.data, "cron", hint=exc.hint)
                return None
        if given == ["every"]:
            return self.every()
        default = kind.default_trigger(ref, self.project)
        if default is None and ref in self.broken_refs:
            return None  # the time is in the broken file; its error is reported with the content's
        if default is None:
            self.fail(
                "this entry has no time",
                hint='add at: "2026-12-01T10:00" (once), cron: "30 9 * * 1-5" or every: 2d (repeating)',
            )
        return default

    def every(self) -> Trigger | None:
        try:
            step = parse_duration(self.data["every"])
        except ValueError as exc:
            self.fail(f"every: {exc}", self.data, "every", hint=EVERY_HINT)
            return None
        if step < timedelta(minutes=1) or step % timedelta(minutes=1):
            self.fail(
                "every: must be a whole number of minutes, at least 1m", self.data, "every", hint=EVERY_HINT
            )
            return None
        if step > MAX_EVERY:
            self.fail(
                f"every: {self.data['every']} is longer than {MAX_EVERY.days}d",
                self.data,
                "every",
                hint='for a yearly date use cron:, like "0 10 1 12 *" (10:00 every 1 December)',
            )
            return None
        start, _ = self.get("start")
        if start is None:
            self.fail(
                "every: needs start: (the first publication)",
                self.data,
                "every",
                hint='add start: "2026-12-01T10:00"; it is repeated every interval from there',
            )
            return None
        try:
            anchor = parse_bound(start, end=False)
        except ValueError:
            return None  # bounds() reports the bad start: value
        return EveryTrigger(anchor, step)

    def timezone(self) -> str:
        value, node = self.get("timezone")
        if value is None:
            return self.file_tz
        try:
            get_zone(value if isinstance(value, str) else "")
        except UnknownZoneError as exc:
            self.fail(f"timezone: {exc.message}", node, "timezone", hint=exc.hint)
            return self.file_tz
        return str(value)

    def names(self, key: str, allowed: Iterable[str], what: str, hint_extra: str) -> tuple[str, ...] | None:
        value, node = self.get(key)
        if value is None:
            return None
        items = _as_list(value)
        if not items:
            self.fail(
                f"{key}: must be a non-empty list, like [{next(iter(allowed), 'x')}]",
                node,
                key,
                hint=f"list at least one, or remove {key}: to use the default",
            )
            return ()
        allowed = set(allowed)
        out: list[str] = []
        for i, item in enumerate(items):
            where = (value, i) if isinstance(value, PosList) else (node, key)
            if not isinstance(item, str):
                self.fail(
                    f"{key}: {item!r} is not a name",
                    where[0],
                    where[1],
                    hint="write names as text, like [local]",
                )
            elif item not in allowed:
                close = difflib.get_close_matches(item, sorted(allowed), n=3)
                hint = f"did you mean {' or '.join(close)}? " if close else ""
                self.fail(f"{key}: unknown {what} {item!r}", where[0], where[1], hint=hint + hint_extra)
            elif item not in out:
                out.append(item)
        return tuple(out)

    def duration(self, key: str, default: timedelta) -> timedelta:
        value, node = self.get(key)
        if value is None:
            return default
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(f"{key}: {exc}", node, key, hint="durations look like 90s, 15m, 2h, 1h30m or 1d")
            return default

    def bounds(self) -> tuple[Any, Any]:
        bounds: list[Any] = []
        for key, end in (("start", False), ("until", True)):
            value, node = self.get(key)
            try:
                bounds.append(None if value is None else parse_bound(value, end=end))
            except ValueError as exc:
                self.fail(
                    f"{key}: {exc}",
                    node,
                    key,
                    hint='a date or local time, like 2026-12-01 or "2026-12-01T10:00"',
                )
                bounds.append(None)
        start, until = bounds
        if start is not None and until is not None and until <= start:
            self.fail(
                "until: is before start:", *self.get("until")[1:], "until", hint="swap them, or remove until:"
            )
        return start, until

    def except_dates(self) -> frozenset[date]:
        value, node = self.get("except")
        if value is None:
            return frozenset()
        items = _as_list(value)
        if items is None:
            self.fail(
                "except: must be a list of dates, like [2026-12-25, 2027-01-01]",
                node,
                "except",
                hint="write each date as YYYY-MM-DD",
            )
            return frozenset()
        out: set[date] = set()
        for i, item in enumerate(items):
            try:
                out.add(parse_date(item))
            except ValueError as exc:
                where = (value, i) if isinstance(value, PosList) else (node, "except")
                self.fail(f"except: {exc}", where[0], where[1], hint="write each date as YYYY-MM-DD")
        return frozenset(out)

    def blackouts(self) -> tuple[tuple[Blackout, ...], Literal["move", "skip"]]:
        value, node = self.get("blackout")
        policy_value, policy_node = self.get("blackout_policy")
        policy: Literal["move", "skip"] = "move"
        if policy_value is not None:
            if policy_value in ("move", "skip"):
                policy = policy_value
            else:
                self.fail(
                    f"blackout_policy: {policy_value!r} is not a policy",
                    policy_node,
                    "blackout_policy",
                    hint="use move (publish when the blackout ends, the default) or skip",
                )
        if value is None:
            return (), policy
        items = _as_list(value) or [value]
        out: list[Blackout] = []
        for i, item in enumerate(items):
            try:
                out.append(Blackout.parse(item))
            except ValueError as exc:
                where = (value, i) if isinstance(value, PosList) else (node, "blackout")
                self.fail(
                    f"blackout: {exc}",
                    where[0],
                    where[1],
                    hint='hours in the entry\'s zone, like blackout: "22:00-08:00"',
                )
        if out and _always_dark(tuple(out)):
            self.fail(
                "blackout: these hours cover the whole day, so nothing could publish",
                node,
                "blackout",
                hint='leave some hours open, like blackout: "22:00-08:00"',
            )
        return tuple(out), policy

    def read(self, kinds: dict[str, EntryKind], stem: str) -> Entry | None:
        chosen = self.kind(kinds)
        self.unknown_keys(chosen[0] if chosen else None, kinds)
        if chosen is None:
            return None
        kind, ref = chosen
        refs = dict(kind.refs(self.project))
        if ref not in refs and ref in self.broken_refs:
            # Its file is broken: keep the entry (with the languages the file seems to declare)
            # so its posts wait for the fix instead of leaving the schedule.
            refs[ref] = self.broken_refs[ref] or tuple(self.project.languages)
        ref_known = ref in refs
        if not ref_known:
            self.fail(
                f"{kind.name}: no {kind.name} with id {ref!r}",
                self.data,
                kind.name,
                hint=_suggest(ref, refs, f"{kind.name} ids"),
            )
        trigger = self.trigger(kind, ref) if ref_known or any(k in self.data for k in TRIGGER_KEYS) else None
        tz = self.timezone()
        channels = self.names(
            "channels",
            self.project.config.channels,
            "channel",
            "configured channels: "
            + (", ".join(sorted(self.project.config.channels)) or "none")
            + " ([channels.NAME] in storycast.toml)",
        )
        if channels is None:
            self.fail("this entry has no channels", hint="add channels: [local] (names from storycast.toml)")
        languages: tuple[str, ...] | None = None
        if ref_known:
            declared = refs[ref]
            languages = self.names(
                "languages", declared, "language", f"{ref} declares {', '.join(declared)}; add it there first"
            )
            if languages is None:
                languages = tuple(declared)
        grace = self.duration("grace", DEFAULT_GRACE)
        if grace > MAX_GRACE:
            self.fail(
                f"grace: {self.get('grace')[0]} is longer than {MAX_GRACE.days}d",
                self.get("grace")[1],
                "grace",
                hint="a post that late is not worth sending; after downtime the engine looks back "
                f"{MAX_GRACE.days} days at most",
            )
        start, until = self.bounds()
        excepts = self.except_dates()
        blackouts, policy = self.blackouts()
        label, _ = self.get("label")
        if label is not None and not isinstance(label, str):
            self.fail("label: must be text", self.data, "label", hint='quote it, like label: "Monday tip"')
        enabled, enabled_node = self.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            self.fail(
                "enabled: must be true or false",
                enabled_node,
                "enabled",
                hint="enabled: false switches the entry off; remove the key to keep it on",
            )
        options, option_problems = kind.parse_options(self.data, self.out.file)
        if option_problems:
            self.ok = False
            self.out.problems.extend(option_problems)
        variants = self.variants(kind, refs, trigger, languages, label)
        key = self.entry_key(stem, ref, trigger, tz)
        if not self.ok or trigger is None or languages is None or channels is None or key is None:
            return None
        if enabled is False:
            return None
        return Entry(
            key=key,
            kind=kind.name,
            ref=ref,
            tz=tz,
            trigger=trigger,
            channels=channels,
            languages=languages,
            grace=grace,
            label=label if isinstance(label, str) else kind.label(ref, self.project),
            source=f"{self.rel}:{self.data.pos.line}",
            start=start,
            until=until,
            except_dates=excepts,
            blackouts=blackouts,
            blackout_policy=policy,
            options=options,
            variants=variants,
        )

    def variants(
        self,
        kind: EntryKind,
        refs: Mapping[str, Any],
        trigger: Trigger | None,
        languages: tuple[str, ...] | None,
        label: Any,
    ) -> tuple[Variant, ...]:
        """``variants:``: at least two ways to publish this entry, taken in turn (see .variants)."""
        value = self.data.get("variants")
        if value is None:
            return ()
        example = 'variants: [{name: morning}, {name: evening, at: "18:30"}]'
        if kind.name != "story":
            self.fail(
                f"variants: are for story entries; this is a {kind.name}: entry",
                self.data,
                "variants",
                hint="remove variants:, or put them on a story: entry",
            )
            return ()
        if not isinstance(value, PosList) or len(value) < 2:
            self.fail(
                "variants: must be a list of at least two variants",
                self.data,
                "variants",
                hint=f"write each variant as a mapping, like {example}",
            )
            return ()
        if len(value) > MAX_VARIANTS:
            self.fail(
                f"variants: has {len(value)} variants; at most {MAX_VARIANTS} are allowed",
                self.data,
                "variants",
                hint="compare a few variants at a time; each needs several occurrences to measure",
            )
            return ()
        if isinstance(trigger, AtTrigger):
            self.fail(
                "variants: alternate across the occurrences of a repeating entry; this one has at: (once)",
                self.data,
                "variants",
                hint='use cron: (like cron: "0 10 * * 1-5") or every: with start:',
            )
            return ()
        out: list[Variant] = []
        for i, item in enumerate(value):
            got = self._variant(i, item, value, kind, refs, languages, label)
            if got is not None:
                if any(v.name == got.name for v in out):
                    self.fail(
                        f"variants: the name {got.name!r} is used twice",
                        item if isinstance(item, PosDict) else value,
                        "name" if isinstance(item, PosDict) else i,
                        hint="give each variant its own name: (the report compares them by name)",
                    )
                out.append(got)
        return tuple(out)

    def _variant(
        self,
        i: int,
        item: Any,
        items: PosList,
        kind: EntryKind,
        refs: Mapping[str, Any],
        languages: tuple[str, ...] | None,
        label: Any,
    ) -> Variant | None:
        if not isinstance(item, PosDict):
            self.fail(
                f"variants: item {i + 1} must be a mapping (name:, at:, story:, label:)",
                items,
                i,
                hint='write it like - {name: evening, at: "18:30"}; use {} for the unchanged entry',
            )
            return None
        ok = True
        for key in item:
            if key not in VARIANT_KEYS:
                self.fail(
                    f"variants: unknown key {key!r}",
                    item,
                    key,
                    hint=_suggest(str(key), VARIANT_KEYS, "variant keys")
                    + " (another template or title: write a second story file with them and name it"
                    " in story:)",
                )
                ok = False
        name = item.get("name", default_name(i))
        if not isinstance(name, str) or not NAME.match(name):
            self.fail(
                f"variants: name {name!r} is not a variant name",
                item,
                "name",
                hint="use lower-case letters, digits, '_' and '-', up to 32 characters (like evening)",
            )
            ok = False
        at = None
        if "at" in item:
            try:
                at = parse_time_of_day(item["at"])
            except ValueError as exc:
                self.fail(f"variants: at: {exc}", item, "at", hint='a local time of day, like at: "18:30"')
                ok = False
        story = item.get("story")
        if story is not None:
            if not isinstance(story, str) or story not in refs:
                self.fail(
                    f"variants: no {kind.name} with id {story!r}",
                    item,
                    "story",
                    hint=_suggest(str(story), refs, f"{kind.name} ids"),
                )
                ok = False
            elif languages is not None and (missing := [g for g in languages if g not in refs[story]]):
                self.fail(
                    f"variants: {story} does not declare {', '.join(missing)}, which this entry publishes",
                    item,
                    "story",
                    hint=f"add {', '.join(missing)} to {story}, or narrow the entry's languages:",
                )
                ok = False
        vlabel = item.get("label")
        if vlabel is not None and not isinstance(vlabel, str):
            self.fail(
                "variants: label: must be text", item, "label", hint='quote it, like label: "Evening tip"'
            )
            ok = False
        if not ok:
            return None
        if vlabel is None and story is not None and not isinstance(label, str):
            vlabel = kind.label(story, self.project)
        return Variant(str(name), at=at, story=story, label=vlabel)

    def entry_key(self, stem: str, ref: str, trigger: Trigger | None, tz: str) -> str | None:
        explicit = self.data.get("id")
        if explicit is not None:
            if not isinstance(explicit, str) or not _ID.match(explicit):
                self.fail(
                    f"id: {explicit!r} is not a valid entry id",
                    self.data,
                    "id",
                    hint="use lower-case letters, digits, '.', '_' and '-' (like morning-tips)",
                )
                return None
            return explicit
        if trigger is None:
            return None
        key = f"{stem}/{ref}/{trigger.kind}:{trigger.spec}"
        return key if tz == self.file_tz else f"{key}@{tz}"


@cache
def _always_dark(blackouts: tuple[Blackout, ...]) -> bool:
    """True when the blackouts leave no minute of the day (cached: defaults repeat them per entry)."""
    return all(any(b.contains(time(h, m)) for b in blackouts) for h in range(24) for m in range(60))


def _load_file(
    file: Path,
    project: Project,
    kinds: dict[str, EntryKind],
    out: _Collector,
    broken_refs: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Entry]:
    from ..content.loader import refuse_link_out  # here: the package imports without the story models

    try:
        refuse_link_out(file, project)
        data = yamlsrc.load(file)
    except ContentError as exc:
        out.problems.append(exc)
        return []
    if data is None:
        return []  # an empty file is a placeholder, not an error
    if not isinstance(data, PosDict):
        out.add(
            "a schedule file must be a mapping with timezone: and entries:",
            data,
            hint="start it with a timezone: line, then entries: and one '- story: ID' item per entry",
        )
        return []
    for key in data:
        if key not in FILE_KEYS:
            out.add(f"unknown key {key!r}", data, key, hint=_suggest(key, FILE_KEYS, "top-level keys"))
    file_tz = project.config.project.timezone
    if "timezone" in data:
        try:
            get_zone(data["timezone"] if isinstance(data["timezone"], str) else "")
            file_tz = data["timezone"]
        except UnknownZoneError as exc:
            out.add(f"timezone: {exc.message}", data, "timezone", hint=exc.hint)
    defaults = data.get("defaults")
    if defaults is not None and not isinstance(defaults, PosDict):
        out.add(
            "defaults: must be a mapping of entry keys",
            data,
            "defaults",
            hint="indent key: value lines under defaults:, like '  channels: [local]'",
        )
        defaults = None
    if defaults is not None:
        for key in defaults:
            if key in NOT_DEFAULTABLE or key in kinds or key not in COMMON_KEYS:
                out.add(
                    f"defaults: {key!r} cannot have a default",
                    defaults,
                    key,
                    hint="defaults may set: " + ", ".join(sorted(COMMON_KEYS - NOT_DEFAULTABLE)),
                )
    entries = data.get("entries")
    if entries is None:
        out.add("this schedule has no entries:", data, hint="add entries: with a list of - story: ... items")
        return []
    if not isinstance(entries, PosList):
        out.add(
            "entries: must be a list (each item starts with '- ')",
            data,
            "entries",
            hint="start each entry with '- ', like '  - story: reset-router'",
        )
        return []
    rel = _rel(file, project)
    result: list[Entry] = []
    for i, item in enumerate(entries):
        if not isinstance(item, PosDict):
            out.add(
                "an entry must be a mapping (story:, cron: or at:, channels: ...)",
                entries,
                i,
                hint="write '- story: ID' and indent the entry's other keys under it",
            )
            continue
        entry = _EntryReader(item, defaults, file_tz, rel, project, out, broken_refs).read(kinds, file.stem)
        if entry is not None:
            result.append(entry)
    return result


def load_entries(project: Project) -> tuple[list[Entry], list[Path]]:
    """Every entry of every schedule file; raise ScheduleError listing every problem."""
    entries, files, broken = read_schedules(project, tolerant=False)
    problems = [p for err in broken.values() for p in err.problems]
    if problems:
        n = len(problems)
        raise ScheduleError(f"the schedules have {n} problem{'s' if n != 1 else ''}:", problems=problems)
    return entries, files


def read_schedules(
    project: Project, *, tolerant: bool = True
) -> tuple[list[Entry], list[Path], dict[Path, ScheduleError]]:
    """Entries of the schedule files without problems, and one ScheduleError per broken file.

    ``tolerant`` (the publishing engine): an entry whose story, event or poll file is broken is
    kept (its posts wait for the fix) unless its time comes from that file. Otherwise such an
    entry is a problem of its schedule file, as any unknown id is.
    """
    kinds = dict(entry_kinds())
    files = schedule_files(project)
    broken_refs: dict[str, tuple[str, ...]] = {}
    if tolerant:
        broken_refs = {b.id: b.languages for b in project.refresh_content().broken}
    broken: dict[Path, ScheduleError] = {}
    entries: list[Entry] = []
    seen: dict[str, Entry] = {}
    for file in files:
        out = _Collector(file)
        mine: list[Entry] = []
        for entry in _load_file(file, project, kinds, out, broken_refs):
            first = seen.get(entry.key) or next((e for e in mine if e.key == entry.key), None)
            if first is not None:
                line = int(entry.source.rsplit(":", 1)[1])
                out.problems.append(
                    StorycastError(
                        f"entry key {entry.key!r} is already used by the entry at {first.source}",
                        hint="give one of them its own id: (entry keys identify publications in the ledger)",
                        file=file,
                        line=line,
                    )
                )
                continue
            mine.append(entry)
        if out.problems:
            # Report a file's problems top to bottom, whatever order the checks ran in.
            problems = sorted(out.problems, key=lambda p: (p.line or 0, p.column or 0))
            n = len(problems)
            broken[file] = ScheduleError(
                f"{_rel(file, project)} has {n} problem{'s' if n != 1 else ''}:", problems=problems, file=file
            )
            if tolerant:
                continue  # none of its entries: the file as a whole waits for the fix
        for entry in mine:
            seen[entry.key] = entry
            entries.append(entry)
    return entries, files, broken


def _rel(file: Path, project: Project) -> str:
    return file.relative_to(project.root).as_posix() if file.is_relative_to(project.root) else str(file)
