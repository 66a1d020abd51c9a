"""The plugin manager: built-ins and entry points load once through the same hooks; a real
third-party channel package installed with pip publishes, reports insights and poll results."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from storycast import plugins
from storycast.channels.base import Capabilities, Channel
from storycast.channels.registry import channel_types
from storycast.errors import ConfigError
from storycast.hookspecs import hookimpl
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML
from tests.plugin_support import build_wheel

REPO = Path(__file__).resolve().parent.parent


class _Twin(Channel):
    type_name = "local"  # clashes with the built-in
    capabilities = Capabilities()


class _TwinPlugin:
    @hookimpl
    def register_channel_types(self) -> list[type[Channel]]:
        return [_Twin]


def test_builtins_load_once_under_threads() -> None:
    plugins.reload()
    seen: list[dict[str, Any]] = []
    barrier = threading.Barrier(8)

    def look() -> None:
        barrier.wait()
        seen.append(channel_types())

    threads = [threading.Thread(target=look) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(s == seen[0] for s in seen)
    assert seen[0]["local"].origin == "built-in"
    names = [i.name for i in plugins.loaded()]
    assert names[: len(plugins.DEFAULT_PLUGINS)] == list(plugins.DEFAULT_PLUGINS)
    assert len(names) == len(set(names))


def test_duplicate_channel_type_names_both_origins() -> None:
    plugins.add(_TwinPlugin(), name="twin", origin="plugin twin (tests)")
    try:
        with pytest.raises(ConfigError, match=r"'local' is registered twice: by built-in and by plugin twin"):
            channel_types()
    finally:
        plugins.remove("twin")
    assert channel_types()["local"].origin == "built-in"


def test_after_tick_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Boom:
        @hookimpl
        def after_tick(self, now: datetime) -> dict[str, int]:
            raise RuntimeError("metrics API down")

    class Count:
        @hookimpl
        def after_tick(self, report: Any) -> dict[str, int]:
            return {"widgets": 2}

    plugins.add(Boom(), name="boom")
    plugins.add(Count(), name="count")
    try:
        with caplog.at_level(logging.WARNING, logger="storycast.plugins"):
            got = plugins.run_after_tick(project=None, context=None, ledger=None, now=None, report=None)
    finally:
        plugins.remove("boom")
        plugins.remove("count")
    assert got["widgets"] == 2
    assert "after-tick step of plugin boom failed: metrics API down" in caplog.text


def test_plugin_rule_with_a_check_runs(make_project: Any) -> None:
    from storycast.guard.check import check_story
    from storycast.guard.registry import Rule, RuleInput
    from storycast.project import Project

    def no_router(given: RuleInput) -> None:
        if "csat" in given.item.id:
            given.emitter.emit("acme.no-csat", f"{given.item.id} says CSAT")

    class Rules:
        @hookimpl
        def register_lint_rules(self) -> list[Rule]:
            return [
                Rule("acme.no-csat", "warning", "content", "No jargon.", "Say satisfaction.", check=no_router)
            ]

    poll = (REPO / "stories" / "csat-weekly.yaml").read_text(encoding="utf-8")
    toml = '[project]\nname = "T"\nlanguages = ["en", "es", "th", "hi", "sr", "ar"]\n'
    project = Project.load(make_project({"stories/csat-weekly.yaml": poll}, toml=toml))
    plugins.add(Rules(), name="rules")
    try:
        findings = check_story(project, project.content.extras["poll"]["csat-weekly"], ["en"])
    finally:
        plugins.remove("rules")
    assert [f.message for f in findings if f.rule == "acme.no-csat"] == ["csat-weekly says CSAT"]


def test_plugin_commands_are_added_and_clashes_fail() -> None:
    import typer

    def hello() -> None:
        """Say hello."""

    class Commands:
        @hookimpl
        def register_commands(self, app: typer.Typer) -> None:
            app.command("hello")(hello)

    app = typer.Typer()
    app.command("hello-world")(hello)
    plugins.add(Commands(), name="cmds", origin="plugin cmds (tests)")
    try:
        assert plugins.register_commands(app)["hello"] == "plugin cmds (tests)"
        with pytest.raises(ConfigError, match="command 'hello' is registered twice"):
            plugins.register_commands(app)
    finally:
        plugins.remove("cmds")
        plugins.reload()


# ---- a real third-party package --------------------------------------------------------------

ACME = '''
"""storycast-acme: a channel that writes each post to a folder, with insights and native polls."""
from __future__ import annotations

import json
from pathlib import Path

from storycast.channels.base import Capabilities, Channel, PublishRequest, PublishResult
from storycast.hookspecs import hookimpl


class AcmeChannel(Channel):
    type_name = "acme"
    capabilities = Capabilities(images=True, insights=True, polls_native=True)

    class Options(Channel.Options):
        folder: str

    def publish(self, request: PublishRequest) -> PublishResult:
        folder = Path(self.options.folder)
        folder.mkdir(parents=True, exist_ok=True)
        body = {"ref": request.ref, "lang": request.lang, "frame": request.frame_index,
                "poll": request.poll is not None}
        (folder / f"{request.idempotency_key}.json").write_text(json.dumps(body))
        return PublishResult(remote_id="acme-" + request.idempotency_key[:8])

    def fetch_insights(self, remote_id: str) -> dict[str, int] | None:
        return {"reach": 7, "views": 9}

    def poll_results(self, remote_id: str) -> dict[int, int] | None:
        return {1: 3, 2: 5}


@hookimpl
def register_channel_types():
    return [AcmeChannel]
'''

TOML = """\
[project]
name = "Acme test"
languages = ["en", "es", "th", "hi", "sr", "ar"]
timezone = "UTC"

