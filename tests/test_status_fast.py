"""`storycast status` without the framework or the SQL toolkit, and the same as through Typer.

The command has one implementation (cli/_status.py). It runs before Typer loads when its
arguments are plain and reads the ledger over sqlite3 (ledger/reading.py, no SQLAlchemy) when
the file is up to date. These tests hold both ways to the full ones: the reader returns what the Ledger
returns, and `main()` (the fast way) prints what the Typer app prints, byte for byte and with
the same exit code, on a varied ledger, for text and --json, and for bad input.
"""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from storycast.ledger import RowQuery
from storycast.ledger import db as ledger_db
from storycast.ledger.admin import history
from storycast.ledger.deliveries import delivery
from storycast.ledger.reading import LedgerReader, sqlite_path
from storycast.ledger.store import Ledger
from storycast.ledger.tables import attempt, event, publication
from tests.conftest import MINIMAL_TOML

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOW = "2026-12-01T12:00:00Z"

# (state, reason, retryable, due offset in minutes, ref)
ROWS = [
    ("published", None, None, 0, "reset-router"),
    ("published", "posted by hand, confirmed by ana", None, 5, "reset-router"),
    ("planned", None, None, 600, "reset-router"),
    ("planned", "waiting for a fix: stories/x.yaml:3: bad", None, 60, "wifi_5%"),
    ("planned", "awaiting approval: ana by 2026-12-01 10:00", None, 90, "wifi_5%"),
    ("planned", "awaiting_approval: not the prefix", None, 91, "wifi_5%"),
    ("failed", "HTTP 500", True, 30, "update-firmware"),
    ("failed", "bad token", False, 31, "update-firmware"),
    ("unknown", "timeout", None, 32, "update-firmware"),
    ("missed", "deadline passed", None, -600, "reset-router"),
    ("sending", None, None, 170, "reset-router"),
    ("cancelled", "by hand", None, 20, "reset-router"),
    ("handed_off", None, None, 10, "tabs\tand\x1b[31mescapes"),
]


def _fill(url: str) -> None:
    ledger = Ledger.open(url)
    try:
        with ledger.engine.begin() as c:
            for i, (state, reason, retryable, offset, ref) in enumerate(ROWS, start=1):
                due = (T0 + timedelta(minutes=offset, microseconds=i * 7)).replace(tzinfo=None)
                c.execute(
                    insert(publication).values(
                        entry_key=f"weekly/{ref}",
                        occurrence_key=f"2026-12-01T{i:02d}",
                        channel="local",
                        lang=("en", "es", "th")[i % 3],
                        frame=1 + i % 2,
                        frame_total=2,
                        kind="story",
                        ref=ref,
                        label="",
                        source="schedules/weekly.yaml:4",
                        due_utc=due,
                        deadline_utc=due + timedelta(hours=2),
                        state=state,
                        reason=reason,
                        retryable=retryable,
                        attempts=i % 3,
                        published_utc=due if state in ("published", "handed_off") else None,
                        expires_utc=due + timedelta(hours=24) if state == "published" else None,
                        remote_id=f"local:{i}" if state == "published" else None,
                        created_utc=due,
                        updated_utc=due,
                    )
                )
            for n in (1, 2):
                c.execute(
                    insert(attempt).values(
                        publication_id=1,
                        attempt_no=n,
                        started_utc=T0.replace(tzinfo=None) + timedelta(minutes=n),
                        finished_utc=None if n == 1 else T0.replace(tzinfo=None) + timedelta(minutes=3),
                        outcome="published" if n == 2 else "retry",
                        actor="host:1",
                        request_id="req-1" if n == 2 else None,
                        forced=n == 2,
                        detail="detail" if n == 1 else None,
                    )
                )
            for n, action in enumerate(("handoff-reminder", "note", "handoff-escalation")):
                c.execute(
                    insert(event).values(
                        at_utc=T0.replace(tzinfo=None) + timedelta(minutes=10 + n),
                        publication_id=1,
                        action=action,
                        detail=json.dumps({"to": "boss"}),
                    )
                )
            for n, (status, outcome) in enumerate((("read", ""), ("failed", "resend"), ("delivered", ""))):
                c.execute(
                    insert(delivery).values(
                        channel="local",
                        message_id=f"m{n}",
                        publication_id=1 if n < 2 else 2,
                        subscriber=f"s{n % 2}",
                        status=status,
                        outcome=outcome,
                        at_utc=T0.replace(tzinfo=None),
                        created_utc=T0.replace(tzinfo=None),
                    )
                )
    finally:
        ledger.close()


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    url = f"sqlite:///{tmp_path / '.storycast' / 'state.db'}"
    _fill(url)
    return tmp_path, url


