"""Approval bound to the pixels: the [approval] section, the gate in the tick, the commands, the
review page's signed links. Journeys start at a schedule file in a copy of the example project
and end at what `storycast status`, `approvals` and the local feed show."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree
from tests.conftest_db import db_url, pg_database, pg_schema_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
MONDAY = "2026-11-30T09:35:00+01:00"  # router-monday is due 09:30 Madrid (es, then en)
APPROVAL = """
[approval]
required = true
approvers = ["ana", {name = "ben"}]
"""


def _example(tmp_path: Path, extra: str = APPROVAL) -> Path:
    root = tmp_path / "example"
    root.mkdir()
    for name in ("stories", "templates", "assets"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("*.py", "NotoColorEmoji.ttf"))
    (root / "schedules").mkdir()
    shutil.copy(ROOT / "schedules" / "weekly.yaml", root / "schedules" / "weekly.yaml")
    (root / "storycast.toml").write_text((ROOT / "storycast.toml").read_text() + extra, encoding="utf-8")
    return root


def _status(run_cli, root: Path, now: str) -> dict:
    code, out, err = run_cli("-P", str(root), "status", "--all", "--json", "--now", now)
    assert code == 0, err
    return json.loads(out)


def _story_rows(doc: dict, ref: str = "reset-router") -> list[dict]:
    return [r for r in doc["rows"] if r["ref"] == ref]


def test_example_project_waits_for_approval_then_publishes_once_and_an_edit_waits_again(tmp_path, run_cli):
    root = _example(tmp_path)
    P = ("-P", str(root))
    code, out, err = run_cli(*P, "publish", "--due", "--now", MONDAY)
    assert code == 0, out + err
    assert "published 0" in out
    assert "awaiting_approval #" in out
    code, out, _ = run_cli(*P, "status", "--now", MONDAY)
    assert "await approval" in out
    assert re.search(r"awaiting_approval .*reset-router \[es\] 1/8 -> local .*from ana or ben by", out), out
    rows = _story_rows(_status(run_cli, root, MONDAY))
    assert {r["state"] for r in rows} == {"planned"} and rows
    assert any(r["display_state"] == "awaiting_approval" for r in rows)

    # The review pack: frames, contact sheet, alt texts, findings.
    code, out, err = run_cli(*P, "review", "reset-router", "--lang", "es", "--now", MONDAY)
    assert code == 0, err
    pack = root / "review" / "reset-router" / "es"
    assert {"01.jpg", "contact.png", "alt.txt", "lint.txt", "review.md", "manifest.json"} <= {
        p.name for p in pack.iterdir()
    }
    # Approve each language; each publishes exactly once.
    for lang in ("es", "en"):
        code, out, err = run_cli(
            *P, "approve", "reset-router", "--lang", lang, "--by", "ana", "--now", MONDAY
        )
        assert code == 0, err
        assert f"reset-router [{lang}] approved by ana" in out
    code, out, err = run_cli(*P, "publish", "--due", "--now", "2026-11-30T09:40:00+01:00")
    assert code == 0, out + err
    assert "published 16" in out
    code, out, err = run_cli(*P, "publish", "--due", "--now", "2026-11-30T09:45:00+01:00")
    assert "published 0" in out
    rows = _story_rows(_status(run_cli, root, "2026-11-30T09:45:00+01:00"))
    monday = [r for r in rows if r["occurrence_key"].startswith("2026-11-30")]
    assert len(monday) == 16 and {r["state"] for r in monday} == {"published"}
    feed = list((root / "feed").rglob("*.json")) if (root / "feed").exists() else []
    assert len([f for f in feed if "reset-router" in f.read_text()]) in (0, 16)

    # A one-word edit to a step's Spanish text: the next Monday waits again and names the frame.
    story = root / "stories" / "reset-router.yaml"
    text = story.read_text(encoding="utf-8")
    es_lines = [ln for ln in text.splitlines() if ln.strip().startswith("es:")]
    target = es_lines[2]  # a step's text, not the title
    edited = target.rstrip() + " ya"
    story.write_text(text.replace(target, edited, 1), encoding="utf-8")
    code, out, err = run_cli(*P, "render", "reset-router", "--lang", "es")
    assert code == 0, err
    nxt = "2026-12-07T09:35:00+01:00"
    code, out, err = run_cli(*P, "publish", "--due", "--now", nxt)
    assert "published 0" in out, out
    code, out, _ = run_cli(*P, "status", "--now", nxt)
    m = re.search(r"awaiting_approval .*reset-router \[es\].*frame (\d+) changed since ana approved it", out)
    assert m, out
    code, out, _ = run_cli(*P, "review", "reset-router", "--lang", "es", "--now", nxt)
    assert f"changed since ana on 2026-11-30 08:35 UTC: frame {m.group(1)}" in out
    assert (pack / "changes" / f"{int(m.group(1)):02d}.png").is_file()
    # Nobody approves: the slot passes and the rows are missed with the reason.
    code, out, _ = run_cli(*P, "publish", "--due", "--now", "2026-12-07T10:30:00+01:00")
    rows = [r for r in _story_rows(_status(run_cli, root, "2026-12-07T10:30:00+01:00")) if r["lang"] == "es"]
    missed = [r for r in rows if r["occurrence_key"].startswith("2026-12-07")]
    assert missed and {r["state"] for r in missed} == {"missed"}
    assert "it was awaiting approval: frame" in missed[0]["reason"]
    code, out, _ = run_cli(*P, "approvals", "--json")
    history = json.loads(out)
    assert [d["by"] for d in history] == ["ana", "ana"]
    assert all(len(d["items"]) == 8 and len(d["items"][0]["sha256"]) == 64 for d in history)


SMALL_SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - story: sample
    cron: "0 10 * * *"
    channels: [local]
    languages: [en]
"""


