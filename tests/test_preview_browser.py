"""The preview page in a real browser (Debian's Chromium through Playwright) on `storycast serve`'s
app under uvicorn: the new frame is shown before its lint, the findings follow, a broken save
shows where and the next good one recovers.

The lint runs the real guard, behind a gate the test opens: the test decides when the
findings may arrive, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storycast.web.preview import PreviewState, _lint
from tests.test_browser import ROOT, Server, shot

pytestmark = [pytest.mark.browser]

PHONE = "Call +34 612 345 678 if the light stays red."


class Gate:
    """The real lint, run only while the gate is open."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()

    def __call__(self, project: Any, story: str, lang: str) -> list[dict[str, Any]]:
        self.open.wait(120)
        return _lint(project, story, lang)


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("preview") / "proj"
    root.mkdir()
    shutil.copy(ROOT / "storycast.toml", root)
    for name in ("templates", "assets"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("*.py", "NotoColorEmoji.ttf"))
    (root / "stories").mkdir()
    shutil.copy(ROOT / "stories" / "reset-router.yaml", root / "stories" / "reset-router.yaml")
    return root


@pytest.fixture(scope="module")
def gate() -> Gate:
    return Gate()


@pytest.fixture(scope="module")
def app_url(project_dir: Path, gate: Gate) -> Iterator[str]:
    from storycast.project import Project
    from storycast.web.app import create_app

    app = create_app(Project.load(project_dir), watch=True)
    app.state.web.preview = PreviewState(project_dir, linter=gate)
    with Server(app) as url:
        yield url
    gate.open.set()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    # Not "load": on a cold server the web fonts are cut while the first render runs.
    pg.goto(app_url + "/preview?story=reset-router&lang=en", wait_until="domcontentloaded", timeout=120_000)
    pg.wait_for_selector(
        'html[data-lint="done"][data-rendering="0"] #strip img', state="attached", timeout=120_000
    )
    yield pg
    context.close()


def story(project_dir: Path) -> Path:
    return project_dir / "stories" / "reset-router.yaml"


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def findings_text(page: Any) -> list[str]:
    """The findings listed (not the notes about them)."""
    return page.locator('#findings li[class^="sev-"]').all_inner_texts()  # type: ignore[no-any-return]


def sources(page: Any) -> list[str | None]:
    imgs = page.locator("#strip img")
    return [imgs.nth(i).get_attribute("src") for i in range(imgs.count())]


def test_the_new_frame_comes_before_its_lint_and_the_findings_follow(
    page: Any, project_dir: Path, gate: Gate
) -> None:
    path = story(project_dir)
    text = path.read_text(encoding="utf-8")
    old = sources(page)
    before = findings_text(page)
    assert not any("pii.phone" in f for f in before)
    version = page.locator("html").get_attribute("data-version")
    gate.open.clear()
    try:
        # Step 2's title (frame 3) gets a phone number: a new frame, and an error once linted.
        step_two = text.split("\n  - ", 2)[2]
        title = next(line for line in step_two.splitlines() if line.strip().startswith("en:"))
        replace_in(path, title, title.split("en:")[0] + "en: " + PHONE)
        page.wait_for_selector(
            f'html:not([data-version="{version}"])[data-lint="pending"] '
            f'#strip li[data-frame="3"] img:not([src="{old[2]}"])',
            state="attached",
            timeout=60_000,
        )
        # The frame is there and the others are as they were; its lint is not there yet: the
        # findings shown are the old ones, marked as being checked, and nothing says "ready".
        now = sources(page)
        assert [a != b for a, b in zip(old, now, strict=True)] == [i == 2 for i in range(len(old))]
        assert page.locator("#findings li.checking").count() == 1
        assert page.locator("#findings li.none").count() == 0
        assert page.locator("#findings-box").get_attribute("aria-busy") == "true"
        assert findings_text(page) == before
        shot(page, "preview-lint-pending", full=False)
    finally:
        gate.open.set()
    page.wait_for_selector('html[data-lint="done"] #findings li.sev-error', state="attached", timeout=120_000)
    assert page.locator("#findings li.checking").count() == 0
    assert page.locator("#findings-box").get_attribute("aria-busy") == "false"
    (phone,) = [f for f in findings_text(page) if "pii.phone" in f]
    assert "frame 3" in phone and "stories/reset-router.yaml:" in phone
    assert page.locator('#strip li[data-frame="3"] .badge').inner_text() == "1 finding"
    assert sources(page)[2] != old[2]
    shot(page, "preview-lint-done", full=False)
    path.write_text(text, encoding="utf-8")
    page.wait_for_selector(
        f'html[data-lint="done"] #strip li[data-frame="3"] img[src="{old[2]}"]',
        state="attached",
        timeout=60_000,
    )
    page.wait_for_selector('html[data-lint="done"] #findings li.none', state="attached", timeout=120_000)


def test_a_broken_save_shows_file_line_and_hint_and_the_next_good_save_recovers(
    page: Any, project_dir: Path
) -> None:
    path = story(project_dir)
    text = path.read_text(encoding="utf-8")
    srcs = sources(page)
    title = next(line for line in text.splitlines() if line.strip().startswith("en:"))
    try:
        replace_in(path, title, title.split("en:")[0] + "en: [" + title.split("en:", 1)[1].strip())
        page.wait_for_selector("#error:not([hidden])", timeout=60_000)
        error = page.locator("#error").inner_text()
        assert "stories/reset-router.yaml:" in error
        line = int(error.split("stories/reset-router.yaml:", 1)[1].split(":", 1)[0])
        assert line > text.splitlines().index(title)  # where the parser gave up, after the bracket
        assert "is never closed" in error and "hint:" in error
        assert page.locator("#strip img").count() == 0  # no frame of the old text passes as current
        assert "Fix the error above" in page.locator("#findings").inner_text()
        shot(page, "preview-broken-yaml", full=False)
    finally:
        path.write_text(text, encoding="utf-8")
    page.wait_for_selector(
        'html[data-lint="done"] #strip li[data-frame="8"] img', state="attached", timeout=60_000
    )
    assert page.locator("#error").is_hidden()
    assert sources(page) == srcs
