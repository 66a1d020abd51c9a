"""The review page in a real browser (Debian's Chromium driven by Playwright): an approver opens
their signed link, sees the frames at phone size, approves, and the link is spent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

pytestmark = [pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # pragma: no cover - CI installs it (.ci/run)
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

from tests.test_browser import ARGS, SHOTS, Server  # noqa: E402


def test_an_approver_approves_through_the_signed_link(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from storycast.ledger import open_ledger
    from storycast.project import Project
    from storycast.web.app import create_app
    from storycast.web.review import make_token
    from storycast.web.security import load_key

    root = build_file_tree(
        tmp_path / "proj",
        {
            "storycast.toml": MINIMAL_TOML + '\n[approval]\nrequired = true\napprovers = ["ana", "ben"]\n',
            "stories/sample.yaml": MINIMAL_STORY,
        },
    )
    project = Project.load(root)
    key = load_key(project.state_dir)
    now = datetime.now(UTC)
    token = make_token(key, "sample", "es", "ana", now + timedelta(hours=1))
    expired = make_token(key, "sample", "es", "ben", now - timedelta(seconds=1))
    app = create_app(project, watch=False)
    with Server(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 412, "height": 915}).new_page()
            page.goto(f"{url}/review/{token}")
            page.wait_for_selector("ul.frames img")
            images = page.locator("ul.frames img")
            assert images.count() == 4
            box = images.first.bounding_box()
            assert box is not None and 260 <= box["width"] <= 280 and box["height"] > box["width"]
            page.wait_for_function(
                "() => [...document.querySelectorAll('ul.frames img')].every(i => i.naturalWidth > 0)"
            )
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "review-page.png"), full_page=True)
            page.fill("#reason", "checked on my phone")
            page.click("#approve")
            page.wait_for_selector("#done")
            assert "approved by ana" in page.inner_text("#done")
            # The same link again: spent.
            again = page.goto(f"{url}/review/{token}")
            assert again is not None and again.status == 410
            assert "already been used" in page.inner_text("main")
            # Expired and tampered links are refused.
            gone = page.goto(f"{url}/review/{expired}")
            assert gone is not None and gone.status == 410 and "expired" in page.inner_text("main")
            bad = page.goto(f"{url}/review/{token[:-2]}xx")
            assert bad is not None and bad.status == 403
        finally:
            browser.close()
    ledger = open_ledger(project)
    try:
        decisions = ledger.decisions("sample", "es")
    finally:
        ledger.close()
    assert [(d.by, d.decision, d.via, d.note) for d in decisions] == [
        ("ana", "approved", "web", "checked on my phone")
    ]
    assert len(decisions[0].items) == 4