def _small(make_project, approval: str) -> Path:
    return make_project(
        {"stories/sample.yaml": MINIMAL_STORY, "schedules/main.yaml": SMALL_SCHEDULE},
        toml=MINIMAL_TOML + approval,
    )


def _states(run_cli, root: Path, now: str) -> set[str]:
    return {
        r["display_state"]
        for r in _status(run_cli, root, now)["rows"]
        if r["occurrence_key"].startswith(now[:10])
    }


def test_two_approvers_on_a_channel_and_a_rejection_blocks(make_project, run_cli, db_url):  # noqa: F811
    root = _small(
        make_project,
        APPROVAL + "\n[approval.channels.local]\nmin_approvals = 2\n",
    )
    env = {"STORYCAST_DB": db_url}
    P = ("-P", str(root))
    day1 = "2026-12-01T10:05:00+01:00"
    run_cli(*P, "approve", "sample", "--by", "ana", "--now", "2026-12-01T09:00:00+01:00", env=env)
    code, out, _ = run_cli(*P, "publish", "--due", "--now", day1, env=env)
    assert "published 0" in out and "1 of 2 approval(s) from ana, ben" in out
    assert _states(run_cli, root, day1) == {"awaiting_approval"}
    run_cli(*P, "approve", "sample", "--by", "Ben", "--now", "2026-12-01T10:06:00+01:00", env=env)
    code, out, _ = run_cli(*P, "publish", "--due", "--now", "2026-12-01T10:07:00+01:00", env=env)
    assert "published 4" in out, out

    # A rejection voids both approvals: the next day waits, and the reason says who and why.
    code, out, err = run_cli(
        *P, "reject", "sample", "--lang", "en", "--by", "ben", "--reason", "wrong router photo",
        "--now", "2026-12-01T12:00:00+01:00", env=env,
    )  # fmt: skip
    assert code == 0, err
    day2 = "2026-12-02T10:05:00+01:00"
    code, out, _ = run_cli(*P, "publish", "--due", "--now", day2, env=env)
    assert "published 0" in out and "rejected by ben" in out and "wrong router photo" in out
    run_cli(
        *P, "approve", "sample", "--lang", "en", "--by", "ana", "--now", "2026-12-02T10:06:00+01:00", env=env
    )
    code, out, _ = run_cli(*P, "publish", "--due", "--now", "2026-12-02T10:07:00+01:00", env=env)
    assert "published 0" in out and "1 of 2" in out  # ben's approval before the rejection no longer counts
    run_cli(
        *P, "approve", "sample", "--lang", "en", "--by", "ben", "--now", "2026-12-02T10:08:00+01:00", env=env
    )
    code, out, _ = run_cli(*P, "publish", "--due", "--now", "2026-12-02T10:09:00+01:00", env=env)
    assert "published 4" in out, out
    code, out, _ = run_cli(*P, "approvals", env=env)
    assert out.count("approved") == 6 and "rejected sample [en] by ben via cli" in out


