"""Content rules: the checks that need only the story's text and settings (no rendered frames)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ..config.guard import GuardConfig, id_formats, phone_regions
from . import pii
from .registry import Emitter, Finding
from .texts import Field, Locator, fields

if TYPE_CHECKING:
    from ..project import Project

_LANG_NAMES = {"en": "English", "es": "Spanish", "th": "Thai", "hi": "Hindi", "sr": "Serbian"}
_LATIN_OR_CYRILLIC = re.compile(r"^[\w\s'’\-.]+$")


def lang_name(lang: str) -> str:
    return _LANG_NAMES.get(lang, lang)


@dataclass
class Scope:
    """Everything a content rule reads about one item."""

    project: Project
    item: Any
    langs: list[str]
    channels: list[str] | None
    guard: GuardConfig
    fields: list[Field]
    locator: Locator
    out: Emitter


def word_count(text: str, lang: str) -> int:
    """Words in ``text``: dictionary segmentation for Thai (no spaces between words), spaces otherwise."""
    if lang.split("-")[0] == "th":
        from pythainlp.tokenize import word_tokenize

        tokens = word_tokenize(text, engine="newmm", keep_whitespace=False)
    else:
        tokens = text.split()
    return sum(1 for t in tokens if any(ch.isalnum() for ch in t))


@cache
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def _item_languages(scope: Scope) -> list[str]:
    declared = list(getattr(scope.item, "languages", []) or scope.project.languages)
    return [lang for lang in declared if lang in scope.langs]


# --- personal data -------------------------------------------------------------------------


def check_pii(scope: Scope) -> None:
    g = scope.guard
    kw = {
        "regions": phone_regions(g, scope.project.languages),
        "id_formats": id_formats(g, scope.project.languages),
        "account_formats": list(g.account_numbers),
        "order_patterns": _compiled(tuple(g.order_patterns)),
        "allow": _compiled(tuple(g.allow)),
        "active": scope.out.active,
    }
    for field in scope.fields:
        for lang, text in field.values.items():
            if lang not in scope.langs or not text:
                continue
            for hit in pii.scan(text, **kw):  # type: ignore[arg-type]
                where = "alt text" if field.role == "alt" else "text"
                scope.out.emit(
                    hit.rule,
                    f"{field.label()} ({lang}) contains {_article(hit.kind)} {hit.kind} "
                    f"at character {hit.start + 1}; "
                    f"this {where} is published to everyone who sees the story",
                    lang=lang,
                    frame=field.frame,
                    layer=_layer(field),
                    **scope.locator.at((*field.path, lang)),
                )


def _article(kind: str) -> str:
    if kind.startswith(("one-", "US ")):
        return "a"
    return "an" if kind[:1].lower() in "aeiou" else "a"


def _layer(field: Field) -> str | None:
    return str(field.path[-1]) if field.path else None


# --- channel suitability -------------------------------------------------------------------


def _is_public(scope: Scope) -> tuple[bool, list[str]]:
    configured = list(scope.project.config.channels)
    targets = list(scope.channels) if scope.channels is not None else configured
    if not targets:
        return True, []  # nothing configured yet: assume the worst
    public = set(scope.guard.public_channels) if scope.guard.public_channels is not None else set(targets)
    hit = [t for t in targets if t in public]
    return bool(hit), hit


def _topic_pattern(keyword: str) -> re.Pattern[str]:
    kw = re.escape(keyword.casefold())
    # Spaced scripts get a word start so "refund" does not match inside other words; Thai and
    # Devanagari have no reliable word boundary in regex, so they match as substrings.
    if _LATIN_OR_CYRILLIC.match(keyword):
        return re.compile(r"(?<!\w)" + kw)
    return re.compile(kw)


def check_suitability(scope: Scope) -> None:
    if not scope.out.active("suitability.off-channel"):
        return
    public, names = _is_public(scope)
    if not public:
        return
    topics = scope.guard.off_channel_topics
    where = f"public channels ({', '.join(names)})" if names else "public channels"
    for field in scope.fields:
        for lang, text in field.values.items():
            if lang not in scope.langs:
                continue
            folded = text.casefold()
            for keyword in [*topics.get(lang.split("-")[0], []), *topics.get("*", [])]:
                m = _topic_pattern(keyword).search(folded)
                if m:
                    scope.out.emit(
                        "suitability.off-channel",
                        f"{field.label()} ({lang}) is about {keyword!r}, a topic kept off {where}",
                        lang=lang,
                        frame=field.frame,
                        layer=_layer(field),
                        **scope.locator.at((*field.path, lang)),
                    )
                    break


# --- copy ----------------------------------------------------------------------------------


def check_words(scope: Scope) -> None:
    if not scope.out.active("copy.max-words"):
        return
    per_frame: dict[tuple[int, str], list[Field]] = defaultdict(list)
    for field in scope.fields:
        if field.frame is not None and field.role in ("heading", "body", "caption"):
            for lang in field.values:
                per_frame[(field.frame, lang)].append(field)
    for (frame, lang), frame_fields in sorted(per_frame.items()):
        if lang not in scope.langs:
            continue
        limit = scope.guard.max_words.get(lang, scope.guard.max_words.get(lang.split("-")[0]))
        limit = limit if limit is not None else scope.guard.max_words_default
        count = sum(word_count(f.values.get(lang, ""), lang) for f in frame_fields)
        if count > limit:
            body = next((f for f in frame_fields if f.role == "body"), frame_fields[0])
            unit = "words (by dictionary segmentation)" if lang.startswith("th") else "words"
            scope.out.emit(
                "copy.max-words",
                f"frame {frame} has {count} {unit} in {lang_name(lang)}; the limit is {limit}",
                lang=lang,
                frame=frame,
                layer=_layer(body),
                **scope.locator.at((*body.path, lang)),
            )


def check_translations(scope: Scope) -> None:
    if not scope.out.active("copy.missing-translation"):
        return
    for field in scope.fields:
        present = {lang for lang, text in field.values.items() if text.strip()}
        if not present:
            continue
        for lang in _item_languages(scope):
            if lang not in present:
                scope.out.emit(
                    "copy.missing-translation",
                    f"{field.label()} has no {lang_name(lang)} ({lang}) text, but the story declares {lang}",
                    f"add `{lang}: ...` under {field.label()} (it has {', '.join(sorted(present))}), "
                    f"or remove {lang} from the story's languages",
                    lang=lang,
                    frame=field.frame,
                    layer=_layer(field),
                    **scope.locator.at(field.path),
                )


def _steps(scope: Scope) -> list[Any]:
    steps = getattr(scope.item, "steps", None)
    return list(steps) if isinstance(steps, list) else []


def check_images(scope: Scope) -> None:
    expects = getattr(scope.item, "template", None) in scope.guard.image_templates
    for i, step in enumerate(_steps(scope)):
        image = getattr(step, "image", None)
        if not image and expects:
            scope.out.emit(
                "copy.missing-image",
                f"step {i + 1} has no image, but the {scope.item.template!r} template expects one",
                frame=i + 2,
                **scope.locator.at(("steps", i)),
            )
        alt = getattr(step, "alt", None) or {}
        if image and not any(str(v).strip() for v in alt.values()):
            scope.out.emit(
                "copy.missing-alt",
                f"step {i + 1} shows {image} but has no alt text",
                frame=i + 2,
                layer="alt",
                **scope.locator.at(("steps", i, "image")),
            )


# --- format --------------------------------------------------------------------------------


def check_format(scope: Scope) -> None:
    g = scope.guard
    steps = _steps(scope)
    frames = getattr(scope.item, "frame_count", None)
    if isinstance(frames, int) and frames > g.max_frames:
        scope.out.emit(
            "format.max-frames",
            f"the story has {frames} frames (cover, {len(steps)} steps, outro); the limit is {g.max_frames}",
            **scope.locator.at(("steps",)),
        )
    if not steps:
        return
    total = 2 * g.default_frame_duration  # cover and outro
    for i, step in enumerate(steps):
        seconds = getattr(step, "duration", None) or g.default_frame_duration
        total += seconds
        if seconds > g.max_frame_duration:
            scope.out.emit(
                "format.frame-duration",
                f"step {i + 1} stays {seconds:g} s; the limit for one frame is {g.max_frame_duration:g} s",
                frame=i + 2,
                **scope.locator.at(("steps", i, "duration")),
            )
    if total > g.max_duration:
        scope.out.emit(
            "format.duration",
            f"the story runs {total:g} s (frames without a duration count {g.default_frame_duration:g} s); "
            f"the limit is {g.max_duration:g} s",
            **scope.locator.at(("steps",)),
        )


def _is_poll(item: Any) -> bool:
    return getattr(item, "kind", None) == "poll" or getattr(item, "poll", None) is not None


def _carries_polls(ctype: str, guard: GuardConfig) -> bool:
    """Whether a channel type carries polls: [guard] poll_channel_types when set, else the
    channel type's own capabilities, else the default list."""
    if "poll_channel_types" in guard.model_fields_set:
        return ctype in guard.poll_channel_types
    try:
        from ..channels.registry import get_channel_type

        caps = getattr(get_channel_type(ctype).cls, "capabilities", None)
    except Exception:  # no registry yet, or an unknown type: fall back to the list
        caps = None
    if caps is not None:
        return bool(getattr(caps, "polls_native", False))
    return ctype in guard.poll_channel_types


