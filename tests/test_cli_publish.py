# ruff: noqa: F811
"""`storycast publish` end to end: the example project into the local feed, exit codes, dry runs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_STORY, MINIMAL_TOML
from tests.conftest_db import (  # noqa: F401  (db_url and pg_database are fixtures)
    db_url,
    make_engine_project,
    pg_database,
    run_storycast,
    subprocess_env,
)

REPO = Path(__file__).resolve().parent.parent
LAUNCH_UTC = "2026-12-01T09:00:00Z"  # schedules/launches.yaml: 10:00 Europe/Madrid


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example project in the repository root."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO / "storycast.toml", root)
    for folder in ("stories", "templates", "assets", "schedules"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_example_project_publishes_due_frames_to_the_local_feed_once(example: Path, db_url: str) -> None:
    env = subprocess_env(db_url)
    dry = run_storycast(
        ["--project", str(example), "publish", "--due", "--now", LAUNCH_UTC, "--dry-run", "--json"], env
    )
    assert dry.returncode == 0, dry.stderr
    due = json.loads(dry.stdout)["due"]
    assert {(d["ref"], d["lang"]) for d in due} == {("update-firmware", "es"), ("update-firmware", "en")}
    first = run_storycast(["--project", str(example), "publish", "--due", "--now", LAUNCH_UTC, "--json"], env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["published"] == len(due) > 0 and report["failed"] == 0
    records = sorted((example / "feed").glob("*/*.json"))
    assert len(records) == len(due)
    body = json.loads(records[0].read_text(encoding="utf-8"))
    assert body["story"] == "update-firmware" and body["kind"] == "story"
    assert body["published_at"] == LAUNCH_UTC and body["expires_at"] == "2026-12-02T09:00:00Z"
    assert body["remote_id"].startswith("local:")
    assert (records[0].parent / body["media"]).is_file()
    es = sorted(json.loads(r.read_text(encoding="utf-8"))["frame"] for r in records if ".es." in r.name)
    assert es == list(range(1, len(es) + 1))
    second = run_storycast(
        ["--project", str(example), "publish", "--due", "--now", LAUNCH_UTC, "--json"], env
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["published"] == 0
    assert len(sorted((example / "feed").glob("*/*.json"))) == len(due)
    status = run_storycast(["--project", str(example), "status", "--json"], env)
    assert json.loads(status.stdout)["counts"]["published"] == len(due)


def test_publish_story_now_to_a_channel(example: Path, tmp_path: Path) -> None:
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}")
    res = run_storycast(
        [
            "--project",
            str(example),
            "publish",
            "wifi-password",
            "--channel",
            "local",
            "--lang",
            "th",
            "--json",
        ],
        env,
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["published"] == len(report["items"]) > 1
    assert {i["lang"] for i in report["items"]} == {"th"}
    bad = run_storycast(
        ["--project", str(example), "publish", "wifi-password", "--channel", "instagramm"], env
    )
    assert bad.returncode == 3 and "no channel named 'instagramm'" in bad.stderr


CARD = """\
timezone: UTC
entries:
  - card: card-b
    at: "2026-12-01T09:00"
    channels: [rec]
    languages: [en]
