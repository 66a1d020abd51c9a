"""Findings, rules and the registry every rule (built-in or plugin) is registered in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
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
class Registry:
    """Rules by id. A duplicate id fails at registration time."""

    rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, rule: Rule) -> Rule:
        if rule.id in self.rules:
            raise ValueError(f"guard rule {rule.id!r} is already registered")
        if rule.severity not in SEVERITIES:
            raise ValueError(f"guard rule {rule.id!r} has an unknown severity {rule.severity!r}")
        self.rules[rule.id] = rule
        return rule


REGISTRY = Registry()
_loaded = False


def register(rule: Rule) -> Rule:
    """Register a rule (plugins call this too); returns it so modules can keep a handle."""
    return REGISTRY.add(rule)


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from . import rules  # noqa: F401 - importing registers the built-in rules


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by id."""
    _load_builtins()
    return [REGISTRY.rules[k] for k in sorted(REGISTRY.rules)]


def get_rule(rule_id: str) -> Rule:
    _load_builtins()
    return REGISTRY.rules[rule_id]


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
