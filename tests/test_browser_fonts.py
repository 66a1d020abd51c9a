"""No empty boxes in Chromium: the feed, the knowledge base and report.html with Thai, Hindi,
Serbian and Arabic, in Debian's Chromium (which has no Thai, Devanagari or Arabic system font).

A temp project holds one short tutorial in English, Thai, Hindi, Serbian and Arabic. For each page
the test checks that the shipped faces loaded (``document.fonts``) and, on the pixels, that no
character of the page's text is drawn as the missing-glyph box: each character is drawn on a canvas
in the page's own font and compared with a private-use character, which no font has (the box).
The search's query folding is run in the page and compared with Python's. Screenshots land in
tests/_artifacts/screenshots/.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

if not CHROMIUM.exists():  # pragma: no cover - CI installs it (.ci/run)
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

# Short, plain support text; the Hindi has nukta letters (ज़रूर, इंतज़ार) for the search.
STORY = """\
id: router-restart
template: tutorial
category: connectivity
languages: [en, th, hi, sr, ar]
title:
  en: Restart your router
  th: เริ่มเราเตอร์ใหม่
  hi: राउटर दोबारा चालू करें
  sr: Поново покрените рутер
  ar: إعادة تشغيل الراوتر
summary:
  en: When the internet stops working.
  th: เมื่ออินเทอร์เน็ตใช้งานไม่ได้
  hi: जब इंटरनेट काम करना बंद कर दे।
  sr: Када интернет престане да ради.
  ar: عندما يتوقف الإنترنت عن العمل.
steps:
  - title:
      en: Unplug the router
      th: ถอดปลั๊กเราเตอร์
      hi: राउटर का प्लग निकालें
      sr: Искључите рутер из струје
      ar: افصل الراوتر عن الكهرباء
    text:
      en: Wait ten seconds, then plug it back in.
      th: รอสิบวินาทีแล้วเสียบปลั๊กกลับ
      hi: दस सेकंड रुकें, फिर प्लग ज़रूर वापस लगाएँ।
      sr: Сачекајте десет секунди па га поново укључите.
      ar: انتظر عشر ثوانٍ ثم أعد توصيله.
  - title:
      en: Wait for the green light
      th: รอไฟสีเขียว
      hi: हरी लाइट का इंतज़ार करें
      sr: Сачекајте зелено светло
      ar: انتظر الضوء الأخضر
    text:
      en: It takes about two minutes.
      th: ใช้เวลาประมาณสองนาที
      hi: इसमें लगभग दो मिनट लगते हैं।
      sr: То траје око два минута.
      ar: يستغرق ذلك دقيقتين تقريبًا.
