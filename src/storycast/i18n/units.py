"""Every translatable text of a project, in one language: its key, source, translation and state.

Content files (stories, polls, Q&A events, any kind following the ``{lang: text}`` convention)
are read as YAML, not through their models, so a third-party content kind is translated without
declaring anything. Interface strings come from the catalogue (``templates/strings.yaml``, the
project's merged over the packaged one) through :func:`storycast.render.strings.catalogue`.

Keys name the item, then the field, with list positions counted from 1 as the frames count
steps: ``reset-router:title``, ``reset-router:steps.2.text``, ``weekly-qa:topics.3``. Interface
strings are ``ui:step_of``, and a string with plural forms has one unit per plural category of
the target language: ``ui:steps_count.few`` (its source is the English text of that category, or
English's ``other``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import yamlsrc
from ..content.pseudo import is_pseudo, localized_mappings
from ..errors import ContentError
from .lock import Lock, is_stale

if TYPE_CHECKING:
    from ..project import Project

UI = "ui"
"""The item name of the interface-string catalogue (content ids cannot contain ':')."""
UI_SOURCE = "en"
"""The catalogue is written in English: its source language whatever the project's."""

State = Literal["translated", "stale", "missing"]
PathT = tuple[str | int, ...]


@dataclass
class Unit:
    """One translatable text in one language."""

    key: str
    item: str  # story, poll or event id, or "ui"
    kind: str  # tutorial, poll, qa, ... or "ui"
    file: Path  # where the translation is written
    path: PathT  # to the {lang: text} mapping in the YAML (ui: (string id,))
    lang: str
    source: str
    target: str = ""
    index: int | None = None  # item of a list of texts (topics), 0-based
    form: str | None = None  # plural category (ui)
    line: int | None = None  # of the source text
    target_line: int | None = None  # of the translation, when the file has one
    state: State = "missing"
    budget: int | None = None  # characters the layout has room for (see budget.py)
    where: str = ""  # where it sits on the frame, for the translator
    extra: list[str] = field(default_factory=list)  # more notes for the translator

    @property
    def label(self) -> str:
        """A short description: ``step 2 title``, ``topic 3``, ``UI string steps_count (few)``."""
        if self.item == UI:
            return f"UI string {self.path[0]}" + (f" ({self.form})" if self.form else "")
        return describe(self.path, self.index)


def describe(path: PathT, index: int | None = None) -> str:
    """``("steps", 1, "title")`` -> ``step 2 title``; ``("topics",)`` with index 2 -> ``topic 3``."""
    words: list[str] = []
    for part in (*path, *([] if index is None else [index])):
        if isinstance(part, int):
            if words and words[-1].endswith("s"):
                words[-1] = words[-1][:-1]
            words.append(str(part + 1))
        else:
            words.append(part)
    return " ".join(words)


def key_of(item: str, path: PathT, index: int | None = None, form: str | None = None) -> str:
    parts = [str(p + 1) if isinstance(p, int) else str(p) for p in path]
    if index is not None:
        parts.append(str(index + 1))
    if form is not None:
        parts.append(form)
    return f"{item}:{'.'.join(parts)}"


def source_language(project: Project) -> str:
    """The language content is written in ([i18n] source_language, else [project] default_language)."""
    i18n = getattr(project.config, "i18n", None)
    chosen = getattr(i18n, "source_language", None)
    return chosen or project.config.project.default_language


def lock_path(project: Project) -> Path:
    i18n = getattr(project.config, "i18n", None)
    return project.root / getattr(i18n, "lock_file", "translations.lock")


def load_lock(project: Project) -> Lock:
    return Lock.load(lock_path(project))


@dataclass
class Item:
    """A content file, or the catalogue, and the languages it is translated into."""

    id: str
    kind: str
    file: Path
    languages: list[str]
    data: Any = None


def items(project: Project, ids: Iterable[str] | None = None, *, ui: bool = True) -> list[Item]:
    """The content items named by ``ids`` (every one when None) and, with ``ui``, the catalogue."""
    content = project.content
    by_id: dict[str, Any] = dict(content.stories)
    for group in content.extras.values():
        by_id.update(group)
    chosen = list(ids) if ids else sorted(by_id, key=lambda i: (str(getattr(by_id[i], "source", "")), i))
    out: list[Item] = []
    for item_id in chosen:
        if item_id not in by_id:
            content.story(item_id)  # raises with a did-you-mean
        obj = by_id[item_id]
        source = getattr(obj, "source", None)
        if source is None:
            continue
        data = yamlsrc.load(source)
        kind = data.get("kind", "tutorial") if isinstance(data, dict) else "tutorial"
        out.append(Item(item_id, str(kind), Path(source), list(getattr(obj, "languages", []) or []), data))
    if ui:
        out.append(Item(UI, UI, project.templates_dir / "strings.yaml", list(project.languages)))
    return out


