"""Content rules: locations, channel suitability, copy length, translations, images, format, polls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from storycast.config import Config
from storycast.content.models import Story
from storycast.guard.check import check_story, lint_project
from storycast.guard.content import word_count
from storycast.guard.registry import has_errors
from storycast.project import Project

REPO = Path(__file__).resolve().parents[1]
LANGS = ["en", "es", "th", "hi", "sr"]


def write_project(root: Path, stories: dict[str, str], toml_extra: str = "") -> Project:
    (root / "stories").mkdir(parents=True, exist_ok=True)
    (root / "storycast.toml").write_text(
        f'[project]\nlanguages = {LANGS!r}\n\n[channels.local]\ntype = "local"\n{toml_extra}'.replace(
            "'", '"'
        ),
        encoding="utf-8",
    )
    for name, text in stories.items():
        (root / "stories" / name).write_text(text, encoding="utf-8")
    return Project.load(root, environ={})


def mem_project(guard: dict[str, Any] | None = None, channels: dict[str, Any] | None = None) -> Project:
    raw: dict[str, Any] = {"project": {"languages": LANGS}, "guard": guard or {}, "channels": channels or {}}
    return Project(root=Path("."), config=Config.model_validate(raw), environ={})


def make_story(steps: list[dict[str, Any]], langs: list[str] | None = None, **extra: Any) -> Story:
    langs = langs or ["en"]
    data = {
        "id": "s",
        "template": "plain",
        "category": "c",
        "languages": langs,
        "title": {lang: "Title" for lang in langs},
        "steps": steps,
        **extra,
    }
    return Story.model_validate(data)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


STORY = """\
id: leak
template: plain
category: test
languages: [en, th]
title:
  en: Call us
  th: โทรหาเรา
steps:
  - title: {en: First, th: ขั้นแรก}
    text:
      en: Nothing to see here.
      th: ไม่มีอะไร
  - title: {en: Second, th: ขั้นที่สอง}
    text:
      en: Ring the desk.
      th: โทร081-234-5678ครับ
  - title: {en: Third}
    text: {en: All done., th: เสร็จแล้ว}
