"""storycast kb visits and kb build --no-ledger."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from storycast.ledger import open_ledger
from storycast.project import Project
from tests.conftest import MINIMAL_STORY


def test_kb_visits_lists_counters_and_votes(make_project: Any, run_cli: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    code, out, _ = run_cli("--project", str(root), "kb", "visits")
    assert code == 0 and "no visits or votes yet" in out
    assert not (root / ".storycast" / "state.db").exists()
    led = open_ledger(Project.load(root))
    try:
        led.count_visit(ref="sample", lang="es", channel="local", day=date(2026, 12, 2), n=4)
        led.put_article_vote(
            ref="sample", helpful=False, voter="x" * 32, lang="es", now=datetime(2026, 12, 2, tzinfo=UTC)
        )
    finally:
        led.close()
    code, out, _ = run_cli("--project", str(root), "kb", "visits", "--json")
    assert code == 0
    assert json.loads(out) == {
        "visits": [{"day": "2026-12-02", "story": "sample", "lang": "es", "channel": "local", "count": 4}],
        "helpful": {"sample": {"yes": 0, "no": 1}},
    }
    code, out, _ = run_cli("--project", str(root), "kb", "visits")
    assert "2026-12-02  sample" in out and "sample: 0 found it helpful, 1 did not" in out


def test_kb_build_no_ledger(make_project: Any, run_cli: Any, tmp_path: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    code, out, err = run_cli(
        "--project", str(root), "kb", "build", "--no-ledger", "--out", str(tmp_path / "site"), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["tutorials"] == 1
    assert (tmp_path / "site" / "_redirects").is_file()
