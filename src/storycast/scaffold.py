"""``storycast init``: create a new project from the packaged example."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .errors import StorycastError
from .resources import example_root, templates_dir

# What a new project gets. Packaged default templates are not copied: they are reachable
# as default/... and a project overrides one by creating a file of the same name.
_EXAMPLE_ITEMS = ("storycast.toml", "stories", "schedules")


@dataclass
class ScaffoldResult:
    root: Path
    created: list[str] = field(default_factory=list)


def init_project(target: Path, *, with_examples: bool = True, force: bool = False) -> ScaffoldResult:
    """Create a storycast project in ``target``; refuse to overwrite an existing one unless ``force``."""
    target = target.expanduser().resolve()
    if (target / "storycast.toml").exists() and not force:
        raise StorycastError(
            f"{target} already holds a storycast project",
            hint="choose another folder, or pass --force to overwrite the example files",
        )
    if target.exists() and not target.is_dir():
        raise StorycastError(f"{target} exists and is not a folder", hint="choose another path")
    target.mkdir(parents=True, exist_ok=True)
    result = ScaffoldResult(root=target)
    src = example_root()
    for item in _EXAMPLE_ITEMS:
        if item != "storycast.toml" and not with_examples:
            (target / item).mkdir(exist_ok=True)
            continue
        s = src / item
        d = target / item
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".keep", "__pycache__"))
        elif s.is_file():
            shutil.copy2(s, d)
        result.created.append(item)
    # Project-local folders for overrides, fonts and media the stories reference.
    (target / "templates").mkdir(exist_ok=True)
    (target / "templates" / "README.md").write_text(
        "Project templates. A file here with the same path as a packaged default\n"
        "(for example tutorial/step.j2) replaces it; extend a default with\n"
        '{% extends "default/tutorial/step.j2" %}. See docs/templates.md.\n',
        encoding="utf-8",
    )
    assets = target / "assets"
    if with_examples:
        packaged_assets = templates_dir().parent / "assets"
        for sub in ("samples", "brand"):
            if (packaged_assets / sub).is_dir():
                shutil.copytree(packaged_assets / sub, assets / sub, dirs_exist_ok=True)
    (assets / "fonts").mkdir(parents=True, exist_ok=True)
    result.created += ["templates/", "assets/"]
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("build/\n.storycast/\nfeed/\nsite/\n", encoding="utf-8")
    return result
