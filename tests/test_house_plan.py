"""The house plan, enforced: imports run down the floors, no module circles, SQL only in ledger/.

The floors are the table in docs/architecture.md. A module may import from a lower floor or from
inside its own top-level unit; units on one floor marked as siblings may not import each other.
Imports under ``if TYPE_CHECKING:`` are types only and do not count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "storycast"

# Lowest floor first. A floor is (units, siblings): siblings may not import each other.
FLOORS: list[tuple[tuple[str, ...], bool]] = [
    (("__init__", "errors"), False),
    (("files", "units", "tomlsrc", "dates", "context", "resources", "media", "hookspecs"), False),
    (("yamlsrc", "secrets"), False),
    (("plugins",), False),
    (("config",), False),
    (("content",), False),
    (("project",), False),
    (("timetable", "ledger", "channels", "scaffold"), True),
    (("render",), False),  # may read a channel type's declared video variant and media limits
    (("guard",), False),
    (("engine",), False),
    (("engage", "kb"), True),
    (("web",), False),
    (("cli",), False),
]
FLOOR_OF = {unit: i for i, (units, _) in enumerate(FLOORS) for unit in units}
SQL_PACKAGES = ("sqlalchemy", "alembic")


@dataclass(frozen=True)
class Edge:
    src: str  # dotted module name, e.g. storycast.engine.tick
    dst: str  # dotted name imported (a module, or a package when the name is not a module)
    file: str
    line: int
    types_only: bool


def _modules(root: Path = SRC) -> dict[str, tuple[Path, bool]]:
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _resolve(module: str, is_pkg: bool, level: int, name: str | None) -> str | None:
    if not level:
        return name
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _edges_of(module: str, is_pkg: bool, tree: ast.AST, file: str, modules: set[str]) -> list[Edge]:
    edges: list[Edge] = []

    def wanted(name: str) -> bool:
        return name.split(".")[0] in ("storycast", *SQL_PACKAGES)

    def walk(node: ast.AST, types_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.body:
                    walk_one(sub, True)
                for sub in child.orelse:
                    walk_one(sub, types_only)
                continue
            walk_one(child, types_only)

    def walk_one(node: ast.AST, types_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if wanted(alias.name):
                    edges.append(Edge(module, alias.name, file, node.lineno, types_only))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_pkg, node.level, node.module)
            if base and wanted(base):
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    edges.append(
                        Edge(module, full if full in modules else base, file, node.lineno, types_only)
                    )
        elif isinstance(node, ast.Call) and _literal_import(node):
            name = _literal_import(node)
            assert name is not None
            if name.startswith("."):
                level = len(name) - len(name.lstrip("."))
                name = _resolve(module, is_pkg, level, name.lstrip(".") or None) or ""
            if wanted(name):
                edges.append(Edge(module, name, file, node.lineno, types_only))
        walk(node, types_only)

    walk(tree, False)
    return edges


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _literal_import(call: ast.Call) -> str | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name in ("import_module", "__import__") and call.args:
        arg = call.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


@cache
def import_graph(root: Path = SRC) -> tuple[set[str], list[Edge]]:
    modules = _modules(root)
    names = set(modules)
    edges: list[Edge] = []
    for module, (path, is_pkg) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges += _edges_of(module, is_pkg, tree, str(path.relative_to(root.parent)), names)
    return names, edges


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def upward(edges: list[Edge]) -> list[str]:
    """Edges that run up the floors, or sideways between siblings, as ``file:line src -> dst``."""
    bad = []
    for e in edges:
        if e.types_only or not e.dst.startswith("storycast"):
            continue
        src, dst = unit_of(e.src), unit_of(e.dst)
        if src == dst or (dst == "__init__" and e.dst != "storycast"):
            continue
        a, b = FLOOR_OF.get(src), FLOOR_OF.get(dst)
        if a is None or b is None:
            continue  # reported by test_every_unit_has_a_floor
        if b > a or (b == a and FLOORS[a][1]):
            bad.append(f"{e.file}:{e.line} {e.src} -> {e.dst} (floor {a} {src} imports floor {b} {dst})")
    return bad


def cycles(names: set[str], edges: list[Edge]) -> list[list[str]]:
    """Strongly connected module groups of more than one module (types-only imports left out)."""
    graph: dict[str, set[str]] = {n: set() for n in names}
    for e in edges:
        if e.types_only or e.src == e.dst:
            continue
        dst = e.dst
        while dst not in names and "." in dst:
            dst = dst.rsplit(".", 1)[0]
        if dst in names and dst != e.src:
            graph[e.src].add(dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def sql_outside_ledger(edges: list[Edge]) -> list[str]:
    return [
        f"{e.file}:{e.line} {e.src} imports {e.dst}"
        for e in edges
        if e.dst.split(".")[0] in SQL_PACKAGES and unit_of(e.src) != "ledger"
    ]


def test_every_unit_has_a_floor() -> None:
    names, _ = import_graph()
    missing = sorted({unit_of(n) for n in names} - set(FLOOR_OF))
    assert not missing, f"place these in FLOORS (and docs/architecture.md): {missing}"


def test_no_import_runs_up_the_floors() -> None:
    _, edges = import_graph()
    bad = upward(edges)
    assert not bad, "imports that run up the house plan:\n" + "\n".join(bad)


def test_no_module_circles() -> None:
    names, edges = import_graph()
    found = cycles(names, edges)
    assert not found, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in found)


def test_only_the_ledger_imports_sqlalchemy() -> None:
    _, edges = import_graph()
    bad = sql_outside_ledger(edges)
    assert not bad, "SQL belongs behind named ledger methods:\n" + "\n".join(bad)


def test_the_checker_catches_each_kind_of_violation(tmp_path: Path) -> None:
    pkg = tmp_path / "storycast"
    files = {
        "__init__.py": "",
        "errors.py": "",
        "ledger/__init__.py": "import sqlalchemy\n",
        "ledger/store.py": "from ..engine import tick\n",  # up: ledger is below engine
        "engine/__init__.py": "",
        "engine/tick.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..web import app\n",
        "engage/__init__.py": "from sqlalchemy import select\nfrom ..kb import site\n",  # SQL; sibling
        "kb/__init__.py": "",
        "kb/site.py": "import importlib\nimportlib.import_module('storycast.kb.other')\n",
        "kb/other.py": "from . import site\n",
        "web/__init__.py": "",
        "web/app.py": "",
    }
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text, encoding="utf-8")
    names, edges = import_graph(pkg)
    bad = upward(edges)
    assert any("storycast.ledger.store -> storycast.engine.tick" in b for b in bad)
    assert any("storycast.engage -> storycast.kb.site" in b for b in bad)
    assert not any("storycast.web" in b for b in bad), "a types-only import is not an arrow"
    assert sql_outside_ledger(edges) == ["storycast/engage/__init__.py:1 storycast.engage imports sqlalchemy"]
    assert ["storycast.kb.other", "storycast.kb.site"] in cycles(names, edges)


# --- the clock ---------------------------------------------------------------------------------
# Only context.py reads the wall clock; core takes the time from the context's clock (or a ``now``
# passed in). The CLI builds the clock, so cli/ may read it too. Durations (time.monotonic,
# perf_counter) are not the wall clock.
WALL_CLOCK_CALLS = {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time"}
# context.py's own helpers read the wall clock too; calling them bypasses the injected clock.
CLOCK_BYPASS_CALLS = {"utcnow", "wall_timestamp"}
WALL_CLOCK_FREE = ("storycast/context.py", "storycast/cli/")
# Reads that remain, each with the reason; a waiver that no longer matches fails the test.
WALL_CLOCK_WAIVERS = {
    ("storycast/render/prune.py", "wall_timestamp"): "prune, scan and auto_prune default `now` to the real "
    "time when the caller passes none; goes when cli/cache.py and cli/render.py pass "
    "context.clock.wall().timestamp() (plan W5.5)",
    ("storycast/engage/frames.py", "utcnow"): "a poll rendered without a publish time (KindSource.render) "
    "dates its closing from the real time; the one caller without a time is engine/scaleout/runtime.py "
    "(FrameCache(self.project) with no now), which must pass its clock's time first",
}


def wall_clock_reads(root: Path = SRC) -> list[tuple[str, str, int]]:
    """(file, call, line) of every wall-clock read outside context.py and cli/."""
    found: list[tuple[str, str, int]] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel.startswith(WALL_CLOCK_FREE):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        bare_time = any(  # from time import time
            isinstance(n, ast.ImportFrom) and n.module == "time" and any(a.name == "time" for a in n.names)
            for n in ast.walk(tree)
        )
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            last_two = ".".join(name.split(".")[-2:])
            last = name.split(".")[-1]
            if last_two in WALL_CLOCK_CALLS or last in CLOCK_BYPASS_CALLS or (bare_time and name == "time"):
                found.append((rel, last_two if last_two in WALL_CLOCK_CALLS else last, node.lineno))
    return found


def test_no_wall_clock_reads_in_core() -> None:
    reads = wall_clock_reads()
    bad = [f"{f}:{line} calls {call}" for f, call, line in reads if (f, call) not in WALL_CLOCK_WAIVERS]
    assert not bad, "take the time from the context's clock (or a now passed in):\n" + "\n".join(bad)
    used = {(f, call) for f, call, _ in reads}
    stale = [f"{f} {call}" for f, call in WALL_CLOCK_WAIVERS if (f, call) not in used]
    assert not stale, "these waivers no longer match a read; delete them:\n" + "\n".join(stale)


def test_the_clock_check_catches_each_kind(tmp_path: Path) -> None:
    pkg = tmp_path / "storycast"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "context.py").write_text("import time\nT = time.time()\n")
    (pkg / "cli" / "x.py").write_text("from datetime import datetime\nN = datetime.now()\n")
    (pkg / "a.py").write_text(
        "import datetime as dt\nimport time\nfrom datetime import date\n"
        "A = dt.datetime.now(dt.UTC)\nB = date.today()\nC = time.time()\nD = time.monotonic()\n"
    )
    (pkg / "b.py").write_text(
        "from time import time\nfrom .context import utcnow\nE = time()\nF = utcnow()\n"
        "G = __import__('datetime').datetime.utcnow()\n"
    )
    got = sorted((f, call) for f, call, _ in wall_clock_reads(pkg))
    assert got == [
        ("storycast/a.py", "date.today"),
        ("storycast/a.py", "datetime.now"),
        ("storycast/a.py", "time.time"),
        ("storycast/b.py", "datetime.utcnow"),
        ("storycast/b.py", "time"),
        ("storycast/b.py", "utcnow"),
    ]
