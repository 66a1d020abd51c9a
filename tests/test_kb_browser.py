"""The knowledge base under storycast serve, in Chromium: a short link counts a visit and opens
the article, the "Was this helpful?" form appears, votes, and the page passes the audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from storycast.ledger import open_ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree
from tests.test_browser import AUDIT_JS, Server, shot

pytestmark = [pytest.mark.browser]
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Project]]:
    from storycast.kb import build_site
    from storycast.web.app import create_app

    root = build_file_tree(
        tmp_path_factory.mktemp("kbweb") / "p",
        {"storycast.toml": MINIMAL_TOML, "stories/sample.yaml": MINIMAL_STORY},
    )
    project = Project.load(root)
    build_site(project)  # into <project>/site, which serve mounts at /kb/
    with Server(create_app(project, now=lambda: NOW, watch=False)) as url:
        yield url, project


def test_short_link_counts_and_the_reader_votes(browser: Any, served: tuple[str, Project]) -> None:
    url, project = served
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(url + "/go/sample?l=es")
        assert page.url == url + "/kb/es/sample/"
        page.wait_for_selector("form.helpful:not([hidden])")
        assert page.locator("form.helpful legend").inner_text() == "¿Te ha resultado útil?"
        assert page.evaluate(AUDIT_JS) == []
        page.click("form.helpful button[value=true]")
        page.wait_for_selector(".helpful-status:not(:empty)")
        assert page.locator(".helpful-status").inner_text() == "Gracias, hemos contado tu respuesta."
        assert page.locator("form.helpful button[value=true]").get_attribute("aria-pressed") == "true"
        page.locator("form.helpful").scroll_into_view_if_needed()
        shot(page, "kb-helpful-es", full=False)
        page.click("form.helpful button[value=false]")  # the reader changes their mind
        page.wait_for_selector("form.helpful button[value=false][aria-pressed=true]")
    finally:
        context.close()
    led = open_ledger(project)
    try:
        visits = led.visit_rows()
        votes = led.article_vote_rows()
    finally:
        led.close()
    assert [(v["ref"], v["lang"], v["channel"], v["count"]) for v in visits] == [("sample", "es", "", 1)]
    assert [(v["ref"], v["lang"], v["helpful"]) for v in votes] == [("sample", "es", False)]