def test_a_channel_without_approval_publishes_and_lead_time_counts(make_project, run_cli):
    root = _small(make_project, APPROVAL.replace("required = true", 'required = true\nlead_time = "2h"'))
    P = ("-P", str(root))
    run_cli(*P, "approve", "sample", "--by", "ana", "--now", "2026-12-01T09:30:00+01:00")  # 30 min before
    _, out, _ = run_cli(*P, "publish", "--due", "--now", "2026-12-01T10:05:00+01:00")
    assert "published 0" in out and "approved too late for this slot by ana" in out
    assert "by 2026-12-01 07:00 UTC" in out
    # The next day's slot is more than 2 h after the approval: it goes.
    _code, out, _ = run_cli(*P, "publish", "--due", "--now", "2026-12-02T10:05:00+01:00")
    assert "published 4" in out

    other = root.parent / "other"
    other.mkdir()
    root2 = build_file_tree(
        other,
        {
            "storycast.toml": MINIMAL_TOML + APPROVAL + "\n[approval.channels.local]\nrequired = false\n",
            "stories/sample.yaml": MINIMAL_STORY,
            "schedules/main.yaml": SMALL_SCHEDULE,
        },
    )
    _, out, _ = run_cli("-P", str(root2), "publish", "--due", "--now", "2026-12-01T10:05:00+01:00")
    assert "published 4" in out


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("\n[approval]\nrequired = true\n", "names no approvers"),
        ('\n[approval]\nrequired = true\napprovers = ["ana"]\nmin_approvals = 2\n', "only 1 approver"),
        (
            '\n[approval]\napprovers = ["ana"]\n[approval.channels.instagrm]\nmin_approvals = 2\n',
            "no channel named",
        ),
        ('\n[approval]\napprovers = ["ana", "ana"]\n', "listed twice"),
        ('\n[approval]\napprovers = ["ana smith"]\n', "not an approver name"),
        ('\n[approval]\nlead_time = "soon"\n', "lead_time"),
        ('\n[approval]\nreview_url = "ftp://x"\n', "review_url"),
        ('\n[approval]\napprovers = ["ana"]\n[approval.channels.local]\napprovers = ["zed"]\n', "not one of"),
        ("\n[approval]\nrequird = true\n", "did you mean required"),
    ],
)
def test_config_problems_name_the_key_and_line(make_project, run_cli, extra, says):
    root = make_project(toml=MINIMAL_TOML + extra)
    code, out, err = run_cli("-P", str(root), "approvals")
    assert code == 3, out + err
    assert says in err and "storycast.toml:" in err


def test_decisions_need_a_known_approver_and_a_reason(make_project, run_cli):
    root = _small(make_project, APPROVAL)
    P = ("-P", str(root))
    code, _, err = run_cli(*P, "approve", "sample", "--by", "mallory")
    assert code == 3 and "'mallory' is not an approver" in err and "ana, ben" in err
    code, _, err = run_cli(*P, "reject", "sample", "--by", "ana", "--reason", "   ")
    assert code == 1 and "needs a reason" in err
    code, _, err = run_cli(*P, "approve", "sample", "--lang", "th", "--by", "ana")
    assert code == 4 and "no 'th' version" in err
    code, out, _ = run_cli(*P, "approvals")
    assert "no approvals recorded yet" in out


# -- the review page's signed links ------------------------------------------------------------


