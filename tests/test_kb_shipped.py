"""A knowledge base made from what shipped: where and when each story went out, reach and
helpful share, the "updated" marker, Q&A recaps, the short links for static hosts, the vote form."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from storycast.kb import build_site
from storycast.ledger import open_ledger
from storycast.ledger.models import publication
from storycast.ledger.store import Ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
QA = """\
kind: qa
id: weekly-qa
languages: [en]
title: {en: Ask us about your Wi-Fi}
host: Ana
start: "2026-12-03T13:00"
timezone: Europe/Madrid
duration: 45m
"""


def _publish(
    led: Ledger,
    *,
    ref: str,
    lang: str,
    channel: str,
    occ: str,
    shas: list[str],
    at: datetime,
    kind: str = "story",
) -> None:
    units = [
        {
            "entry_key": f"test/{ref}",
            "occurrence_key": occ,
            "channel": channel,
            "lang": lang,
            "frame": i,
            "frame_total": len(shas),
            "kind": kind,
            "ref": ref,
            "label": ref,
            "source": "test",
            "due_utc": at,
            "deadline_utc": at + timedelta(minutes=30),
        }
        for i in range(1, len(shas) + 1)
    ]
    led.insert_units(units, at)

    def run(c: Any) -> None:
        for i, sha in enumerate(shas, start=1):
            c.execute(
                update(publication)
                .where(
                    publication.c.ref == ref,
                    publication.c.lang == lang,
                    publication.c.channel == channel,
                    publication.c.occurrence_key == occ,
                    publication.c.frame == i,
                )
                .values(
                    state="published",
                    remote_id=f"{channel}-{occ}-{lang}-{i}",
                    frame_sha256=sha,
                    published_utc=at.replace(tzinfo=None),
                )
            )

    led._write(run)


def _shas(root: Path, story: str, lang: str) -> list[str]:
    manifest = json.loads((root / "build" / story / lang / "manifest.json").read_text(encoding="utf-8"))
    return [f["sha256"] for f in sorted(manifest["frames"], key=lambda f: f["index"])]


@pytest.fixture
def shipped(tmp_path: Path) -> tuple[Project, Path]:
    root = build_file_tree(
        tmp_path / "p",
        {"storycast.toml": MINIMAL_TOML, "stories/sample.yaml": MINIMAL_STORY, "stories/weekly-qa.yaml": QA},
    )
    project = Project.load(root)
    out = tmp_path / "site"
    build_site(project, out)  # renders the frames (and makes no ledger)
    assert not (root / ".storycast" / "state.db").exists()
    led = open_ledger(project)
    try:
        _publish(
            led, ref="sample", lang="en", channel="local", occ="o1", shas=_shas(root, "sample", "en"), at=T0
        )
        _publish(
            led,
            ref="sample",
            lang="en",
            channel="local",
            occ="o2",
            shas=_shas(root, "sample", "en"),
            at=T0 + timedelta(days=7),
        )
        _publish(
            led, ref="sample", lang="es", channel="local", occ="o1", shas=_shas(root, "sample", "es"), at=T0
        )
        led.upsert_insight(
            channel="local",
            remote_id="local-o1-en-1",
            source="pull",
            now=T0 + timedelta(hours=23),
            metrics={"reach": 1200},
            post=led.find_post("local", "local-o1-en-1"),
        )
        led.upsert_insight(
            channel="local",
            remote_id="local-o2-en-1",
            source="pull",
            now=T0 + timedelta(days=7, hours=23),
            metrics={"reach": 345},
            post=led.find_post("local", "local-o2-en-1"),
        )
        for i, helpful in enumerate([True, True, True, False]):
            led.put_article_vote(ref="sample", helpful=helpful, voter=f"{i:032d}", lang="en", now=T0)
        # A Q&A session: announced, asked, answered, recapped.
        session = "weekly-qa@20261203T1200Z"
        _publish(
            led,
            ref=f"{session}.T-1h",
            lang="en",
            channel="local",
            occ="q1",
            shas=["a" * 64],
            at=T0 + timedelta(days=2),
            kind="qa",
        )
        _publish(
            led,
            ref=f"{session}.recap",
            lang="en",
            channel="local",
            occ="q2",
            shas=["b" * 64],
            at=T0 + timedelta(days=2, hours=3),
            kind="qa",
        )
        post = led.find_post("local", "local-q1-en-1")
        asked = T0 + timedelta(days=2, hours=1)
        led.put_reply(
            channel="local",
            message_id="q-1",
            kind="reply",
            thread="t1",
            at=asked,
            text="Why does my router blink? Call me at +34 612 345 678",
            post=post,
        )
        led.put_reply(
            channel="local",
            message_id="a-1",
            kind="agent",
            thread="t1",
            at=asked + timedelta(minutes=4),
            text="A blinking light means it is updating; wait five minutes.",
        )
        led.put_reply(
            channel="local",
            message_id="q-2",
            kind="reply",
            thread="t2",
            at=asked + timedelta(minutes=9),
            text="Can I move the router upstairs?",
            post=post,
        )
    finally:
        led.close()
    build_site(project, out)
    return project, out


def _page(out: Path, path: str) -> str:
    return (out / path / "index.html").read_text(encoding="utf-8")


def test_article_shows_where_and_when_reach_and_helpful_share(shipped: tuple[Project, Path]) -> None:
    _, out = shipped
    page = _page(out, "en/sample")
    section = page[page.index('class="shipped"') :]
    assert '<th scope="row">local</th>' in section
    assert 'datetime="2026-12-01"' in section and 'datetime="2026-12-08"' in section
    assert "1,545" in section  # reach of both posts' first frames
    assert "75% <span" in section  # 3 of 4 said yes
    assert 'class="updated"' not in page  # the frames are the ones that went out
    es = _page(out, "es/sample")
    assert "Dónde y cuándo se publicó" in es and "Les resultó útil" in es


def test_helpful_form_is_hidden_until_a_server_answers(shipped: tuple[Project, Path]) -> None:
    _, out = shipped
    page = _page(out, "en/sample")
    assert re.search(r'<form class="helpful" hidden data-story="sample" data-lang="en"', page)
    assert (out / "assets" / "helpful.js").is_file()
    assert "/api/kb/token" in (out / "assets" / "helpful.js").read_text(encoding="utf-8")


def test_changed_story_is_marked_updated(shipped: tuple[Project, Path], tmp_path: Path) -> None:
    project, out = shipped
    story = project.root / "stories" / "sample.yaml"
    story.write_text(MINIMAL_STORY.replace("Wait ten seconds.", "Wait thirty seconds."), encoding="utf-8")
    build_site(Project.load(project.root), out)
    page = _page(out, "en/sample")
    assert '<p class="updated"><span class="badge">Updated</span> Updated on' in page
    assert "after it was shared" in page
    assert 'class="updated"' not in _page(out, "es/sample")  # only the English text changed


def test_recap_article_lists_questions_and_answers(shipped: tuple[Project, Path]) -> None:
    _, out = shipped
    page = _page(out, "en/qa/weekly-qa-20261203")
    assert "<h1>Ask us about your Wi-Fi</h1>" in page
    assert "Why does my router blink?" in page
    assert "612 345 678" not in page and "[…]" in page  # personal data is covered
    assert "A blinking light means it is updating; wait five minutes." in page
    assert "Can I move the router upstairs?" in page and "No answer was recorded" in page
    assert 'href="qa/weekly-qa-20261203/"' in _page(out, "en")
    assert "en/qa/weekly-qa-20261203/" in (out / "sitemap.xml").read_text(encoding="utf-8")


def test_static_short_links(shipped: tuple[Project, Path]) -> None:
    _, out = shipped
    rules = (out / "_redirects").read_text(encoding="utf-8").splitlines()
    assert "/go/sample l=en /en/sample/ 302" in rules
    assert "/go/sample l=es /es/sample/ 302" in rules
    assert "/go/sample /en/sample/ 302" in rules
    # Netlify applies the first matching rule: the ones with l= come before the fallback.
    assert rules.index("/go/sample /en/sample/ 302") > rules.index("/go/sample l=es /es/sample/ 302")
    go = _page(out, "go/sample")
    assert 'content="0; url=../../en/sample/"' in go
    assert '"es"' in go and "noindex" in go


def test_build_without_a_ledger_shows_not_published(make_project: Any, tmp_path: Path) -> None:
    project = Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}))
    out = tmp_path / "s2"
    build_site(project, out)
    assert "Not shared on any channel yet." in _page(out, "en/sample")
    assert not (project.root / ".storycast" / "state.db").exists()


def test_facts_video_parts_and_short_posts() -> None:
    from storycast.kb.shipped import facts_from

    def row(
        i: int, kind: str, frame: int, sha: str, state: str = "published", occ: str = "o1"
    ) -> dict[str, Any]:
        return {
            "id": i,
            "kind": kind,
            "state": state,
            "ref": "s",
            "lang": "en",
            "channel": "tg",
            "frame": frame,
            "occurrence_key": occ,
            "remote_id": f"r{i}",
            "frame_sha256": sha,
            "published_utc": T0 + timedelta(minutes=i),
        }

    pubs = [
        row(1, "story", 1, "a"),
        row(2, "story", 2, "b"),
        row(3, "story", 3, "c", state="failed"),
        row(4, "story-video", 1, "v", occ="o2"),
    ]
    facts = facts_from(pubs, [], [], [])
    ship = facts.of("s", "en")
    assert ship.frames == {
        1: "a",
        2: "b",
    }  # the video part is newer but is no frame; the failed frame never went out
    assert [c.name for c in ship.channels] == ["tg"] and ship.last_published == T0 + timedelta(minutes=4)
