"""The built-in lint rules (the catalogue in ``guard/rules.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from .registry import Rule


@hookimpl
def register_lint_rules() -> list[Rule]:
    from .rules import BUILTIN_RULES

    return list(BUILTIN_RULES)