"""

# Draws every distinct character of the page's visible text in the page's font (regular and
# bold) and returns those whose pixels equal the missing-glyph box (a private-use character).
TOFU_JS = r"""
async (extra) => {
  await document.fonts.ready;
  const family = getComputedStyle(document.body).fontFamily;
  const text = document.body.innerText + (extra || "");
  const chars = [...new Set([...text].filter(c => c.trim() && !/[\u200b-\u200f\u2060\ufeff]/.test(c)))];
  const canvas = document.createElement("canvas");
  canvas.width = 80; canvas.height = 80;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (c, font) => {
    ctx.clearRect(0, 0, 80, 80); ctx.font = font; ctx.fillStyle = "#000"; ctx.textBaseline = "middle";
    ctx.fillText(c, 20, 40);
    return Array.from(ctx.getImageData(0, 0, 80, 80).data).join(",");
  };
  const boxes = [];
  for (const weight of ["400", "700"]) {
    const font = weight + " 40px " + family;
    await document.fonts.load(font, chars.join(""));
    const box = draw("\ue000", font);
    for (const c of chars) if (draw(c, font) === box) boxes.push(c);
  }
  const loaded = [...document.fonts].filter(f => f.status === "loaded")
    .map(f => f.family.replace(/"/g, "") + " " + f.weight);
  return { family, boxes: [...new Set(boxes)], loaded: [...new Set(loaded)].sort(), chars: chars.length };
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-fonts") / "proj"
    root.mkdir()
    toml = (ROOT / "storycast.toml").read_text(encoding="utf-8")
    lines = [
        'languages = ["en", "th", "hi", "sr", "ar"]' if line.startswith("languages = ") else line
        for line in toml.splitlines()
    ]
    (root / "storycast.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("templates", "assets"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("*.py", "NotoColorEmoji.ttf"))
    (root / "stories").mkdir()
    (root / "stories" / "router-restart.yaml").write_text(STORY, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site(project_dir: Path) -> Path:
    from storycast.kb import build_site
    from storycast.project import Project

    out = project_dir / "site"
    build_site(Project.load(project_dir), out)
    return out


def _publish(project_dir: Path, lang: str, at: datetime) -> None:
    from storycast.channels.base import MediaItem, PublishRequest
    from storycast.channels.registry import open_channel
    from storycast.context import Context
    from storycast.project import Project

    project = Project.load(project_dir)
    context = Context()
    context.fixed_clock(at)
    channel = open_channel(project, "local", context)
    folder = project_dir / "build" / "router-restart" / lang
    frames = json.loads((folder / "manifest.json").read_text())["frames"][:2]
    for f in frames:
        channel.publish(
            PublishRequest(
                row_id=0,
                idempotency_key=hashlib.sha256(f"{lang}{f['index']}".encode()).hexdigest(),
                kind="story",
                ref="router-restart",
                lang=lang,
                frame_index=f["index"],
                frame_total=len(frames),
                media=MediaItem(folder / f["file"], "image", f["sha256"]),
                alt=f["alt"],
            )
        )


@pytest.fixture(scope="module")
def app_url(project_dir: Path, site: Path) -> Iterator[str]:
    from storycast.project import Project
    from storycast.web.app import create_app

    for i, lang in enumerate(("th", "hi", "sr", "ar")):
        _publish(project_dir, lang, NOW - timedelta(hours=4 - i))
    with Server(create_app(Project.load(project_dir), now=lambda: NOW, watch=False)) as url:
        yield url


@pytest.fixture(scope="module")
def kb_url(site: Path) -> Iterator[str]:
    from storycast.kb.serve import static_app

    with Server(static_app(site)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    pg = context.new_page()
    yield pg
    context.close()


def _check(page: Any, name: str, faces: set[str], extra: str = "") -> dict[str, Any]:
    """Screenshot ``page`` and assert the faces ``faces`` loaded and no character is a box."""
    page.wait_for_load_state("networkidle")
    found = page.evaluate(TOFU_JS, extra)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"fonts-{name}.png"), full_page=True)
    assert found["family"].startswith('"Storycast Sans", "Storycast Thai"'), found["family"]
    assert found["boxes"] == [], f"{name}: drawn as empty boxes: {found['boxes']}"
    missing = {f for f in faces if f not in found["loaded"]}
    assert not missing, f"{name}: faces not loaded: {missing} (loaded: {found['loaded']})"
    assert found["chars"] > 20
    return found  # type: ignore[no-any-return]


def test_the_box_detector_sees_a_box(page: Any, kb_url: str) -> None:
    """Calibration: a character no font has is found; one our fonts have is not."""
    page.goto(kb_url + "/th/router-restart/")
    page.wait_for_load_state("networkidle")
    found = page.evaluate(TOFU_JS, "\ue001")
    assert found["boxes"] == ["\ue001"]
    assert page.evaluate("document.fonts.check('16px \"Storycast Thai\"', 'สวัสดี')")


def test_the_feed_shows_thai_hindi_serbian_and_arabic(page: Any, app_url: str) -> None:
    page.goto(app_url + "/?autoplay=0")
    labels = page.locator(".ring-label").all_inner_texts()
    assert "เริ่มเราเตอร์ใหม่" in labels and "إعادة تشغيل الراوتر" in labels
    assert page.locator('.ring-label[lang="ar"]').get_attribute("dir") == "rtl"
    found = _check(
        page,
        "feed",
        {
            "Storycast Sans 400",
            "Storycast Sans 700",
            "Storycast Thai 700",
            "Storycast Devanagari 700",
            "Storycast Arabic 700",
        },
    )
    assert "Storycast Hebrew 400" not in found["loaded"]  # a face loads only for its characters


def test_the_thai_knowledge_base_page(page: Any, kb_url: str) -> None:
    page.goto(kb_url + "/th/router-restart/")
    assert page.locator("h1").inner_text() == "เริ่มเราเตอร์ใหม่"
    # Every page names the languages in their own scripts (العربية, हिन्दी, ...): those faces load too.
    _check(page, "kb-th", {"Storycast Thai 400", "Storycast Thai 700", "Storycast Sans 400"})


def test_the_arabic_knowledge_base_page_is_right_to_left(page: Any, kb_url: str) -> None:
    page.goto(kb_url + "/ar/router-restart/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "إعادة تشغيل الراوتر"
    # Right to left: the heading's text starts at the right edge of its box.
    box = page.evaluate(
        "(() => { const h = document.querySelector('h1'); const r = document.createRange();"
        " r.selectNodeContents(h); const t = r.getBoundingClientRect(), b = h.getBoundingClientRect();"
        " return [b.right - t.right, t.left - b.left]; })()"
    )
    assert box[0] < 2 < box[1]
    _check(page, "kb-ar", {"Storycast Arabic 400", "Storycast Arabic 700"})


def test_the_hindi_and_serbian_knowledge_base_pages(page: Any, kb_url: str) -> None:
    page.goto(kb_url + "/hi/router-restart/")
    _check(page, "kb-hi", {"Storycast Devanagari 400", "Storycast Devanagari 700"})
    page.goto(kb_url + "/sr/router-restart/")
    _check(page, "kb-sr", {"Storycast Sans 400", "Storycast Sans 700"})


def test_report_html_works_offline_as_one_file(page: Any, tmp_path: Path) -> None:
    from storycast.engage.report import Report, StoryLine
    from storycast.engage.report_html import render_html

    report = Report("Lumen", None, NOW)
    report.stories = [
        StoryLine("router-restart", "th", "เริ่มเราเตอร์ใหม่", 3, [120, 90, 70], published=3),
        StoryLine("router-restart", "hi", "राउटर दोबारा चालू करें", 3, [80, 60, 50], published=3),
        StoryLine("router-restart", "ar", "إعادة تشغيل الراوتر", 3, [60, 50, 20], published=3),
        StoryLine("router-restart", "sr", "Поново покрените рутер", 3, [40, 30, 25], published=3),
    ]
    out = tmp_path / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    # Offline: every request other than the file itself (and its data: fonts) is refused.
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(out.as_uri())
    assert page.locator(".title[lang=ar]").get_attribute("dir") == "rtl"
    _check(
        page,
        "report",
        {"Storycast Thai 400", "Storycast Devanagari 400", "Storycast Arabic 400", "Storycast Sans 400"},
    )


# --- search: the browser folds the query with the table the index was built with ---------------


FOLD_SAMPLES = [
    "ruter",
    "Рутер",
    "љубав",
    "ЏЕП",
    "Šifra",
    "ђак",
    "إعادة",
    "أَحْمَد",
    "ٱلإِسْلَام",
    "مستشفى",
    "سائلة",
    "مُـحَـمَّـد",
    "١٠:٣٠",
    "फ़ोन",
    "फ\u093cोन",
    "क़लम",
    "Configuración",
    "เราเตอร์",
    "e\u0301",
]


def test_search_folds_the_query_as_the_index_was_folded(page: Any, kb_url: str) -> None:
    from storycast.kb.fold import fold
    from storycast.kb.search import tokenize

    page.goto(kb_url + "/sr/search/")
    page.wait_for_selector("html[data-search-ready]", state="attached")
    js = page.evaluate(
        "async (xs) => { await storycastSearch.load();"
        " return xs.map(x => [storycastSearch.fold(x), storycastSearch.words(x)]); }",
        FOLD_SAMPLES,
    )
    assert [f for f, _ in js] == [fold(x) for x in FOLD_SAMPLES]
    non_thai = [i for i, x in enumerate(FOLD_SAMPLES) if x != "เราเตอร์"]  # Thai: Intl.Segmenter vs PyThaiNLP
    assert [js[i][1] for i in non_thai] == [tokenize(FOLD_SAMPLES[i]) for i in non_thai]


@pytest.mark.parametrize(
    ("lang", "query", "title"),
    [
        ("sr", "ruter", "Поново покрените рутер"),  # Latin finds Cyrillic
        ("sr", "iskljucite", "Поново покрените рутер"),  # without its caron
        ("ar", "اعاده تشغيل", "إعادة تشغيل الراوتر"),  # no hamza, no teh marbuta
        ("ar", "الضؤ", "إعادة تشغيل الراوتر"),  # الضوء with its hamza on a waw seat
        ("ar", "طابعة", None),  # a word no article has finds nothing
        ("ar", "ثوان", "إعادة تشغيل الراوتر"),  # ثوانٍ without its tanween
        ("hi", "इंतजार", "राउटर दोबारा चालू करें"),  # no nukta
        ("hi", "जरूर", "राउटर दोबारा चालू करें"),
    ],
)
def test_search_in_the_browser(page: Any, kb_url: str, lang: str, query: str, title: str | None) -> None:
    page.goto(f"{kb_url}/{lang}/search/")
    page.fill("#q", query)
    page.press("#q", "Enter")
    page.wait_for_selector("#results h2")
    found = page.locator("#results li a").all_inner_texts()
    assert found == ([title] if title else [])
    if lang == "ar" and title:
        _check(page, f"kb-search-{lang}", {"Storycast Arabic 400"})
