from pathlib import Path

import pytest

from storycast.config import parse
from storycast.errors import ConfigError, ExitStatus


def test_example_config_is_valid():
    cfg = parse((Path(__file__).parent.parent / "storycast.toml").read_text(), Path("storycast.toml"))
    assert cfg.project.languages == ["en", "es", "th", "hi", "sr"]
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
