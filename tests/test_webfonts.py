"""Web fonts: the shipped fonts as per-script faces for the feed, the knowledge base and report.html.

Browsers in a bare Linux (Debian's Chromium) have no Thai, Devanagari or Arabic font; these tests
check what the pages ask for and what the server answers. tests/test_browser_fonts.py checks in
Chromium that the faces load and nothing is drawn as empty boxes.
"""

from __future__ import annotations

import base64
import re
import shutil
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from storycast.render.text.webfonts import (
    SCRIPTS,
    STACK,
    face_bytes,
    scripts_in,
    text_direction,
    web_faces,
)
from tests.conftest import MINIMAL_TOML, REPO

WEB = REPO / "src" / "storycast" / "web"


def _cmap(data: bytes) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(BytesIO(data)).getBestCmap())


def test_scripts_in_names_the_scripts_a_text_needs() -> None:
    keys = lambda text: [s.key for s in scripts_in(text)]  # noqa: E731
    assert keys("Reset your router") == ["latin"]
    assert keys("รีเซ็ตเราเตอร์ 10:30") == ["latin", "thai"]
    assert keys("รีเซ็ตเราเตอร์") == ["thai"]
    assert keys("अपना राउटर रीसेट करें।") == ["devanagari"]
    assert keys("أعد تشغيل الراوتر ٢") == ["arabic"]
    assert keys("Поново покрените рутер") == ["cyrillic"]
    assert keys("   ") == []


def test_each_face_has_its_script_range_and_latin_and_cyrillic_share_a_family() -> None:
    by_key = {s.key: s for s in SCRIPTS}
    assert by_key["thai"].unicode_range.startswith("U+0E00-0E7F")
    assert "U+0600-06FF" in by_key["arabic"].unicode_range and "U+FE70-FEFE" in by_key["arabic"].unicode_range
    assert by_key["devanagari"].unicode_range.startswith("U+0900-097F")
    assert by_key["latin"].family == by_key["cyrillic"].family == "Storycast Sans"
    assert by_key["cyrillic"].unicode_range.startswith("U+0400-052F")
    # No two faces of one family claim the same character: the browser would load both.
    latin, cyr = by_key["latin"], by_key["cyrillic"]
    assert not any(latin.covers(chr(cp)) for lo, hi in cyr.ranges for cp in range(lo, hi + 1))
    assert STACK.index('"Storycast Sans"') < STACK.index("system-ui")


def test_a_face_is_cut_to_its_script_or_to_a_text() -> None:
    faces = {(f.script.key, f.weight): f for f in web_faces(None)}
    assert {k for k, _ in faces} >= {"latin", "cyrillic", "thai", "devanagari", "arabic"}
    thai, fmt = face_bytes(faces["thai", 400])
    assert fmt == "woff2" and thai[:4] == b"wOF2"
    cmap = _cmap(thai)
    assert 0x0E01 in cmap and 0x0E48 in cmap and ord("A") not in cmap
    arabic, _ = face_bytes(faces["arabic", 700], "مرحبا")
    assert _cmap(arabic) == {ord(c) for c in "مرحبا"}
    # The joining forms shaping needs travel with the characters (GSUB closure).
    whole, _ = face_bytes(faces["arabic", 700])
    assert len(arabic) < len(whole) / 4


def test_the_projects_fonts_come_before_the_packaged_ones(make_project: Any) -> None:
    root = make_project()
    (root / "assets" / "fonts").mkdir(parents=True)
    shutil.copy(REPO / "assets" / "fonts" / "NotoSansThai-Bold.ttf", root / "assets" / "fonts" / "MyThai.ttf")
    faces = {(f.script.key, f.weight): f for f in web_faces(root)}
    assert faces["thai", 700].path.parent == root / "assets" / "fonts"
    assert faces["thai", 400].path.parent != root / "assets" / "fonts"


def test_text_direction() -> None:
    assert [text_direction(x) for x in ("ar", "fa-IR", "he", "ur", "th", "sr", "en")] == [
        "rtl",
        "rtl",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
        "ltr",
    ]


def test_page_style_sheets_name_the_shipped_families_first() -> None:
    for css in (
        WEB / "static" / "feed.css",
        WEB / "static" / "preview.css",
        REPO / "src/storycast/kb/static/kb.css",
    ):
        assert f"--font: {STACK};" in css.read_text(encoding="utf-8"), css.name
    for page in ("feed.html", "preview.html", "handoff.html"):
        assert '<link rel="stylesheet" href="/fonts/fonts.css">' in (WEB / "templates" / page).read_text()


# --- the feed's font routes ---------------------------------------------------------------------


