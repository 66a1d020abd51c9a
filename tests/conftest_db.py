"""Engine test fixtures: a database per backend, a recorder channel plugin, small projects.

Import the fixtures you use from here (``from tests.conftest_db import db_url, ...``).

* ``db_url``: parametrized over SQLite (a file in tmp_path) and PostgreSQL (a fresh schema in a
  per-session database ``storycast_test_<random>`` on 127.0.0.1:5432, dropped afterwards).
* The ``recorder`` channel type and the ``card`` content kind live in a real plugin package
  (a module plus a ``.dist-info`` with an entry point) written to a temporary folder that is
  on ``sys.path`` here and on ``PYTHONPATH`` for subprocesses. The recorder writes one file
  per idempotency key, exclusively (hard link), so a duplicate publication fails loudly, and it can be
  told through ``SC_CRASH`` to ``os._exit`` before or after the "platform" call.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.plugin_support import install_plugin

REPO = Path(__file__).resolve().parent.parent

PLUGIN = '''
"""storycast test plugin: the `recorder` channel and the `card` content kind."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from storycast.channels.base import (
    AmbiguousOutcome, Capabilities, Channel, NeedsAuth, PermanentFailure, PublishRequest,
    PublishResult, RetryableFailure,
)
from storycast.engine.frames import Frame, KindSource
from storycast.hookspecs import hookimpl
from storycast.timetable.kinds import EntryKind

CARDS = {"card-a": ("en", "es"), "card-b": ("en",)}
_calls = {"n": 0}


class RecorderChannel(Channel):
    type_name = "recorder"
    capabilities = Capabilities(images=True)

    class Options(Channel.Options):
        log_dir: str
        mode: str = "ok"

    def publish(self, request: PublishRequest) -> PublishResult:
        _calls["n"] += 1
        n = _calls["n"]
        crash, _, nth = os.environ.get("SC_CRASH", "").partition(":")
        hit = crash and (not nth or int(nth) == n)
        if hit and crash == "before_call":
            os._exit(9)
        mode = os.environ.get("SC_MODE", self.options.mode)
        if mode == "retryable":
            raise RetryableFailure("the platform is busy (HTTP 503)")
        if mode == "permanent":
            raise PermanentFailure("the platform rejected the media (HTTP 400)")
        if mode == "needs_auth":
            raise NeedsAuth("the token expired")
        log = Path(self.options.log_dir)
        log.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"row": request.row_id, "ref": request.ref, "lang": request.lang,
                           "frame": request.frame_index, "channel": self.name, "pid": os.getpid(),
                           "t": time.time_ns(), "key": request.idempotency_key})
        # Write the body aside, then hard-link it into place: link() fails when the name exists
        # (exclusive like O_EXCL) and readers never see a half-written file.
        tmp = log / f".tmp-{os.getpid()}-{n}"
        tmp.write_text(body)
        try:
            os.link(tmp, log / request.idempotency_key)
        except FileExistsError:
            (log / f"DUPLICATE-{request.idempotency_key}-{os.getpid()}-{n}").write_text(body)
            raise PermanentFailure("DUPLICATE publication of " + request.idempotency_key) from None
        finally:
            tmp.unlink()
        if hit and crash == "after_call":
            os._exit(9)
        if mode == "ambiguous":
            raise AmbiguousOutcome("the connection dropped after the upload")
        remote = "rec-" + request.idempotency_key[:10]
        return PublishResult(remote_id=remote, request_id=f"req-{os.getpid()}-{n}")


class CardKind(EntryKind):
    name = "card"

    def refs(self, project):
        return CARDS


def _frames(project, ref):
    return int(os.environ.get("SC_FRAMES", "5"))


def _render(project, ref, lang, out_dir):
    frames = []
    for i in range(1, _frames(project, ref) + 1):
        path = Path(out_dir) / f"{i:02d}.png"
        data = f"{ref}/{lang}/{i}".encode()
        if not path.exists():
            # A temp file of this call's own: a worker's jobs render the same card in several
            # threads of one process at once, and a name per process let one thread move
            # another's file away (FileNotFoundError: the row was held, its channel stalled).
            fd, tmp = tempfile.mkstemp(prefix=f".{i:02d}-", suffix=".tmp", dir=out_dir)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        import hashlib
        frames.append(Frame(i, path, hashlib.sha256(data).hexdigest(), alt=f"{ref} {i}"))
    return frames


@hookimpl
def register_channel_types():
    return [RecorderChannel]


@hookimpl
def register_entry_kinds():
    return [CardKind()]


@hookimpl
def register_kind_sources():
    return {"card": KindSource(_frames, _render)}
'''


PLUGIN_DIR = install_plugin("sc_testplugin", "recorder", PLUGIN)


def subprocess_env(db_url: str, **extra: str) -> dict[str, str]:
    """Environment for a storycast subprocess: the plugin on PYTHONPATH, the DB URL, short DB timeouts."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), str(REPO / "src"), env.get("PYTHONPATH", "")])
    env["STORYCAST_DB"] = db_url
    env.setdefault("STORYCAST_DB_TIMEOUT", "30")
    env.pop("SC_CRASH", None)
    env.update(extra)
    return env


def run_storycast(
    args: list[str], env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-c", CLI_SHIM, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


CLI_SHIM = "import sys; from storycast.cli import main; sys.argv[0] = 'storycast'; main()"


TOML = """\
[project]
name = "Engine test"
languages = ["en", "es"]
timezone = "UTC"

[channels.rec]
type = "recorder"
log_dir = "{log_dir}"

[channels.local]
type = "local"
{extra}
"""


def make_engine_project(
    root: Path,
    schedules: Mapping[str, str],
    *,
    extra_toml: str = "",
    stories: Mapping[str, str] | None = None,
) -> Path:
    """A project with the recorder and local channels and the given schedule files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "stories").mkdir(exist_ok=True)
    (root / "schedules").mkdir(exist_ok=True)
    (root / "storycast.toml").write_text(
        TOML.format(log_dir=str(root / "calls"), extra=extra_toml), encoding="utf-8"
    )
    for name, text in schedules.items():
        (root / "schedules" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in (stories or {}).items():
        (root / "stories" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def calls(root: Path) -> list[dict[str, object]]:
    """Every recorded publication (and fail on a duplicate)."""
    import json

    folder = root / "calls"
    if not folder.is_dir():
        return []
    dups = sorted(p.name for p in folder.glob("DUPLICATE-*"))
    assert not dups, f"duplicate publications: {dups}"
    return [json.loads(p.read_text()) for p in folder.iterdir() if not p.name.startswith(".")]


# -- databases --------------------------------------------------------------------------------


def _admin_dsn() -> str | None:
    """A DSN for creating databases: the `test` database, else the always-present `postgres`."""
    import psycopg

    for dbname in ("test", "postgres"):
        dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}"
        try:
            psycopg.connect(dsn, connect_timeout=3).close()
            return dsn
        except Exception:
            continue
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    admin = _admin_dsn()
    if admin is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    name = f"storycast_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_schema_url(base: str) -> str:
    """A new empty schema in the session database; the URL sets search_path to it."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dbname = base.rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty state database: SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return pg_schema_url(request.getfixturevalue("pg_database"))
