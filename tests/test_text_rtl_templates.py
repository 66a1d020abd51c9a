"""The stock templates in a right-to-left language: an Arabic story renders with every text
fitting its box, and every frame is the English one mirrored (boxes, chips, badges, columns)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

TOML = """\
[project]
name = "Lumen"
languages = ["en", "ar"]
timezone = "Asia/Riyadh"

[brand]
name = "Lumen"
logo = "assets/logo.png"

[support_hours]
timezone = "Asia/Riyadh"
sun = ["09:00-17:00"]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-13:00"]

[channels.local]
type = "local"
"""

# A short router-reset tutorial, in Modern Standard Arabic; numbers, a time, a product name,
# a URL and a phone number sit inside the Arabic text.
STORY = """\
id: router-reset
template: tutorial
category: connectivity
languages: [en, ar]
title:
  en: Check your home Wi-Fi settings
  ar: تحقّق من إعدادات الشبكة اللاسلكية في المنزل
summary:
  en: Fix a slow or dropped connection in about two minutes.
  ar: أصلِح الاتصال البطيء أو المنقطع في نحو دقيقتين.
cta:
  en: Still stuck? Reply to this story
  ar: ما زالت المشكلة قائمة؟ ردّ على هذه القصة
steps:
  - title:
      en: Check the lights on the front of the router
      ar: افحص المصابيح الموجودة في واجهة جهاز الراوتر
    text:
      en: Look at the TP-Link Archer C6. A red or blinking internet light means the connection dropped.
      ar: انظر إلى جهاز TP-Link Archer C6. إذا كان مصباح الإنترنت أحمر أو يومض، فقد انقطع الاتصال.
    image: assets/step.png
  - title:
      en: Unplug it for 30 seconds
      ar: افصله لمدة 30 ثانية
    text:
      en: Unplug the power cable, wait 30 full seconds, then plug it back in. It is ready in 2 minutes.
      ar: افصل كابل الطاقة وانتظر 30 ثانية كاملة، ثم أعِد توصيله. يصبح الجهاز جاهزًا خلال دقيقتين.
  - title:
      en: Test the connection
      ar: اختبر الاتصال
    text:
      en: Open example.com/speed. Below 50% of your plan? Call us on +966 50 123 4567 from 09:00 to 17:00.
      ar: >-
        افتح example.com/speed. إذا كانت السرعة أقل من 50% من باقتك،
        فاتصل بنا على +966 50 123 4567 من 09:00 إلى 17:00.
"""


def _project(make_project: Any) -> Path:
    golden = Path(__file__).resolve().parent / "golden" / "project" / "assets"
    return make_project(
        {
            "stories/router-reset.yaml": STORY,
            "assets/logo.png": (golden / "logo.png").read_bytes(),
            "assets/step.png": (golden / "step.png").read_bytes(),
        },
        toml=TOML,
    )


def _mirrored(en: list[dict[str, Any]], ar: list[dict[str, Any]], width: int) -> None:
    """Every Arabic text box is its English twin reflected (heights differ: Arabic lines are taller)."""
    boxes = {t["id"]: t["box"] for t in en}
    assert set(boxes) == {t["id"] for t in ar}
    for text in ar:
        x, _, w, _ = boxes[text["id"]]
        assert (text["box"][0], text["box"][2]) == (width - x - w, w), f"{text['id']} is not mirrored"


def test_an_arabic_story_renders_mirrored_and_fits(make_project: Any, run_cli: Any, tmp_path: Path) -> None:
    root = _project(make_project)
    out = tmp_path / "build"
    code, _, stderr = run_cli("--project", str(root), "render", "--out", str(out), "--json")
    assert code == 0, stderr
    manifests = {
        lang: json.loads((out / "router-reset" / lang / "manifest.json").read_text()) for lang in ("en", "ar")
    }
    ar, en = manifests["ar"], manifests["en"]
    assert ar["dir"] == "rtl" and ar["frame_count"] == 5
    assert ar["warnings"] == [] and en["warnings"] == []
    for frame_en, frame_ar in zip(en["frames"], ar["frames"], strict=True):
        assert frame_ar["warnings"] == []
        for text in frame_ar["texts"]:
            assert not text["truncated"], f"{text['id']} does not fit: {text['lines']}"
            assert text["direction"] == "rtl"
        _mirrored(frame_en["texts"], frame_ar["texts"], ar["width"])
    # The body keeps its numbers, URL and phone number as written (logical order).
    last = ar["frames"][3]["texts"]
    body = next(t for t in last if t["id"] == "body")
    assert "+966 50 123 4567" in " ".join(body["lines"])
    # The first progress segment is at the right: on the cover it is the active (accent) one.
    cover = Image.open(out / "router-reset" / "ar" / ar["frames"][0]["file"]).convert("RGB")
    y = next(t for t in ar["frames"][0]["texts"] if t["id"] == "brand")["box"][1] - 36
    right, left = cover.getpixel((ar["width"] - 120, y)), cover.getpixel((120, y))
    assert right[0] > 200 and right[2] < 150, right  # accent #FFB547
    assert left != right


def test_the_standalone_frames_mirror_too(make_project: Any) -> None:
    from storycast.project import Project
    from storycast.render.pipeline import render_frame

    project = Project.load(_project(make_project))
    join = "Instagram Live · @lumen.support"
    contexts = {
        "qa/announcement.j2": {
            "en": {
                "title": "Faster Wi-Fi at home: ask us anything",
                "host": "Marta",
                "starts_local": "Thu 4 Dec, 18:00",
                "join": join,
                "topics": ["Where to put your router", "Mesh or repeater?"],
            },
            "ar": {
                "title": "إنترنت أسرع في المنزل: اسألنا ما تشاء",
                "host": "مارتا",
                "starts_local": "الخميس 4 ديسمبر، 18:00",
                "join": join,
                "topics": ["أين تضع جهاز الراوتر؟", "شبكة Mesh أم مقوٍّ للإشارة؟"],
            },
        },
        "poll/poll.j2": {
            "en": {
                "question": "How do you usually fix a slow connection?",
                "options": ["Restart", "Call us"],
            },
            "ar": {"question": "كيف تصلح الاتصال البطيء عادةً؟", "options": ["أعيد التشغيل", "أتصل بالدعم"]},
        },
    }
    for template in ("qa/announcement.j2", "poll/poll.j2", "support-hours.j2"):
        results = {}
        for lang in ("en", "ar"):
            key = "event" if template.startswith("qa") else "poll"
            extra = {key: contexts[template][lang]} if template in contexts else {}
            result = render_frame(project, template, lang, extra)
            assert result.warnings == [], (template, lang, result.warnings)
            assert Image.open(io.BytesIO(result.payload)).size == (1080, 1920)
            assert not any(t["truncated"] for t in result.texts), (template, lang)
            results[lang] = [{"id": t["id"], "box": list(t["box"])} for t in result.texts]
        _mirrored(results["en"], results["ar"], 1080)
