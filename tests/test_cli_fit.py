"""The command line fits the hand: completion, JSON everywhere, one list convention, readable help."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from storycast.errors import ExitStatus


def _complete(words: str, cword: int, tmp_path) -> list[str]:
    env = {
        **os.environ,
        "_STORYCAST_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
        "HOME": str(tmp_path),
    }
    code = "import sys; sys.argv = ['storycast']; from storycast.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_completion_offers_commands_subcommands_and_options(tmp_path):
    assert _complete("storycast ren", 1, tmp_path) == ["render"]
    assert set(_complete("storycast db ", 2, tmp_path)) >= {"upgrade", "current", "migrate-to"}
    assert "--lang" in _complete("storycast render --la", 2, tmp_path)


def test_show_and_install_completion(tmp_path):
    """As a user runs them: from bash, which the options detect (the process's parent shell)."""
    code = "import sys; from storycast.cli import main; main(sys.argv[1:])"
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash"}

    def from_bash(option: str) -> subprocess.CompletedProcess[str]:
        line = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)} {option}; exit $?"
        return subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60)

    shown = from_bash("--show-completion")
    assert shown.returncode == 0 and "_STORYCAST_COMPLETE=complete_bash" in shown.stdout, shown.stderr
    installed = from_bash("--install-completion")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    script = tmp_path / ".bash_completions" / "storycast.sh"
    assert script.is_file() and "_STORYCAST_COMPLETE" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()


def test_root_help_lists_what_the_full_app_lists(run_cli):
    """The root help is built from stand-ins (fast); it must read exactly like the full app's."""
    from storycast.cli import app

    code, fast, _ = run_cli("--help")
    assert code == 0
    buf = io.StringIO()
    with redirect_stdout(buf), pytest.raises(SystemExit):
        app(args=["--help"], prog_name="storycast")
    assert fast == buf.getvalue()
    assert "--install-completion" in fast
    code, out, err = run_cli()  # no command: the same listing, as a usage error
    assert code == ExitStatus.USAGE and "Commands:" in out + err


CARD = """\
timezone: UTC
entries:
  - card: card-b
    at: "2026-12-01T09:00"
    channels: [rec]
    languages: [en]
"""
LAUNCH_UTC = "2026-12-01T09:00:00Z"

POLL = """\
kind: poll
id: router-color
languages: [en]
question: {en: "Which router colour?"}
options:
  - {en: White}
  - {en: Black}
"""


