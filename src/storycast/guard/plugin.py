"""The built-in lint rules (the catalogue in ``guard/rules.py``, the image rules in ``guard/images.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from .registry import Rule


@hookimpl
def register_lint_rules() -> list[Rule]:
    from .images import IMAGE_RULES
    from .rules import BUILTIN_RULES
    from .translations import TRANSLATION_RULES

    return [*BUILTIN_RULES, *IMAGE_RULES, *TRANSLATION_RULES]
