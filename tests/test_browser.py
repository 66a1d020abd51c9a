"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright.

One example project (reset-router and the csat-weekly poll) is rendered once; the feed is seeded
through the local channel's own publish(), the app runs under uvicorn on a free 127.0.0.1 port,
and the knowledge base is built with build_site. Screenshots land in tests/_artifacts/screenshots/.
"""

from __future__ import annotations

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
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

if not CHROMIUM.exists():  # pragma: no cover - CI installs it (.ci/run)
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn in a thread, stopped at the end of the module."""

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
    root = tmp_path_factory.mktemp("browser") / "proj"
    root.mkdir()
    shutil.copy(ROOT / "storycast.toml", root)
    for name in ("templates", "assets"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("*.py", "NotoColorEmoji.ttf"))
    (root / "stories").mkdir()
    for name in ("reset-router.yaml", "csat-weekly.yaml"):
        shutil.copy(ROOT / "stories" / name, root / "stories" / name)
    return root


@pytest.fixture(scope="module")
def site(project_dir: Path) -> Path:
    """The knowledge base (this also renders every frame the feed needs)."""
    from storycast.kb import build_site
    from storycast.project import Project

    out = project_dir / "site"
    build_site(Project.load(project_dir), out)
    return out


def _publish(project_dir: Path, lang: str, at: datetime, frames: int | None = None) -> None:
    """Publish reset-router in ``lang`` to the local channel at ``at`` through LocalChannel.publish."""
    import hashlib

    from storycast.channels.base import MediaItem, PublishRequest
    from storycast.channels.registry import open_channel
    from storycast.context import Context
    from storycast.project import Project

    project = Project.load(project_dir)
    context = Context()
    context.fixed_clock(at)
    channel = open_channel(project, "local", context)
    manifest = json.loads((project_dir / "build" / "reset-router" / lang / "manifest.json").read_text())
    chosen = manifest["frames"][: frames or len(manifest["frames"])]
    for f in chosen:
        path = project_dir / "build" / "reset-router" / lang / f["file"]
        key = hashlib.sha256(f"{lang}{at}{f['index']}".encode()).hexdigest()
        channel.publish(
            PublishRequest(
                row_id=0,
                idempotency_key=key,
                kind="story",
                ref="reset-router",
                lang=lang,
                frame_index=f["index"],
                frame_total=len(chosen),
                media=MediaItem(path, "image", f["sha256"]),
                alt=f["alt"],
            )
        )


def _publish_poll(project_dir: Path, at: datetime) -> None:
    from storycast.channels.base import MediaItem, PublishRequest
    from storycast.channels.registry import open_channel
    from storycast.context import Context
    from storycast.engage.frames import render_poll
    from storycast.project import Project

    project = Project.load(project_dir)
    context = Context()
    context.fixed_clock(at)
    frame = render_poll(project, "csat-weekly", "en", project_dir / "build" / "polls", at)[0]
    open_channel(project, "local", context).publish(
        PublishRequest(
            row_id=0,
            idempotency_key="poll-" + frame.sha256,
            kind="poll",
            ref="csat-weekly",
            lang="en",
            frame_index=1,
            frame_total=1,
            media=MediaItem(frame.path, "image", frame.sha256),
            alt=frame.alt,
            poll=frame.poll,
        )
    )


@pytest.fixture(scope="module")
def app_url(project_dir: Path, site: Path) -> Iterator[str]:
    from storycast.project import Project
    from storycast.web.app import create_app

    _publish(project_dir, "es", NOW - timedelta(hours=30))  # expired: must not show
    _publish(project_dir, "en", NOW - timedelta(hours=3), frames=3)
    _publish(project_dir, "th", NOW - timedelta(hours=2), frames=3)
    _publish_poll(project_dir, NOW - timedelta(minutes=30))
    app = create_app(Project.load(project_dir), now=lambda: NOW, watch=True)
    with Server(app) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    pg = context.new_page()
    yield pg
    context.close()


