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
