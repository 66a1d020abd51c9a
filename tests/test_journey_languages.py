"""Journey: languages in sequence, from a schedule file to what the platform received.

An entry with ``languages: [es, en]`` to one Telegram channel sends the story's whole Spanish
sequence, in frame order, before the first English frame (es1..esN, en1..enN), through
``publish --due``, the daemon (``run --once``) and the procrastinate job bodies, on SQLite and
PostgreSQL. A flood-control 429 in the middle of the Spanish sequence holds the English one
back until the Spanish frames are out; a frame Telegram refuses for good ends its language and
lets the next one go. A channel with ``languages = [...]`` takes only those languages, and
``plan`` and ``status`` show it.

The fake is tests/fakes/telegram.py (Bot API reference: sendPhoto answers the Message sent,
``message_id`` increasing per chat; flood control is HTTP 429 with ``parameters.retry_after``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import build_file_tree
from tests.conftest_db import db_url, pg_database, pg_schema_url  # noqa: F401
from tests.fakes.telegram import FakeTelegram, tg_error

TOKEN = "42:AAlanguagestoken"
NOW = "2026-12-01T09:01:00Z"
LATER = "2026-12-01T09:03:00Z"

STORY = """\
id: reset
template: tutorial
category: connectivity
languages: [en, es]
title: {en: Restart your router, es: Reinicia tu router}
cta: {en: Still stuck? Reply here, es: ¿Sigue igual? Responde aquí}
steps:
  - title: {en: Unplug it, es: Desconéctalo}
    text: {en: Wait ten seconds., es: Espera diez segundos.}
  - title: {en: Plug it back in, es: Vuelve a conectarlo}
    text: {en: Wait for the green light., es: Espera la luz verde.}
"""

SCHEDULE = """\
timezone: UTC
entries:
  - id: reset-launch
    story: reset
    at: "2026-12-01T09:00"
    channels: [{channels}]
    languages: [es, en]
    grace: 2h
"""


def _toml(url: str, extra: str = "") -> str:
    return f"""[project]
name = "Languages"
languages = ["en", "es"]
timezone = "UTC"