def test_the_reader_returns_what_the_ledger_returns(project: tuple[Path, str]) -> None:
    _root, url = project
    reader = LedgerReader.connect(url)
    assert reader is not None
    ledger = Ledger.open(url)
    try:
        queries = [
            RowQuery(),
            RowQuery(states=["planned", "failed"], limit=3),
            RowQuery(ref="wifi_5%"),
            RowQuery(ref="nosuch"),
            RowQuery(states=[]),
            RowQuery(ids=[1, 5, 9], order="id"),
            RowQuery(due_from=T0, due_to=T0 + timedelta(hours=2), limit=4),
            RowQuery(checked_before=T0),
        ]
        for q in queries:
            assert reader.find(q) == ledger.find(q), q
        assert reader.counts() == ledger.counts()
        assert list(reader.counts()) == list(ledger.counts())
        for at in (T0, T0 + timedelta(minutes=95), T0 + timedelta(days=1)):
            assert reader.count_waiting(at) == ledger.count_waiting(at)
            assert reader.count_awaiting(at) == ledger.count_awaiting(at)
        assert reader.count_awaiting(T0 + timedelta(minutes=95)) == 1
        assert reader.delivery_report() == ledger.delivery_report() != []
        for row_id in (1, 2):
            assert reader.history(200, row_id) == history(ledger, 200, row_id)
        assert reader.history(2, 1) == history(ledger, 2, 1)
    finally:
        reader.close()
        ledger.close()


