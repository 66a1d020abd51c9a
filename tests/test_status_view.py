"""`storycast status` from what an earlier run kept of the project (cli/_statusview.py).

A run that loads the project keeps the three facts status takes from storycast.toml and, on an
empty ledger, what the schedules plan, under a stamp of the files they came from. These tests
hold the kept answer to the full one, byte for byte, and check that every change to what it came
from (storycast.toml, a schedule, a story, an installed package, the clock moving past the kept
day, a damaged or foreign file) sends status back to the full load.
"""

from __future__ import annotations

import ast
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storycast.cli._statusview import KEPT_DAYS, Planned, View, plan_to_keep
from storycast.project import Project
from storycast.timetable.model import Occurrence
from storycast.timetable.table import load_timetable

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-10-30T12:00:00Z"
AT = datetime(2026, 10, 30, 12, tzinfo=UTC)

# Occurrences a window selection must get right: a US fall-back night (2026-11-01: a daily 01:30
# happens once, at its first instance), a blackout that moves several firings to one instant
# (one key), and an interval in local time that crosses the fall-back.
DST_SCHEDULE = """\
timezone: America/New_York
defaults:
  channels: [local]
entries:
  - id: fall-back
    story: reset-router
    cron: "30 1 * * *"
    languages: [en]
  - id: night-moves
    story: speed-test
    cron: "*/20 0-3 * * *"
    blackout: "00:30-02:30"
    languages: [en]
  - id: every-30
    story: wifi-password
    every: 30m
    start: 2026-10-29T00:15
    languages: [en]
"""

SHIM = """
import sys
from storycast.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
print(repr((code, "pydantic" in sys.modules)), file=sys.stderr)
"""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example project, with an empty ledger and nothing kept."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO / "storycast.toml", root / "storycast.toml")
    for part in ("stories", "schedules", "templates", "assets"):
        shutil.copytree(REPO / part, root / part)
    return root


