"""The preview's state machine without a browser: frames first, then their lint; broken and fixed
saves; only changed frames linted again; stale lint dropped; the event stream."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from storycast.guard.render import CONTRAST_MEMO
from storycast.web.preview import PreviewSnapshot, PreviewState, _lint
from tests.conftest import MINIMAL_STORY

BASE = "http://127.0.0.1:8000"
PHONE = "Call +34 612 345 678 if it stays red."


@pytest.fixture
def root(make_project: Any) -> Path:
    return make_project({"stories/sample.yaml": MINIMAL_STORY})


def story_file(root: Path) -> Path:
    return root / "stories" / "sample.yaml"


def edit(root: Path, old: str, new: str) -> None:
    path = story_file(root)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def urls(snap: PreviewSnapshot) -> list[str]:
    return [f["url"] for f in snap.stories[0]["frames"]] if snap.stories else []


def rules(snap: PreviewSnapshot) -> set[str]:
    return {f["rule"] for f in snap.findings}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[PreviewSnapshot] = []

    def __call__(self, snap: PreviewSnapshot) -> None:
        self.seen.append(snap)


def test_the_new_frame_is_published_before_its_lint_and_the_findings_follow(root: Path) -> None:
    log = Recorder()
    state = PreviewState(root, published=log)
    state.focus("sample", "en")
    first = state.refresh()
    assert first.lint == "done" and first.error is None
    assert "pii.phone" not in rules(first)
    before = list(first.findings)
    log.seen.clear()

    edit(root, "Wait for the light to turn green.", PHONE)
    last = state.refresh()

    rendering, frames, linted = log.seen
    # 1. the page is told a change is being drawn; what it shows is not replaced yet
    assert rendering.rendering and urls(rendering) == urls(first) and rendering.version == first.version
    # 2. the new frame, before any lint of it: the findings shown are the old ones, marked pending
    assert not frames.rendering and frames.lint == "pending"
    changed = [i for i, (a, b) in enumerate(zip(urls(first), urls(frames), strict=True)) if a != b]
    assert changed == [2]  # cover, step 1, step 2 (edited), outro: only step 2's frame (0-based)
    assert frames.version == first.version + 1
    assert frames.findings == before
    # 3. the same frames with their findings, the new one among them
    assert linted.lint == "done" and urls(linted) == urls(frames) and linted.version == frames.version
    assert "pii.phone" in rules(linted)
    assert last is state.snapshot and last.etag == linted.etag
    assert len({s.etag for s in (first, rendering, frames, linted)}) == 4


def test_findings_of_another_story_or_language_are_never_carried_over(root: Path) -> None:
    edit(root, "Wait for the light to turn green.", PHONE)
    log = Recorder()
    state = PreviewState(root, published=log)
    state.focus("sample", "en")
    assert "pii.phone" in rules(state.refresh())
    log.seen.clear()
    assert state.focus("sample", "es")
    state.refresh()
    _, frames, linted = log.seen
    assert frames.focus == {"story": "sample", "lang": "es"} and frames.lint == "pending"
    assert frames.findings == []
    assert linted.lint == "done" and "pii.phone" not in rules(linted)


def test_a_broken_save_shows_where_and_the_next_good_save_recovers(root: Path) -> None:
    state = PreviewState(root)
    state.focus("sample", "en")
    good = state.refresh()
    assert good.error is None and urls(good)

    edit(root, "  en: Restart your modem\n", "  en: [Restart your modem\n")
    broken = state.refresh()
    assert broken.error is not None
    (where,) = broken.error["problems"]
    assert where["file"] == "stories/sample.yaml" and where["line"] == 7
    assert "line 6 is never closed" in where["message"] and where["hint"]
    assert broken.stories == [] and broken.findings == [] and broken.lint == "done"
    assert broken.version == good.version + 1

    edit(root, "  en: [Restart your modem\n", "  en: Restart your modem again\n")
    fixed = state.refresh()
    assert fixed.error is None and fixed.lint == "done"
    assert len(urls(fixed)) == len(urls(good)) and urls(fixed)[0] != urls(good)[0]  # the cover's title
    assert fixed.version == broken.version + 1


def test_an_unchanged_frame_is_not_linted_again(root: Path) -> None:
    state = PreviewState(root)
    state.focus("sample", "en")
    first = state.refresh()
    manifest = root / "build" / "sample" / "en" / "manifest.json"
    ocr_cache = root / ".storycast" / "cache" / "ocr"

    def layers(frame: int) -> int:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        entry = next(f for f in data["frames"] if f["index"] == frame)
        return sum(1 for t in entry.get("texts") or entry.get("layers") or [] if t.get("color"))

    def readings() -> set[Path]:
        return set(ocr_cache.rglob("*.json")) if ocr_cache.is_dir() else set()

    # Nothing changed: nothing is measured or read again.
    measured, read = CONTRAST_MEMO.measured, readings()
    again = state.refresh()
    assert urls(again) == urls(first) and again.findings == first.findings
    assert CONTRAST_MEMO.measured == measured
    assert readings() == read

    # One step edited: only its frame (the third) is measured, and only its picture is read.
    edit(root, "Wait ten seconds.", "Wait twenty seconds.")
    after = state.refresh()
    changed = [i + 1 for i, (a, b) in enumerate(zip(urls(first), urls(after), strict=True)) if a != b]
    assert changed == [2]
    assert layers(2) > 0
    assert CONTRAST_MEMO.measured - measured == layers(2)
    new = readings() - read
    assert 1 <= len(new) <= 2  # the changed frame's text (with Tesseract) and its codes, no more
    assert after.findings == [f for f in after.findings if f in again.findings or f.get("frame") == 2]


def test_a_lint_of_frames_no_longer_shown_is_dropped(root: Path) -> None:
    """With the lint in its own thread, a save made while the last one is still being checked
    is rendered at once, and the findings of the frames it replaced are never shown."""
    gate, entered = threading.Event(), threading.Semaphore(0)
    linted: list[str] = []

    def held(project: Any, story: str, lang: str) -> list[dict[str, Any]]:
        entered.release()
        assert gate.wait(60), "the test never opened the gate"
        linted.append(story_file(root).read_text(encoding="utf-8"))
        return _lint(project, story, lang)

    log = Recorder()
    state = PreviewState(root, linter=held, published=log)
    state.focus("sample", "en")
    state._lint_thread = threading.Thread(target=state._lint_loop, daemon=True)
    state._lint_thread.start()
    try:
        first = state.refresh()  # the frames; their lint waits at the gate
        assert first.lint == "pending"
        assert entered.acquire(timeout=60)
        edit(root, "Wait for the light to turn green.", PHONE)
        second = state.refresh()  # rendered while the first lint is still running
        assert second.lint == "pending" and urls(second) != urls(first)
        gate.set()
        assert entered.acquire(timeout=60)  # the second lint started after the first ended
        state._stop.set()
        state._lint_thread.join(timeout=60)
    finally:
        gate.set()
        state._stop.set()
    assert len(linted) == 2
    done = [s for s in log.seen if s.lint == "done"]
    assert [urls(s) for s in done] == [urls(second)]  # the first lint's findings never published
    assert "pii.phone" in rules(done[0])


class Watched:
    """Snapshots a running watcher publishes, and a way to wait for one that matches."""

    def __init__(self) -> None:
        self.seen: list[PreviewSnapshot] = []
        self.cond = threading.Condition()

    def __call__(self, snap: PreviewSnapshot) -> None:
        with self.cond:
            self.seen.append(snap)
            self.cond.notify_all()

    def wait(self, test: Any) -> PreviewSnapshot:
        with self.cond:
            assert self.cond.wait_for(lambda: any(test(s) for s in self.seen), timeout=300), self.seen
            return next(s for s in self.seen if test(s))


def test_the_watcher_takes_a_save_through_a_temporary_file_and_a_rename(root: Path) -> None:
    watched = Watched()
    state = PreviewState(root, published=watched)
    state.focus("sample", "en")
    state.start()
    try:
        first = watched.wait(lambda s: s.lint == "done" and s.stories)
        path = story_file(root)
        text = path.read_text(encoding="utf-8").replace("Wait for the light to turn green.", PHONE)
        temp = path.with_name(".sample.yaml.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
        after = watched.wait(lambda s: s.lint == "done" and "pii.phone" in rules(s))
        assert urls(after) != urls(first) and after.error is None
        assert all(s.error is None for s in watched.seen)  # never a half-written file
    finally:
        state.stop()


# --- the endpoints ----------------------------------------------------------------------------


@pytest.fixture
def client(root: Path) -> TestClient:
    from storycast.project import Project
    from storycast.web.app import create_app

    app = create_app(Project.load(root), watch=False)
    app.state.web.preview.stream_seconds = 0.5
    return TestClient(app, base_url=BASE)


def events(body: str) -> list[dict[str, str]]:
    out = []
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            fields[key] = value
        if fields.get("event"):
            out.append(fields)
    return out


def test_the_event_stream_sends_the_snapshot_and_only_what_the_page_has_not_seen(
    client: TestClient, root: Path
) -> None:
    answer = client.get("/preview/events", params={"story": "sample", "lang": "es"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.startswith("retry: ")
    (sent,) = events(answer.text)
    data = json.loads(sent["data"])
    assert sent["event"] == "snapshot"
    assert data["focus"] == {"story": "sample", "lang": "es"} and data["lint"] == "done"
    assert [f["kind"] for f in data["stories"][0]["frames"]] == ["cover", "step", "step", "outro"]
    state = client.get("/preview/state", params={"story": "sample", "lang": "es"})
    assert state.headers["etag"] == sent["id"] and state.json() == data

    # A page reconnecting with the last id it saw is sent nothing new.
    again = client.get(
        "/preview/events", params={"story": "sample", "lang": "es"}, headers={"Last-Event-ID": sent["id"]}
    )
    assert events(again.text) == []
    # Another focus is rendered and sent.
    other = events(client.get("/preview/events", params={"story": "sample", "lang": "en"}).text)
    assert json.loads(other[0]["data"])["focus"] == {"story": "sample", "lang": "en"}


def test_the_event_stream_refuses_other_sites(client: TestClient) -> None:
    answer = client.get(
        "/preview/events", params={"story": "sample"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert answer.status_code == 403
    answer = client.get("/preview/events", headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403
