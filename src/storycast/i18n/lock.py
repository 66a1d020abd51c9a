"""``translations.lock``: which source text each translation was made from.

One line per translation, sorted, tab-separated::

    reset-router:steps.2.title<TAB>es<TAB>3f2a9c1be07d<TAB>9c41d7a05b2e

the unit's key, the language, the fingerprint of the source text the translation was made from
and the fingerprint of the translation itself. A sidecar file rather than a field or comment in
the story: story files stay exactly what authors and translators read and write, the fingerprints
of thirty languages do not crowd a five-line step, and a re-translation changes one line of the
lock (a reviewer sees "es of step 2 redone") next to the one line of the story.

A translation is **stale** when its source text's fingerprint differs from the one recorded,
whatever became of the translation. A translation edited by hand in the YAML cannot say whether
it was edited before or after the source changed; taking "both changed" as an update would hide
every later change of the source too (the recorded translation is never seen again), so it stays
stale until ``storycast i18n import`` or ``storycast i18n lock`` records it. The translation's
own fingerprint is kept to show which translation a line was recorded for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ContentError
from ..files import read_text, replace_atomically

HEADER = (
    "# storycast translations.lock: the source text each translation was made from.\n"
    "# Written by `storycast i18n import` and `storycast i18n lock`; commit it with the stories.\n"
    "# key<TAB>language<TAB>source fingerprint<TAB>translation fingerprint\n"
)
FINGERPRINT_CHARS = 12


def fingerprint(text: str) -> str:
    """A short, stable fingerprint of a text (SHA-256, first 48 bits in hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


@dataclass(frozen=True)
class Entry:
    source: str  # fingerprint of the source text
    target: str  # fingerprint of the translation


class Lock:
    """The lock file's entries by (key, language)."""

    def __init__(self, path: Path, entries: dict[tuple[str, str], Entry] | None = None) -> None:
        self.path = path
        self.entries: dict[tuple[str, str], Entry] = dict(entries or {})
        self._original = self.render()

    @classmethod
    def load(cls, path: Path) -> Lock:
        if not path.is_file():
            return cls(path)
        entries: dict[tuple[str, str], Entry] = {}
        for n, line in enumerate(read_text(path, what="translations lock").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4 or not all(parts):
                raise ContentError(
                    "this line of the translations lock is not key, language, source and "
                    "translation fingerprints separated by tabs",
                    hint="restore the file from version control, or delete it and run "
                    "`storycast i18n lock` to record the current translations as up to date",
                    file=path,
                    line=n,
                )
            entries[(parts[0], parts[1])] = Entry(parts[2], parts[3])
        return cls(path, entries)

    def get(self, key: str, lang: str) -> Entry | None:
        return self.entries.get((key, lang))

    def record(self, key: str, lang: str, source: str, target: str) -> None:
        """Record that the translation ``target`` of ``key`` was made from ``source``."""
        self.entries[(key, lang)] = Entry(fingerprint(source), fingerprint(target))

    def forget(self, key: str, lang: str) -> None:
        self.entries.pop((key, lang), None)

    def render(self) -> str:
        lines = [f"{k}\t{lang}\t{e.source}\t{e.target}\n" for (k, lang), e in sorted(self.entries.items())]
        return HEADER + "".join(lines)

    @property
    def changed(self) -> bool:
        return self.render() != self._original

    def save(self) -> bool:
        """Write the file if anything changed; whether it was written."""
        if not self.changed:
            return False
        replace_atomically(self.path, self.render().encode("utf-8"))
        self._original = self.render()
        return True


def is_stale(entry: Entry | None, source: str, target: str) -> bool:
    """Whether ``target`` is a translation of an older source than ``source`` (see the module)."""
    if entry is None or not target:
        return False
    return entry.source != fingerprint(source)
