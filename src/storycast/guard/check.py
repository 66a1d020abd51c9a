"""Entry points: check one story (what publishing calls) and lint a whole project (what the CLI calls)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .content import check_content
from .images import image_findings
from .overflow import overflow_rules
from .registry import Emitter, Finding, RuleInput, rules_by_id
from .render import render_rules

if TYPE_CHECKING:
    from ..project import Project

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def check_story(
    project: Project,
    story: Any,
    langs: Iterable[str] | None = None,
    channels: Iterable[str] | None = None,
    *,
    rendered: bool = False,
) -> list[Finding]:
    """Content findings for one story (or other content item) in ``langs`` for ``channels``.

    ``langs`` None means every language the story declares; ``channels`` None means every
    configured channel (so off-channel topics are judged against the public ones). Text that
    does not fit its box (``layout.overflow``) is found by laying the frames out, without
    rendering. With ``rendered``, the layout rules also run on each language's manifest in the
    build folder (where one exists). Publishing refuses the item when :func:`has_errors` is true.
    """
    chosen = list(langs) if langs is not None else None
    findings = check_content(project, story, chosen, channels)
    findings.extend(rule_checks(project, story, chosen, channels))
    for lang in chosen or getattr(story, "languages", []) or project.languages:
        overflow = overflow_rules(project, story, lang)
        findings.extend(overflow)
        path = manifest_path(project, story.id, lang)
        if rendered and path.is_file():
            findings.extend(_without_repeats(render_rules(project, story, lang, path), overflow))
    return sort_findings(findings)


def _without_repeats(rendered: list[Finding], overflow: list[Finding]) -> list[Finding]:
    """Render findings less ``layout.truncated`` for layers ``layout.overflow`` already reports."""
    cut = {(f.frame, f.layer) for f in overflow}
    return [f for f in rendered if not (f.rule == "layout.truncated" and (f.frame, f.layer) in cut)]


def rule_checks(
    project: Project, item: Any, langs: list[str] | None, channels: Iterable[str] | None
) -> list[Finding]:
    """Findings of the rules that bring their own ``check`` (plugin rules; built-ins have none)."""
    rules = [rule for rule in rules_by_id().values() if rule.check is not None]
    if not rules:
        return []
    from ..config.guard import GuardConfig

    guard: GuardConfig = getattr(project.config, "guard", None) or GuardConfig()
    source = getattr(item, "source", None)
    emitter = Emitter(guard, {"story": getattr(item, "id", None), "file": str(source) if source else None})
    chosen = langs if langs is not None else list(getattr(item, "languages", []) or project.languages)
    given = RuleInput(project, item, chosen, list(channels) if channels is not None else None, emitter)
    for rule in rules:
        if rule.resolve(guard) is not None and rule.check is not None:
            rule.check(given)
    return emitter.findings


def manifest_path(project: Project, story_id: str, lang: str) -> Path:
    """Where the renderer writes the manifest of ``story_id`` in ``lang``."""
    return project.build_dir / story_id / lang / "manifest.json"


@dataclass
class LintResult:
    """Findings of a lint run, plus what was checked."""

    findings: list[Finding] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)  # "story/lang" whose frames were checked

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def lint_project(
    project: Project,
    story_ids: Iterable[str] | None = None,
    langs: Iterable[str] | None = None,
    channels: Iterable[str] | None = None,
    rendered: bool = True,
) -> LintResult:
    """Lint stories (all when ``story_ids`` is None); with ``rendered``, also check any manifest
    the renderer left in the build folder."""
    content = project.content
    items: list[Any] = []
    if story_ids:
        for item_id in story_ids:
            extra = next((group[item_id] for group in content.extras.values() if item_id in group), None)
            items.append(extra if extra is not None else content.story(item_id))  # story() explains misses
    else:
        items = [content.stories[k] for k in sorted(content.stories)]
        for kind in sorted(content.extras):
            items.extend(content.extras[kind][k] for k in sorted(content.extras[kind]))
    result = LintResult()
    chosen = list(langs) if langs is not None else None
    for item in items:
        result.stories.append(item.id)
        result.findings.extend(check_content(project, item, chosen, channels))
        result.findings.extend(rule_checks(project, item, chosen, channels))
        # Text in the story's pictures (and, with rendered, in its frames): see guard/images.py.
        result.findings.extend(
            image_findings(project, item, chosen, rendered=rendered, known=result.findings)
        )
        for lang in chosen or getattr(item, "languages", []) or project.languages:
            overflow = overflow_rules(project, item, lang)
            result.findings.extend(overflow)
            path = manifest_path(project, item.id, lang)
            if rendered and path.is_file():
                result.rendered.append(f"{item.id}/{lang}")
                result.findings.extend(_without_repeats(render_rules(project, item, lang, path), overflow))
    result.findings = sort_findings(result.findings)
    return result


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Stable order: file, line, column, then severity and rule."""
    return sorted(
        findings,
        key=lambda f: (
            f.file or "",
            f.line or 0,
            f.column or 0,
            f.lang or "",
            SEVERITY_ORDER[f.severity],
            f.rule,
        ),
    )