def check_polls(scope: Scope) -> None:
    if not _is_poll(scope.item) or not scope.out.active("format.poll-channel"):
        return
    configured = scope.project.config.channels
    targets = list(scope.channels) if scope.channels is not None else list(configured)
    for name in targets:
        section = configured.get(name)
        ctype = section.type if section is not None else name
        if not _carries_polls(ctype, scope.guard):
            scope.out.emit(
                "format.poll-channel",
                f"channel {name!r} ({ctype}) cannot carry a poll natively; "
                "it will be baked into the frame or handed off",
                **scope.locator.at(("poll",) if getattr(scope.item, "poll", None) is not None else ()),
            )


CONTENT_CHECKS = (
    check_pii,
    check_suitability,
    check_words,
    check_translations,
    check_images,
    check_format,
    check_polls,
)


def check_content(
    project: Project,
    item: Any,
    langs: Iterable[str] | None = None,
    channels: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every enabled content rule on one story (or other content item)."""
    guard: GuardConfig = getattr(project.config, "guard", None) or GuardConfig()
    all_langs = list(dict.fromkeys([*project.languages, *(getattr(item, "languages", []) or [])]))
    chosen = list(langs) if langs is not None else all_langs
    source = getattr(item, "source", None)
    locator = Locator(source, project.root)
    out = Emitter(guard, {"story": getattr(item, "id", None)})
    scope = Scope(
        project=project,
        item=item,
        langs=chosen,
        channels=list(channels) if channels is not None else None,
        guard=guard,
        fields=fields(item, all_langs),
        locator=locator,
        out=out,
    )
    for check in CONTENT_CHECKS:
        check(scope)
    return out.findings