"""


def test_findings_point_at_file_line_column_frame_and_layer(tmp_path: Path) -> None:
    p = write_project(tmp_path, {"leak.yaml": STORY})
    findings = check_story(p, p.content.story("leak"))
    phone = next(f for f in findings if f.rule == "pii.phone")
    assert phone.file == "stories/leak.yaml"
    assert phone.line == line_of(STORY, "โทร081") and phone.column == 11
    assert (phone.story, phone.lang, phone.frame, phone.layer) == ("leak", "th", 3, "text")
    missing = next(f for f in findings if f.rule == "copy.missing-translation")
    # The third step's title has no Thai: the finding points at that mapping, frame 4.
    assert (
        missing.line == line_of(STORY, "title: {en: Third}") and missing.lang == "th" and missing.frame == 4
    )
    assert missing.severity == "error" and "th" in missing.hint


def test_langs_argument_limits_the_check(tmp_path: Path) -> None:
    p = write_project(tmp_path, {"leak.yaml": STORY})
    findings = check_story(p, p.content.story("leak"), langs=["en"])
    assert findings == []


REFUND = {
    "en": "How to get a refund",
    "es": "Cómo pedir un reembolso",
    "th": "วิธีขอคืนเงินค่าบริการ",
    "hi": "रिफ़ंड कैसे पाएं",
    "sr": "Како до повраћаја новца: поврат новца",
}


@pytest.mark.parametrize("lang", LANGS)
def test_off_channel_topic_only_on_public_channels(lang: str) -> None:
    channels = {"insta": {"type": "instagram"}, "agents": {"type": "slack"}}
    p = mem_project({"public_channels": ["insta"]}, channels)
    s = make_story([{"title": {lang: "1"}, "text": {lang: REFUND[lang]}}], [lang])
    assert [f.rule for f in check_story(p, s, channels=["insta"])] == ["suitability.off-channel"]
    assert [f.rule for f in check_story(p, s)] == ["suitability.off-channel"]  # all channels: insta is one
    assert check_story(p, s, channels=["agents"]) == []


def test_off_channel_negatives_and_custom_keywords() -> None:
    p = mem_project()
    ok = make_story([{"title": {"en": "Reset your router"}, "text": {"en": "Change your Wi-Fi password."}}])
    assert check_story(p, ok) == []
    custom = mem_project({"off_channel_topics": {"*": ["lawsuit"]}})
    s = make_story([{"title": {"en": "x"}, "text": {"en": "About the Lawsuit"}}])
    assert [f.rule for f in check_story(custom, s)] == ["suitability.off-channel"]
    assert check_story(custom, make_story([{"title": {"en": "x"}, "text": {"en": "a refund"}}])) == []


def test_words_per_frame_by_language() -> None:
    p = mem_project()
    forty = " ".join(["word"] * 38)  # + "Step 1" title = 40 words on the frame
    assert check_story(p, make_story([{"title": {"en": "Step 1"}, "text": {"en": forty}}])) == []
    over = make_story([{"title": {"en": "Step 1"}, "text": {"en": forty + " more"}}])
    findings = check_story(p, over)
    assert [(f.rule, f.severity, f.frame) for f in findings] == [("copy.max-words", "warning", 2)]
    assert "41 words" in findings[0].message


def test_thai_is_counted_by_segmentation_not_spaces() -> None:
    sentence = "กดปุ่มรีเซ็ตที่ด้านหลังเราเตอร์ค้างไว้สิบวินาทีแล้วรอจนไฟติดนิ่ง"
    assert len(sentence.split()) == 1 and word_count(sentence, "th") >= 10
    long_thai = sentence * 4  # no spaces at all
    p = mem_project()
    s = make_story([{"title": {"th": "ขั้นแรก"}, "text": {"th": long_thai}}], ["th"])
    findings = check_story(p, s)
    assert [f.rule for f in findings] == ["copy.max-words"]
    assert "segmentation" in findings[0].message and "45" in findings[0].message
    # The same text counted by spaces would pass: the limit per language is configurable.
    assert check_story(mem_project({"max_words": {"th": 500}}), s) == []


def test_missing_image_and_alt() -> None:
    p = mem_project()
    steps = [{"title": {"en": "a"}}, {"title": {"en": "b"}, "image": "x.png"}]
    tutorial = make_story(steps, template="tutorial")
    got = sorted((f.rule, f.frame) for f in check_story(p, tutorial))
    assert got == [("copy.missing-alt", 3), ("copy.missing-image", 2)]
    plain = make_story(steps)
    assert [f.rule for f in check_story(p, plain)] == ["copy.missing-alt"]
    assert not has_errors(check_story(p, tutorial))


def test_frames_and_durations() -> None:
    p = mem_project()
    step = {"title": {"en": "a"}}
    assert check_story(p, make_story([step] * 8)) == []  # 10 frames
    assert [f.rule for f in check_story(p, make_story([step] * 9))] == ["format.max-frames"]
    slow = make_story([{**step, "duration": 10}] * 6)  # 60 + 2 x 5 = 70 s
    assert [f.rule for f in check_story(p, slow)] == ["format.duration"]
    one_long = make_story([{**step, "duration": 20}])
    findings = check_story(p, one_long)
    assert [(f.rule, f.severity, f.frame) for f in findings] == [("format.frame-duration", "warning", 2)]
    assert check_story(mem_project({"max_frames": 12}), make_story([step] * 9)) == []


@dataclass
class Poll:
    """A stand-in for the poll content kind (another module owns the real one)."""

    id: str = "vote"
    kind: str = "poll"
    languages: list[str] = field(default_factory=lambda: ["en", "es"])
    question: dict[str, str] = field(
        default_factory=lambda: {"en": "Which is better?", "es": "¿Cuál es mejor?"}
    )
    options: list[dict[str, str]] = field(
        default_factory=lambda: [{"en": "Mail me at a@b.co", "es": "Uno"}, {"en": "Two"}]
    )
    source: Path | None = None


def test_poll_channels_and_generic_text_walk() -> None:
    channels = {"insta": {"type": "instagram"}, "tg": {"type": "telegram"}}
    p = mem_project(channels=channels)
    findings = check_story(p, Poll())
    rules = sorted((f.rule, f.severity) for f in findings)
    assert rules == [
        ("copy.missing-translation", "error"),
        ("format.poll-channel", "warning"),
        ("pii.email", "error"),
    ]
    poll_warning = next(f for f in findings if f.rule == "format.poll-channel")
    assert "'insta'" in poll_warning.message
    assert [f.rule for f in check_story(p, Poll(), channels=["tg"]) if f.rule.startswith("format")] == []
    # [guard] poll_channel_types, when set, replaces the channel types' own capabilities.
    listed = mem_project({"poll_channel_types": ["instagram"]}, channels)
    warned = [f.message for f in check_story(listed, Poll()) if f.rule == "format.poll-channel"]
    assert len(warned) == 1 and "'tg'" in warned[0]


def test_example_stories_have_no_findings() -> None:
    stories = sorted((REPO / "stories").glob("*.yaml"))
    assert len(stories) >= 3, "the example tutorials in stories/ must exist"

    project = Project.load(REPO, environ={})
    tutorials = list(project.content.stories.values())
    assert len(tutorials) >= 3
    found = [(f.location, f.rule, f.message) for story in tutorials for f in check_story(project, story)]
    assert found == []
    # Other example content (Q&A events, polls) carries no personal data either.
    result = lint_project(project, rendered=False)
    assert [(f.location, f.rule) for f in result.findings if f.rule.startswith("pii.")] == []


def test_seeded_bad_story_on_disk(tmp_path: Path) -> None:
    data = yaml.safe_load(STORY)
    data["id"] = "bad"
    data["steps"][0]["text"]["en"] = "Refund sent to IBAN ES91 2100 0418 4502 0005 1332"
    p = write_project(tmp_path, {"bad.yaml": yaml.safe_dump(data, allow_unicode=True)})
    result = lint_project(p)
    rules = {f.rule for f in result.findings}
    assert {"pii.account", "suitability.off-channel", "pii.phone", "copy.missing-translation"} <= rules
    assert result.errors >= 4 and result.stories == ["bad"]


@dataclass
class QaEvent:
    """A stand-in for the Q&A content kind: topics are lists of texts per language."""

    id: str = "live"
    kind: str = "qa"
    languages: list[str] = field(default_factory=lambda: ["en", "th"])
    title: dict[str, str] = field(default_factory=lambda: {"en": "Ask us", "th": "ถามเราได้"})
    topics: dict[str, list[str]] = field(
        default_factory=lambda: {"en": ["Wi-Fi", "Refunds for outages"], "th": ["Wi-Fi", "โทร 081-234-5678"]}
    )
    source: Path | None = None


def test_lists_of_texts_per_language_are_checked() -> None:
    findings = check_story(mem_project(), QaEvent())
    assert sorted((f.rule, f.lang, f.layer) for f in findings) == [
        ("pii.phone", "th", "topics"),
        ("suitability.off-channel", "en", "topics"),
    ]


def test_a_language_the_interface_strings_lack_is_an_error_naming_the_keys(tmp_path: Path) -> None:
    story = (
        "id: hello\ntemplate: tutorial\ncategory: connectivity\nlanguages: [en, de]\n"
        "title: {en: Restart the router, de: Router neu starten}\n"
        "steps:\n  - title: {en: Unplug it, de: Stecker ziehen}\n"
        "    text: {en: Wait ten seconds., de: Zehn Sekunden warten.}\n"
    )
    root = tmp_path / "p"
    (root / "stories").mkdir(parents=True)
    (root / "storycast.toml").write_text(
        '[project]\nlanguages = ["en", "de"]\n\n[channels.local]\ntype = "local"\n', encoding="utf-8"
    )
    (root / "stories" / "hello.yaml").write_text(story, encoding="utf-8")
    result = lint_project(Project.load(root, environ={}), rendered=False)
    (found,) = [f for f in result.findings if f.rule == "copy.missing-ui-string"]
    assert found.severity == "error" and found.lang == "de"
    from storycast.render.strings import catalogue

    keys = catalogue()
    assert f"no de text for {len(keys)} key(s): {sorted(keys)[0]}, " in found.message
    assert "templates/strings.yaml" in (found.hint or "")
    # Every key given a German text: the finding goes, and English is never reported.
    (root / "templates").mkdir()
    (root / "templates" / "strings.yaml").write_text(
        yaml.safe_dump(
            {
                k: {"de": "x" if isinstance(v.get("en"), str) else {"one": "x", "other": "x"}}
                for k, v in keys.items()
            }
        ),
        encoding="utf-8",
    )
    result = lint_project(Project.load(root, environ={}), rendered=False)
    assert [f for f in result.findings if f.rule == "copy.missing-ui-string"] == []


def test_the_shipped_languages_have_every_interface_string() -> None:
    from storycast.render.strings import catalogue

    strings = catalogue()
    for lang in ("es", "th", "hi", "sr", "ar"):
        assert [k for k, per_lang in strings.items() if lang not in per_lang] == [], lang