def test_the_reader_is_used_only_on_a_current_sqlite_file(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:////a/b.db") == Path("/a/b.db")
    assert sqlite_path("sqlite+pysqlite:///rel.db") == Path("rel.db")
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:////a.db?mode=ro", "postgresql+psycopg://h/db"):
        assert sqlite_path(url) is None
    url = f"sqlite:///{tmp_path / 'state.db'}"
    assert LedgerReader.connect(url) is None  # not there: the Ledger creates it
    assert not (tmp_path / "state.db").exists()
    engine = ledger_db.make_engine(url)
    ledger_db.upgrade(engine, url, target="0007_visits")
    engine.dispose()
    assert LedgerReader.connect(url) is None  # older: the Ledger migrates it
    (tmp_path / "junk.db").write_bytes(b"not a database" * 100)
    assert LedgerReader.connect(f"sqlite:///{tmp_path / 'junk.db'}") is None


# Runs main() (the fast way) or the Typer app's main (always Typer), prints what it imported.
SHIM = """
import sys
way, args = sys.argv[1], sys.argv[2:]
if way == "fast":
    from storycast.cli import main
else:
    from storycast.cli._app import main
try:
    main(args)
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = ("typer", "click", "rich", "sqlalchemy", "alembic")
mods = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy})
print(repr((code, mods)), file=sys.stderr)
"""


def _run(way: str, args: list[str], cwd: Path, **env: str) -> tuple[str, str, int, list[str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STORYCAST_", "_STORYCAST"))}
    proc = subprocess.run(
        [sys.executable, "-c", SHIM, way, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, "COLUMNS": "100", **env},
        check=False,
    )
    *err, last = proc.stderr.splitlines() or [""]
    code, mods = ast.literal_eval(last)
    return proc.stdout, "\n".join(err), code, mods


def _same(args: list[str], cwd: Path, **env: str) -> tuple[str, str, int, list[str]]:
    fast = _run("fast", args, cwd, **env)
    full = _run("typer", args, cwd, **env)
    assert fast[:3] == full[:3], args
    return fast


@pytest.mark.parametrize(
    "args",
    [
        ["status", f"--now={NOW}"],
        ["status", "--json", "--now", NOW],
        ["status", "--all", "--now", NOW],
        ["status", "--all", "--json", "--now", NOW],
        ["status", "--limit", "2", "--now", NOW],
        ["status", "--all", "--limit=3", "--json", "--now", NOW],
        ["status", "--story", "wifi_5%", "--now", NOW],
        ["status", "--story=reset-router", "--all", "--json", "--now", NOW],
        ["--traceback", "status", "--now", NOW],
    ],
)
def test_fast_status_prints_what_the_typer_command_prints(project: tuple[Path, str], args: list[str]) -> None:
    root, _url = project
    out, _err, code, mods = _same(args, root)
    assert code == 0 and out
    # Neither the framework nor SQLAlchemy; Rich only for the line with a tab and an escape.
    odd_line_shown = "--all" in args and "--json" not in args and not any("--story" in a for a in args)
    assert mods == (["rich"] if odd_line_shown else []), mods


def test_fast_status_with_project_options_and_no_output_differences(project: tuple[Path, str]) -> None:
    root, _url = project
    elsewhere = root.parent
    _same(["-P", str(root), "status", "--now", NOW], elsewhere)
    _same(["status", "--project", str(root), "--now", NOW], elsewhere)
    _same(["status", f"--project={root}", "--json", "--now", NOW], elsewhere)
    _same(["status", "--now", NOW], elsewhere, STORYCAST_PROJECT=str(root))


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--now", "yesterday"],
        ["status", "--now", "yesterday", "--json"],
        ["status", "--limit", "0"],
        ["status", "--limit", "x1"],
        ["status", "--bogus"],
        ["status", "--help"],
        ["status", "--story"],
        ["status", "--limit", "2", "--limit", "3", "--now", NOW],
        ["status", "extra"],
    ],
)
def test_arguments_it_does_not_take_are_typer_s_to_answer(project: tuple[Path, str], args: list[str]) -> None:
    root, _url = project
    _same(args, root)


def test_errors_are_the_same_and_clear(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for args in (["-P", str(missing), "status"], ["-P", str(missing), "status", "--json"]):
        _out, err, code, _mods = _same(args, tmp_path)
        assert code == 3 and "does not exist" in err and "Traceback" not in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "storycast.toml").write_text('[project]\nname = 3\n[channels.a]\ntype = "nosuch"\n')
    _out, err, code, _mods = _same(["status"], broken)
    assert code == 3 and "unknown channel type" in err
    corrupt = tmp_path / "corrupt"
    (corrupt / ".storycast").mkdir(parents=True)
    (corrupt / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    (corrupt / ".storycast" / "state.db").write_bytes(b"not a database" * 400)
    _out, err, code, _mods = _same(["status"], corrupt)
    assert code == 70 and "file is not a database" in err and "Traceback" not in err
    _out, err, code, _mods = _same(["status", "--json"], corrupt)
    assert json.loads(err)["exit_code"] == 70


def test_a_newer_ledger_is_refused_and_an_older_one_migrated(project: tuple[Path, str], tmp_path: Path):
    root, url = project
    db = Path(url.removeprefix("sqlite:///"))
    with sqlite3.connect(db) as c:
        c.execute("UPDATE alembic_version SET version_num = 'zzzz9999'")
    _out, err, code, _mods = _same(["status"], root)
    assert code == 6 and "newer storycast" in err
    older = tmp_path / "older"
    older.mkdir()
    (older / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    older_url = f"sqlite:///{older / '.storycast' / 'state.db'}"
    (older / ".storycast").mkdir()
    engine = ledger_db.make_engine(older_url)
    ledger_db.upgrade(engine, older_url, target="0007_visits")
    engine.dispose()
    out, _err, code, mods = _run("fast", ["status", "--json", "--now", NOW], older)
    assert code == 0 and json.loads(out)["counts"] == {}
    assert "alembic" in mods and "sqlalchemy" in mods  # migrated the usual way
    assert ledger_db.read_revision(older_url) == ledger_db.file_head()
    out, _err, code, mods = _run("fast", ["status", "--json", "--now", NOW], older)
    assert code == 0 and mods == []


def test_status_without_hand_offs_or_deliveries_loads_no_engagement_or_timetable(tmp_path: Path) -> None:
    (tmp_path / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    url = f"sqlite:///{tmp_path / '.storycast' / 'state.db'}"
    ledger = Ledger.open(url)
    try:
        with ledger.engine.begin() as c:
            due = T0.replace(tzinfo=None)
            c.execute(
                insert(publication).values(
                    entry_key="weekly/a",
                    occurrence_key="x",
                    channel="local",
                    lang="en",
                    frame=1,
                    frame_total=1,
                    kind="story",
                    ref="a",
                    due_utc=due,
                    deadline_utc=due,
                    state="published",
                    created_utc=due,
                    updated_utc=due,
                )
            )
    finally:
        ledger.close()
    code = (
        "import sys\n"
        "from storycast.cli import main\n"
        "try:\n"
        "    main(['status'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "units = ('engage', 'timetable', 'content', 'guard', 'engine')\n"
        "units = {'yaml', *('storycast.' + u for u in units)}\n"
        "heads = {m: (m.split('.')[0], '.'.join(m.split('.')[:2])) for m in sys.modules}\n"
        "print(sorted(m for m, (top, unit) in heads.items() if top in units or unit in units))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.splitlines()[0] == "published 1"
    assert out.stdout.splitlines()[-1] == "[]"


def _on_a_terminal(way: str, args: list[str], cwd: Path) -> bytes:
    import pty

    code = SHIM.replace("print(repr((code, mods)), file=sys.stderr)", "")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYCAST_", "_STORYCAST"))}
    pid, fd = pty.fork()
    if pid == 0:  # the child: a narrow terminal, where Rich would wrap if it wrapped
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-c", code, way, *args], {**env, "COLUMNS": "40"})
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out


def test_on_a_terminal_too_the_two_ways_print_the_same(project: tuple[Path, str]) -> None:
    root, _url = project
    for args in (["status", "--all", "--now", NOW], ["status", "--now", NOW]):
        fast = _on_a_terminal("fast", args, root)
        assert fast == _on_a_terminal("typer", args, root)
        assert b"wifi_5%" in fast
