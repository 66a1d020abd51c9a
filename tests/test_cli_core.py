import pytest

from storycast import __version__
from storycast.errors import ExitStatus


def test_exit_status_values_are_pinned():
    assert {s.name: int(s) for s in ExitStatus} == {
        "SUCCESS": 0,
        "ERROR": 1,
        "USAGE": 2,
        "CONFIG": 3,
        "CONTENT": 4,
        "CHANNEL": 5,
        "DATABASE": 6,
        "PARTIAL": 7,
        "INTERNAL": 70,
        "INTERRUPTED": 130,
    }


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"storycast {__version__}"


def test_unknown_command_is_usage_error(run_cli):
    code, _, err = run_cli("frobnicate")
    assert code == 2
    assert "No such command" in err


def test_missing_project_is_config_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("--project", str(tmp_path), "plan")
    assert code in (ExitStatus.CONFIG, ExitStatus.USAGE)  # plan may not be installed in a minimal build
    if code == ExitStatus.CONFIG:
        assert "not a storycast project" in err and "storycast init" in err


def test_init_creates_a_loadable_project(run_cli, tmp_path):
    from storycast.project import Project

    target = tmp_path / "new"
    code, out, _ = run_cli("init", str(target))
    assert code == 0, out
    assert (target / "storycast.toml").is_file()
    project = Project.load(target)
    assert project.config.project.languages
    code, _, err = run_cli("init", str(target))
    assert code == ExitStatus.ERROR and "already holds" in err


def test_bad_config_exit_code_and_lines(run_cli, make_project):
    root = make_project(toml='[project]\nlanguages = ["en"]\n[brand]\nprimary = "blue"\n')
    code, _, _err = run_cli("--project", str(root), "init", str(root / "x"), "--empty")
    assert code == 0  # init does not read the current project
    import pytest

    from storycast.errors import ConfigError
    from storycast.project import Project

    with pytest.raises(ConfigError) as info:
        Project.load(root)
    assert "storycast.toml:4" in str(info.value)


# --- issue #14: loading is validated up front, and user text never becomes Rich markup -------

CRAFTED = "[bold red]PWNED[/] [link=https://evil.example]click[/link] {n.__globals__[os]}"


def test_user_text_prints_literally_never_as_markup(run_cli, make_project):
    from .conftest import MINIMAL_STORY

    poll = (
        "kind: poll\nid: crafted\nlanguages: [en]\n"
        f"question: {{en: '{CRAFTED}'}}\n"
        f"options:\n  - {{en: '{CRAFTED}'}}\n  - {{en: plain}}\n"
    )
    root = make_project({"stories/sample.yaml": MINIMAL_STORY, "stories/crafted.yaml": poll})
    # A table: the poll's question is its title, its options are cells.
    code, out, err = run_cli("-P", str(root), "polls", "results", "crafted")
    assert code == 0, err
    assert f"crafted: {CRAFTED}" in out and out.count(CRAFTED) == 2
    # An error's first line (the part printed after "error:").
    code, _, err = run_cli("-P", str(root), "render", CRAFTED)
    assert code == ExitStatus.CONTENT and f"no story with id '{CRAFTED}'" in err
    # An error's problem lines: a story key and a channel type.
    bad = MINIMAL_STORY.replace("category:", f"'{CRAFTED}': 1\ncategory:")
    root = make_project({"stories/sample.yaml": bad})
    code, _, err = run_cli("-P", str(root), "lint")
    assert code == ExitStatus.CONTENT and f"{CRAFTED}: unknown key" in err
    root = make_project(toml=f'[channels.x]\ntype = "{CRAFTED.replace(chr(92), "")}"\n')
    code, _, err = run_cli("-P", str(root), "plan")
    assert code == ExitStatus.CONFIG and f"unknown channel type '{CRAFTED}'" in err
    assert err.startswith("error: ")


@pytest.mark.parametrize(
    "command", [["plan"], ["render", "sample", "--lang", "en"], ["lint"], ["channels", "list"]]
)
def test_every_command_validates_channel_sections_first(run_cli, make_project, command):
    from .conftest import MINIMAL_STORY, MINIMAL_TOML

    toml = (
        MINIMAL_TOML
        + '\n[channels.tg]\ntype = "telegram"\nchat_id = "@x"\n'
        + 'bot_token = "123:LITERAL-SECRET"\nalbums = true\n'
    )
    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=toml)
    code, out, err = run_cli("-P", str(root), *command)
    assert code == ExitStatus.CONFIG, out + err
    assert "storycast.toml:12:1: channels.tg.bot_token: a secret must be a reference" in err
    assert "storycast.toml:13:1: channels.tg.albums: unknown key" in err
    assert "123:LITERAL-SECRET" not in out + err
    assert not (root / "build").exists()


def test_undecodable_config_is_a_config_error_not_a_crash(run_cli, make_project):
    root = make_project()
    (root / "storycast.toml").write_bytes(b'[project]\nname = "a\xffb"\n')
    code, _, err = run_cli("-P", str(root), "plan")
    assert code == ExitStatus.CONFIG
    assert f"error: {root / 'storycast.toml'}:2:10: the storycast.toml is not valid UTF-8" in err
    assert "hint: save the file as UTF-8" in err


def test_project_option_and_environment_errors(run_cli, make_project, tmp_path):
    root = make_project()
    code, _, err = run_cli("-P", str(root / "storycast.toml"), "plan")
    assert code == ExitStatus.CONFIG and f"pass the folder that holds it: --project {root}" in err
    code, _, err = run_cli("-P", str(tmp_path / "nowhere"), "plan")
    assert code == ExitStatus.CONFIG and "which does not exist" in err
    code, _, err = run_cli("plan", env={"STORYCAST_PROJECT": str(root / "storycast.toml")})
    assert code == ExitStatus.CONFIG and err.startswith("error: STORYCAST_PROJECT names")


def test_ledger_url_errors_never_print_the_url(run_cli, make_project):
    root = make_project()
    for url, says in [
        ("not a url pw-hunter2", "STORYCAST_DB is not a database URL"),
        ("postgres://u:pw-hunter2@127.0.0.1/db", "postgresql://, not postgres://"),
        ("mysql://u:pw-hunter2@127.0.0.1/db", "uses mysql://, which storycast cannot use"),
    ]:
        code, out, err = run_cli("-P", str(root), "status", env={"STORYCAST_DB": url})
        assert code == ExitStatus.CONFIG, err
        assert says in err and "pw-hunter2" not in out + err


def test_a_deleted_working_folder_is_a_config_error(run_cli, tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    code, _, err = run_cli("plan")
    assert code == ExitStatus.CONFIG and "working folder no longer exists" in err