def _content_units(project: Project, item: Item, src: str, lang: str) -> list[Unit]:
    langs = set(item.languages) | set(project.languages) | {src}
    out: list[Unit] = []
    for path, mapping in localized_mappings(item.data, langs):
        source = mapping.get(src)
        target = mapping.get(lang)
        if isinstance(source, str):
            if not source.strip():
                continue
            pos = yamlsrc.where(mapping, src)
            there = yamlsrc.where(mapping, lang) if lang in mapping else None
            out.append(
                Unit(
                    key_of(item.id, path),
                    item.id,
                    item.kind,
                    item.file,
                    path,
                    lang,
                    source,
                    target if isinstance(target, str) else "",
                    line=pos.line if pos else None,
                    target_line=there.line if there else None,
                )
            )
        elif isinstance(source, list):
            texts = target if isinstance(target, list) else []
            seq = mapping.get(src)
            for i, text in enumerate(source):
                if not text.strip():
                    continue
                pos = yamlsrc.where(seq, i)
                there = yamlsrc.where(target, i) if isinstance(target, list) and i < len(target) else None
                have = texts[i] if i < len(texts) and isinstance(texts[i], str) else ""
                out.append(
                    Unit(
                        key_of(item.id, path, i),
                        item.id,
                        item.kind,
                        item.file,
                        path,
                        lang,
                        text,
                        have,
                        index=i,
                        line=pos.line if pos else None,
                        target_line=there.line if there else None,
                    )
                )
    return out


def _ui_units(project: Project, item: Item, lang: str) -> list[Unit]:
    from ..render.strings import catalogue, plural_categories

    strings = catalogue(project.templates_dir)
    out: list[Unit] = []
    for sid, per_lang in strings.items():
        source = per_lang.get(UI_SOURCE)
        target = per_lang.get(lang)
        if isinstance(source, str):
            if not source.strip():
                continue
            have = target if isinstance(target, str) else (target or {}).get("other", "")
            out.append(Unit(key_of(UI, (sid,)), UI, UI, item.file, (sid,), lang, source, have))
        elif isinstance(source, dict):
            forms = plural_categories(lang)
            for form in forms:
                text = source.get(form) or source.get("other") or ""
                if not text.strip():
                    continue
                if isinstance(target, dict):
                    have = target.get(form, "")
                else:  # a plain text serves a language whose only form is "other"
                    have = target if isinstance(target, str) and forms == ("other",) else ""
                out.append(
                    Unit(
                        key_of(UI, (sid,), form=form), UI, UI, item.file, (sid,), lang, text, have, form=form
                    )
                )
    return out


def collect(
    project: Project,
    lang: str,
    chosen: list[Item],
    lock: Lock | None = None,
) -> list[Unit]:
    """The units of ``chosen`` items in ``lang``, each with its state (translated, stale, missing).

    Items that do not declare ``lang`` are left out (the catalogue takes every project language).
    """
    if is_pseudo(lang):
        raise ContentError(
            f"{lang} is a pseudo-locale: it is made from the source text, never translated",
            hint=f"render it instead (storycast render STORY --lang {lang}), or pick a real language",
        )
    lock = lock if lock is not None else load_lock(project)
    src = source_language(project)
    out: list[Unit] = []
    for item in chosen:
        if item.id == UI:
            if lang == UI_SOURCE:
                continue
            units = _ui_units(project, item, lang)
        else:
            if lang == src or lang not in item.languages:
                continue
            units = _content_units(project, item, src, lang)
        for unit in units:
            if not unit.target.strip():
                unit.state = "missing"
            elif is_stale(lock.get(unit.key, lang), unit.source, unit.target):
                unit.state = "stale"
            else:
                unit.state = "translated"
        out.extend(units)
    return out


def target_languages(project: Project) -> list[str]:
    """Every language translated into: the project's, less the source language."""
    src = source_language(project)
    return [lang for lang in project.languages if lang != src and not is_pseudo(lang)]
