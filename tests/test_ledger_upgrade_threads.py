"""Two threads of one process opening a new ledger at once (a request of `storycast serve` and
a command's own ledger) migrate it once: alembic's module globals do not survive two upgrades
running side by side."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storycast.ledger import db


def test_two_threads_migrate_a_new_ledger_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    inside = threading.Event()
    release = threading.Event()
    calls: list[str] = []
    real = db._upgrade

    def slow_upgrade(engine, url, target):  # type: ignore[no-untyped-def]
        calls.append(threading.current_thread().name)
        inside.set()
        assert release.wait(30)
        real(engine, url, target)

    monkeypatch.setattr(db, "_upgrade", slow_upgrade)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            engine = db.make_engine(url)
            db.upgrade(engine, url)
            engine.dispose()
        except BaseException as exc:  # reported below
            errors.append(exc)

    first = threading.Thread(target=open_it, name="first")
    first.start()
    assert inside.wait(30)  # the first thread is migrating
    second = threading.Thread(target=open_it, name="second")
    second.start()
    second.join(0.5)  # the second waits for the first rather than migrating too
    release.set()
    first.join(60)
    second.join(60)
    assert not errors
    assert calls == ["first"]
    engine = db.make_engine(url)
    with engine.connect() as conn:
        assert db.current_revision(conn) == db.file_head()
    engine.dispose()
