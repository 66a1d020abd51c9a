"""What a translation file holds, whatever its format: a language and its entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    """One unit as a translation file has it."""

    key: str
    source: str
    target: str
    ready: bool  # PO: not fuzzy; XLIFF: state translated, reviewed or final
    line: int | None = None  # where the entry starts in the file, when known


@dataclass
class Document:
    path: Path
    format: str  # po | xliff
    lang: str
    source_lang: str | None
    entries: list[Entry] = field(default_factory=list)


def notes(unit_label: str, where: str, budget: int | None, source: str, extra: list[str]) -> list[str]:
    """The translator's notes of a unit: what it is, where it sits, how long it may be."""
    out = [unit_label]
    if where:
        out.append(f"Where: {where}")
    if budget is not None:
        out.append(f"Budget: about {budget} characters (the source has {len(source)})")
    out.extend(extra)
    return out


@dataclass
class OutEntry:
    """One unit to write into a translation file."""

    key: str
    item: str  # the story, poll or event id (or "ui"): a PO file's order, an XLIFF <file>
    file: str  # the YAML file, relative to the project
    line: int | None
    source: str
    target: str
    fuzzy: bool  # a stale translation: shown, but to be checked
    notes: list[str]
