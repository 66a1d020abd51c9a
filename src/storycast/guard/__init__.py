"""Guardrails: lint rules for personal data, channel suitability, copy, format and layout.

Public API (imported lazily so loading storycast.toml stays cheap):

- ``check_story(project, story, langs, channels) -> list[Finding]``: content rules for one item;
- ``render_rules(project, story, lang, manifest_path) -> list[Finding]``: layout rules on a render;
- ``has_errors(findings) -> bool``: publishing refuses an item when this is true;
- ``lint_project(project, ...) -> LintResult``: what ``storycast lint`` runs;
- ``Finding``, ``Rule``, ``register``, ``all_rules``: the registry plugins add rules to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import LintResult, check_story, lint_project
    from .config import GuardConfig
    from .registry import Finding, Rule, all_rules, has_errors, register
    from .render import render_rules

__all__ = [
    "Finding",
    "GuardConfig",
    "LintResult",
    "Rule",
    "all_rules",
    "check_story",
    "has_errors",
    "lint_project",
    "register",
    "render_rules",
]

_WHERE = {
    "Finding": "registry",
    "Rule": "registry",
    "all_rules": "registry",
    "has_errors": "registry",
    "register": "registry",
    "GuardConfig": "config",
    "check_story": "check",
    "lint_project": "check",
    "LintResult": "check",
    "render_rules": "render",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
