"""report.html in Chromium: the outcome charts (waits, variants, slots, deflection) draw, and the
tutorial titles and language cells of every project language use a face that has their letters.

The example project's tutorials (English, Spanish, Thai, Hindi, Serbian, Arabic) with the seeded
engagement data, variant posts and conversations in each language. The screenshot lands in
tests/_artifacts/screenshots/report-outcomes.png for a person to look at.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
LANGS = ("th", "hi", "sr", "ar")

if not CHROMIUM.exists():  # pragma: no cover - CI installs it (.ci/run)
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _seed_outcomes(project: Any) -> None:
    from sqlalchemy import update

    from storycast.ledger import open_ledger
    from storycast.ledger.models import publication
    from storycast.ledger.rows import PostRef
    from tests.test_outcomes import _units

    led = open_ledger(project)
    try:
        for n, lang in enumerate(LANGS):
            for week in range(3):
                for variant, hours, keep in (("morning", 0.0, 0.55), ("evening", 9.5, 0.8)):
                    due = T0 + timedelta(days=7 * week, hours=hours)
                    occ = f"{due + timedelta(hours=1):%Y-%m-%dT%H:%M}"
                    units = [
                        u | {"ref": "reset-router"}
                        for u in _units("tips", occ, "instagram", lang, due, variant)
                    ]
                    led.insert_units(units, due)
                    first = 100 + 40 * n + 10 * week
                    for frame, reach in enumerate(
                        [first, first * 9 // 10, first * 3 // 4, int(first * keep)], 1
                    ):
                        remote = f"ig-{occ}-{lang}-{frame}"

                        def run(
                            c: Any,
                            occ: str = occ,
                            lang: str = lang,
                            frame: int = frame,
                            remote: str = remote,
                            due: datetime = due,
                        ) -> None:
                            p = publication
                            c.execute(
                                update(p)
                                .where(
                                    p.c.entry_key == "tips",
                                    p.c.occurrence_key == occ,
                                    p.c.lang == lang,
                                    p.c.frame == frame,
                                )
                                .values(
                                    state="published",
                                    remote_id=remote,
                                    published_utc=due.replace(tzinfo=None),
                                )
                            )

                        led._write(run)
                        led.upsert_insight(
                            channel="instagram",
                            remote_id=remote,
                            source="pull",
                            metrics={"reach": reach},
                            now=due + timedelta(hours=23),
                            post=led.find_post("instagram", remote),
                        )
            for k in range(3):
                at = T0 + timedelta(days=2 * k, hours=n)
                thread = f"{lang}-{k}"
                post = PostRef(0, "story", "reset-router", lang, 1, 1, "instagram")
                led.put_reply(
                    channel="instagram",
                    message_id=f"{thread}-q",
                    kind="reply",
                    thread=thread,
                    at=at,
                    text="?",
                    post=post,
                )
                led.put_reply(
                    channel="instagram",
                    message_id=f"{thread}-a",
                    kind="agent",
                    thread=thread,
                    at=at + timedelta(minutes=10 * (k + 1)),
                    text="ok",
                )
                if k:
                    led.put_reply(
                        channel="instagram",
                        message_id=f"{thread}-r",
                        kind="agent",
                        thread=thread,
                        at=at + timedelta(hours=k + n),
                        text="#resolved",
                    )
    finally:
        led.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import storycast.engage  # noqa: F401 - registers the qa/poll kinds
    from storycast.engage.report import build_report
    from storycast.engage.report_html import render_html
    from storycast.project import Project
    from tests.engage_seed import seed

    root = tmp_path_factory.mktemp("report-browser")
    (root / "storycast.toml").write_text(
        (ROOT / "storycast.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for folder in ("stories", "schedules", "assets"):
        shutil.copytree(ROOT / folder, root / folder)
    project = Project.load(root, environ={})
    seed(project)
    _seed_outcomes(project)
    report = build_report(project, now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    out = root / "report.html"
    out.write_text(render_html(report, fonts_from=root), encoding="utf-8")
    return out


def test_the_outcome_charts_draw_and_every_language_has_its_face(report_file: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(report_file.as_uri())
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready.then(() => true)")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "report-outcomes.png"), full_page=True)
            for heading in ("Support outcomes", "What works", "Deflection"):
                assert page.locator(f"h2:text-is('{heading}')").count() == 1, heading
            titles = {
                "By channel",
                "By language",
                "By tutorial",
                "Variants, every language",
                *(f"Variants in {lang}" for lang in LANGS),
                "Slots on instagram",
                "Article visits per 100 views",
            }
            charts = page.evaluate(
                """() => [...document.querySelectorAll('.chart svg')].map(svg => {
                    const box = svg.getBoundingClientRect();
                    const text = [...svg.querySelectorAll('text')].map(t => t.textContent).join(' ');
                    return {w: box.width, h: box.height, text};
                })"""
            )
            drawn = {
                t for t in titles if any(t in c["text"] and c["w"] > 200 and c["h"] > 80 for c in charts)
            }
            assert drawn == titles
            # Each script's face is embedded and has the letters of that language's title.
            for face, sample in (
                ("Storycast Thai", "รีเซ็ต"),
                ("Storycast Devanagari", "राउटर"),
                ("Storycast Arabic", "الراوتر"),
                ("Storycast Sans", "Рестартујте"),
            ):
                loaded = page.evaluate(
                    """async ([face, sample]) => {
                        const got = await document.fonts.load(`16px "${face}"`, sample);
                        return got.map(f => f.family.replaceAll('"', '') + ':' + f.status);
                    }""",
                    [face, sample],
                )
                assert f"{face}:loaded" in loaded, (face, loaded)
            assert page.locator('td span[lang="th"]').count() >= 1
            assert page.locator('.title[lang="ar"]').first.get_attribute("dir") == "rtl"
        finally:
            browser.close()
