"""Every error storycast raises must say how to fix it (a ``hint=``), in the modules listed here.

An AST scan, so a new ``raise ConfigError("...")`` without a hint fails here before a user sees
it. Errors that gather other errors (``problems=``) are exempt: each gathered problem has its
own hint. Add a module to SCANNED once its errors all carry hints.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "storycast"
SCANNED = [
    "config.py",
    "project.py",
    "secrets.py",
    "files.py",
    "yamlsrc.py",
    "errors.py",
    "content/loader.py",
    "content/models.py",
    "content/validate.py",
    "channels/registry.py",
    "cli/__init__.py",
    "cli/_common.py",
]


def _error_names() -> set[str]:
    import storycast.channels.base  # noqa: F401 - registers the channel failure classes
    from storycast.errors import StorycastError

    names, todo = set(), [StorycastError]
    while todo:
        cls = todo.pop()
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


@pytest.mark.parametrize("module", SCANNED)
def test_errors_say_how_to_fix_them(module):
    path = SRC / module
    assert path.is_file(), f"{module} moved: update SCANNED"
    assert _hintless(path, _error_names()) == []


def test_the_scan_finds_a_hintless_error(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('raise ConfigError("bad")\nraise ConfigError("ok", hint="fix it")\n')
    assert len(_hintless(sample, {"ConfigError"})) == 1
