"""Every error storycast raises must say how to fix it (a ``hint=``), in every module of the package.

An AST scan of each ``src/storycast/**/*.py``, so a new ``raise ConfigError("...")`` without a
hint fails here before a user sees it. Errors that gather other errors (``problems=``) are exempt:
each gathered problem has its own hint; so are calls passing ``**kwargs`` through.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "storycast"
SCANNED = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py"))


# Where the error classes the scan looks for are defined. Only these count, so the set does not
# depend on which other modules earlier tests in the same process happened to import.
ERROR_MODULES = {"storycast.errors", "storycast.channels.base"}


def _error_names() -> set[str]:
    import storycast.channels.base  # noqa: F401 - registers the channel failure classes
    from storycast.errors import StorycastError

    names, todo = set(), [StorycastError]
    while todo:
        cls = todo.pop()
        if cls.__module__ in ERROR_MODULES:
            names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _hintless(path: Path, names: set[str]) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in names:
            continue
        given = {k.arg for k in node.keywords}
        if not given & {"hint", "problems", None}:  # None: **kwargs passed through
            out.append(f"{path.name}:{node.lineno}: {name}(...) without hint=")
    return out


def test_the_scan_covers_the_whole_package():
    assert len(SCANNED) > 50
    assert {"errors.py", "config/__init__.py", "channels/telegram.py", "cli/__init__.py"} <= set(SCANNED)
    assert {"ConfigError", "ContentError", "RenderError", "PermanentFailure", "RetryableFailure"} <= (
        _error_names()
    )


@pytest.mark.parametrize("module", SCANNED)
def test_errors_say_how_to_fix_them(module):
    assert _hintless(SRC / module, _error_names()) == []


def test_the_scan_finds_a_hintless_error(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('raise ConfigError("bad")\nraise ConfigError("ok", hint="fix it")\n')
    assert len(_hintless(sample, {"ConfigError"})) == 1


def test_an_error_that_gathers_problems_keeps_its_own_hint_too() -> None:
    from storycast.errors import ConfigError

    inner = [ConfigError("a: bad", hint="fix a"), ConfigError("b: bad", hint="fix b")]
    both = ConfigError("storycast.toml has 2 problems:", problems=inner, hint="see docs/configuration.md")
    assert str(both).splitlines() == [
        "storycast.toml has 2 problems:",
        "  a: bad",
        "  hint: fix a",
        "  b: bad",
        "  hint: fix b",
        "  hint: see docs/configuration.md",
    ]
    assert "hint" not in str(ConfigError("x has 1 problem:", problems=[ConfigError("x")])).splitlines()[-1]
