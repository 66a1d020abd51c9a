"""Translation rules: ``copy.stale-translation`` and ``copy.missing-ui-string``.

``copy.stale-translation``: a translation made from a source text that has changed since.

``translations.lock`` records, for each translation, the fingerprint of the source text it was
made from (see :mod:`storycast.i18n.lock`). When the source text of a step changes, every other
language of that step is reported here, pointing at its line, until it is translated again
(``storycast i18n import``) or confirmed as still right (``storycast i18n lock``).

The severity is ``[i18n] stale`` (warning by default; ``error`` holds the item back from
publishing, ``off`` silences it), unless ``[guard] rules`` names the rule, which wins.

``copy.missing-ui-string``: a language the item is written in that the interface-string
catalogue (the packaged ``templates/strings.yaml`` with the project's merged over it) has no
text for, key by key. The frames would show those strings in English, so it is an error.
"""

from __future__ import annotations

from pathlib import Path

from .. import yamlsrc
from ..errors import StorycastError
from .registry import Finding, Rule, RuleInput

RULE = "copy.stale-translation"
INTERFACE_RULE = "copy.missing-ui-string"
SHOWN_KEYS = 8  # keys named in one finding; the count says how many more


def check_stale(given: RuleInput) -> None:
    """Report every stale translation of one content item in the languages being checked."""
    from ..i18n.units import Item, collect, load_lock, source_language

    project, item, out = given.project, given.item, given.emitter
    source = getattr(item, "source", None)
    if source is None:
        return
    explicit = project.config.guard.rules.get(RULE)
    wanted = project.config.i18n.stale
    if explicit is None and wanted == "off":
        return
    try:
        data = yamlsrc.load(source)
        lock = load_lock(project)
    except StorycastError:
        return  # a broken file or lock is reported by the loader and by `storycast i18n`
    kind = data.get("kind", "tutorial") if isinstance(data, dict) else "tutorial"
    languages = list(getattr(item, "languages", []) or [])
    entry = Item(getattr(item, "id", Path(source).stem), str(kind), Path(source), languages, data)
    src = source_language(project)
    for lang in given.langs:
        if lang == src or lang not in languages:
            continue
        for unit in collect(project, lang, [entry], lock):
            if unit.state != "stale":
                continue
            before = len(out.findings)
            out.emit(
                RULE,
                f"the {lang} text of {unit.label} was translated from an older {src} text ({unit.key})",
                f"translate it again (storycast i18n export marks it fuzzy), or, if it still says "
                f"what the new text says, run `storycast i18n lock {unit.item} --lang {lang}`",
                lang=lang,
                line=unit.target_line or unit.line,
            )
            if explicit is None and len(out.findings) > before:
                found: Finding = out.findings[-1]
                found.severity = "error" if wanted == "error" else "warning"


def check_interface(given: RuleInput) -> None:
    """Report each language of the item that interface strings lack, naming the keys."""
    from ..render.strings import FALLBACK_LANG, catalogue

    project, item = given.project, given.item
    languages = set(getattr(item, "languages", []) or [])
    try:
        strings = catalogue(project.templates_dir)
    except StorycastError:
        return  # a broken strings.yaml stops the render with its own message
    for lang in given.langs:
        if lang not in languages or lang == FALLBACK_LANG:
            continue
        base = lang.split("-")[0]
        missing = sorted(
            k for k, per_lang in strings.items() if lang not in per_lang and base not in per_lang
        )
        if not missing:
            continue
        named = ", ".join(missing[:SHOWN_KEYS]) + (
            f" and {len(missing) - SHOWN_KEYS} more" if len(missing) > SHOWN_KEYS else ""
        )
        given.emitter.emit(
            INTERFACE_RULE,
            f"the interface strings have no {lang} text for {len(missing)} key(s): {named}; "
            f"the frames would show them in English",
            f"add {lang} to each key in templates/strings.yaml (`storycast i18n export --lang {lang}` "
            f"writes them with the English for a translator)",
            lang=lang,
        )


TRANSLATION_RULES = [
    Rule(
        RULE,
        "warning",
        "content",
        "A translation made from an older version of its source text (translations.lock).",
        "Translate the text again, or run `storycast i18n lock` if the translation still holds.",
        check=check_stale,
    ),
    Rule(
        INTERFACE_RULE,
        "error",
        "content",
        "A language of the item that the interface strings (step counters, buttons, support hours) lack.",
        "Add the language to templates/strings.yaml, or export the interface strings for a translator.",
        check=check_interface,
    ),
]
