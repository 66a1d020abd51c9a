"""Personal and confidential data: the multilingual corpus, through check_story, plus edge cases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from storycast.config import Config
from storycast.config.guard import DEFAULT_ORDER_PATTERNS, GuardConfig, id_formats, phone_regions
from storycast.content.models import Story
from storycast.guard.check import check_story
from storycast.guard.pii import jmbg_ok, luhn_ok, scan
from storycast.guard.registry import has_errors
from storycast.project import Project

CORPUS = yaml.safe_load((Path(__file__).parent / "guard_corpus" / "pii.yaml").read_text(encoding="utf-8"))
LANGS = ["en", "es", "th", "hi", "sr"]
CASES = [(lang, case["text"], case["rules"]) for lang in LANGS for case in CORPUS[lang]]


def project(
    tmp_path: Path, guard: dict[str, Any] | None = None, channels: dict[str, Any] | None = None
) -> Project:
    raw: dict[str, Any] = {"project": {"languages": LANGS}, "guard": guard or {}}
    if channels is not None:
        raw["channels"] = channels
    return Project(root=tmp_path, config=Config.model_validate(raw), environ={})


def story(lang: str, text: str, **extra: Any) -> Story:
    return Story.model_validate(
        {
            "id": "s",
            "template": "plain",
            "category": "test",
            "languages": [lang],
            "title": {lang: "Title"},
            "steps": [{"title": {lang: "Step"}, "text": {lang: text}}],
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("lang", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_corpus(tmp_path: Path, lang: str, text: str, expected: list[str]) -> None:
    findings = check_story(project(tmp_path), story(lang, text))
    got = sorted({f.rule for f in findings if f.rule.startswith("pii.")})
    assert got == sorted(expected), [f.message for f in findings]
    for f in findings:
        assert f.lang == lang and f.frame == 2 and f.layer == "text"


def test_every_language_has_positives_and_negatives() -> None:
    for lang in LANGS:
        rules = [case["rules"] for case in CORPUS[lang]]
        assert any(rules) and any(not r for r in rules), lang
    covered = {r for lang in LANGS for case in CORPUS[lang] for r in case["rules"]}
    assert covered == {
        f"pii.{k}"
        for k in ["card", "phone", "email", "password", "otp", "secret", "account", "national-id", "order"]
    }


def test_messages_never_repeat_the_value(tmp_path: Path) -> None:
    secrets = ["hunter2", "AKIAIOSFODNN7EXAMPLE", "4111 1111 1111 1111", "jane.doe@gmail.com", "482913"]
    text = (
        f"password: {secrets[0]} key {secrets[1]} card {secrets[2]} mail {secrets[3]} "
        f"your code is {secrets[4]}"
    )
    findings = check_story(project(tmp_path), story("en", text))
    assert {f.rule for f in findings} >= {"pii.password", "pii.secret", "pii.card", "pii.email", "pii.otp"}
    for f in findings:
        blob = f.message + f.hint
        assert not any(s in blob for s in secrets), blob


def test_alt_text_and_title_are_scanned(tmp_path: Path) -> None:
    s = Story.model_validate(
        {
            "id": "s",
            "template": "plain",
            "category": "c",
            "languages": ["en"],
            "title": {"en": "Mail jane@corp.io"},
            "steps": [
                {"title": {"en": "x"}, "image": "a.png", "alt": {"en": "A note reading +34 612345678"}}
            ],
        }
    )
    findings = check_story(project(tmp_path), s)
    by_rule = {f.rule: f for f in findings}
    assert by_rule["pii.email"].frame == 1 and by_rule["pii.email"].layer == "title"
    assert by_rule["pii.phone"].layer == "alt"
    assert "alt text" in by_rule["pii.phone"].message
    assert has_errors(findings)


def test_allowlist_and_rule_switches(tmp_path: Path) -> None:
    text = "Write to help@lumen.example or call 612 34 56 78"
    p = project(tmp_path, {"allow": [r"help@lumen\.example"], "rules": {"pii.phone": "warning"}})
    findings = check_story(p, story("es", text))
    assert [(f.rule, f.severity) for f in findings] == [("pii.phone", "warning")]
    assert not has_errors(findings)
    off = project(tmp_path, {"rules": {"pii.phone": False, "pii.email": "off"}})
    assert check_story(off, story("es", text)) == []


def test_regions_default_from_languages_and_config() -> None:
    g = GuardConfig()
    assert phone_regions(g, LANGS) == ["US", "GB", "ES", "TH", "IN", "RS"]
    assert phone_regions(GuardConfig(regions=["ES"]), LANGS) == ["ES"]
    assert id_formats(g, ["es"]) == ["es.dni", "es.nie"]
    assert "rs.jmbg" in id_formats(g, LANGS)


def test_arabic_local_numbers_are_found_without_configuration() -> None:
    """A project that speaks Arabic reads the local formats of Saudi Arabia, the Emirates and
    Egypt, in Arabic-Indic digits too; before, only "+966 ..." numbers were found."""
    kw: dict[str, Any] = {
        "id_formats": [],
        "account_formats": [],
        "order_patterns": [re.compile(p) for p in DEFAULT_ORDER_PATTERNS],
    }
    regions = phone_regions(GuardConfig(), ["en", "ar"])
    assert regions == ["US", "GB", "SA", "AE", "EG"]
    for text in (
        "اتصل بنا على 0551234567",
        "اتصل بنا على ٠٥٥١٢٣٤٥٦٧",
        "واتساب 050 123 4567",
        "الخط 010 1234 5678",
    ):
        assert scan(text, regions=["US", "GB"], **kw) == [], text
        assert [h.rule for h in scan(text, regions=regions, **kw)] == ["pii.phone"], text
    assert scan("الإصدار 4.2 متاح من 09:00 إلى 18:00", regions=regions, **kw) == []


def test_local_number_needs_its_region() -> None:
    kw: dict[str, Any] = {
        "id_formats": [],
        "account_formats": [],
        "order_patterns": [re.compile(p) for p in DEFAULT_ORDER_PATTERNS],
    }
    assert scan("064 123 4567", regions=["US"], **kw) == []
    assert [h.rule for h in scan("064 123 4567", regions=["RS"], **kw)] == ["pii.phone"]


def test_configured_national_id_and_order_pattern(tmp_path: Path) -> None:
    p = project(tmp_path, {"national_ids": ["us.ssn"], "order_patterns": [r"\bLUM-\d{4}\b"]})
    findings = check_story(p, story("en", "SSN 536-90-4399, case LUM-1234"))
    assert sorted(f.rule for f in findings) == ["pii.national-id", "pii.order"]
    # With the default formats (from languages) a US SSN is not looked for.
    assert check_story(project(tmp_path), story("en", "SSN 536-90-4399")) == []


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert jmbg_ok("0101990710008") and not jmbg_ok("0101990710009") and not jmbg_ok("3213990710008")
    # An invalid IBAN or card number is not personal data.
    assert check_story_text("ES91 2100 0418 4502 0005 1333 and 4111 1111 1111 1112") == []


def check_story_text(text: str) -> list[str]:
    p = Project(root=Path("."), config=Config.model_validate({"project": {"languages": ["en"]}}), environ={})
    return [f.rule for f in check_story(p, story("en", text))]


def test_config_rejects_bad_values() -> None:
    from pydantic import ValidationError

    for bad in (
        {"regions": ["XX"]},
        {"national_ids": ["rs.nope"]},
        {"order_patterns": ["(unclosed"]},
        {"rules": {"pii.emial": False}},
    ):
        with pytest.raises(ValidationError):
            GuardConfig.model_validate(bad)
