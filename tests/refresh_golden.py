"""Golden images of the default templates: the cases, how they render, and the refresh command.

    python -m tests.refresh_golden          # re-render every golden image after a deliberate change

Then look at the PNGs in tests/golden/ before committing them. tests/test_golden.py compares
fresh renders against them with a tolerance.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "golden"
PROJECT = GOLDEN / "project"
SCALE = 2  # goldens are stored at half size: small files, still sensitive to layout changes

EVENTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Faster Wi-Fi at home: ask us anything",
        "host": "Marta from Lumen Support",
        "starts_local": "Thu 4 Dec, 18:00 CET",
        "join": "Instagram Live · @lumen.support",
        "topics": ["Where to put your router", "Mesh or repeater?", "Channels and interference"],
    },
    "th": {
        "title": "Wi-Fi ที่บ้านเร็วขึ้น: ถามเราได้ทุกเรื่อง",
        "host": "มาร์ตา จาก Lumen Support",
        "starts_local": "พฤ. 4 ธ.ค. 18:00 น.",
        "join": "Instagram Live · @lumen.support",
        "topics": ["วางเราเตอร์ตรงไหนดี", "Mesh หรือตัวขยายสัญญาณ", "ช่องสัญญาณและสัญญาณรบกวน"],
    },
}
POLLS: dict[str, dict[str, Any]] = {
    "en": {
        "question": "How do you usually fix a slow connection?",
        "options": ["Restart the router", "Call support", "Wait and hope", "Move closer to the router"],
    },
    "th": {
        "question": "ปกติคุณแก้เน็ตช้าอย่างไร",
        "options": ["รีสตาร์ทเราเตอร์", "โทรหาฝ่ายบริการ", "รอให้หายเอง", "ขยับเข้าใกล้เราเตอร์"],
    },
}

# (name, lang): every default template in en and th, plus the step frame in hi and sr.
CASES: list[tuple[str, str]] = [
    *(
        (name, lang)
        for lang in ("en", "th")
        for name in ("cover", "step", "outro", "qa", "poll", "support-hours")
    ),
    ("step", "hi"),
    ("step", "sr"),
]


def golden_path(name: str, lang: str) -> Path:
    return GOLDEN / f"{name}-{lang}.png"


def render_case(name: str, lang: str) -> Any:
    """Render one case at full size as PNG and return it reduced to golden scale (PIL image)."""
    from PIL import Image

    from storycast.project import Project
    from storycast.render.frames import plan_story
    from storycast.render.pipeline import render_frame

    project = Project.load(PROJECT)
    if name in ("cover", "step", "outro"):
        plans = plan_story(project, project.content.story("golden"), lang)
        plan = {"cover": plans[0], "step": plans[1], "outro": plans[-1]}[name]
        result = render_frame(project, plan.template, lang, plan.context, kind=plan.kind)
    elif name == "qa":
        result = render_frame(project, "qa/announcement.j2", lang, {"event": EVENTS[lang]})
    elif name == "poll":
        result = render_frame(project, "poll/poll.j2", lang, {"poll": POLLS[lang]})
    else:
        result = render_frame(project, "support-hours.j2", lang)
    with Image.open(io.BytesIO(result.payload)) as im:
        return im.convert("RGB").reduce(SCALE)


def main(argv: list[str] | None = None) -> int:
    """Re-render every golden image (or those whose name-lang is given)."""
    wanted = set(argv if argv is not None else sys.argv[1:])
    for name, lang in CASES:
        if wanted and f"{name}-{lang}" not in wanted:
            continue
        path = golden_path(name, lang)
        render_case(name, lang).save(path, "PNG", optimize=True)
        print(f"wrote {path.relative_to(GOLDEN.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