def shot(page: Any, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


# --- the feed -------------------------------------------------------------------------------------


def test_feed_shows_live_stories_in_order_and_hides_expired(page: Any, app_url: str) -> None:
    page.goto(app_url + "/?autoplay=0")
    rings = page.locator(".ring")
    assert [rings.nth(i).get_attribute("data-story") for i in range(rings.count())] == [
        "reset-router.en",
        "reset-router.th",
        "csat-weekly.en",
    ]
    assert page.locator('[data-story="reset-router.es"]').count() == 0
    # Ages count from the server's clock (pinned to NOW here), not the browser's.
    assert page.locator("time[data-ago]").all_inner_texts() == ["3 h", "2 h", "30 min"]
    shot(page, "feed-home")


def test_tapping_and_arrow_keys_advance(page: Any, app_url: str) -> None:
    page.goto(app_url + "/?autoplay=0")
    page.locator(".ring").first.click()
    viewer = page.locator("#viewer")
    assert viewer.get_attribute("data-frame") == "1"
    assert page.locator(".seg").count() == 3
    shot(page, "feed-viewer", full=False)
    page.locator(".tap.next").click()
    assert viewer.get_attribute("data-frame") == "2"
    page.keyboard.press("ArrowRight")
    assert viewer.get_attribute("data-frame") == "3"
    page.keyboard.press("ArrowRight")  # past the last frame: the next story
    assert viewer.get_attribute("data-story") == "reset-router.th"
    assert viewer.get_attribute("data-frame") == "1"
    page.keyboard.press("ArrowLeft")
    assert viewer.get_attribute("data-story") == "reset-router.en"
    assert page.locator(".frame").get_attribute("src").endswith(".jpg")


def test_vote_is_recorded_and_shows_in_polls_results(page: Any, app_url: str, project_dir: Path) -> None:
    from typer.testing import CliRunner

    from storycast.cli import app as cli

    page.goto(app_url + "/?autoplay=0")
    page.locator('.ring[data-story="csat-weekly.en"]').click()
    options = page.locator(".poll-options button")
    assert options.count() == 5
    options.nth(3).click()
    page.wait_for_selector('#viewer[data-voted="4"]')
    shot(page, "feed-poll", full=False)
    result = CliRunner().invoke(
        cli, ["--project", str(project_dir), "polls", "results", "csat-weekly", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["polls"][0]
    assert json.dumps(data).count('"votes"') >= 1
    assert data["total"] == 1
    by_option = {o["option"]: o["votes"] for o in data["options"]}
    assert by_option[4] == 1


def test_reply_box_stores_a_reply(page: Any, app_url: str, project_dir: Path) -> None:
    from storycast.ledger import open_ledger
    from storycast.project import Project

    page.goto(app_url + "/?autoplay=0")
    page.locator(".ring").nth(1).click()
    page.fill("#reply-text", "ยังเชื่อมต่อไม่ได้ค่ะ")
    page.press("#reply-text", "Enter")
    page.wait_for_selector(".toast:not([hidden])")
    ledger = open_ledger(Project.load(project_dir))
    try:
        texts = [r["text"] for r in ledger.reply_rows()]
    finally:
        ledger.close()
    assert "ยังเชื่อมต่อไม่ได้ค่ะ" in texts


def test_handoff_page_confirms_a_pack(page: Any, app_url: str, project_dir: Path) -> None:
    from storycast.ledger import State, open_ledger
    from storycast.project import Project

    ledger = open_ledger(Project.load(project_dir))
    try:
        due = NOW - timedelta(minutes=20)
        unit = {
            "entry_key": "snap/tip",
            "occurrence_key": "1",
            "channel": "snapchat",
            "lang": "th",
            "frame": 1,
            "frame_total": 1,
            "kind": "story",
            "ref": "reset-router",
            "label": "Router tip for Snapchat",
            "due_utc": due,
            "deadline_utc": due + timedelta(hours=2),
        }
        ledger.insert_units([unit], NOW)
        (row,) = ledger.claim(NOW, 1)
        no = ledger.begin_send(row, NOW, idempotency_key="snap-1", frame_sha256=None)
        ledger.finish(row, no, NOW, State.HANDED_OFF, remote_url="file:///packs/snap-1/")
    finally:
        ledger.close()
    page.goto(app_url + "/handoff")
    assert page.locator(".handoffs li").count() == 1
    shot(page, "handoff")
    page.click("button:has-text('Posted')")
    page.wait_for_selector(".ok")
    assert page.locator(".handoffs li").count() == 0


# --- the preview ----------------------------------------------------------------------------------


def test_preview_refreshes_after_a_template_edit(browser: Any, app_url: str, project_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(app_url + "/preview?story=reset-router&lang=en&zones=1")
        page.wait_for_selector("#strip img", timeout=60_000)
        first = page.locator("#strip img").nth(1).get_attribute("src")
        version = int(page.locator("html").get_attribute("data-version") or 0)
        shot(page, "preview", full=False)
        step = project_dir / "templates" / "tutorial" / "step.j2"
        text = step.read_text(encoding="utf-8")
        # A visible change: the first colour mix in the step template gets a very different ratio.
        import re

        def bump(m: re.Match[str]) -> str:
            return f"mix({m.group(1)}, {0.1 if float(m.group(2)) > 0.4 else 0.7})"

        edited = re.sub(r"mix\(([^,()]+),\s*([0-9.]+)\)", bump, text, count=1)
        assert edited != text
        step.write_text(edited, encoding="utf-8")
        # A selector, not wait_for_function: the page's content security policy forbids eval.
        page.wait_for_selector(f'html:not([data-version="{version}"])', state="attached", timeout=60_000)
        assert int(page.locator("html").get_attribute("data-version") or 0) > version
        assert page.locator("#strip img").nth(1).get_attribute("src") != first
        shot(page, "preview-after-edit", full=False)
    finally:
        context.close()


# --- the knowledge base ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kb_url(site: Path) -> Iterator[str]:
    from storycast.kb.serve import static_app

    with Server(static_app(site)) as url:
        yield url


def test_kb_search_finds_a_thai_tutorial_by_a_thai_word(page: Any, kb_url: str) -> None:
    page.goto(kb_url + "/th/search/?q=" + "เราเตอร์")
    page.wait_for_selector("#results li")
    titles = page.locator("#results li a").all_inner_texts()
    assert "รีเซ็ตเราเตอร์" in titles
    shot(page, "kb-search-th")
    page.goto(kb_url + "/hi/search/")
    page.fill("#q", "राउटर")
    page.press("#q", "Enter")
    page.wait_for_selector("#results li")
    assert page.locator("#results li a").first.inner_text() == "अपना राउटर रीसेट करें"


# Our own accessibility audit (no third-party code): lang, landmarks, skip link, headings,
# alt text, names of links and form fields, and WCAG contrast from computed styles.
AUDIT_JS = r"""
() => {
  const problems = [];
  const html = document.documentElement;
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(html.lang || "")) problems.push("html has no valid lang");
  document.querySelectorAll("[lang]").forEach(e => { if (!e.getAttribute("lang")) problems.push("empty lang on " + e.tagName); });
  const mains = document.querySelectorAll("main");
  if (mains.length !== 1) problems.push("expected one <main>, found " + mains.length);
  if (!document.querySelector("header")) problems.push("no <header> landmark");
  if (!document.querySelector("footer")) problems.push("no <footer> landmark");
  const navs = document.querySelectorAll("nav");
  if (navs.length > 1) navs.forEach(n => { if (!n.getAttribute("aria-label")) problems.push("unnamed <nav>"); });
  const first = document.querySelector("a[href], button, input, select, textarea");
  if (!first || first.getAttribute("href") !== "#main" || !document.getElementById("main")) problems.push("no skip link to #main first");
  const hs = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
  if (document.querySelectorAll("h1").length !== 1) problems.push("expected one h1");
  let prev = 0;
  hs.forEach(h => { const n = Number(h.tagName[1]); if (n > prev + 1) problems.push("heading jumps to " + h.tagName + ": " + h.textContent.trim().slice(0, 40)); prev = n; });
  document.querySelectorAll("img").forEach(img => {
    if (!img.hasAttribute("alt")) problems.push("img without alt: " + img.src);
    if (img.closest(".shot") && !img.alt.trim()) problems.push("step image with empty alt: " + img.src);
    if (!img.getAttribute("width") || !img.getAttribute("height")) problems.push("img without width/height: " + img.src);
  });
  document.querySelectorAll("a[href]").forEach(a => {
    const imgName = [...a.querySelectorAll("img[alt]")].some(i => i.alt.trim());
    if (!(a.textContent.trim() || a.getAttribute("aria-label") || imgName)) problems.push("link without a name: " + a.href);
  });
  document.querySelectorAll("input, select, textarea").forEach(i => {
    if (i.type === "hidden") return;
    const named = (i.id && document.querySelector('label[for="' + i.id + '"]')) || i.getAttribute("aria-label");
    if (!named) problems.push("form field without label: " + (i.name || i.id));
  });
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      const img = cs.backgroundImage;
      if (img && img !== "none") { const c = parse(img); if (c) return c; }
      const c = parse(cs.backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const t = walker.currentNode; const el = t.parentElement;
    if (!t.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (cs.visibility === "hidden" || cs.display === "none" || r.width <= 1 || r.height <= 1) continue;
    if (el.closest(".visually-hidden, noscript, .skip")) continue;
    const fg = parse(cs.color); const bg = background(el);
    if (!fg) continue;
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push("contrast " + ratio.toFixed(2) + " < " + need + ": " + t.textContent.trim().slice(0, 40));
  }
  return problems;
}
"""  # noqa: E501


def test_every_kb_page_passes_the_accessibility_check(browser: Any, kb_url: str, site: Path) -> None:
    pages = sorted(p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    assert len(pages) > 10
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    try:
        for rel in pages:
            url = kb_url + "/" + ("" if rel == "." else rel + "/")
            page.goto(url)
            found = page.evaluate(AUDIT_JS)
            if found:
                problems[rel] = found
            if rel in (".", "en", "th", "hi/reset-router", "th/reset-router", "en/c/connectivity"):
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                page.wait_for_load_state("networkidle")
                page.evaluate(
                    "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
                )
                page.wait_for_load_state("networkidle")
                shot(page, "kb-" + (rel.replace("/", "-") if rel != "." else "root"))
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        desk.goto(kb_url + "/th/reset-router/")
        desk.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
        desk.wait_for_load_state("networkidle")
        shot(desk, "kb-th-reset-router-desktop")
        desk.close()
    finally:
        context.close()
    assert problems == {}
