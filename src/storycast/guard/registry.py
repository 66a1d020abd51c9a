"""Findings, rules, and the rule registry: a view over the plugin manager's ``register_lint_rules``
hook, which built-in (``guard/plugin.py``) and third-party rules go through alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..project import Project
    from .config import GuardConfig

Severity = Literal["error", "warning", "info"]
Family = Literal["content", "render"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass
class Finding:
    """One problem the guard found, pointing at the story file and, where known, frame and layer."""

    rule: str
    severity: Severity
    message: str
    hint: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    story: str | None = None
    lang: str | None = None
    frame: int | None = None
    layer: str | None = None

    @property
    def location(self) -> str:
        """``file:line:column`` as far as it is known ('' when no file)."""
        if not self.file:
            return ""
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the --json shape, pinned by tests)."""
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    """A lint rule: id (``family.name``), default severity, what it catches and how to fix it."""

    id: str
    severity: Severity
    family: Family
    summary: str
    hint: str
    enabled: bool = True  # default when [guard] rules does not mention it
    # A plugin rule's check, run on each item by check_story and lint (built-ins run in their family).
    check: Callable[[RuleInput], None] | None = field(default=None, compare=False)

    def resolve(self, guard: GuardConfig) -> Severity | None:
        """Effective severity under ``guard``, or None when the rule is switched off."""
        setting = guard.rules.get(self.id)
        if setting is None:
            return self.severity if self.enabled else None
        if setting is False or setting == "off":
            return None
        if setting is True:
            return self.severity
        return setting


@dataclass
class RuleInput:
    """What a rule's ``check`` gets: the item, its languages and channels, and the emitter to report on."""

    project: Project
    item: Any
    langs: list[str]
    channels: list[str] | None
    emitter: Emitter


HOOK = "register_lint_rules"
_cache: tuple[Any, dict[str, Rule]] | None = None


def register(rule: Rule) -> Rule:
    """Deprecated: implement the ``register_lint_rules`` hook instead (docs/plugins.md)."""
    if rule.severity not in SEVERITIES:
        raise ValueError(f"guard rule {rule.id!r} has an unknown severity {rule.severity!r}")
    from .. import plugins

    plugins.legacy_add(HOOK, rule, rule.check.__module__ if rule.check else "")
    return rule


def rules_by_id() -> dict[str, Rule]:
    """Every registered rule by id (registration order); rebuilt only when the plugins change."""
    global _cache
    from .. import plugins

    view = plugins.view(HOOK)
    cache = _cache
    if cache is None or cache[0] is not view:
        rules = {}
        for rule_id, provided in view.items():
            rule = provided.value
            if rule.severity not in SEVERITIES:
                from ..errors import ConfigError

                raise ConfigError(
                    f"lint rule {rule_id!r} of {provided.origin} has an unknown severity {rule.severity!r}",
                    hint=f"use one of: {', '.join(SEVERITIES)}",
                )
            rules[rule_id] = rule
        cache = _cache = (view, rules)
    return cache[1]


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by id."""
    rules = rules_by_id()
    return [rules[k] for k in sorted(rules)]


def get_rule(rule_id: str) -> Rule:
    return rules_by_id()[rule_id]


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error (publishing refuses such an item)."""
    return any(f.severity == "error" for f in findings)


class Emitter:
    """Collects findings for one story/lang, applying the [guard] rule switches and severities."""

    def __init__(self, guard: GuardConfig, base: dict[str, Any] | None = None) -> None:
        self.guard = guard
        self.base = base or {}
        self.findings: list[Finding] = []

    def active(self, rule_id: str) -> bool:
        return get_rule(rule_id).resolve(self.guard) is not None

    def emit(self, rule_id: str, message: str, hint: str | None = None, **where: Any) -> None:
        rule = get_rule(rule_id)
        severity = rule.resolve(self.guard)
        if severity is None:
            return
        fields = {**self.base, **where}
        if isinstance(fields.get("file"), Path):
            fields["file"] = str(fields["file"])
        self.findings.append(Finding(rule_id, severity, message, hint or rule.hint, **fields))
