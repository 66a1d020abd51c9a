"""Schedule files -> entries -> occurrences: the loader, its errors, and the entry features.

Calendar facts: 2026-11-30 is a Monday, 2026-12-01 a Tuesday. Europe/Madrid is UTC+1 in winter.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storycast import plugins
from storycast.errors import ConfigError, ScheduleError
from storycast.hookspecs import hookimpl
from storycast.project import Project
from storycast.timetable.kinds import EntryKind, entry_kinds
from storycast.timetable.model import Occurrence
from storycast.timetable.table import Timetable, load_timetable

REPO = Path(__file__).resolve().parent.parent

TOML = """\
[project]
languages = ["en", "es", "th", "hi"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"

[channels.team-chat]
type = "local"
"""


def _story(sid: str, langs: list[str]) -> str:
    titles = ", ".join(f"{lang}: T" for lang in langs)
    return (
        f"id: {sid}\ncategory: connectivity\nlanguages: [{', '.join(langs)}]\n"
        f"title: {{{titles}}}\nsteps:\n  - title: {{{titles}}}\n"
    )


STORIES = {
    "stories/reset-router.yaml": _story("reset-router", ["en", "es", "th"]),
    "stories/two-factor-login.yaml": _story("two-factor-login", ["en", "es", "hi"]),
}


@pytest.fixture
def project(tmp_path: Path):
    """project({"weekly.yaml": "..."}) -> Project with those schedule files."""

    def _make(schedules: dict[str, str]) -> Project:
        root = tmp_path / "p"
        files = {"storycast.toml": TOML, **STORIES}
        files.update({f"schedules/{name}": textwrap.dedent(text) for name, text in schedules.items()})
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return Project.load(root, environ={})

    return _make


def tt(project, text: str, name: str = "weekly.yaml") -> Timetable:
    return load_timetable(project({name: text}))


def errors(project, schedules: dict[str, str]) -> list[str]:
    with pytest.raises(ScheduleError) as info:
        load_timetable(project(schedules))
    return [str(p) for p in info.value.problems]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local_keys(occs: list[Occurrence]) -> list[str]:
    return [o.occurrence_key for o in occs]


# A valid flow-style entry, left open so a test can add one more key and the closing brace.
OK = "{story: reset-router, cron: '0 9 * * *', channels: [local], "

MINIMAL = """\
timezone: Europe/Madrid
entries:
  - story: reset-router
    at: "2026-12-01T10:00"        # one-off, local time in the file's zone
    channels: [local]
    languages: [es]
  - story: reset-router
    cron: "30 9 * * 1-5"          # recurring, standard 5-field cron
    channels: [local]
    languages: [es, en]
"""


# ---- the minimal form ----------------------------------------------------------------------------


def test_minimal_form_loads_and_expands(project):
    table = tt(project, MINIMAL)
    assert [e.key for e in table.entries] == [
        "weekly/reset-router/at:2026-12-01T10:00",
        "weekly/reset-router/cron:30 9 * * 1-5",
    ]
    occs = table.occurrences(utc(2026, 11, 28), utc(2026, 12, 2))
    assert [(o.occurrence_key, o.due_utc.strftime("%m-%d %H:%M"), o.languages) for o in occs] == [
        ("2026-11-30T09:30", "11-30 08:30", ("es", "en")),
        ("2026-12-01T09:30", "12-01 08:30", ("es", "en")),
        ("2026-12-01T10:00", "12-01 09:00", ("es",)),
    ]
    first = occs[0]
    assert first.kind == "story" and first.ref == "reset-router" and first.label == "reset-router"
    assert first.channels == ("local",)
    assert first.tz == "Europe/Madrid" and first.local.tzname() == "CET"
    assert first.grace == timedelta(minutes=15)
    assert first.source == "schedules/weekly.yaml:7"
    assert first.due_utc.tzinfo is UTC


def test_occurrences_sorted_by_due_then_entry_key(project):
    table = tt(
        project,
        """\
        entries:
          - {id: b-entry, story: reset-router, cron: "0 9 * * *", channels: [local]}
          - {id: a-entry, story: two-factor-login, cron: "0 9 * * *", channels: [local]}
          - {id: c-entry, story: reset-router, cron: "0 8 * * *", channels: [local]}
        """,
    )
    occs = table.occurrences(utc(2026, 12, 1), utc(2026, 12, 2))
    assert [(o.local.hour, o.entry_key) for o in occs] == [(8, "c-entry"), (9, "a-entry"), (9, "b-entry")]


def test_window_is_half_open(project):
    table = tt(project, MINIMAL)
    occs = table.occurrences(utc(2026, 12, 1, 8, 30), utc(2026, 12, 1, 9, 0))
    assert local_keys(occs) == ["2026-12-01T09:30"]


def test_naive_window_is_rejected(project):
    table = tt(project, MINIMAL)
    with pytest.raises(ValueError, match="aware"):
        table.occurrences(datetime(2026, 12, 1), utc(2026, 12, 2))


def test_to_json(project):
    occ = tt(project, MINIMAL).occurrences(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10))[0]
    assert occ.to_json() == {
        "entry_key": "weekly/reset-router/at:2026-12-01T10:00",
        "occurrence_key": "2026-12-01T10:00",
        "due_utc": "2026-12-01T09:00:00Z",
        "local": "2026-12-01T10:00:00+01:00",
        "tz": "Europe/Madrid",
        "tz_abbrev": "CET",
        "kind": "story",
        "ref": "reset-router",
        "channels": ["local"],
        "languages": ["es"],
        "grace": "15m",
        "grace_s": 900,
        "label": "reset-router",
        "source": "schedules/weekly.yaml:3",
        "extra": {},
    }


def test_empty_or_missing_schedules(project, tmp_path):
    assert tt(project, "").entries == []
    assert tt(project, "entries: []\n").entries == []
    root = tmp_path / "bare"
    root.mkdir()
    (root / "storycast.toml").write_text(TOML)
    assert load_timetable(Project.load(root, environ={})).entries == []


# ---- keys ----------------------------------------------------------------------------------------


def test_explicit_id_and_zone_override_in_default_key(project):
    table = tt(
        project,
        """\
        timezone: Europe/Madrid
        entries:
          - {id: router-monday, story: reset-router, cron: "30 9 * * mon", channels: [local]}
          - {story: reset-router, cron: "0 19 * * tue", timezone: Asia/Bangkok, channels: [local]}
          - {story: reset-router, cron: "0 19 * * tue", channels: [local]}
        """,
        name="asia.yaml",
    )
    assert [e.key for e in table.entries] == [
        "router-monday",
        "asia/reset-router/cron:0 19 * * tue@Asia/Bangkok",
        "asia/reset-router/cron:0 19 * * tue",
    ]


def test_duplicate_keys_are_an_error(project):
    problems = errors(
        project,
        {
            "a.yaml": """\
            entries:
              - {id: tips, story: reset-router, cron: "0 9 * * *", channels: [local]}
              - {story: reset-router, cron: "0 9 * * *", channels: [local], languages: [es]}
              - {story: reset-router, cron: "0 9 * * *", channels: [local], languages: [en]}
            """,
            "b.yaml": """\
            entries:
              - {id: tips, story: two-factor-login, at: "2026-12-01T10:00", channels: [local]}
            """,
        },
    )
    assert len(problems) == 2
    assert "a.yaml:4: entry key 'a/reset-router/cron:0 9 * * *' is already used by" in problems[0]
    assert "schedules/a.yaml:3" in problems[0]
    assert "b.yaml:2: entry key 'tips' is already used by the entry at schedules/a.yaml:2" in problems[1]
    assert "give one of them its own id" in problems[1]


def test_fall_back_repeat_collides_into_one_occurrence_key(project):
    table = tt(project, "entries:\n  - {story: reset-router, cron: '30 2 * * *', channels: [local]}\n")
    occs = table.occurrences(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert local_keys(occs) == ["2026-10-25T02:30"]


# ---- entry features ------------------------------------------------------------------------------


def test_languages_default_to_the_story(project):
    table = tt(project, "entries:\n  - {story: two-factor-login, cron: '0 9 * * *', channels: [local]}\n")
    assert table.entries[0].languages == ("en", "es", "hi")


def test_single_string_channel_and_language(project):
    table = tt(
        project,
        "entries:\n  - {story: reset-router, cron: '0 9 * * *', channels: local, languages: th}\n",
    )
    assert table.entries[0].channels == ("local",)
    assert table.entries[0].languages == ("th",)


def test_start_until_except(project):
    table = tt(
        project,
        """\
        entries:
          - story: reset-router
            cron: "0 10 * * *"
            channels: [local]
            start: 2026-12-03
            until: 2026-12-06
            except: [2026-12-05]
        """,
    )
    occs = table.occurrences(utc(2026, 11, 1), utc(2027, 1, 1))
    assert local_keys(occs) == ["2026-12-03T10:00", "2026-12-04T10:00", "2026-12-06T10:00"]


@pytest.mark.parametrize(
    ("until", "last"),
    [("2026-12-06T10:00", "2026-12-06T10:00"), ("2026-12-06T09:59", "2026-12-05T10:00")],
)
def test_until_with_a_time_is_inclusive(project, until, last):
    table = tt(
        project,
        f"""\
        entries:
          - {{story: reset-router, cron: "0 10 * * *", channels: [local], start: "2026-12-04T10:00",
              until: "{until}"}}
        """,
    )
    occs = table.occurrences(utc(2026, 11, 1), utc(2027, 1, 1))
    assert local_keys(occs)[0] == "2026-12-04T10:00"
    assert local_keys(occs)[-1] == last


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("1h30m", 5400)])
def test_grace_durations(project, text, seconds):
    table = tt(
        project,
        f"entries:\n  - {{story: reset-router, cron: '0 9 * * *', channels: [local], grace: {text}}}\n",
    )
    assert table.entries[0].grace == timedelta(seconds=seconds)
    occ = table.occurrences(utc(2026, 12, 1), utc(2026, 12, 2))[0]
    assert occ.grace == timedelta(seconds=seconds)


def test_blackout_moves_to_its_end(project):
    table = tt(
        project,
        """\
        entries:
          - {story: reset-router, cron: "30 23 * * *", channels: [local], blackout: "22:00-07:00"}
        """,
    )
    occs = table.occurrences(utc(2026, 12, 1, 12), utc(2026, 12, 2, 12))
    assert local_keys(occs) == ["2026-12-02T07:00"]
    assert dict(occs[0].extra) == {"moved_from": "2026-12-01T23:30", "reason": "blackout"}


def test_blackout_skip_policy(project):
    table = tt(
        project,
        """\
        entries:
          - story: reset-router
            cron: "0 6,12 * * *"
            channels: [local]
            blackout: ["22:00-07:00", "13:00-14:00"]
            blackout_policy: skip
        """,
    )
    occs = table.occurrences(utc(2026, 12, 1), utc(2026, 12, 3))
    assert local_keys(occs) == ["2026-12-01T12:00", "2026-12-02T12:00"]


def test_blackout_is_in_the_entry_zone(project):
    # 08:00 in Madrid is 14:00 in Bangkok: fine there; 02:00 Madrid (08:00 Bangkok) also fine,
    # but 18:00 Madrid is 00:00 in Bangkok, inside a Bangkok night blackout -> moved to 07:00 Bangkok.
    table = tt(
        project,
        """\
        timezone: Europe/Madrid
        entries:
          - {story: reset-router, at: "2026-12-01T00:00", timezone: Asia/Bangkok, channels: [local],
             blackout: "22:00-07:00"}
        """,
    )
    occs = table.occurrences(utc(2026, 11, 30), utc(2026, 12, 2))
    assert [o.local.isoformat() for o in occs] == ["2026-12-01T07:00:00+07:00"]


def test_defaults_apply_unless_the_entry_overrides(project):
    table = tt(
        project,
        """\
        defaults:
          channels: [local, team-chat]
          grace: 1h
          blackout: "22:00-07:00"
        entries:
          - {story: reset-router, cron: "0 9 * * *"}
          - {story: reset-router, cron: "0 10 * * *", channels: [local], grace: 5m}
        """,
    )
    a, b = table.entries
    assert a.channels == ("local", "team-chat") and a.grace == timedelta(hours=1)
    assert b.channels == ("local",) and b.grace == timedelta(minutes=5)
    assert a.blackouts == b.blackouts and len(a.blackouts) == 1


def test_disabled_entries_are_validated_but_not_scheduled(project):
    table = tt(
        project,
        "entries:\n  - {story: reset-router, cron: '0 9 * * *', channels: [local], enabled: false}\n",
    )
    assert table.entries == []
    problems = errors(
        project,
        {"w.yaml": "entries:\n  - {story: nope, cron: '0 9 * * *', channels: [local], enabled: false}\n"},
    )
    assert "no story with id 'nope'" in problems[0]


def test_label_overrides_the_default(project):
    table = tt(
        project,
        "entries:\n  - {story: reset-router, cron: '0 9 * * *', channels: [local], label: Monday tip}\n",
    )
    assert table.occurrences(utc(2026, 12, 1), utc(2026, 12, 2))[0].label == "Monday tip"


# ---- errors point at file:line:column ------------------------------------------------------------


BAD = """\
timezone: Europe/Madrid
entries:
  - story: reset-routr
    cron: "30 9 * * 1-5"
    channels: [local]
  - story: reset-router
    cron: "30 9 * * 1-5"
    channels: [local, instagram]
    languages: [es, hi]
"""


def test_unknown_story_channel_language_with_positions(project):
    problems = errors(project, {"weekly.yaml": BAD})
    assert len(problems) == 3
    story, channel, language = problems
    assert "schedules/weekly.yaml:3:12: story: no story with id 'reset-routr'" in story
    assert "did you mean reset-router?" in story
    assert "schedules/weekly.yaml:8:23: channels: unknown channel 'instagram'" in channel
    assert "[channels.NAME] in storycast.toml" in channel
    assert "schedules/weekly.yaml:9:21: languages: unknown language 'hi'" in language
    assert "reset-router declares en, es, th" in language


def test_error_message_lists_every_problem_of_every_file(project):
    with pytest.raises(ScheduleError) as info:
        load_timetable(project({"a.yaml": BAD, "b.yaml": "timezone: Europe/Madird\nentries: []\n"}))
    err = info.value
    assert len(err.problems) == 4
    assert str(err).startswith("the schedules have 4 problems:")
    assert err.exit_status == 4


@pytest.mark.parametrize(
    ("zone", "suggestion"),
    [("Europe/Madird", "Europe/Madrid"), ("Bangkok", "Asia/Bangkok"), ("asia/kolkata", "Asia/Kolkata")],
)
def test_unknown_zone_suggests_close_matches(project, zone, suggestion):
    problems = errors(project, {"w.yaml": f"timezone: {zone}\nentries: []\n"})
    assert f"w.yaml:1:11: timezone: '{zone}' is not an IANA time zone" in problems[0]
    assert suggestion in problems[0]


def test_unknown_entry_zone(project):
    problems = errors(
        project,
        {"w.yaml": "entries:\n  - " + OK + "timezone: Asia/Bankok}\n"},
    )
    assert "w.yaml:2:75: timezone:" in problems[0] and "did you mean Asia/Bangkok or" in problems[0]


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        (
            "{story: reset-router, cron: '0 9 * * 8', channels: [local]}",
            "cron: day of week field: 8 is out of range",
        ),
        ("{story: reset-router, cron: '0 9 * *', channels: [local]}", "cron: a cron expression has 5 fields"),
        ("{story: reset-router, at: '2026-12-01T10:00+01:00', channels: [local]}", "has a UTC offset"),
        ("{story: reset-router, at: '2026-02-30T10:00', channels: [local]}", "is not a real date"),
        ("{story: reset-router, at: 'tomorrow', channels: [local]}", "is not a local date and time"),
        ("{story: reset-router, channels: [local]}", "this entry has no time"),
        (
            "{story: reset-router, at: '2026-12-01T10:00', cron: '0 9 * * *', channels: [local]}",
            "not at and cron",
        ),
        ("{story: reset-router, cron: '0 9 * * *'}", "this entry has no channels"),
        ("{story: reset-router, cron: '0 9 * * *', channels: []}", "channels: must be a non-empty list"),
        ("{cron: '0 9 * * *', channels: [local]}", "does not say what to publish"),
        (
            OK + "chanels: [x]}",
            "unknown key 'chanels'",
        ),
        (OK + "grace: 15}", "is not a duration"),
        (OK + "grace: soon}", "is not a duration"),
        (
            OK + "blackout: '22-07'}",
            "is not a time of day",
        ),
        (
            OK + "blackout: '00:00-24:00'}",
            "starts and ends",
        ),
        (
            OK + "blackout: ['00:00-12:00', '11:00-00:00']}",
            "cover the whole day",
        ),
        (
            OK + "blackout_policy: later}",
            "is not a policy",
        ),
        (
            OK + "except: [2026-13-01]}",
            "is not a real date",
        ),
        (OK + "except: 5}", "must be a list of dates"),
        (
            OK + "start: 2027-01-01, until: 2026-01-01}",
            "until: is before start:",
        ),
        (
            OK + "id: 'Bad Id'}",
            "is not a valid entry id",
        ),
        (
            OK + "enabled: maybe}",
            "must be true or false",
        ),
    ],
)
def test_entry_errors(project, entry, needle):
    problems = errors(project, {"w.yaml": f"entries:\n  - {entry}\n"})
    assert any(needle in p for p in problems), problems
    assert all(p.startswith(str(Path("schedules") / "w.yaml")) or "w.yaml:2:" in p for p in problems), (
        problems
    )


def test_unknown_key_suggests_the_right_one(project):
    problems = errors(
        project, {"w.yaml": "entries:\n  - {story: reset-router, cron: '0 9 * * *', chanels: [local]}\n"}
    )
    assert any("did you mean channels?" in p for p in problems)


def test_file_level_problems(project):
    problems = errors(
        project,
        {
            "a.yaml": "timezone: UTC\nentrys: []\n",
            "b.yaml": "- story: reset-router\n",
            "c.yaml": "entries: {story: reset-router}\n",
            "d.yaml": "defaults: {at: '2026-12-01T10:00'}\nentries: []\n",
            "e.yaml": "entries:\n  - just text\n",
        },
    )
    joined = "\n".join(problems)
    assert "a.yaml:2:9: unknown key 'entrys'" in joined
    assert "a.yaml:1:1: this schedule has no entries:" in joined
    assert "b.yaml:1:1: a schedule file must be a mapping" in joined
    assert "c.yaml:1:10: entries: must be a list" in joined
    assert "d.yaml:1:16: defaults: 'at' cannot have a default" in joined
    assert "e.yaml:2:5: an entry must be a mapping" in joined


def test_yaml_syntax_error_has_a_position(project):
    problems = errors(project, {"w.yaml": "entries:\n  - story: [reset-router\n    cron: x\n"})
    assert "w.yaml:" in problems[0] and "YAML syntax error" in problems[0]


def test_unquoted_star_cron_is_a_clear_yaml_error(project):
    problems = errors(project, {"w.yaml": "entries:\n  - story: reset-router\n    cron: * * * * *\n"})
    assert "w.yaml:3:" in problems[0]
    assert "quote values" in problems[0]


# ---- entry kinds are occurrence producers --------------------------------------------------------


class _EchoKind(EntryKind):
    """A test kind: 'echo' refs are the stories; each firing yields a T-1h teaser and the post."""

    name = "echo"
    option_keys = frozenset({"teaser"})

    def refs(self, project):
        return {sid: tuple(s.languages) for sid, s in project.content.stories.items()}

    def produce(self, entry, start_utc, end_utc):
        for _naive, local in entry.triggers(start_utc, end_utc + timedelta(hours=1)):
            if entry.options.get("teaser"):
                yield entry.occurrence(local - timedelta(hours=1), phase="T-1h", label=f"{entry.label}: T-1h")
            yield entry.occurrence(local, phase="live", label=f"{entry.label}: live")


class _EchoPlugin:
    @hookimpl
    def register_entry_kinds(self):
        return [_EchoKind()]


@pytest.fixture
def echo_kind():
    plugins.add(_EchoPlugin(), name="echo-test")
    yield
    plugins.remove("echo-test")


def test_registered_kind_produces_several_occurrences(project, echo_kind):
    table = tt(
        project,
        "entries:\n  - {echo: reset-router, at: '2026-12-01T10:00', channels: [local], teaser: true}\n",
    )
    occs = table.occurrences(utc(2026, 12, 1), utc(2026, 12, 2))
    assert [(o.kind, o.occurrence_key, o.label) for o in occs] == [
        ("echo", "2026-12-01T09:00#T-1h", "reset-router: T-1h"),
        ("echo", "2026-12-01T10:00#live", "reset-router: live"),
    ]
    # The window still bounds what the producer yields: the teaser alone.
    assert len(table.occurrences(utc(2026, 12, 1), utc(2026, 12, 1, 8, 30))) == 1


def test_kind_option_keys_are_only_allowed_for_that_kind(project, echo_kind):
    problems = errors(
        project,
        {"w.yaml": "entries:\n  - " + OK + "teaser: 1}\n"},
    )
    assert "unknown key 'teaser'" in problems[0]


def test_duplicate_kind_registration_fails(echo_kind):
    plugins.add(_EchoPlugin(), name="echo-again")
    try:
        with pytest.raises(ConfigError, match="entry kind 'echo' is registered twice"):
            entry_kinds()
    finally:
        plugins.remove("echo-again")


# ---- the example project -------------------------------------------------------------------------


def test_example_schedules_load_and_fill_the_next_week():
    project = Project.load(REPO, environ={})
    table = load_timetable(project)
    assert len(table.entries) >= 6
    start = utc(2026, 11, 23, 8)
    occs = table.occurrences(start, start + timedelta(days=7))
    assert len(occs) >= 6
    assert {o.ref for o in occs} >= {"reset-router", "two-factor-login", "update-firmware"}
    assert {o.tz for o in occs} == {"Europe/Madrid", "Asia/Bangkok", "Asia/Kolkata", "Asia/Riyadh"}
    by_zone: dict[str, set[str]] = {}
    for o in occs:
        by_zone.setdefault(o.tz, set()).update(o.languages)
    assert by_zone["Asia/Bangkok"] == {"th"}
    assert by_zone["Asia/Kolkata"] == {"hi"}
    assert by_zone["Europe/Madrid"] == {"es", "en"}
    assert by_zone["Asia/Riyadh"] == {"ar"}
    assert {c for o in occs for c in o.channels} == {"local"}
    # Nothing lands in the night blackout of its own zone.
    assert all(8 <= o.local.hour < 22 for o in occs)


# ---- docs/schedules.md stays true ----------------------------------------------------------------


def test_every_schedule_key_is_documented():
    from storycast.timetable.loader import COMMON_KEYS, FILE_KEYS

    text = (REPO / "docs" / "schedules.md").read_text(encoding="utf-8")
    missing = [k for k in sorted(FILE_KEYS | COMMON_KEYS | {"story"}) if f"| `{k}` |" not in text]
    assert not missing, f"keys missing from the tables in docs/schedules.md: {missing}"


def test_docs_examples_load(tmp_path):
    import re

    text = (REPO / "docs" / "schedules.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "story:" in b]
    assert len(blocks) >= 3
    root = tmp_path / "docs-project"
    langs = ["en", "es", "th", "hi"]
    files = {"storycast.toml": TOML}
    for sid in ("reset-router", "two-factor-login", "update-firmware"):
        files[f"stories/{sid}.yaml"] = _story(sid, langs)
    for i, block in enumerate(blocks):
        if block.startswith("  - "):
            block = "entries:\n" + block  # a fragment of an entries: list
        files[f"schedules/doc{i}.yaml"] = block
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    table = load_timetable(Project.load(root, environ={}))
    assert len(table.entries) >= 5


# ---- every: -----------------------------------------------------------------------------------


def test_every_days_keeps_local_time_across_dst(project):
    table = tt(
        project,
        """\
        entries:
          - {story: reset-router, every: 2d, start: "2026-03-27T10:00", until: 2026-04-01, channels: [local]}
        """,
    )
    assert table.entries[0].key == "weekly/reset-router/every:2d@2026-03-27T10:00"
    occs = table.occurrences(utc(2026, 3, 1), utc(2026, 5, 1))
    assert local_keys(occs) == ["2026-03-27T10:00", "2026-03-29T10:00", "2026-03-31T10:00"]
    assert [o.due_utc.hour for o in occs] == [9, 8, 8]  # CET, then CEST


def test_every_minutes_and_a_late_window(project):
    table = tt(
        project,
        """\
        entries:
          - {story: reset-router, every: 90m, start: "2026-12-01T09:00", until: "2026-12-01T13:00",
             channels: [local]}
          - {id: three-days, story: reset-router, every: 3d, start: "2026-12-01T10:00", channels: [local]}
        """,
    )
    day = table.occurrences(utc(2026, 12, 1), utc(2026, 12, 2))
    assert local_keys(day) == ["2026-12-01T09:00", "2026-12-01T10:00", "2026-12-01T10:30", "2026-12-01T12:00"]
    later = table.occurrences(utc(2026, 12, 10), utc(2026, 12, 17))
    assert local_keys(later) == ["2026-12-10T10:00", "2026-12-13T10:00", "2026-12-16T10:00"]


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("{story: reset-router, every: 2d, channels: [local]}", "every: needs start:"),
        (
            "{story: reset-router, every: 30s, start: 2026-12-01, channels: [local]}",
            "whole number of minutes",
        ),
        ("{story: reset-router, every: often, start: 2026-12-01, channels: [local]}", "is not a duration"),
        (OK + "every: 2d}", "not cron and every"),
    ],
)
def test_every_errors(project, entry, needle):
    problems = errors(project, {"w.yaml": f"entries:\n  - {entry}\n"})
    assert any(needle in p for p in problems), problems


def test_until_applies_before_the_blackout_move(project):
    table = tt(
        project,
        """\
        entries:
          - {story: reset-router, cron: "30 23 * * *", channels: [local], blackout: "22:00-07:00",
             until: 2026-12-06}
        """,
    )
    occs = table.occurrences(utc(2026, 12, 5, 12), utc(2026, 12, 10))
    # 23:30 on the 5th and on the 6th (the until date) move to 07:00 the next morning; no more.
    assert local_keys(occs) == ["2026-12-06T07:00", "2026-12-07T07:00"]