"""


def test_exit_code_7_when_items_fail_and_0_when_nothing_is_due(tmp_path: Path) -> None:
    root = make_engine_project(tmp_path / "p", {"c.yaml": CARD})
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}", SC_MODE="permanent")
    early = run_storycast(["--project", str(root), "publish", "--due", "--now", "2026-12-01T08:00:00Z"], env)
    assert early.returncode == 0 and "published 0, failed 0" in early.stdout
    res = run_storycast(["--project", str(root), "publish", "--due", "--now", LAUNCH_UTC], env)
    assert res.returncode == 7
    assert (
        "failed     #1 card-b [en] frame 1/5 -> rec  (the platform rejected the media (HTTP 400))"
        in res.stdout
    )
    again = run_storycast(["--project", str(root), "publish", "--due", "--now", LAUNCH_UTC], env)
    assert again.returncode == 0


def test_exit_codes_for_bad_schedule_and_bad_config(tmp_path: Path) -> None:
    root = make_engine_project(tmp_path / "p", {"c.yaml": CARD.replace("card-b", "card-z")})
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}")
    res = run_storycast(["--project", str(root), "publish", "--due", "--now", LAUNCH_UTC], env)
    assert res.returncode == 4
    assert "c.yaml:3" in res.stderr
    (root / "storycast.toml").write_text("[project\n")
    res = run_storycast(["--project", str(root), "publish", "--due"], env)
    assert res.returncode == 3


def test_cron_prints_crontab_and_systemd_units(tmp_path: Path) -> None:
    root = make_engine_project(tmp_path / "p", {})
    res = run_storycast(["--project", str(root), "cron", "--every", "5"], subprocess_env("sqlite://"))
    assert res.returncode == 0
    assert "*/5 * * * * " in res.stdout and f"--project {root} publish --due" in res.stdout
    assert "[Timer]\nOnCalendar=*:0/5" in res.stdout and "Persistent=true" in res.stdout
    assert "Type=oneshot" in res.stdout


def test_guard_errors_refuse_the_story_unless_forced(example: Path, tmp_path: Path) -> None:
    story = example / "stories" / "wifi-password.yaml"
    text = story.read_text(encoding="utf-8")
    marker = "\n    text:\n      en: "
    assert marker in text
    story.write_text(
        text.replace(marker, marker + "Questions? Mail maria.lopez@gmail.com. ", 1), encoding="utf-8"
    )
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}")
    args = [
        "--project",
        str(example),
        "publish",
        "wifi-password",
        "--channel",
        "local",
        "--lang",
        "en",
        "--json",
    ]
    # A manual publish is one occurrence per second: two runs in the same second are one post.
    refused = run_storycast([*args, "--now", "2026-12-01T09:00:00Z"], env)
    assert refused.returncode == 7, refused.stderr
    items = json.loads(refused.stdout)["items"]
    assert items[0]["outcome"] == "failed" and items[0]["reason"] == "lint: pii.email"
    assert not (example / "feed").exists()
    # Forcing within the same second finds the refused occurrence, and says so.
    same = run_storycast([*args, "--force", "--now", "2026-12-01T09:00:00Z"], env)
    assert same.returncode == 0, same.stderr
    note = json.loads(same.stdout)["notes"]
    assert note and "already handled at 2026-12-01 09:00:00 UTC" in note[0] and "a second later" in note[0]
    forced = run_storycast([*args, "--force", "--now", "2026-12-01T09:00:05Z"], env)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["published"] > 1
    hist = run_storycast(["--project", str(example), "history", "--json", "--limit", "200"], env)
    details = [h["detail"] for h in json.loads(hist.stdout) if h["what"] == "published"]
    assert details and all("forced past lint" in d and "pii.email" in d for d in details)


def test_publishing_refuses_a_story_with_a_card_number(example: Path, tmp_path: Path) -> None:
    story = example / "stories" / "reset-router.yaml"
    text = story.read_text(encoding="utf-8")
    marker = "\n      es: Mira la parte frontal del router."
    assert marker in text
    story.write_text(
        text.replace(marker, "\n      es: Paga con la tarjeta 4111 1111 1111 1111." + marker[11:], 1),
        encoding="utf-8",
    )
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}")
    args = [
        "--project",
        str(example),
        "publish",
        "reset-router",
        "--channel",
        "local",
        "--lang",
        "es",
        "--json",
    ]
    refused = run_storycast(args, env)
    assert refused.returncode == 7, refused.stderr
    items = json.loads(refused.stdout)["items"]
    assert items and all(i["outcome"] == "failed" for i in items)
    assert items[0]["reason"] == "lint: pii.card"
    assert not (example / "feed").exists()


# -- a broken file holds back only its own posts (issue #14) -----------------------------------

JOURNEY_SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - story: sample
    at: "2026-12-07T09:30"
    channels: [local]
    grace: 30m
  - story: two-factor-login
    at: "2026-12-07T09:30"
    channels: [local]
    grace: 30m
"""
TWO_FACTOR = MINIMAL_STORY.replace("id: sample", "id: two-factor-login")
TAB_LINE = 7  # "  en: Restart your modem" under title:, indented with a tab below


def _feed(root: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "feed").glob("*/*.json"))]