def test_cancel_retry_cron_upgrade_and_vote_speak_json(run_cli, tmp_path):
    from tests.conftest_db import make_engine_project

    root = make_engine_project(tmp_path / "p", {"c.yaml": CARD}, stories={"poll.yaml": POLL})
    env = {"STORYCAST_DB": f"sqlite:///{tmp_path / 'state.db'}"}
    code, out, err = run_cli("-P", str(root), "db", "upgrade", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["revision"] and json.loads(out)["job_tables"] is None
    assert run_cli("-P", str(root), "publish", "--due", "--now", "2026-12-01T08:30:00Z", env=env)[0] == 0
    code, out, err = run_cli("-P", str(root), "cancel", "--story", "card-b", "--json", env=env)
    doc = json.loads(out)
    assert code == 0 and doc["changed"] and doc["skipped"] == [], out + err
    code, out, _ = run_cli("-P", str(root), "retry", str(doc["changed"][0]), "--json", env=env)
    assert code == 0 and json.loads(out)["changed"] == [doc["changed"][0]]
    code, out, _ = run_cli("-P", str(root), "retry", str(doc["changed"][0]), "--json", env=env)
    again = json.loads(out)  # already planned: skipped with its reason, exit 1 as in text mode
    assert code == 1 and again["changed"] == [] and again["skipped"][0]["id"] == doc["changed"][0]
    code, out, _ = run_cli("-P", str(root), "cron", "--every", "5", "--json", env=env)
    files = json.loads(out)
    assert code == 0 and "\n*/5 * * * * " in files["crontab"] and "[Timer]" in files["timer"]
    code, out, _ = run_cli("-P", str(root), "polls", "vote", "router-color", "2", "--json", env=env)
    vote = json.loads(out)
    assert code == 0 and vote == {"poll": "router-color", "option": 2, "voter": "cli", "changed_vote": False}


def test_with_json_an_error_is_one_json_object_on_stderr(run_cli, make_project, tmp_path):
    code, out, err = run_cli("-P", str(tmp_path / "nowhere"), "status", "--json")
    doc = json.loads(err)
    assert code == ExitStatus.CONFIG and out == ""
    assert doc["exit_code"] == 3 and doc["exit_status"] == "CONFIG" and doc["kind"] == "ConfigError"
    assert "storycast init" in doc["hint"]
    code, _, err = run_cli("status", "--json", "--limit", "0")  # a usage error
    doc = json.loads(err)
    assert code == ExitStatus.USAGE and doc["exit_code"] == 2 and "--limit" in doc["error"]
    assert doc["usage"].startswith("Usage: storycast status")
    root = make_project({"stories/bad.yaml": "id: bad\ntemplate: tutorial\nsteps: {\n"})
    code, _, err = run_cli("-P", str(root), "lint", "--json")
    doc = json.loads(err)
    assert code == ExitStatus.CONTENT and doc["kind"] == "ContentError"
    assert doc["problems"][0]["file"].endswith("bad.yaml") and doc["problems"][0]["line"]
    code, _, err = run_cli("-P", str(root), "lint")  # without --json: the sentence, as before
    assert err.startswith("error:")


def test_lint_json_and_a_text_format_conflict(run_cli, make_project):
    root = make_project()
    code, _, err = run_cli("-P", str(root), "lint", "--json", "--format", "text")
    assert code == ExitStatus.USAGE and "--json and --format text ask for two outputs" in err
    code, out, _ = run_cli("-P", str(root), "lint", "--json", "--format", "json")
    assert code == 0 and "findings" in json.loads(out)


def test_languages_repeat_or_comma_everywhere():
    from storycast.cli._common import language_list

    assert language_list(["th,en", "es", " hi , "]) == ["th", "en", "es", "hi"]
    assert language_list(["en", "en,th"]) == ["en", "th"]
    assert (
        language_list(None) is None and language_list(["all"]) is None and language_list(["en,all"]) is None
    )


@pytest.mark.parametrize(
    "langs", [["--lang", "en,es"], ["-l", "en", "-l", "es"], ["-l", "es,en", "-l", "en"]]
)
def test_render_takes_both_list_forms_and_project_after_the_command(run_cli, make_project, tmp_path, langs):
    from tests.conftest import MINIMAL_STORY

    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    out_dir = tmp_path / "out"
    code, out, err = run_cli("render", "sample", *langs, "--out", str(out_dir), "--json", "-P", str(root))
    assert code == 0, err
    assert sorted(r["lang"] for r in json.loads(out)["results"]) == ["en", "es"]


def test_project_and_traceback_anywhere_on_the_line(run_cli, make_project):
    from storycast.cli import _hoist_root_options

    assert _hoist_root_options(["lint", "--json", "-P", "x"]) == ["-P", "x", "lint", "--json"]
    assert _hoist_root_options(["db", "current", "--project=x", "--traceback"]) == [
        "--project=x",
        "--traceback",
        "db",
        "current",
    ]
    assert _hoist_root_options(["-P", "x", "lint"]) == ["-P", "x", "lint"]
    assert _hoist_root_options(["lint", "--", "-P", "x"]) == ["lint", "--", "-P", "x"]
    root = make_project()
    code, out, err = run_cli("lint", "--json", "--project", str(root))
    assert code == 0 and json.loads(out)["stories"] == [], err
    code, _, err = run_cli("lint", "-l", "en,xx", "-P", str(root))
    assert code == ExitStatus.USAGE and "'xx' is not one of" in err


def _all_helps() -> dict[str, str]:
    import typer

    from storycast.cli import app
    from storycast.cli._docgen import _help, _walk

    root = typer.main.get_command(app)
    return {" ".join(path): _help(path) for path in [[], *_walk(root, [])]}


def test_every_help_names_values_readably_and_ends_with_examples():
    from storycast.cli._help import EXAMPLES

    helps = _all_helps()
    assert set(helps) == set(EXAMPLES), "every command (and only those) has examples"
    for path, text in helps.items():
        assert "<list[" not in text and "<str>" not in text and "<int" not in text, (path, text)
        head, _, examples = text.rpartition("Examples:")
        assert head, f"storycast {path} --help has no examples"
        lines = [line.strip() for line in examples.splitlines() if line.strip()]
        assert lines and all(line.startswith("storycast") for line in lines), (path, lines)
        if path:
            assert all(line.startswith(f"storycast {path.split()[0]}") for line in lines), (path, lines)
    assert "-l, --lang LANG" in helps["render"] and "--now TIME" in helps["status"]
    assert "Usage: storycast retry [OPTIONS] ID..." in helps["retry"]
    assert "-f, --format [text|json|sarif]" in helps["lint"]


WEEKLY = """\
timezone: Europe/Madrid
entries:
  - id: router-weekday
    story: sample
    cron: "30 9 * * 1-5"
    channels: [local]
    languages: [es, en]
    label: Router tip for the people who restart it every weekday morning
"""


def _piped(root, *args: str) -> subprocess.CompletedProcess[str]:
    """``storycast ARGS | cat`` at 80 columns: stdout is a pipe, not a terminal."""
    env = {**os.environ, "COLUMNS": "80", "STORYCAST_DB": f"sqlite:///{root}/state.db"}
    code = "import sys; from storycast.cli import main; main(sys.argv[1:])"
    cmd = [sys.executable, "-c", code, "-P", str(root), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_tables_print_whole_when_piped_at_80_columns(make_project):
    from tests.conftest import MINIMAL_STORY

    root = make_project({"stories/sample.yaml": MINIMAL_STORY, "schedules/weekly.yaml": WEEKLY})
    res = _piped(root, "plan", "--now", "2026-11-30T00:00:00Z", "--days", "1")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = next(line for line in lines if "Local time" in line)
    assert header.split() == ["Local", "time", "Zone", "UTC", "What", "Channels", "Languages", "Source"]
    [row] = [line for line in lines if "Mon 30 Nov" in line]
    assert "Madrid" in row and "every weekday morning" in row and row.rstrip().endswith("weekly.yaml:3")
    assert not any(ch in res.stdout for ch in "│┃┏━…")  # no vertical rules, nothing cut
    res = _piped(root, "report")
    assert res.returncode == 0, res.stderr
    assert "…" not in res.stdout and not any(ch in res.stdout for ch in "│┃┏")
    res = _piped(root, "channels", "list")
    row = next(line for line in res.stdout.splitlines() if line.split()[:1] == ["local"])
    assert "idempotency_key" in row  # one row per channel type, not wrapped over three lines


def test_status_of_an_empty_ledger_says_what_is_planned(run_cli, make_project, tmp_path):
    from tests.conftest import MINIMAL_STORY

    root = make_project({"stories/sample.yaml": MINIMAL_STORY, "schedules/weekly.yaml": WEEKLY})
    env = {"STORYCAST_DB": f"sqlite:///{tmp_path / 'state.db'}"}
    code, out, err = run_cli("-P", str(root), "status", "--now", "2026-11-30T00:00:00Z", env=env)
    assert code == 0, err
    assert out.splitlines()[0] == (
        "the ledger is empty: 5 publication(s) planned in the next 7 days, the first sample -> local at "
        "2026-11-30 08:30Z; rows enter the ledger as they fall due (storycast run, or publish --due from "
        "cron); storycast plan lists them"
    )
    code, out, _ = run_cli("-P", str(root), "status", "--json", "--now", "2026-11-30T00:00:00Z", env=env)
    assert json.loads(out)["upcoming"]["count"] == 5
    (root / "schedules" / "weekly.yaml").unlink()
    code, out, _ = run_cli("-P", str(root), "status", "--now", "2026-11-30T00:00:00Z", env=env)
    assert "the ledger is empty and nothing is scheduled in the next 7 days" in out


@pytest.mark.parametrize("empty", [True, False])
def test_init_suggests_a_command_that_then_works(run_cli, tmp_path, monkeypatch, empty):
    import shlex

    target = tmp_path / "my project"
    code, out, _ = run_cli("init", str(target), *(["--empty"] if empty else []))
    assert code == 0
    [line] = [line for line in out.splitlines() if line.startswith("Next: ")]
    words = shlex.split(line.removeprefix("Next: ").split(";")[0])
    assert words[:3] == ["cd", str(target), "&&"] and words[3] == "storycast"
    monkeypatch.chdir(words[1])
    if not empty:
        words += ["--jobs", "1", "wifi-password", "-l", "en"]  # the suggestion, on one story to be quick
    code, out, err = run_cli(*words[4:], env={"STORYCAST_DB": f"sqlite:///{tmp_path / 'state.db'}"})
    assert code == 0, out + err


STORY_WITH_OPEN_QUOTE = """\
id: sample
template: tutorial
category: connectivity
languages: [en]
title:
  en: Restart your modem
steps:
  - title:
      en: "Unplug it
    text:
      en: Wait ten seconds.
  - title:
      en: Plug it back in
    text:
      en: Wait for the light.
"""


def test_a_yaml_error_points_at_the_unclosed_quote(run_cli, make_project):
    root = make_project({"stories/sample.yaml": STORY_WITH_OPEN_QUOTE})
    code, _, err = run_cli("-P", str(root), "lint")
    assert code == ExitStatus.CONTENT
    assert "sample.yaml:9:11: YAML syntax error: the quoted value that starts here is not closed" in err
    assert (
        "failed at line 16: the end of the file" in err and "hint: end the value with the same quote" in err
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('a:\n  b: "x\n  c: y\n  d: "z"\n  e: 1\n', 2),  # closed by a later line's quote
        ("a: 'it\n", 1),
        ('a:\n  - "one\n  - two\n', 2),
    ],
)
def test_runaway_quotes_are_found_where_they_start(text, line):
    from storycast import yamlsrc
    from storycast.errors import ContentError

    with pytest.raises(ContentError) as caught:
        yamlsrc.loads(text)
    assert caught.value.line == line and "not closed on its line" in caught.value.message


def test_quotes_closed_on_their_line_are_not_blamed():
    from storycast import yamlsrc
    from storycast.errors import ContentError

    for text in ('a: "ok \\" q"\nb: [\n', "a: 'it''s'\nb: [\n"):
        with pytest.raises(ContentError) as caught:
            yamlsrc.loads(text)
        assert caught.value.line == 3 and "quoted value" not in caught.value.message
    with pytest.raises(ContentError) as caught:
        yamlsrc.loads("a: [1, 2\nb: 3\n")
    assert "(the '[' on line 1 is never closed)" in caught.value.message


STORY_WITH_TYPOS = """\
id: sample
template: tutorial
categry: connectivity
languages: [en]
title: {en: Restart your modem}
steps:
  - title: {en: Unplug it}
    txt: {en: Wait ten seconds.}
"""
STORY_UNKNOWN_LANGUAGE_AND_NO_CATEGORY = """\
id: other
template: tutorial
languages: [en, fr]
title: {en: Other}
steps:
  - title: {en: One}
"""


def test_content_errors_come_at_once_with_did_you_mean_and_steps_from_1(run_cli, make_project):
    root = make_project(
        {"stories/a.yaml": STORY_WITH_TYPOS, "stories/b.yaml": STORY_UNKNOWN_LANGUAGE_AND_NO_CATEGORY}
    )
    code, _, err = run_cli("-P", str(root), "lint")
    assert code == ExitStatus.CONTENT
    assert "a.yaml:3:10: categry: unknown key\n  hint: did you mean category?" in err
    assert "a.yaml:8:10: steps.1.txt: unknown key\n  hint: did you mean text?" in err
    assert "a.yaml:1:1: category: Field required" not in err  # the "did you mean" says it
    # b.yaml's schema problem and its language problem in the same round
    assert "b.yaml:1:1: category: Field required" in err
    assert "b.yaml:3:17: language 'fr' is not in the project's languages" in err
    assert "the project's content has 4 problems:" in err


def test_config_key_typos_get_did_you_mean(run_cli, make_project):
    from tests.conftest import MINIMAL_TOML

    root = make_project(toml=MINIMAL_TOML + '\n[brand]\nprimry = "#ffffff"\n')
    code, _, err = run_cli("-P", str(root), "lint")
    assert code == ExitStatus.CONFIG
    assert "brand.primry: unknown key\n  hint: did you mean primary?" in err
