"""``copy.stale-translation``: a translation made from a source text that has changed since.

``translations.lock`` records, for each translation, the fingerprint of the source text it was
made from (see :mod:`storycast.i18n.lock`). When the source text of a step changes, every other
language of that step is reported here, pointing at its line, until it is translated again
(``storycast i18n import``) or confirmed as still right (``storycast i18n lock``).

The severity is ``[i18n] stale`` (warning by default; ``error`` holds the item back from
publishing, ``off`` silences it), unless ``[guard] rules`` names the rule, which wins.
"""

from __future__ import annotations

from pathlib import Path

from .. import yamlsrc
from ..errors import StorycastError
from .registry import Finding, Rule, RuleInput

RULE = "copy.stale-translation"


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


TRANSLATION_RULES = [
    Rule(
        RULE,
        "warning",
        "content",
        "A translation made from an older version of its source text (translations.lock).",
        "Translate the text again, or run `storycast i18n lock` if the translation still holds.",
        check=check_stale,
    )
]
