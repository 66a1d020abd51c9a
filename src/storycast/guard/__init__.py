"""Guardrails: lint rules for personal data, channel suitability, copy, format and layout.

Importing this package loads nothing; the API is in its modules:

- :mod:`storycast.guard.check`: ``check_story(project, story, langs, channels) -> list[Finding]``
  (content rules for one item) and ``lint_project(project, ...) -> LintResult`` (what
  ``storycast lint`` runs);
- :mod:`storycast.guard.render`: ``render_rules(project, story, lang, manifest_path) -> list[Finding]``
  (layout rules on a render);
- :mod:`storycast.guard.registry`: ``Finding``, ``Rule``, ``register``, ``all_rules``, and
  ``has_errors(findings)`` (publishing refuses an item when it is true).
"""