@pytest.fixture
def client(make_project: Any) -> Any:
    from starlette.testclient import TestClient

    from storycast.project import Project
    from storycast.web.app import create_app

    toml = MINIMAL_TOML.replace('["en", ', '["ar", "en", ').replace(
        "[project]\n", '[project]\ndefault_language = "ar"\n'
    )
    root = make_project(toml=toml)
    app = create_app(Project.load(root), watch=False)
    return TestClient(app, base_url="http://127.0.0.1:8000")


def test_the_feed_serves_its_fonts_with_types_and_cache_headers(client: Any) -> None:
    css = client.get("/fonts/fonts.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["cache-control"] == "no-cache" and css.headers["etag"]
    rules = re.findall(r'font-family:"([^"]+)";[^}]*font-weight:(\d+);[^}]*url\("([^"]+)"\)', css.text)
    assert ("Storycast Thai", "400", "/fonts/thai-400.woff2?v=") in [
        (f, w, re.sub(r"v=.*", "v=", u)) for f, w, u in rules
    ]
    assert len(rules) >= 10 and css.text.count("unicode-range:") == len(rules)
    url = next(u for f, w, u in rules if f == "Storycast Arabic" and w == "700")
    face = client.get(url)
    assert face.status_code == 200 and face.headers["content-type"] == "font/woff2"
    assert face.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert face.content[:4] == b"wOF2" and 0x0627 in _cmap(face.content)
    again = client.get(url, headers={"If-None-Match": face.headers["etag"]})
    assert again.status_code == 304
    # Without the version the style sheet names, the answer is not kept for a year.
    assert client.get(url.split("?")[0]).headers["cache-control"] == "no-cache"
    assert client.get(css.request.url.path, headers={"If-None-Match": css.headers["etag"]}).status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/fonts/NotoSansThai-Regular.ttf",  # the source files are not served
        "/fonts/thai-400.ttf",
        "/fonts/..%2Fstorycast.toml",
        "/fonts/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/fonts/thai-400.woff2%00.css",
        "/fonts/emoji-400.woff2",
    ],
)
def test_the_font_route_answers_only_its_faces(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_feed_page_is_right_to_left_for_an_arabic_project(client: Any) -> None:
    page = client.get("/").text
    assert '<html lang="ar" dir="rtl">' in page
    assert '<link rel="stylesheet" href="/fonts/fonts.css">' in page


# --- report.html ----------------------------------------------------------------------------------


def test_the_report_embeds_the_faces_its_text_needs_cut_to_its_characters() -> None:
    from storycast.engage.report import Report, StoryLine
    from storycast.engage.report_html import render_html

    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    report = Report("Lumen", None, now)
    report.stories = [
        StoryLine("reset-router", "th", "รีเซ็ตเราเตอร์", 3, [100, 80, 60]),
        StoryLine("reset-router", "ar", "إعادة تشغيل الراوتر", 3, [50, 40, 30]),
    ]
    page = render_html(report)
    faces = re.findall(
        r'@font-face\{font-family:"([^"]+)";font-style:normal;font-weight:(\d+);[^}]*'
        r'src:url\("data:font/woff2;base64,([^"]+)"\) format\("woff2"\);unicode-range:[^;]+;\}',
        page,
    )
    assert sorted({(f, w) for f, w, _ in faces}) == sorted(
        (f, w) for f in ("Storycast Sans", "Storycast Thai", "Storycast Arabic") for w in ("400", "700")
    )
    thai = next(base64.b64decode(d) for f, w, d in faces if f == "Storycast Thai" and w == "400")
    assert _cmap(thai) == {ord(c) for c in "รีเซ็ตเราเตอร์"}
    assert len(page) < 400_000  # whole faces would be over a megabyte
    assert '<div class="title" lang="ar" dir="rtl">إعادة تشغيل الراوتر</div>' in page
    assert '<div class="title" lang="th" dir="ltr">' in page
    assert "--font: " + STACK in page and ".chart svg text { font-family: var(--font) !important; }" in page
    assert '@font-face{font-family:"Storycast Devanagari"' not in page  # no Hindi: no Devanagari face


def test_the_report_uses_the_projects_fonts_first(make_project: Any) -> None:
    from storycast.engage.report import Report, StoryLine
    from storycast.engage.report_html import render_html

    root = make_project()
    (root / "assets" / "fonts").mkdir(parents=True)
    # A project font for Thai with fewer glyphs: the embedded face is cut from it.
    shutil.copy(
        REPO / "assets" / "fonts" / "NotoSansThai-Regular.ttf", root / "assets" / "fonts" / "Thai.ttf"
    )
    report = Report("Lumen", None, datetime(2026, 11, 20, tzinfo=UTC))
    report.stories = [StoryLine("x", "th", "สวัสดี", 1, [1])]
    assert "Storycast Thai" in render_html(report, fonts_from=Path(root))