def _client(root: Path, now: datetime) -> TestClient:
    from storycast.project import Project
    from storycast.web.app import create_app

    return TestClient(
        create_app(Project.load(root), now=lambda: now, watch=False), base_url="http://127.0.0.1:8000"
    )


def _token(root: Path, approver: str, expires: datetime, ref: str = "sample", lang: str = "en") -> str:
    from storycast.project import Project
    from storycast.web.review import make_token
    from storycast.web.security import load_key

    return make_token(load_key(Project.load(root).state_dir), ref, lang, approver, expires)


def test_review_link_approves_once_and_refuses_tampered_expired_and_reused(make_project, run_cli):
    root = _small(make_project, APPROVAL)
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    token = _token(root, "ana", now + timedelta(days=1))
    client = _client(root, now)
    page = client.get(f"/review/{token}")
    assert page.status_code == 200, page.text
    assert "Approve" in page.text and "/frame/1" in page.text
    img = client.get(f"/review/{token}/frame/1")
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    version = re.search(r'name="version" value="([0-9a-f]{64})"', page.text).group(1)

    # Without the CSRF token, or from another site: refused, nothing recorded.
    bad = client.post(f"/review/{token}", data={"decision": "approve", "version": version})
    assert bad.status_code == 403
    cross = client.post(
        f"/review/{token}",
        data={"decision": "approve", "version": version, "csrf": csrf},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/review/{tampered}").status_code == 403
    forged = _token(root, "ben", now + timedelta(days=1)).split(".")
    swapped = ".".join([token.split(".")[0], forged[1], token.split(".")[2]])
    assert client.get(f"/review/{swapped}").status_code == 403
    expired = _token(root, "ana", now - timedelta(minutes=1))
    got = client.get(f"/review/{expired}")
    assert got.status_code == 410 and "expired" in got.text

    ok = client.post(
        f"/review/{token}", data={"decision": "approve", "version": version, "csrf": csrf, "reason": "fine"}
    )
    assert ok.status_code == 200 and "approved by ana" in ok.text
    again = client.post(
        f"/review/{token}", data={"decision": "reject", "version": version, "csrf": csrf, "reason": "x"}
    )
    assert again.status_code == 410 and "already been used" in again.text
    assert client.get(f"/review/{token}").status_code == 410
    _, out, _ = run_cli("-P", str(root), "approvals", "--json")
    decisions = json.loads(out)
    assert [(d["by"], d["decision"], d["via"]) for d in decisions] == [("ana", "approved", "web")]

    # A story that changed since the page was shown is not approved blind.
    token2 = _token(root, "ben", now + timedelta(days=1))
    page2 = client.get(f"/review/{token2}")
    csrf2 = re.search(r'name="csrf" value="([^"]+)"', page2.text).group(1)
    stale = client.post(f"/review/{token2}", data={"decision": "approve", "version": "0" * 64, "csrf": csrf2})
    assert stale.status_code == 409 and "changed since this page was opened" in stale.text


def test_review_notify_sends_each_approver_a_signed_link(make_project, run_cli):
    from tests.fakes.hooks import FakeHooks

    with FakeHooks() as hooks:
        approval = APPROVAL.replace(
            'approvers = ["ana", {name = "ben"}]',
            'approvers = [{name = "ana", contact = "env:ANA_NOTIFY"}, "ben"]\nreview_url = "https://review.example.com"',
        )
        root = _small(make_project, approval)
        port = hooks.url.rsplit(":", 1)[1]
        env = {"ANA_NOTIFY": f"json://127.0.0.1:{port}/notify?secret-token=AnaSecret42"}
        code, out, err = run_cli("-P", str(root), "review", "sample", "--lang", "en", "--notify", env=env)
        assert code == 0, err
        assert "notified ana" in out and "AnaSecret42" not in out + err
        bodies = list(hooks.notifications)
    assert len(bodies) == 1
    link = re.search(r"https://review\.example\.com/review/(\S+)", bodies[0]["message"])
    assert link, bodies[0]
    client = _client(root, datetime.now(UTC))
    page = client.get(f"/review/{link.group(1)}", headers={"Host": "review.example.com"})
    assert page.status_code == 200 and "ana, these are the frames" in page.text
