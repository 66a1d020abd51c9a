"""The built-in rule catalogue: id, default severity, family, what it catches and how to fix it.

docs/lint.md documents every rule listed here (a test checks that).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .registry import Rule, RuleInput

if TYPE_CHECKING:
    from ..project import Project
    from ..timetable.model import Entry


# --- schedule: languages of one story on one story channel --------------------------------------

_SCAN_DAYS = 400  # a cron pattern's days repeat within a year; a pair's shared day shows in this span
_NO_ANCHOR = date(2001, 1, 1)  # where a scan starts when neither entry names a date (a Monday)
_timetables: dict[tuple[Path, int], tuple[tuple[tuple[str, int, int], ...], list[Entry]]] = {}


def _entries(project: Project) -> list[Entry]:
    """The schedule entries, read once per loaded project and schedule files (lint asks per story)."""
    from ..timetable.table import load_timetable

    folder = project.schedules_dir
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    key = (project.root, id(project.config))
    cached = _timetables.get(key)
    if cached is None or cached[0] != stamp:
        _timetables.clear()  # one project at a time: keep no stale ones around
        cached = _timetables[key] = (stamp, load_timetable(project, tolerant=True).entries)
    return cached[1]


def _story_channel(project: Project, name: str) -> bool:
    """Whether ``name`` is a configured channel whose story tray mixes a story's languages
    (``stories``, and not ``languages_apart`` like the local feed's rings)."""
    from ..channels.registry import channel_types

    section = project.config.channels.get(name)
    registered = channel_types().get(section.type) if section is not None else None
    if registered is None:
        return False
    can = registered.cls.capabilities
    return can.stories and not can.languages_apart


def _anchor(entry: Entry) -> date | None:
    fixed = [getattr(entry.trigger, "at", None), getattr(entry.trigger, "anchor", None), entry.start]
    return min((d.date() for d in fixed if isinstance(d, datetime)), default=None)


def _days(entry: Entry, first: date) -> set[date]:
    """The local days ``entry`` fires on in the scan from ``first``."""

    def walls() -> Iterator[datetime]:
        for wall in entry.trigger.wall_times(first, first + timedelta(days=_SCAN_DAYS)):
            if entry.start is not None and wall < entry.start:
                continue
            if entry.until is not None and wall >= entry.until:
                break
            if wall.date() not in entry.except_dates:
                yield wall

    return {wall.date() for wall in walls()}


def _languages_same_day(given: RuleInput) -> None:
    """Warn when one story channel would show two languages of this item on the same day."""
    langs = list(given.langs)
    if len(langs) < 2:  # publishing checks one language at a time: nothing to compare
        return
    project = given.project
    item_id = getattr(given.item, "id", None)
    mine = [e for e in _entries(project) if e.ref == item_id]

    def spoken(entry: Entry, channel: str) -> list[str]:
        section = project.config.channels[channel]
        return [lang for lang in entry.languages if lang in langs and section.takes(lang)]

    tray: dict[str, list[Entry]] = {}
    for entry in mine:
        for channel in entry.channels:
            if given.channels is not None and channel not in given.channels:
                continue
            if _story_channel(project, channel) and spoken(entry, channel):
                tray.setdefault(channel, []).append(entry)
    rule = "schedule.languages-same-day"
    for channel, entries in sorted(tray.items()):
        for entry in entries:
            both = spoken(entry, channel)
            if len(both) >= 2:
                _emit(
                    given,
                    rule,
                    entry,
                    f"{', '.join(both)} of {item_id!r} go to story channel "
                    f"{channel!r} at the same time (entry {entry.key!r})",
                )
        for i, one in enumerate(entries):
            for other in entries[i + 1 :]:
                pair = sorted(set(spoken(one, channel)) | set(spoken(other, channel)))
                if len(pair) < 2 or set(spoken(one, channel)) == set(spoken(other, channel)) == set(pair):
                    continue
                first = min((d for d in (_anchor(one), _anchor(other)) if d), default=None)
                shared = sorted(_days(one, first or _NO_ANCHOR) & _days(other, first or _NO_ANCHOR))
                if not shared:
                    continue
                if first is None:  # two recurring entries: their days, not a date of the scan
                    when = f"{len(shared)} days in {_SCAN_DAYS}"
                else:
                    when = shared[0].isoformat() + (f" and {len(shared) - 1} more" if len(shared) > 1 else "")
                _emit(
                    given,
                    rule,
                    other,
                    f"entries {one.key!r} and {other.key!r} put {', '.join(pair)} of {item_id!r} "
                    f"on story channel {channel!r} on the same day ({when})",
                )


def _emit(given: RuleInput, rule: str, entry: Entry, message: str) -> None:
    file, _, line = entry.source.rpartition(":")
    given.emitter.emit(
        rule, message, file=file or entry.source, line=int(line) if line.isdigit() else None, column=None
    )


BUILTIN_RULES = [
    # --- personal and confidential data (content) ---
    Rule(
        "pii.email",
        "error",
        "content",
        "An e-mail address in drawn text, a caption or alt text.",
        "Remove the address or replace it with a placeholder such as name@example.com; "
        "list the team's public address under [guard] allow.",
    ),
    Rule(
        "pii.phone",
        "error",
        "content",
        "A phone number (international, or local to a configured region).",
        "Remove the number or use the public support line listed under [guard] allow.",
    ),
    Rule(
        "pii.card",
        "error",
        "content",
        "A payment card number (13-19 digits that pass the Luhn check).",
        "Never show card numbers; use a masked example such as •••• 1234.",
    ),
    Rule(
        "pii.account",
        "error",
        "content",
        "A bank account number (IBAN or another configured format) that passes its checksum.",
        "Remove the account number; show a masked example such as ES•• •••• 1332.",
    ),
    Rule(
        "pii.national-id",
        "error",
        "content",
        "A national ID number in a configured format (DNI, Thai ID, Aadhaar, JMBG...).",
        "Remove the ID number; show a masked example instead.",
    ),
    Rule(
        "pii.password",
        "error",
        "content",
        "A password written after a password label, in any language.",
        "Remove the password; tell people where to find theirs instead (for example, the router label).",
    ),
    Rule(
        "pii.otp",
        "error",
        "content",
        "A one-time or verification code (4-8 digits after 'code', 'OTP', 'PIN'...).",
        "Remove the code; show a placeholder such as 123 456 or ••••••.",
    ),
    Rule(
        "pii.secret",
        "error",
        "content",
        "An API key, token or private key (AWS, GitHub, Slack, Stripe, JWT...).",
        "Remove it from the story and revoke it: anything published must be treated as leaked.",
    ),
    Rule(
        "pii.order",
        "error",
        "content",
        "An order or ticket number matching [guard] order_patterns.",
        "Remove the customer's order or ticket number; use a made-up placeholder such as ORD-00000.",
    ),
    # --- channel suitability (content) ---
    Rule(
        "suitability.off-channel",
        "error",
        "content",
        "A topic kept off public channels (billing disputes, refunds, account recovery...).",
        "Handle this topic in a private channel; publish it only to channels not listed as public, "
        "or edit [guard] off_channel_topics.",
    ),
    # --- copy (content) ---
    Rule(
        "copy.max-words",
        "warning",
        "content",
        "Too many words on one frame for its language (Thai counted by word segmentation).",
        "Shorten the text or split the step in two.",
    ),
    Rule(
        "copy.missing-translation",
        "error",
        "content",
        "A declared language has no text for a value that other languages have.",
        "Add the missing language under this value, or remove the language from the story's languages.",
    ),
    Rule(
        "copy.missing-alt",
        "warning",
        "content",
        "A step image has no alt text.",
        "Add alt: {lang: ...} describing the image for people who cannot see it.",
    ),
    Rule(
        "copy.missing-image",
        "warning",
        "content",
        "A step has no image although its template expects one.",
        "Add image: assets/... to the step, or use a template without step images.",
    ),
    # --- format (content) ---
    Rule(
        "format.max-frames",
        "error",
        "content",
        "The story has more frames than [guard] max_frames.",
        "Split the story in two, or merge steps.",
    ),
    Rule(
        "format.duration",
        "error",
        "content",
        "The story runs longer than [guard] max_duration (story videos stop at 60 s).",
        "Shorten step durations or remove steps.",
    ),
    Rule(
        "format.frame-duration",
        "warning",
        "content",
        "One frame stays longer than [guard] max_frame_duration.",
        "Lower this step's duration, or split its text over two steps.",
    ),
    Rule(
        "format.poll-channel",
        "warning",
        "content",
        "A poll is aimed at a channel that cannot carry polls natively.",
        "Expect it to be baked into the frame or handed off; target a channel that carries polls "
        "(Telegram, Discord, Mastodon) for native voting.",
    ),
    # --- schedule (content) ---
    Rule(
        "schedule.languages-same-day",
        "warning",
        "content",
        "One story channel would show two languages of the same story on the same day.",
        "Split the entry into one entry per language on different days or channels, or give the "
        "channel `languages = [...]` in storycast.toml so it takes only its audience's language.",
        check=_languages_same_day,
    ),
    # --- layout (render) ---
    Rule(
        "layout.safe-zone",
        "error",
        "render",
        "A text layer reaches into a platform overlay area ([render.safe_zone]).",
        "Move or shrink the text box in the template so it stays inside the safe zone.",
    ),
    Rule(
        "layout.min-size",
        "error",
        "render",
        "Text is drawn smaller than the minimum size for its role.",
        "Shorten the text, or raise the template's minimum size for this layer.",
    ),
    Rule(
        "layout.shrunk",
        "warning",
        "render",
        "Text had to shrink to its minimum size to fit.",
        "Shorten the text so it fits at a comfortable size.",
    ),
    Rule(
        "layout.overflow",
        "error",
        "render",
        "Text does not fit its box even at its minimum size with long words broken: it would be "
        "cut with an ellipsis (found by laying the frames out, before rendering).",
        "Shorten the text (the finding says by how many lines and characters) or split the step; "
        "a template author can enlarge the box, raise max_lines or lower size.min.",
    ),
    Rule(
        "layout.truncated",
        "error",
        "render",
        "Text did not fit and was cut off.",
        "Shorten the text or split the step: the cut part is not shown.",
    ),
    Rule(
        "layout.contrast",
        "error",
        "render",
        "Text contrast on the rendered pixels is below WCAG AA (4.5:1, or 3:1 for large text).",
        "Use a darker or lighter text colour, add a scrim behind the text, or pick a calmer image.",
    ),
    Rule(
        "layout.manifest",
        "error",
        "render",
        "A render manifest or frame image is missing or unreadable.",
        "Run `storycast render` for this story and language again.",
    ),
]