def status(root: Path, *args: str, **env: str) -> tuple[str, str, int, bool]:
    """(stdout, stderr, exit code, whether pydantic was loaded) of `storycast status ARGS`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STORYCAST_", "_STORYCAST"))}
    proc = subprocess.run(
        [sys.executable, "-c", SHIM, "status", *args],
        capture_output=True,
        text=True,
        cwd=root,
        env={**base, "COLUMNS": "100", **env},
        check=False,
    )
    *err, last = proc.stderr.splitlines() or [""]
    code, loaded = ast.literal_eval(last)
    return proc.stdout, "\n".join(err), code, loaded


def kept(root: Path) -> Path:
    return root / ".storycast" / "cache" / "status.json"


@pytest.mark.parametrize("args", [["--now", NOW], ["--json", "--now", NOW], ["--all", f"--now={NOW}"]])
def test_the_kept_view_answers_as_the_full_load(example: Path, args: list[str]) -> None:
    full = status(example, *args)
    assert full[2] == 0 and full[3], full  # no kept view yet: the project was loaded
    assert "planned in the next 7 days" in full[0] or '"upcoming"' in full[0]
    assert kept(example).is_file()
    again = status(example, *args)
    assert again[:3] == full[:3]
    assert again[3] is False  # answered without the configuration models


def test_a_filled_ledger_is_read_from_the_kept_view_too(example: Path) -> None:
    published = subprocess.run(
        [
            str(Path(sys.executable).with_name("storycast")),
            "publish",
            "--due",
            "--now",
            "2026-11-02T08:45:00Z",
        ],
        capture_output=True,
        text=True,
        cwd=example,
        check=False,
    )
    # Exit 7: some posts were already past their grace (missed); the rest were published.
    assert published.returncode in (0, 7) and "published" in published.stdout, published.stderr
    first = status(example, "--now", NOW)
    assert first[2] == 0 and "published" in first[0] and first[3]
    second = status(example, "--now", NOW)
    assert second[:3] == first[:3] and second[3] is False
    json_full = status(example, "--json", "--now", NOW)
    assert json.loads(json_full[0])["counts"] and json_full[3] is False


def test_every_change_to_what_it_came_from_loads_the_project_again(example: Path, tmp_path: Path) -> None:
    status(example, "--now", NOW)
    assert status(example, "--now", NOW)[3] is False

    # A schedule: the plan it adds is counted at once.
    before = status(example, "--json", "--now", NOW)
    (example / "schedules" / "extra.yaml").write_text(
        'timezone: UTC\nentries:\n  - story: speed-test\n    at: "2026-10-31T09:00"\n    channels: [local]\n',
        encoding="utf-8",
    )
    after = status(example, "--json", "--now", NOW)
    assert after[3] is True
    assert json.loads(after[0])["upcoming"]["count"] == json.loads(before[0])["upcoming"]["count"] + 1
    assert status(example, "--json", "--now", NOW)[:3] == after[:3]

    # A story file changed (the plan may name it): read again.
    story = example / "stories" / "speed-test.yaml"
    story.write_text(story.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert status(example, "--now", NOW)[3] is True

    # storycast.toml broken: the same error as without a kept view, never the kept answer.
    toml = example / "storycast.toml"
    good = toml.read_text(encoding="utf-8")
    toml.write_text(good + "\n[project\n", encoding="utf-8")
    broken = status(example, "--now", NOW)
    assert broken[2] != 0 and "storycast.toml" in broken[1] and "Traceback" not in broken[1]
    assert not broken[0]

    # A hand-off channel added: status must list hand-off packs, which only the project can say.
    toml.write_text(good + '\n[channels.desk]\ntype = "handoff"\n', encoding="utf-8")
    status(example, "--now", NOW)
    assert status(example, "--now", NOW)[3] is True
    toml.write_text(good, encoding="utf-8")
    status(example, "--now", NOW)
    assert status(example, "--now", NOW)[3] is False

    # A package installed into a site-packages folder of the interpreter (a plugin may add
    # schedule kinds or channel types): read again.
    site = tmp_path / "extra" / "site-packages"
    site.mkdir(parents=True)
    status(example, "--now", NOW, PYTHONPATH=str(site))
    assert status(example, "--now", NOW, PYTHONPATH=str(site))[3] is False
    (site / "newplugin-1.0.dist-info").mkdir()
    assert status(example, "--now", NOW, PYTHONPATH=str(site))[3] is True


def test_a_moment_past_the_kept_day_reads_the_schedules(example: Path) -> None:
    status(example, "--now", NOW)
    later = (AT + timedelta(days=KEPT_DAYS - 7, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    earlier = (AT - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for moment in (later, earlier):
        shutil.copy(kept(example), kept(example).with_suffix(".was"))
        got = status(example, "--now", moment)
        assert got[3] is True and "planned in the next 7 days" in got[0]
        kept(example).with_suffix(".was").replace(kept(example))
    inside = (AT + timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert status(example, "--now", inside)[3] is False


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"version": 1}',
        b"\xff\xfe\x00garbage",
        "swap-facts",
        "other-root",
        "planned-garbage",
    ],
)
def test_a_damaged_or_foreign_kept_file_is_never_trusted(example: Path, damage: bytes | str) -> None:
    full = status(example, "--now", NOW)
    path = kept(example)
    if isinstance(damage, bytes):
        path.write_bytes(damage)
    else:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if damage == "swap-facts":  # as if the engine were not the embedded one
            doc["facts"]["engine"] = "procrastinate"
        elif damage == "other-root":
            doc["root"] = "/elsewhere"
        else:
            doc["planned"] = [[["not a time", 1, 2, 3, 4]]]
        path.write_text(json.dumps(doc), encoding="utf-8")
    got = status(example, "--now", NOW)
    assert got[:3] == full[:3]
    assert got[3] is True  # loaded the project instead
    assert "Traceback" not in got[1]


def test_the_kept_file_never_holds_the_ledger_url(example: Path) -> None:
    toml = example / "storycast.toml"
    secret = "s3cret-pass"
    db = example / ".storycast" / "other.db"
    text = toml.read_text(encoding="utf-8")
    assert "[state]" not in text
    toml.write_text(text + f'\n[state]\ndb = "sqlite:///{db}?x={secret}"\n', encoding="utf-8")
    got = status(example, "--now", NOW)
    assert "Traceback" not in got[1]
    if kept(example).exists():
        assert secret not in kept(example).read_text(encoding="utf-8")
        assert json.loads(kept(example).read_text(encoding="utf-8"))["facts"]["db_in_config"] is True
    assert status(example, "--now", NOW)[3] is True  # a ledger named in the file: always loaded


def test_what_is_kept_serves_every_narrower_window(example: Path) -> None:
    """What status keeps for KEPT_DAYS gives, for any moment of the next day, what the timetable
    itself gives for that moment's 7 days: across a fall-back night, blackouts that move several
    firings to one instant, and intervals."""
    (example / "schedules" / "dst.yaml").write_text(DST_SCHEDULE, encoding="utf-8")
    timetable = load_timetable(Project.load(example))
    rng = random.Random(7)
    starts = (
        datetime(2026, 10, 31, 5, 31, tzinfo=UTC),  # the fall-back night of 2026-11-01 in its 8 days
        datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
        datetime(2027, 3, 6, 23, 0, tzinfo=UTC),  # and the spring-forward gap of 2027-03-14
        AT + timedelta(days=3),
    )
    for t0 in starts:
        kept = plan_to_keep(timetable, t0)
        assert kept, t0
        view = View(root=example, environ={}, planned_from=t0, planned=[_planned(o) for o in kept])
        moments = [
            t0,
            t0 + timedelta(days=1),
            *(t0 + timedelta(seconds=rng.randrange(86400)) for _ in range(40)),
        ]
        for at in moments:
            want = [_planned(o) for o in timetable.occurrences(at, at + timedelta(days=7))]
            assert view.upcoming(at, 7) == want, at
        assert view.upcoming(t0 + timedelta(days=1, seconds=1), 7) is None
        assert view.upcoming(t0 - timedelta(seconds=1), 7) is None
    moved = [
        o
        for o in timetable.produced(starts[0], starts[0] + timedelta(days=2))
        if o and o[0].entry_key == "night-moves"
    ]
    assert moved and len(moved[0]) > len({o.occurrence_key for o in moved[0]})  # several firings, one key


class _Stub:
    """A timetable whose one entry yields a key at two instants (which no built-in kind does)."""

    def __init__(self, occurrences: list[Planned]) -> None:
        self.occurrences = occurrences

    def builtin_kinds(self) -> bool:
        return True

    def produced(self, start: datetime, end: datetime, *, failed: dict[str, object]) -> list[list[Planned]]:
        return [[o for o in self.occurrences if start <= o.due_utc < end]]


def test_a_key_at_two_instants_is_not_kept() -> None:
    """The timetable keeps the first of a key within a window; were one key due at two instants,
    a later moment between them would count the second, which a kept plan cannot know."""
    first = Planned(AT + timedelta(hours=2), "e", "2026-10-30T09:00", "a", ("local",))
    second = first._replace(due_utc=AT + timedelta(hours=3))
    assert plan_to_keep(_Stub([first, second]), AT) is None  # type: ignore[arg-type]
    same_instant = [first, first._replace(ref="b")]
    assert plan_to_keep(_Stub(same_instant), AT) == [first]  # type: ignore[arg-type]


def _planned(o: Occurrence) -> Planned:
    return Planned(o.due_utc, o.entry_key, o.occurrence_key, o.ref, tuple(o.channels))