[channels.tg]
type = "telegram"
api_base = "{url}"
bot_token = "env:LANG_TG_TOKEN"
chat_id = "@lumen"
min_interval = 0
timeout = 10
{extra}"""


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    fake.clock = datetime(2026, 12, 1, 9, 1, tzinfo=UTC).timestamp
    yield fake
    fake.stop()
    fake.assert_clean()  # no frame was sent twice


@pytest.fixture
def env() -> dict[str, str]:
    return {"LANG_TG_TOKEN": TOKEN}


def _project(tmp_path: Path, tg: FakeTelegram, *, extra: str = "", channels: str = "tg") -> Path:
    return build_file_tree(
        tmp_path / "langs",
        {
            "storycast.toml": _toml(tg.url, extra),
            "stories/reset.yaml": STORY,
            "schedules/launch.yaml": SCHEDULE.format(channels=channels),
        },
    )


def _rows(run_cli, root: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    code, out, err = run_cli("-P", str(root), "status", "--all", "--json", env=env)
    assert code == 0, err
    return json.loads(out)["rows"]


def _received(tg: FakeTelegram, rows: list[dict[str, Any]], chat: str = "@lumen") -> list[str]:
    """What the chat received, in the order Telegram numbered the messages: ``es1``, ``en2``..."""
    by_message = {(r["channel"], r["remote_id"]): f"{r['lang']}{r['frame']}" for r in rows if r["remote_id"]}
    channel = {"@lumen": "tg", "-2002": "tg-en"}[chat]
    got = [m for m in tg.messages if str(m["chat"]["id"]) == str(tg.chats[chat]["id"])]
    return [by_message[(channel, str(m["message_id"]))] for m in got]


def _sequence(*langs: str, frames: int = 4) -> list[str]:
    return [f"{lang}{f}" for lang in langs for f in range(1, frames + 1)]


def test_each_language_goes_out_whole_before_the_next(tmp_path, tg, env, run_cli, db_url):  # noqa: F811
    root = _project(tmp_path, tg)
    env = {**env, "STORYCAST_DB": db_url}
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
    assert code == 0, out + err
    items = json.loads(out)["items"]
    assert [f"{i['lang']}{i['frame']}" for i in items] == _sequence("es", "en")
    rows = _rows(run_cli, root, env)
    assert _received(tg, rows) == _sequence("es", "en")  # the tray reads es1..es4, then en1..en4
    assert {r["state"] for r in rows} == {"published"} and len(rows) == 8

    # A second tick sends nothing again.
    before = len(tg.messages)
    code, out, _ = run_cli("-P", str(root), "publish", "--due", "--now", LATER, "--json", env=env)
    assert code == 0 and json.loads(out)["items"] == [] and len(tg.messages) == before


def test_the_entrys_order_decides_which_language_leads(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg)
    schedule = root / "schedules" / "launch.yaml"
    schedule.write_text(schedule.read_text().replace("[es, en]", "[en, es]"), encoding="utf-8")
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, env=env)
    assert code == 0, out + err
    assert _received(tg, _rows(run_cli, root, env)) == _sequence("en", "es")


def test_a_429_in_the_middle_holds_the_next_language_back(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg)
    tg.script("sendPhoto", None, "429")  # es2 meets flood control: retry after 5 s
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
    report = json.loads(out)
    assert code == 0, out + err
    assert report["published"] == 1 and report["retry"] == 1
    rows = {f"{r['lang']}{r['frame']}": r for r in _rows(run_cli, root, env)}
    assert rows["es2"]["state"] == "planned" and rows["es2"]["attempts"] == 1
    assert {rows[k]["state"] for k in _sequence("en")} == {"planned"}  # English waits for Spanish
    assert _received(tg, list(rows.values())) == ["es1"]

    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", LATER, "--json", env=env)
    assert code == 0, out + err
    rows_after = _rows(run_cli, root, env)
    assert _received(tg, rows_after) == _sequence("es", "en")
    assert {r["state"] for r in rows_after} == {"published"}


def test_a_frame_refused_for_good_ends_its_language_and_the_next_one_goes(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg)
    tg.script("sendPhoto", None, tg_error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS"))
    code, _, _ = run_cli("-P", str(root), "publish", "--due", "--now", NOW, "--json", env=env)
    assert code == 7  # partial: one frame failed, the rest went out
    rows = {f"{r['lang']}{r['frame']}": r for r in _rows(run_cli, root, env)}
    assert rows["es2"]["state"] == "failed"
    assert {rows[k]["state"] for k in ("es3", "es4")} == {"failed"}  # the rest of the Spanish story
    assert "frame 2 of this story did not publish" in rows["es3"]["reason"]
    # English is another audience: it goes out whole, after what Spanish managed to send.
    assert _received(tg, list(rows.values())) == ["es1", *_sequence("en")]


def test_a_channel_takes_only_its_languages(tmp_path, tg, env, run_cli):
    extra = f"""languages = ["es"]

