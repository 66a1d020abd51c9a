"""Journey: a schedule file with variants, through `publish --due` to the local feed, viewers and
replies, to `report`: each occurrence's variant is recorded and compared."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storycast.engage.insights import record_view
from storycast.ledger import open_ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - id: tips
    story: sample
    cron: "0 9 * * *"
    start: "2026-12-01"
    languages: [en]
    channels: [local]
    variants:
      - name: morning
      - name: evening
        at: "18:30"
"""


def test_schedule_with_variants_to_publish_to_report(tmp_path: Path, run_cli: Any) -> None:
    root = build_file_tree(
        tmp_path / "journey",
        {
            "storycast.toml": MINIMAL_TOML,
            "stories/sample.yaml": MINIMAL_STORY,
            "schedules/tips.yaml": SCHEDULE,
        },
    )
    P = ("--project", str(root))
    # Four days: 1 Dec morning (09:00), 2 Dec evening (18:30), 3 Dec morning, 4 Dec evening.
    dues = [
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 17, 30, tzinfo=UTC),
        datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 4, 17, 30, tzinfo=UTC),
    ]
    for due in dues:
        code, out, err = run_cli(*P, "publish", "--due", "--now", (due + timedelta(minutes=1)).isoformat())
        assert code == 0, out + err
    project = Project.load(root, environ={})
    led = open_ledger(project)
    try:
        rows = [r for r in led.publication_rows() if r["state"] == "published"]
        assert {(r["occurrence_key"], r["variant"]) for r in rows} == {
            ("2026-12-01T09:00", "morning"),
            ("2026-12-02T18:30", "evening"),
            ("2026-12-03T09:00", "morning"),
            ("2026-12-04T18:30", "evening"),
        }
        # Viewers on the local feed: every morning post is seen by 10 people to the end; the
        # evening posts lose half of theirs after the cover.
        for r in rows:
            evening = r["variant"] == "evening"
            viewers = 10 if r["frame"] == 1 or not evening else 5
            for v in range(viewers):
                record_view(project, "local", r["remote_id"], f"viewer-{v}", r["published_utc"], ledger=led)
        first = next(r for r in rows if r["frame"] == 1 and r["variant"] == "morning")
        post = led.find_post("local", first["remote_id"])
        at = first["published_utc"]
        led.put_reply(
            channel="local",
            message_id="q1",
            kind="reply",
            thread="s1",
            at=at + timedelta(minutes=5),
            text="the light stays red",
            post=post,
        )
        led.put_reply(
            channel="local",
            message_id="a1",
            kind="agent",
            thread="s1",
            at=at + timedelta(minutes=20),
            text="Unplug it for 30 s, then #resolved",
            post=None,
        )
    finally:
        led.close()
    code, out, err = run_cli(*P, "report", "--format", "json", "--now", "2026-12-05T12:00:00Z")
    assert code == 0, err
    data = json.loads(out)
    variants = {(c["value"], c["lang"]): c for c in data["comparisons"] if c["by"] == "variant"}
    assert variants[("tips · morning", "en")]["completion"] == 100.0
    assert variants[("tips · evening", "en")]["completion"] == 50.0
    assert variants[("tips · evening", "en")]["drop_off"]["from_frame"] == 1
    (everything,) = [o for o in data["outcomes"]["lines"] if o["by"] == "all"]
    assert everything["first_response"]["median_s"] == 15 * 60
    assert everything["resolution"]["median_s"] == 15 * 60 and everything["open"] == 0
    # Two slots with two posts each: below the default threshold of three.
    (local,) = data["suggestions"]
    assert local["slot"] is None and local["reason"].startswith("not enough data")
