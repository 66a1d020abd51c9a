"""A damaged file in the compiled-template cache means compiling again, not a failed render."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import MINIMAL_STORY, MINIMAL_TOML


def _render(root: Path) -> subprocess.CompletedProcess[str]:
    # A fresh process: this one keeps its templates compiled in memory.
    code = "import sys; from storycast.cli import main; main(sys.argv[1:])"
    args = ["--project", str(root), "render", "sample", "--lang", "en", "--no-cache"]
    cmd = [sys.executable, "-c", code, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_a_compiled_template_cut_short_is_compiled_again(make_project) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML)
    first = _render(root)
    assert first.returncode == 0, first.stderr
    frames = {p.name: p.read_bytes() for p in (root / "build" / "sample" / "en").glob("*.jpg")}
    cached = [p for p in (root / ".storycast" / "cache").glob("jinja-*/*") if p.is_file()]
    assert cached, "the render keeps compiled templates"
    for path in cached:
        path.write_bytes(path.read_bytes()[:40])  # a write cut short (disk full, killed process)
    again = _render(root)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert {p.name: p.read_bytes() for p in (root / "build" / "sample" / "en").glob("*.jpg")} == frames
