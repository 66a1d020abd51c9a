"""Findings as text, JSON and SARIF 2.1.0 (so Git review tools show them inline)."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import __version__
from .registry import Finding, all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _where(f: Finding) -> str:
    parts = [str(p) for p in (f.story, f.lang, f"frame {f.frame}" if f.frame else None, f.layer) if p]
    return f"[{' / '.join(parts)}]" if parts else ""


def to_text(findings: list[Finding]) -> str:
    """One block per finding: ``file:line:col: severity rule: message`` then the hint."""
    lines = []
    for f in findings:
        loc = f.location or (f.story or "")
        head = f"{loc}: {f.severity} {f.rule}: {f.message}"
        where = _where(f)
        lines.append(f"{head} {where}".rstrip())
        lines.append(f"  hint: {f.hint}")
    return "\n".join(lines)


def summary(findings: list[Finding], stories: int) -> str:
    """'2 errors, 1 warning in 3 stories' (or 'no problems in 3 stories')."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    infos = len(findings) - errors - warnings
    noun = "story" if stories == 1 else "stories"
    if not findings:
        return f"no problems in {stories} {noun}"
    parts = [
        f"{errors} error{'s' if errors != 1 else ''}",
        f"{warnings} warning{'s' if warnings != 1 else ''}",
    ]
    if infos:
        parts.append(f"{infos} note{'s' if infos != 1 else ''}")
    return f"{', '.join(parts)} in {stories} {noun}"


def to_json(findings: list[Finding], stories: list[str]) -> dict[str, Any]:
    """The --json document: findings plus counts."""
    return {
        "findings": [f.to_dict() for f in findings],
        "errors": sum(1 for f in findings if f.severity == "error"),
        "warnings": sum(1 for f in findings if f.severity == "warning"),
        "stories": stories,
    }


def _fingerprint(f: Finding) -> str:
    # Stable across runs and line moves: rule, story, lang, frame, layer, message.
    key = "|".join(str(v) for v in (f.rule, f.story, f.lang, f.frame, f.layer, f.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def to_sarif(findings: list[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; paths are relative to the project root (%SRCROOT%)."""
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}. Fix: {f.hint}"},
            "partialFingerprints": {"storycastFinding/v1": _fingerprint(f)},
            "properties": {
                k: v
                for k, v in (("story", f.story), ("lang", f.lang), ("frame", f.frame), ("layer", f.layer))
                if v is not None
            },
        }
        location: dict[str, Any] = {}
        if f.file:
            physical: dict[str, Any] = {
                "artifactLocation": {"uri": f.file.replace("\\", "/"), "uriBaseId": "%SRCROOT%"}
            }
            if f.line:
                region: dict[str, Any] = {"startLine": f.line}
                if f.column:
                    region["startColumn"] = f.column
                physical["region"] = region
            location["physicalLocation"] = physical
        logical = "/".join(
            str(p) for p in (f.story, f.lang, f"frame-{f.frame}" if f.frame else None, f.layer) if p
        )
        if logical:
            location["logicalLocations"] = [{"fullyQualifiedName": logical, "kind": "element"}]
        if location:
            result["locations"] = [location]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "storycast",
                        "version": __version__,
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.id.replace(".", "/"),
                                "shortDescription": {"text": r.summary},
                                "help": {"text": r.hint},
                                "defaultConfiguration": {
                                    "level": _SARIF_LEVEL[r.severity],
                                    "enabled": r.enabled,
                                },
                                "properties": {"family": r.family},
                            }
                            for r in rules
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the project root"}}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
