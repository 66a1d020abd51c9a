"""The scale-out tests' own fakes hold under a worker's threads (no PostgreSQL needed).

A worker runs its publish jobs in several threads of one process, and the first jobs of a run
start together: each renders the same test card. When the card's temp file was named by process
only, one thread could move another's temp file into place first, and the other's rename then
failed; its row was held "waiting for a fix" and, with the yearly tick of
test_publish_due_queues_for_the_workers_and_run_points_to_them, never claimed again.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import pytest

import tests.conftest_db  # noqa: F401  (installs the sc_testplugin module the workers load)


def test_two_renders_of_one_card_interleaved_in_one_process_both_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin: Any = importlib.import_module("sc_testplugin")
    monkeypatch.setenv("SC_FRAMES", "1")
    real_replace = os.replace
    renames: list[str] = []

    def another_render_first(src: Any, dst: Any) -> None:
        # The worst interleaving, made certain: this render has written its temp file and is
        # about to move it into place when another thread renders the same card whole.
        if not renames:
            renames.append("another render starts")
            plugin._render(None, "card-a", "en", tmp_path)
        renames.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", another_render_first)
    frames = plugin._render(None, "card-a", "en", tmp_path)
    assert len(renames) == 3 and renames[1] != renames[2]  # each render moved its own temp file
    assert [f.path.name for f in frames] == ["01.png"]
    assert (tmp_path / "01.png").read_bytes() == b"card-a/en/1"
    assert [p.name for p in tmp_path.iterdir()] == ["01.png"]  # no temp file left behind