[channels.tg-en]
type = "telegram"
api_base = "{tg.url}"
bot_token = "env:LANG_TG_TOKEN"
chat_id = "-2002"
chat_type = "group"
min_interval = 0
languages = ["en"]
"""
    root = _project(tmp_path, tg, extra=extra, channels="tg, tg-en")

    code, out, err = run_cli(
        "-P", str(root), "plan", "--from", "2026-12-01T08:00:00Z", "--days", "1", "--json"
    )
    assert code == 0, err
    occ = json.loads(out)["occurrences"][0]
    assert occ["channel_languages"] == {"tg": ["es"], "tg-en": ["en"]}
    code, out, err = run_cli("-P", str(root), "plan", "--from", "2026-12-01T08:00:00Z", "--days", "1")
    assert "tg (es), tg-en (en)" in out

    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, env=env)
    assert code == 0, out + err
    rows = _rows(run_cli, root, env)
    assert sorted((r["channel"], r["lang"]) for r in rows if r["frame"] == 1) == [
        ("tg", "es"),
        ("tg-en", "en"),
    ]
    assert _received(tg, rows, "@lumen") == _sequence("es")
    assert _received(tg, rows, "-2002") == _sequence("en")
    code, out, err = run_cli("-P", str(root), "status", "--all", env=env)
    assert code == 0 and "[en]" not in "".join(line for line in out.splitlines() if " tg " in line)


def test_a_channel_language_the_project_lacks_is_refused_with_its_line(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg, extra='languages = ["sp"]\n')
    code, out, err = run_cli("-P", str(root), "publish", "--due", "--now", NOW, env=env)
    assert code == 3, out + err
    assert "channels.tg.languages: 'sp' is not one of the project's languages" in err
    assert "did you mean es?" in err
    assert "storycast.toml:13:1: channels.tg.languages" in err
    assert tg.requests == []


def test_the_daemon_keeps_the_order(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg)
    code, out, err = run_cli("-P", str(root), "run", "--once", "--now", NOW, env=env)
    assert code == 0, out + err
    assert _received(tg, _rows(run_cli, root, env)) == _sequence("es", "en")


def test_queue_workers_keep_the_order(tmp_path, tg, env, run_cli, pg_database):  # noqa: F811
    """The procrastinate path on PostgreSQL: the tick queues es1; each publish job queues the next
    frame, and after es4 the first English one."""
    from storycast.context import Context
    from storycast.engine.scaleout.runtime import PUBLISH, Runtime
    from storycast.project import Project

    url = pg_schema_url(pg_database)
    root = _project(tmp_path, tg)
    environ = {**env, "STORYCAST_DB": url, "STORYCAST_DB_TIMEOUT": "10"}
    ctx = Context(environ=environ)
    ctx.fixed_clock(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    project = Project.load(root, environ)
    jobs: list[tuple[str, dict[str, object]]] = []
    runtime = Runtime(project, ctx, lambda task, conn, opts, kws: jobs.extend((task, k) for k in kws))
    try:
        report = runtime.tick_once(ctx.now())
        assert report.count("queued") == 1  # es1 alone: every other frame waits its turn
        while jobs:
            task, kwargs = jobs.pop(0)
            if task == PUBLISH:
                runtime.publish_rows(kwargs["row_ids"])  # type: ignore[arg-type]
    finally:
        runtime.close()
    assert _received(tg, _rows(run_cli, root, {"STORYCAST_DB": url})) == _sequence("es", "en")


def _lint(run_cli, root: Path) -> list[dict[str, Any]]:
    code, out, err = run_cli("-P", str(root), "lint", "--no-rendered", "--json")
    assert code == 0, out + err  # a warning, not an error
    return [f for f in json.loads(out)["findings"] if f["rule"] == "schedule.languages-same-day"]


def test_lint_warns_when_one_story_channel_carries_two_languages_of_a_story(tmp_path, tg, run_cli):
    root = _project(tmp_path, tg)
    (finding,) = _lint(run_cli, root)
    assert finding["severity"] == "warning"
    assert (finding["file"], finding["line"]) == ("schedules/launch.yaml", 3)
    assert (
        finding["message"]
        == "es, en of 'reset' go to story channel 'tg' at the same time (entry 'reset-launch')"
    )
    assert "split the entry" in finding["hint"].lower() and "languages = [...]" in finding["hint"]


def test_lint_is_quiet_when_channels_split_the_languages(tmp_path, tg, run_cli):
    extra = f"""languages = ["es"]

[channels.tg-en]
type = "telegram"
api_base = "{tg.url}"
bot_token = "env:LANG_TG_TOKEN"
chat_id = "-2002"
chat_type = "group"
languages = ["en"]
"""
    assert _lint(run_cli, _project(tmp_path, tg, extra=extra, channels="tg, tg-en")) == []


def test_lint_compares_entries_of_one_story_by_day(tmp_path, tg, run_cli):
    root = _project(tmp_path, tg)
    two = """\
