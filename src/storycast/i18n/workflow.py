"""``storycast i18n``: export, import, status and lock, over a project."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ContentError, StorycastError
from ..files import replace_atomically
from . import budget as budget_mod
from . import po, xliff, yamledit
from .document import Document, OutEntry, notes
from .lock import Lock
from .units import UI, UI_SOURCE, Item, Unit, collect, items, load_lock, source_language, target_languages

if TYPE_CHECKING:
    from ..project import Project

FORMATS = {"po": ".po", "xliff": ".xlf"}
SHOWN = 12  # problems listed in one message


def check_languages(project: Project, langs: Iterable[str] | None) -> list[str]:
    """The languages asked for (every target language when None), each checked."""
    from ..content.pseudo import is_pseudo

    targets = target_languages(project)
    chosen = list(langs) if langs else targets
    src = source_language(project)
    for lang in chosen:
        if is_pseudo(lang):
            raise ContentError(
                f"{lang} is a pseudo-locale: it is made from the source text, never translated",
                hint=f"render it instead: storycast render STORY --lang {lang}",
            )
        if lang == src:
            raise ContentError(
                f"{lang} is the source language: there is nothing to translate into it",
                hint=f"pick one of {', '.join(targets) or '(none: add languages to [project] languages)'}",
            )
        if lang not in targets:
            raise ContentError(
                f"{lang!r} is not one of the project's languages",
                hint=f"pick one of {', '.join(targets)}, or add it to [project] languages in storycast.toml",
            )
    return chosen


def _extra(unit: Unit) -> list[str]:
    out: list[str] = []
    if unit.form:
        out.append(f"Plural form {unit.form!r} (CLDR) of {unit.lang}: the text for numbers in that category.")
    if "{" in unit.source:
        out.append("Keep the {placeholders} exactly as they are; they are filled in when drawn.")
    if unit.state == "stale":
        out.append("The source text changed after this translation was made: check it, then mark it done.")
    return out


def out_entries(project: Project, units: list[Unit]) -> list[OutEntry]:
    out = []
    for u in units:
        label = f"{u.label} of {u.kind} {u.item}" if u.item != UI else u.label
        out.append(
            OutEntry(
                key=u.key,
                item=u.item,
                file=budget_mod.relative(project, u.file),
                line=u.line,
                source=u.source,
                target=u.target,
                fuzzy=u.state == "stale",
                notes=notes(label, u.where, u.budget, u.source, _extra(u)),
            )
        )
    return out


@dataclass
class Exported:
    lang: str
    path: Path
    units: int
    translated: int
    stale: int
    missing: int


def export(
    project: Project,
    item_ids: list[str] | None,
    langs: list[str] | None,
    fmt: str,
    out_dir: Path,
    now: datetime,
    *,
    ui: bool | None = None,
) -> list[Exported]:
    """Write one translation file per language into ``out_dir``; the interface strings are
    included when no item is named (or ``ui`` says so)."""
    chosen_langs = check_languages(project, langs)
    with_ui = ui if ui is not None else not item_ids
    chosen = items(project, item_ids, ui=with_ui)
    lock = load_lock(project)
    src = source_language(project)
    out_dir.mkdir(parents=True, exist_ok=True)
    done: list[Exported] = []
    for lang in chosen_langs:
        units = collect(project, lang, chosen, lock)
        budget_mod.annotate(project, units, src)
        entries = out_entries(project, units)
        if fmt == "po":
            data = po.write(entries, lang, src, project.config.project.name, now)
        else:
            data = xliff.write(entries, lang, src)
        path = out_dir / f"{lang}{FORMATS[fmt]}"
        replace_atomically(path, data)
        done.append(
            Exported(
                lang,
                path,
                len(units),
                sum(u.state == "translated" for u in units),
                sum(u.state == "stale" for u in units),
                sum(u.state == "missing" for u in units),
            )
        )
    return done


def read_document(path: Path) -> Document:
    """A PO or XLIFF file, told apart by its first bytes (then its name)."""
    try:
        with path.open("rb") as f:
            head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise ContentError(
            f"cannot read the translation file: {exc.strerror or exc}",
            hint="check the path; files come from `storycast i18n export`",
            file=path,
        ) from None
    if head.startswith(b"<") or path.suffix.lower() in (".xlf", ".xliff"):
        return xliff.read(path)
    return po.read(path)


@dataclass
class Imported:
    path: Path
    lang: str
    written: list[str] = field(default_factory=list)  # keys whose translation was written
    confirmed: list[str] = field(default_factory=list)  # stale ones marked done, text unchanged
    not_ready: list[str] = field(default_factory=list)  # fuzzy / initial with a new text
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    files: list[Path] = field(default_factory=list)  # YAML files rewritten


def _check_document(project: Project, doc: Document, units: dict[str, Unit], every: list[Item]) -> None:
    problems: list[StorycastError] = []
    keys: list[str] = []
    known = {item.id for item in every}
    for e in doc.entries:
        unit = units.get(e.key)
        if unit is None:
            problems.append(
                StorycastError(
                    f"{e.key}: {_unknown(e.key, known, doc.lang)}",
                    hint="it was renamed or removed since the file was exported: export a fresh file "
                    "(storycast i18n export) and import that",
                    file=doc.path,
                    line=e.line,
                )
            )
        elif unit.source != e.source:
            problems.append(
                StorycastError(
                    f"{e.key}: the source text changed (the file has {_short(e.source)!r}, "
                    f"the project now {_short(unit.source)!r})",
                    hint="carry this file's translations over to a fresh export and import that: "
                    "storycast i18n export --out DIR, then msgmerge --previous -o FILE FILE DIR/LANG.po "
                    "(or your tool's translation memory); see docs/translation.md",
                    file=doc.path,
                    line=e.line,
                )
            )
        else:
            continue
        keys.append(e.key)
    if problems:
        n = len(problems)
        shown = problems[:SHOWN]
        raise ContentError(
            f"{doc.path.name} does not match the project's source texts: "
            f"{n} text{'s' if n != 1 else ''} ({', '.join(keys[:SHOWN])}"
            f"{' ...' if n > SHOWN else ''}); nothing was imported",
            hint="export a fresh file (storycast i18n export) and carry the translations over "
            "(msgmerge, or your tool's translation memory), then import that",
            file=doc.path,
            problems=shown,
        )


def _unknown(key: str, known: set[str], lang: str) -> str:
    """Why ``key`` names no text: no such item, or no such field of it."""
    item, _, field_path = key.partition(":")
    if not field_path:
        return "not a storycast key (ITEM:FIELD, such as reset-router:steps.2.title)"
    if item not in known:
        return f"the project has no story, poll or event {item!r}"
    if item == UI:
        return f"the interface strings have no {field_path!r} (in {lang})"
    return f"{item} has no text {field_path!r} translated into {lang}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def import_files(project: Project, paths: list[Path]) -> list[Imported]:
    """Bring translations back into the YAML files; every file is checked before any is written."""
    docs = [read_document(p) for p in paths]
    src = source_language(project)
    targets = target_languages(project)
    every = items(project, None, ui=True)
    # Tools rewrite the language header their own way (Poedit: pt_BR for pt-br): match by case.
    spelled = {lang.lower(): lang for lang in targets}
    for doc in docs:
        doc.lang = spelled.get(doc.lang.lower(), doc.lang)
        if doc.source_lang:
            doc.source_lang = src if doc.source_lang.lower() == src.lower() else doc.source_lang
        if not doc.lang:
            raise ContentError(
                "the file does not say its language (PO: the Language header; XLIFF: trgLang)",
                hint="export the file again with `storycast i18n export --lang LANG`",
                file=doc.path,
            )
        if doc.lang not in targets:
            raise ContentError(
                f"the file is in {doc.lang!r}, which is not a language this project translates into",
                hint=f"the project translates from {src} into {', '.join(targets) or 'no language yet'}; "
                "add the language to [project] languages, or import the right file",
                file=doc.path,
            )
        if doc.source_lang and doc.source_lang != src:
            raise ContentError(
                f"the file was translated from {doc.source_lang!r}, "
                f"but the project's source language is {src!r}",
                hint="export the file again from this project",
                file=doc.path,
            )
        current = {u.key: u for u in collect(project, doc.lang, every)}
        _check_document(project, doc, current, every)
    # Every file is worked out in memory first (each language's file sees the ones before it),
    # and written only when all of them went through: a failure leaves the project as it was.
    lock = load_lock(project)
    pending: dict[Path, str] = {}
    results = [_import_one(project, doc, every, src, lock, pending) for doc in docs]
    for file, text in pending.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(file, text.encode("utf-8"))
    lock.save()
    return results


def _import_one(
    project: Project, doc: Document, every: list[Item], src: str, lock: Lock, pending: dict[Path, str]
) -> Imported:
    units = {u.key: u for u in collect(project, doc.lang, every, lock)}
    result = Imported(doc.path, doc.lang)
    grouped: dict[Path, dict[tuple[Any, ...], yamledit.Edit]] = {}
    members: dict[str, list[tuple[Unit, str]]] = {}  # an edit's key -> the units it carries
    for e in doc.entries:
        unit = units[e.key]
        if not e.target:
            continue
        if not e.ready:
            if e.target != unit.target:
                result.not_ready.append(e.key)
            continue
        if e.target == unit.target:
            if unit.state == "stale":
                result.confirmed.append(e.key)
                lock.record(unit.key, doc.lang, unit.source, unit.target)
            continue
        sub = unit.index if unit.index is not None else unit.form
        edit = grouped.setdefault(unit.file, {}).setdefault(
            (unit.path, doc.lang),
            yamledit.Edit(unit.path, doc.lang, {}, UI_SOURCE if unit.item == UI else src, unit.key),
        )
        edit.values[sub] = e.target
        members.setdefault(edit.key, []).append((unit, e.target))
    for file, edits in grouped.items():
        if file in pending:
            text = pending[file]
        else:
            # Bytes, decoded as they are: read_text would turn CRLF into LF, and the splice
            # must leave every line ending it does not touch as it was.
            text = file.read_bytes().decode("utf-8") if file.is_file() else ""
        if not text and file.name == "strings.yaml":
            text = "# This project's interface strings, merged over the packaged ones (docs/templates.md).\n"
        res = yamledit.apply(text, list(edits.values()), file)
        skipped = dict(res.skipped)
        for edit in edits.values():
            for unit, target in members.get(edit.key, []):
                if edit.key in skipped:
                    result.skipped.append((unit.key, skipped[edit.key]))
                else:
                    result.written.append(unit.key)
                    lock.record(unit.key, doc.lang, unit.source, target)
        if res.changed:
            pending[file] = res.text
            result.files.append(file)
    return result


@dataclass
class Row:
    item: str
    kind: str
    lang: str
    translated: int = 0
    stale: int = 0
    missing: int = 0
    overruns: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "kind": self.kind,
            "lang": self.lang,
            "translated": self.translated,
            "stale": self.stale,
            "missing": self.missing,
            "over_budget": len(self.overruns),
            "overruns": self.overruns,
        }


def status(
    project: Project,
    item_ids: list[str] | None = None,
    langs: list[str] | None = None,
    *,
    ui: bool | None = None,
) -> list[Row]:
    """Coverage per item and language: translated, stale, missing, and texts over their budget."""
    chosen_langs = check_languages(project, langs)
    chosen = items(project, item_ids, ui=ui if ui is not None else not item_ids)
    lock = load_lock(project)
    src = source_language(project)
    rows: list[Row] = []
    for lang in chosen_langs:
        units = collect(project, lang, chosen, lock)
        budget_mod.annotate(project, units, src)
        by_item: dict[str, Row] = {}
        for u in units:
            row = by_item.setdefault(u.item, Row(u.item, u.kind, lang))
            if u.state == "translated":
                row.translated += 1
            elif u.state == "stale":
                row.stale += 1
            else:
                row.missing += 1
            if u.budget is not None and u.target and len(u.target) > u.budget:
                row.overruns.append({"key": u.key, "budget": u.budget, "length": len(u.target)})
        rows.extend(by_item.values())
    rows.sort(key=lambda r: (r.item == UI, r.item, chosen_langs.index(r.lang)))
    return rows


def lock_current(project: Project, item_ids: list[str] | None = None, langs: list[str] | None = None) -> int:
    """Record every present translation as made from the current source text (``i18n lock``)."""
    chosen_langs = check_languages(project, langs)
    chosen = items(project, item_ids, ui=not item_ids)
    lock = load_lock(project)
    n = 0
    for lang in chosen_langs:
        for u in collect(project, lang, chosen, lock):
            if u.target:
                lock.record(u.key, lang, u.source, u.target)
                n += 1
    lock.save()
    return n
