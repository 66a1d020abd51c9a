from pathlib import Path

import pytest

from storycast.config import parse
from storycast.errors import ConfigError, ExitStatus


def test_example_config_is_valid():
    cfg = parse((Path(__file__).parent.parent / "storycast.toml").read_text(), Path("storycast.toml"))
    assert cfg.project.languages == ["en", "es", "th", "hi", "sr", "ar"]
    assert cfg.channels["local"].type == "local"
    assert cfg.support_hours.configured


def test_every_problem_is_reported_at_once_with_lines():
    text = (
        '[brand]\nprimary = "red"\nfoo = 1\n\n[render]\nquality = 50\n\n'
        '[project]\ntimezone = "Europe/Madird"\n'
    )
    with pytest.raises(ConfigError) as info:
        parse(text, Path("storycast.toml"))
    err = info.value
    assert err.exit_status == ExitStatus.CONFIG
    assert len(err.problems) == 4
    lines = {p.message.split(":")[0]: p.line for p in err.problems}
    assert lines == {"brand.primary": 2, "brand.foo": 3, "render.quality": 6, "project.timezone": 9}
    assert "#RRGGBB" in str(err)


def test_toml_syntax_error_names_line():
    with pytest.raises(ConfigError) as info:
        parse('[project]\nname = "unterminated\n', Path("s.toml"))
    assert info.value.line == 2
    assert str(info.value).startswith("s.toml:2")


def test_support_hours_spans_validated():
    with pytest.raises(ConfigError) as info:
        parse('[support_hours]\nmon = ["18:00-09:00"]\nholidays = ["2026-13-01"]\n', Path("s.toml"))
    assert len(info.value.problems) == 2


def test_channel_names_validated():
    with pytest.raises(ConfigError):
        parse('[channels."Bad Name"]\ntype = "local"\n', Path("s.toml"))


# --- the file itself: encodings, odd bytes, the wrong kind of file ---------------------------


def _load_bytes(tmp_path: Path, data: bytes):
    from storycast.config import load

    path = tmp_path / "storycast.toml"
    path.write_bytes(data)
    return load(path)


def test_invalid_utf8_names_line_column_and_byte_offset(tmp_path):
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, b'[project]\nname = "Caf\xe9"\n')
    err = info.value
    assert (err.line, err.column) == (2, 12)
    assert "0xE9" in err.message and "byte offset 21" in err.message
    assert err.hint and "UTF-8" in err.hint
    assert str(err).startswith(f"{tmp_path / 'storycast.toml'}:2:12:")


def test_bom_and_crlf_are_accepted(tmp_path):
    cfg = _load_bytes(tmp_path, b'\xef\xbb\xbf[project]\r\nname = "BOM"\r\nlanguages = ["en"]\r\n')
    assert cfg.project.name == "BOM"
    cfg = _load_bytes(tmp_path, b'[project]\rname = "old mac"\r')
    assert cfg.project.name == "old mac"


def test_utf16_and_nul_bytes_are_refused_with_a_fix(tmp_path):
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, '[project]\nname = "x"\n'.encode("utf-16"))
    assert "UTF-16" in info.value.message and info.value.line == 1
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, b'[project]\nname = "a\x00b"\n')
    assert "NUL" in info.value.message and (info.value.line, info.value.column) == (2, 10)
    assert info.value.hint


def test_empty_file_means_every_default(tmp_path):
    cfg = _load_bytes(tmp_path, b"")
    assert cfg.project.languages == ["en"] and cfg.channels == {}


def test_storycast_toml_that_is_a_folder(tmp_path):
    from storycast.config import load

    (tmp_path / "storycast.toml").mkdir()
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "storycast.toml")
    assert "is a folder" in info.value.message and info.value.hint


# --- unknown keys: named, placed, with a suggestion ------------------------------------------


def test_unknown_keys_suggest_the_close_key():
    text = (
        '[project]\nname = "x"\ntimezon = "UTC"\n\n'
        "[render.safe_zone]\ntopp = 10\n\n"
        '[chanels.x]\ntype = "local"\n'
    )
    with pytest.raises(ConfigError) as info:
        parse(text, Path("s.toml"))
    by_key = {p.message.split(":")[0]: p for p in info.value.problems}
    assert by_key["project.timezon"].line == 3 and "did you mean timezone?" in by_key["project.timezon"].hint
    assert (
        by_key["render.safe_zone.topp"].line == 6
        and "did you mean top?" in by_key["render.safe_zone.topp"].hint
    )
    assert by_key["chanels"].line == 8 and "did you mean channels?" in by_key["chanels"].hint


def test_every_problem_has_a_hint_and_comes_in_file_order():
    text = '[project]\ntimezone = "Mars/Base"\n[brand]\nprimary = "red"\n[render]\nquality = 5\n'
    with pytest.raises(ConfigError) as info:
        parse(text, Path("s.toml"))
    assert [p.line for p in info.value.problems] == [2, 4, 6]
    assert all(p.hint for p in info.value.problems)


# --- channel sections are validated with the file, by every command --------------------------

CHANNELS = """\
[project]
languages = ["en"]

[channels.local]
type = "local"

[channels.tg]
type = "telegram"
bot_token = "123456:AAE-literal-token-value"
chat_id = "@news"
albums = true

[channels.ig]
type = "instgram"
"""


def test_channel_sections_are_checked_against_their_type(make_project):
    from storycast.project import Project

    root = make_project(toml=CHANNELS)
    with pytest.raises(ConfigError) as info:
        Project.load(root)
    text = str(info.value)
    assert "123456:AAE-literal-token-value" not in text  # the literal secret is never echoed
    problems = {p.message.split(":")[0]: p for p in info.value.problems}
    assert set(problems) == {"channels.tg.bot_token", "channels.tg.albums", "channels.ig.type"}
    token = problems["channels.tg.bot_token"]
    assert token.line == 9 and "env:" in token.message and 'bot_token = "env:TG_BOT_TOKEN"' in token.hint
    album = problems["channels.tg.albums"]
    assert album.line == 11 and album.message.endswith("unknown key") and "album" in album.hint
    kind = problems["channels.ig.type"]
    assert kind.line == 14 and "'instgram'" in kind.message and "did you mean instagram?" in kind.hint


def test_secret_reference_syntax_is_checked_at_load(make_project):
    from storycast.project import Project

    toml = '[channels.tg]\ntype = "telegram"\nchat_id = "@x"\nbot_token = "env:"\n'
    with pytest.raises(ConfigError) as info:
        Project.load(make_project(toml=toml))
    (problem,) = info.value.problems
    assert "variable name" in problem.message and problem.line == 4
    toml = '[channels.tg]\ntype = "telegram"\nchat_id = "@x"\nbot_token = "keyring:only-a-service"\n'
    with pytest.raises(ConfigError) as info:
        Project.load(make_project(toml=toml))
    assert "keyring:SERVICE/NAME" in str(info.value)


def test_a_valid_channel_section_still_loads(make_project):
    from storycast.project import Project

    toml = '[channels.tg]\ntype = "telegram"\nchat_id = "@x"\nbot_token = "env:TG_TOKEN"\n'
    project = Project.load(make_project(toml=toml))
    assert project.config.channels["tg"].type == "telegram"
