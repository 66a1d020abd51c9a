"""The hostile-input corpus for the command line: one case a line in ``tests/hostile/*.yaml``.

Each case mutates a copy of a small base project (a file replaced, appended to, patched, made of
raw bytes or a symbolic link), runs one command in-process and checks what every hostile input must
get: a clear message naming the file or option at fault, the documented exit code, never a
traceback or an exit 70, never a secret, and the ledger left as it was. The fields are described in
``tests/hostile/README.md``.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

CORPUS = Path(__file__).resolve().parent / "hostile"
SECRET = "s3cr3t-hostile-token"
FIELDS = {
    "id", "write", "append", "replace", "write_raw", "append_raw", "symlink", "repeat", "env",
    "run", "exit", "names", "says", "not_says", "ledger", "timeout",
}  # fmt: skip
BASE_SCHEDULE = """\
timezone: Europe/Madrid
entries:
  - id: sample-daily
    story: sample
    cron: "0 10 * * *"
    channels: [local]
    languages: [en, es]
    grace: 2h
"""
BASE_NOW = "2026-12-01T10:05:00+01:00"


def _load_cases() -> list[Any]:
    cases: list[Any] = []
    seen: set[str] = set()
    for path in sorted(CORPUS.glob("*.yaml")):
        if path.name == "web.yaml":
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.startswith("- "):
                continue  # comments, blank lines
            (case,) = yaml.safe_load(line)
            where = f"{path.name}:{lineno}"
            unknown = set(case) - FIELDS
            assert not unknown, f"{where}: unknown field(s) {sorted(unknown)}"
            for required in ("id", "run", "exit", "names"):
                assert required in case, f"{where}: a case needs {required!r}"
            cid = f"{path.stem}:{case['id']}"
            assert cid not in seen, f"{where}: duplicate id {case['id']!r}"
            seen.add(cid)
            cases.append(pytest.param(case, id=cid))
    return cases


CASES = _load_cases()


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base project, with a ledger that has published one day's posts already."""
    from storycast.cli import main

    root = tmp_path_factory.mktemp("hostile") / "base"
    build_file_tree(
        root,
        {
            "storycast.toml": MINIMAL_TOML,
            "stories/sample.yaml": MINIMAL_STORY,
            "schedules/main.yaml": BASE_SCHEDULE,
        },
    )
    old = {k: os.environ.pop(k, None) for k in ("STORYCAST_PROJECT", "STORYCAST_DB")}
    try:
        with pytest.raises(SystemExit) as exc:
            main(["-P", str(root), "publish", "--due", "--now", BASE_NOW])
    finally:
        for k, v in old.items():
            if v is not None:
                os.environ[k] = v
    assert exc.value.code in (0, None), "the base project must publish cleanly"
    assert (root / ".storycast" / "state.db").is_file()
    return root


def _ledger_digest(root: Path) -> str:
    """The ledger's rows (not the file's bytes: SQLite may rewrite pages without changing rows)."""
    import sqlite3

    db = root / ".storycast" / "state.db"
    if not db.exists():
        return "absent"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        query = "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
        tables = [r[0] for r in con.execute(query)]
        for table in tables:
            digest.update(table.encode())
            for row in con.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        con.close()


def _mutate(root: Path, case: dict[str, Any]) -> None:
    for rel, text in (case.get("write") or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, text in (case.get("write_raw") or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("latin-1"))
    for rel, text in (case.get("append") or {}).items():
        with (root / rel).open("a", encoding="utf-8") as fh:
            fh.write(text)
    for rel, text in (case.get("append_raw") or {}).items():
        with (root / rel).open("ab") as fh:
            fh.write(text.encode("latin-1"))
    for rel, (old, new) in (case.get("replace") or {}).items():
        path = root / rel
        body = path.read_text(encoding="utf-8")
        assert old in body, f"replace: {old!r} is not in {rel}"
        path.write_text(body.replace(old, new, 1), encoding="utf-8")
    for rel, (text, count) in (case.get("repeat") or {}).items():
        with (root / rel).open("a", encoding="utf-8") as fh:
            fh.write(text * int(count))
    for rel, target in (case.get("symlink") or {}).items():
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target)


class _Hang(Exception):
    pass


@pytest.fixture
def deadline() -> Iterator[Any]:
    """Fail a case that runs past its timeout instead of hanging the suite."""

    def _arm(seconds: float) -> None:
        def _ring(signum: int, frame: Any) -> None:
            raise _Hang(f"no result after {seconds} s")

        signal.signal(signal.SIGALRM, _ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield _arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _fragments(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize("case", CASES)
def test_hostile_input(
    case: dict[str, Any], base_project: Path, tmp_path: Path, run_cli: Any, deadline: Any
) -> None:
    root = tmp_path / "project"
    shutil.copytree(base_project, root, symlinks=True)
    _mutate(root, case)
    before = _ledger_digest(root)
    env = {"STORYCAST_TEST_SECRET": SECRET, **{k: str(v) for k, v in (case.get("env") or {}).items()}}
    args = ["-P", str(root), *shlex.split(case["run"].replace("{project}", str(root)))]
    deadline(float(case.get("timeout", 60)))
    try:
        code, out, err = run_cli(*args, env=env)
    except _Hang as exc:
        pytest.fail(f"{case['id']}: storycast {case['run']!r} hung: {exc}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    output = out + err
    shown = f"storycast {case['run']} -> exit {code}\n{output[-3000:]}"
    assert "Traceback (most recent call last)" not in output, shown
    assert code != 70, shown
    assert code == case["exit"], shown
    for fragment in [*_fragments(case["names"]), *_fragments(case.get("says"))]:
        assert fragment in output, f"{fragment!r} not printed:\n{shown}"
    for fragment in [SECRET, *_fragments(case.get("not_says"))]:
        assert fragment not in output, f"{fragment!r} printed:\n{shown}"
    if case.get("ledger", "unchanged") == "unchanged":
        assert _ledger_digest(root) == before, f"the ledger changed:\n{shown}"