def test_journey_a_broken_story_waits_visibly_while_the_rest_goes_out(
    make_project: Callable[..., Path], run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    lines = TWO_FACTOR.splitlines(keepends=True)
    lines[TAB_LINE - 1] = "\t" + lines[TAB_LINE - 1].lstrip(" ")
    root = make_project(
        {
            "stories/sample.yaml": MINIMAL_STORY,
            "stories/two-factor-login.yaml": "".join(lines),
            "schedules/main.yaml": JOURNEY_SCHEDULE,
        },
        toml=MINIMAL_TOML,
    )
    (root / "stories" / "two-factor-login.yaml").write_text("".join(lines), encoding="utf-8")  # no dedent
    p = ["-P", str(root)]

    code, out, err = run_cli(*p, "publish", "--due", "--now", "2026-12-07T08:31:00Z")
    assert code == 4, out + err
    assert "published 8, failed 0, waiting for a fix 2," in out
    assert f"two-factor-login.yaml:{TAB_LINE}:1: YAML syntax error" in err
    assert "hint: YAML indents with spaces, never tabs" in err
    assert "everything else went out" in err
    feed = _feed(root)
    assert len(feed) == 8 and {f["story"] for f in feed} == {"sample"}  # 4 frames x en, es

    code, out, _ = run_cli(*p, "status", "--story", "two-factor-login", "--now", "2026-12-07T08:31:00Z")
    assert code == 0
    assert "2 due row(s) wait for a fix (the reason is on each row)" in out
    held = [line for line in out.splitlines() if "two-factor-login [" in line]
    assert len(held) == 2 and all(" planned " in line for line in held)
    assert all(
        f"(waiting for a fix: stories/two-factor-login.yaml:{TAB_LINE}:1: YAML syntax error" in line
        for line in held
    )

    # Fixed within its grace window: the next tick sends every frame of it.
    (root / "stories" / "two-factor-login.yaml").write_text(TWO_FACTOR, encoding="utf-8")
    code, out, err = run_cli(*p, "publish", "--due", "--now", "2026-12-07T08:35:00Z")
    assert code == 0, out + err
    assert "published 8, failed 0, retry later 0" in out
    assert sorted(str(f["story"]) for f in _feed(root)).count("two-factor-login") == 8
    code, out, _ = run_cli(*p, "status", "--json")
    assert json.loads(out)["counts"] == {"published": 16}


def test_run_once_holds_a_broken_story_and_exits_like_publish_due(
    make_project: Callable[..., Path], run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    root = make_project(
        {
            "stories/sample.yaml": MINIMAL_STORY,
            "stories/two-factor-login.yaml": TWO_FACTOR.replace("steps:", "steps: ["),
            "schedules/main.yaml": JOURNEY_SCHEDULE,
        }
    )
    code, out, err = run_cli("-P", str(root), "run", "--once", "--no-watch", "--now", "2026-12-07T08:31:00Z")
    assert code == 4, out + err
    assert "two-factor-login.yaml" in err and "waiting" in err
    assert {f["story"] for f in _feed(root)} == {"sample"}


def test_dry_run_lists_what_would_go_and_names_the_broken_file(
    make_project: Callable[..., Path], run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    root = make_project(
        {
            "stories/sample.yaml": MINIMAL_STORY,
            "stories/two-factor-login.yaml": TWO_FACTOR.replace("steps:", "steps: ["),
            "schedules/main.yaml": JOURNEY_SCHEDULE,
        }
    )
    code, out, err = run_cli(
        "-P", str(root), "publish", "--due", "--dry-run", "--now", "2026-12-07T08:31:00Z"
    )
    assert code == 4, out + err
    assert "would publish sample [en] frame 1/4 -> local" in out and "two-factor-login [" not in out
    assert "two-factor-login.yaml" in err and "they would wait" in err
    assert not (root / ".storycast" / "state.db").exists()


def test_publish_summary_counts_the_frames_a_failure_takes_along(tmp_path: Path) -> None:
    root = make_engine_project(tmp_path / "p", {"c.yaml": CARD})
    env = subprocess_env(f"sqlite:///{tmp_path / 'state.db'}", SC_MODE="permanent")
    res = run_storycast(["--project", str(root), "publish", "--due", "--now", LAUNCH_UTC], env)
    assert res.returncode == 7
    assert "published 0, failed 5," in res.stdout  # frame 1 refused, frames 2-5 with it
    status = run_storycast(["--project", str(root), "status", "--json"], env)
    assert json.loads(status.stdout)["counts"] == {"failed": 5}


def test_status_all_means_every_row(tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]) -> None:
    from datetime import UTC, datetime, timedelta

    from storycast.ledger.store import Ledger

    root = make_engine_project(tmp_path / "p", {})
    url = f"sqlite:///{tmp_path / 'state.db'}"
    due = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    ledger = Ledger.open(url)
    try:
        ledger.insert_units(
            [
                {
                    "entry_key": "e",
                    "occurrence_key": f"o{i}",
                    "channel": "rec",
                    "lang": "en",
                    "frame": 1,
                    "frame_total": 1,
                    "kind": "card",
                    "ref": "card-a",
                    "due_utc": due,
                    "deadline_utc": due + timedelta(minutes=15),
                }
                for i in range(500)
            ],
            due,
        )
    finally:
        ledger.close()
    env = {"STORYCAST_DB": url}
    code, out, _ = run_cli("-P", str(root), "status", "--all", "--json", env=env)
    assert code == 0 and len(json.loads(out)["rows"]) == 500 and not json.loads(out)["truncated"]
    code, out, _ = run_cli("-P", str(root), "status", "--json", env=env)
    assert len(json.loads(out)["rows"]) == 200 and json.loads(out)["truncated"]
    code, out, _ = run_cli("-P", str(root), "status", "--all", "--limit", "300", env=env)
    assert "(only the first 300 rows; --limit N shows more, --all every row)" in out
    code, _, err = run_cli("-P", str(root), "status", "--limit", "0", env=env)
    assert code == 2 and "--limit" in err


@pytest.mark.parametrize(
    "args",
    [
        ["retry", "999"],
        ["cancel", "999"],
        ["reconcile", "--resolve", "999=published"],
        ["history", "--id", "999"],
    ],
)
def test_ledger_commands_on_a_row_that_does_not_exist(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]], args: list[str]
) -> None:
    root = make_engine_project(tmp_path / "p", {"c.yaml": CARD})
    env = {"STORYCAST_DB": f"sqlite:///{tmp_path / 'state.db'}"}
    assert run_cli("-P", str(root), "publish", "--due", "--now", LAUNCH_UTC, env=env)[0] == 0
    code, out, err = run_cli("-P", str(root), *args, env=env)
    assert code == 2, out + err
    assert "no ledger row with id 999" in err
    assert "hint: `storycast status --all` lists the rows and their ids (the highest is 5)" in err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["publish", "--due", "--now", "9999-12-31T23:59:59Z"], "'--now'"),
        (["publish", "--due", "--now", "0001-01-01T00:00:00Z"], "'--now'"),
        (["publish", "--due", "--dry-run", "--now", "0001-01-01T00:30:00+01:00"], "'--now'"),
        (["publish", "--due", "--now", "garbage"], "'--now'"),
        (["status", "--now", "9999-12-31T23:59:59"], "'--now'"),
        (["retry", "1", "--now", "9999-12-31T23:59:59Z"], "'--now'"),
        (["run", "--once", "--now", "9999-12-31T23:59:59Z"], "'--now'"),
        (["plan", "--from", "9999-12-31"], "'--from'"),
        (["plan", "--from", "8999-12-30", "--days", "5"], "'--days'"),
        (["plan", "--days", "-1"], "'--days'"),
        (["report", "--since", "0001-01-01"], "'--since'"),
    ],
)
def test_extreme_times_are_bad_values_not_crashes(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]], args: list[str], option: str
) -> None:
    root = make_engine_project(tmp_path / "p", {"c.yaml": CARD})
    code, out, err = run_cli("-P", str(root), *args, env={"STORYCAST_DB": f"sqlite:///{tmp_path / 's.db'}"})
    assert code == 2, out + err
    assert f"Invalid value for {option}" in err and "Traceback" not in err


def test_a_manual_publish_of_a_story_whose_template_fails_fails_instead_of_waiting(
    make_project: Callable[..., Path], run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    # Held, the row would go out at the next cron tick after a fix, on top of the person's
    # own second `publish` once they fixed it: a manual publish fails and says why instead.
    broken = '{% extends "default/tutorial/cover.j2" %}{% block content %}{{ nope }}{% endblock %}\n'
    root = make_project(
        {
            "stories/sample.yaml": MINIMAL_STORY.replace("template: tutorial", "template: custom"),
            "templates/custom/cover.j2": broken,
            "templates/custom/step.j2": '{% extends "default/tutorial/step.j2" %}\n',
            "templates/custom/outro.j2": '{% extends "default/tutorial/outro.j2" %}\n',
        }
    )
    p = ["-P", str(root)]
    code, out, err = run_cli(*p, "publish", "sample", "--channel", "local", "--lang", "en")
    assert code == 4, out + err
    assert "stopped this publish" in err and "templates/custom/cover.j2" in err
    code, out, _ = run_cli(*p, "status", "--json")
    assert json.loads(out)["counts"] == {"failed": 4}
