"""Shared fixtures: build projects from dicts of files, run the CLI in-process."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# tests/video_extras/ needs moviepy, which caps Pillow below 12. The main suite runs on the Pillow
# a plain install resolves, so that folder is never collected here unless named on the command
# line: .ci/run runs it in a venv of its own (.venv-moviepy) with `pytest tests/video_extras`.
collect_ignore = ["video_extras"]

MINIMAL_TOML = """\
[project]
name = "Test project"
languages = ["en", "es", "th", "hi", "sr"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"
"""

MINIMAL_STORY = """\
id: sample
template: tutorial
category: connectivity
languages: [en, es]
title:
  en: Restart your modem
  es: Reinicia tu módem
steps:
  - title:
      en: Unplug it
      es: Desconéctalo
    text:
      en: Wait ten seconds.
      es: Espera diez segundos.
  - title:
      en: Plug it back in
      es: Vuelve a conectarlo
    text:
      en: Wait for the light to turn green.
      es: Espera a que la luz se ponga verde.
"""


def build_file_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; text is dedented."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path):
    """Factory: make_project({"stories/x.yaml": "..."}) -> project root with a minimal storycast.toml."""

    def _make(files: Mapping[str, str | bytes] | None = None, *, toml: str = MINIMAL_TOML) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        build_file_tree(root, {"storycast.toml": toml, **(files or {})})
        return root

    return _make


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``storycast ARGS`` in-process; return (exit_code, stdout, stderr)."""
    from storycast.cli import main

    def _run(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium, headless, through Playwright: one per test module (a module that needs
    other switches defines its own)."""
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _no_ambient_project(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests name their project explicitly; an exported STORYCAST_PROJECT/DB must not leak in.
    monkeypatch.delenv("STORYCAST_PROJECT", raising=False)
    if os.environ.get("STORYCAST_TEST_KEEP_DB") != "1":
        monkeypatch.delenv("STORYCAST_DB", raising=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """In CI nothing may be skipped for a missing dependency: a skip there is a failure."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must install every dependency: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """The same for a whole test module skipped at import (a missing browser, say)."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must install every dependency: {reason}"