timezone: UTC
entries:
  - id: reset-es
    story: reset
    cron: "0 9 * * mon"
    channels: [tg]
    languages: [es]
  - id: reset-en
    story: reset
    cron: "0 18 * * {day}"
    channels: [tg]
    languages: [en]
"""
    schedule = root / "schedules" / "launch.yaml"
    schedule.write_text(two.format(day="mon"), encoding="utf-8")
    (finding,) = _lint(run_cli, root)
    assert (finding["file"], finding["line"]) == ("schedules/launch.yaml", 8)
    assert (
        "entries 'reset-es' and 'reset-en' put en, es of 'reset' on story channel 'tg'" in finding["message"]
    )
    schedule.write_text(two.format(day="tue"), encoding="utf-8")  # Spanish Mondays, English Tuesdays
    assert _lint(run_cli, root) == []


def test_rows_planned_before_migration_0004_keep_the_old_per_language_order(tmp_path, db_url):  # noqa: F811
    """Upgrading with rows already planned: they get lang_seq 0 and go out as they were planned
    (each language's frames in order, the languages side by side); new rows follow the entry."""
    from sqlalchemy import text

    from storycast.ledger.db import make_engine, upgrade
    from storycast.ledger.store import Ledger

    engine = make_engine(db_url)
    upgrade(engine, db_url, "0003")
    with engine.begin() as c:
        for lang in ("es", "en"):
            for frame in (1, 2):
                c.execute(
                    text(
                        "INSERT INTO publication (entry_key, occurrence_key, channel, lang, frame,"
                        " frame_total, kind, ref, label, source, due_utc, deadline_utc, state, attempts,"
                        " created_utc, updated_utc)"
                        " VALUES ('e', 'o', 'tg', :lang, :frame, 2, 'story', 's', '', '',"
                        " '2026-12-01 09:00:00', '2026-12-01 11:00:00', 'planned', 0,"
                        " '2026-12-01 08:00:00', '2026-12-01 08:00:00')"
                    ),
                    {"lang": lang, "frame": frame},
                )
    engine.dispose()
    ledger = Ledger.open(db_url)  # upgrades to the newest revision
    try:
        now = datetime(2026, 12, 1, 9, 1, tzinfo=UTC)
        first = ledger.claim(now, 10)
        assert [(r.lang, r.frame, r.lang_seq) for r in first] == [("en", 1, 0), ("es", 1, 0)]
        ledger.insert_units(
            [
                {
                    "entry_key": "e2",
                    "occurrence_key": "o",
                    "channel": "tg",
                    "lang": lang,
                    "lang_seq": seq,
                    "frame": 1,
                    "frame_total": 1,
                    "kind": "story",
                    "ref": "s",
                    "due_utc": now,
                    "deadline_utc": now.replace(hour=11),
                }
                for seq, lang in ((1, "es"), (2, "en"))
            ],
            now,
        )
        assert [(r.entry_key, r.lang) for r in ledger.claim(now, 10)] == [("e2", "es")]
    finally:
        ledger.close()


def test_a_manual_publish_follows_the_channels_languages(tmp_path, tg, env, run_cli):
    root = _project(tmp_path, tg, extra='languages = ["es"]\n')
    code, out, err = run_cli("-P", str(root), "publish", "reset", "--channel", "tg", "--lang", "en", env=env)
    assert code == 3, out + err
    assert "channel 'tg' takes only es, not en" in err and "[channels.tg] languages" in err
    assert tg.requests == []
    # Without --lang, the story's languages the channel takes: Spanish only.
    code, out, err = run_cli("-P", str(root), "publish", "reset", "--channel", "tg", "--now", NOW, env=env)
    assert code == 0, out + err
    assert _received(tg, _rows(run_cli, root, env)) == _sequence("es")