[channels.acme]
type = "acme"
folder = "{folder}"
"""

SCHEDULE = """\
timezone: UTC
entries:
  - poll: csat-weekly
    at: "2026-12-01T09:00"
    channels: [acme]
    languages: [en]
"""


def test_third_party_channel_package(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path / "dist",
        dist="storycast-acme",
        version="0.1",
        module="storycast_acme",
        source=ACME,
        entry_points={"storycast": {"acme": "storycast_acme"}},
    )
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    assert (site / "storycast_acme.py").is_file()
    root = tmp_path / "project"
    (root / "stories").mkdir(parents=True)
    (root / "schedules").mkdir()
    for name in ("reset-router.yaml", "csat-weekly.yaml"):
        (root / "stories" / name).write_text(
            (REPO / "stories" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    shutil.copytree(REPO / "assets" / "samples", root / "assets" / "samples")
    out_dir = tmp_path / "posts"
    (root / "storycast.toml").write_text(TOML.format(folder=out_dir), encoding="utf-8")
    (root / "schedules" / "polls.yaml").write_text(SCHEDULE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYCAST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO / "src")])

    def run(*args: str) -> Any:
        cmd = [sys.executable, "-c", "from storycast.cli import main; main()", "--project", str(root), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return json.loads(done.stdout) if "--json" in args else done.stdout

    types = {t["type"]: t for t in run("channels", "list", "--json")["types"]}
    assert types["acme"]["origin"] == "plugin acme (storycast_acme)"
    assert types["local"]["origin"] == "built-in"

    listed = {p["name"]: p for p in run("plugins", "--json")["plugins"]}
    acme = listed["acme"]
    assert (acme["distribution"], acme["version"], acme["module"]) == (
        "storycast-acme",
        "0.1",
        "storycast_acme",
    )
    assert acme["hooks"] == ["register_channel_types"] and acme["provides"]["channel_types"] == ["acme"]
    assert acme["origin"] == "plugin acme (storycast_acme)" and not acme["builtin"]
    assert all(p["origin"] == "built-in" for n, p in listed.items() if n != "acme")
    assert "plugin acme (storycast_acme)  storycast_acme  [storycast-acme 0.1]" in run("plugins")

    # A manual publish of a story, then the scheduled poll.
    run("publish", "reset-router", "--channel", "acme", "--lang", "en", "--now", "2026-12-01T08:00:00Z")
    stories = [json.loads(p.read_text()) for p in out_dir.glob("*.json")]
    assert stories and {s["ref"] for s in stories} == {"reset-router"}
    report = run("publish", "--due", "--now", "2026-12-01T09:00:30Z", "--json")
    assert report["published"] == 1, report
    polls = [s for s in (json.loads(p.read_text()) for p in out_dir.glob("*.json")) if s["poll"]]
    assert [(p["ref"], p["lang"]) for p in polls] == [("csat-weekly", "en")]

    got = run("insights", "collect", "--all", "--now", "2026-12-01T10:00:00Z", "--json")
    assert got["captured"] >= 1, got
    captured = [i for i in got["items"] if "reach" in json.dumps(i)]
    assert captured, got
    assert all('"reach": 7' in json.dumps(i) and '"views": 9' in json.dumps(i) for i in captured), got

    got = run("insights", "collect", "--now", "2026-12-02T09:30:00Z", "--json")
    assert got["polls"] == 1, got
    results = run("polls", "results", "csat-weekly", "--json", "--chart", str(tmp_path / "chart.png"))
    assert json.dumps(results).count("acme") >= 1, results
    status = subprocess.run(
        ["git", "status", "--porcelain", "src/"], cwd=REPO, capture_output=True, text=True
    )
    assert "storycast_acme" not in status.stdout


def test_builtin_hooks_table_names_what_each_builtin_implements() -> None:
    import importlib

    assert tuple(plugins.BUILTIN_HOOKS) == plugins.DEFAULT_PLUGINS
    for modname, hooks in plugins.BUILTIN_HOOKS.items():
        module = importlib.import_module(modname)
        found = set()
        for attr in vars(module).values():
            opts = getattr(attr, "storycast_impl", None)
            if callable(attr) and isinstance(opts, dict):
                found.add(opts.get("specname") or attr.__name__)
        assert found == set(hooks), modname


def test_reading_channel_types_imports_only_the_channels_plugin() -> None:
    code = (
        "import sys\n"
        "from storycast import plugins\n"
        "from storycast.channels.registry import channel_types\n"
        "types = channel_types()\n"
        "others = ('timetable', 'content', 'guard', 'engine', 'engage')\n"
        "units = {m: m.split('.')[1] for m in sys.modules if m.startswith('storycast.')}\n"
        "print(sorted(types), sorted(m for m, unit in units.items() if unit in others))\n"
        "print([i.name for i in plugins.loaded()])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    first, second = out.splitlines()
    assert "'local'" in first and first.endswith("[]"), first
    assert second == repr(list(plugins.DEFAULT_PLUGINS))  # loaded() imports the rest, in order


def test_an_entry_point_loaded_before_a_lazy_builtin_still_comes_after_it(tmp_path: Path) -> None:
    from tests.plugin_support import install_plugin

    source = (
        "from storycast.hookspecs import hookimpl\n"
        "from storycast.timetable.kinds import StoryKind\n"
        "class Twin(StoryKind):\n"
        "    pass\n"
        "@hookimpl\n"
        "def register_entry_kinds():\n"
        "    return [Twin()]\n"
    )
    root = install_plugin("storycast_twin_kind", "twinkind", source)
    try:
        origins = [p.origin for p in plugins.collect("register_entry_kinds")]
        # Other test plugins may be installed too (tests/conftest_db.py): only the order matters.
        builtin = [i for i, origin in enumerate(origins) if origin == "built-in"]
        twin = [i for i, origin in enumerate(origins) if origin.startswith("plugin twinkind")]
        assert builtin and twin and max(builtin) < min(twin), origins
        with pytest.raises(ConfigError, match=r"registered twice: by built-in and by plugin twinkind"):
            plugins.view("register_entry_kinds")
    finally:
        sys.path.remove(str(root))
        shutil.rmtree(root, ignore_errors=True)
        plugins.reload()


def test_builtin_channel_types_table_names_what_the_channels_plugin_registers() -> None:
    # In a fresh interpreter: plugins other tests of this process installed are not there.
    code = (
        "import json\n"
        "from storycast import plugins\n"
        "from storycast.channels.plugin import register_channel_types\n"
        "from storycast.channels.registry import channel_types\n"
        "lazy = {n: plugins.builtin_channel_type(n) for n in plugins.BUILTIN_CHANNEL_TYPES}\n"
        "hook = {c.type_name: c for c in register_channel_types()}\n"
        "full = {n: r.cls for n, r in channel_types().items()}\n"
        "print(json.dumps([sorted(hook), [n for n in hook if lazy.get(n) is not hook[n]],\n"
        "    [n for n in hook if full[n] is not hook[n]]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    names, lazy_differs, full_differs = json.loads(out)
    assert names == sorted(plugins.BUILTIN_CHANNEL_TYPES)
    assert lazy_differs == [] and full_differs == []


def test_loading_a_project_imports_only_the_channel_types_it_names(make_project: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML)
    code = (
        "import json, sys\n"
        "from storycast.project import Project\n"
        "from storycast.channels.registry import enabled_of_kind\n"
        f"project = Project.load({str(root)!r})\n"
        "kinds = enabled_of_kind(project, 'storycast.channels.handoff:HandoffChannel')\n"
        "types = sorted({s.type for s in project.config.channels.values()})\n"
        "mods = ('local', 'instagram', 'facebook', 'telegram', 'whatsapp', 'webhook', 'handoff')\n"
        "loaded = sorted(m for m in mods if 'storycast.channels.' + m in sys.modules)\n"
        "print(json.dumps([types, kinds, loaded]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    types, kinds, loaded = json.loads(out)
    assert types == ["local"] and kinds == []
    assert loaded == ["local"]  # not the eight other types, not the hand-off channel


def test_a_plugin_with_channel_types_still_gets_a_clash_reported_at_load(make_project: Any) -> None:
    from storycast.project import Project

    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML)
    plugins.add(_TwinPlugin(), name="twin", origin="plugin twin (tests)")
    try:
        with pytest.raises(ConfigError, match=r"'local' is registered twice"):
            Project.load(root)
    finally:
        plugins.remove("twin")
    Project.load(root)


def test_enabled_of_kind_by_name_matches_by_class(make_project: Any) -> None:
    from storycast.channels.handoff import HandoffChannel
    from storycast.channels.local import LocalChannel
    from storycast.channels.registry import enabled_of_kind
    from storycast.project import Project

    toml = MINIMAL_TOML + '\n[channels.desk]\ntype = "handoff"\nassignee = "Ana"\n'
    project = Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=toml))
    for base in (HandoffChannel, LocalChannel):
        by_name = enabled_of_kind(project, f"{base.__module__}:{base.__qualname__}")
        assert by_name == enabled_of_kind(project, base)
    assert enabled_of_kind(project, HandoffChannel) == ["desk"]
