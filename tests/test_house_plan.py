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
    (("files", "units", "tomlsrc", "dates", "context", "resources", "media", "hookspecs", "versions"), False),
    (("yamlsrc", "secrets"), False),
    (("plugins",), False),
    (("config",), False),
    (("content",), False),
    (("project",), False),
    (("timetable", "ledger", "channels", "scaffold"), True),
    (("render",), False),  # may read a channel type's declared video variant and media limits
    (("i18n",), False),
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


# The one module-level __getattr__ left: ``storycast.cli.app`` registers every command on first use
# (docs generation and tests read it; ``storycast --help`` must not pay for it).
GETATTR_ALLOWED = ("storycast/cli/__init__.py",)
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _is_sys_modules(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "modules" and ast.unparse(node.value) == "sys"


def _names_storycast(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.startswith("storycast.")
    if isinstance(node, ast.JoinedStr) and node.values:
        return _names_storycast(node.values[0])
    return False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return False
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(ast.unparse(t).rsplit(".", 1)[-1] in _IMPORT_ERRORS for t in types)


def _imports_storycast(body: list[ast.stmt]) -> bool:
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").split(".")[0] == "storycast"
            ):
                return True
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "storycast" for a in node.names):
                return True
            if isinstance(node, ast.Call) and _literal_import(node) is not None:
                return (_literal_import(node) or "").startswith("storycast")
    return False


def facades_and_probes(root: Path = SRC) -> list[str]:
    """Lazy facades, module class swaps, ``sys.modules`` probes and stripped-install import guards."""
    bad: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        top: list[ast.stmt] = list(tree.body)
        while top:  # module level, including under top-level if/try blocks
            stmt = top.pop()
            if (
                isinstance(stmt, ast.FunctionDef)
                and stmt.name == "__getattr__"
                and rel not in GETATTR_ALLOWED
            ):
                bad.append(f"{rel}:{stmt.lineno} module-level __getattr__ (a lazy facade)")
            elif isinstance(stmt, ast.If | ast.Try):
                top.extend([*stmt.body, *stmt.orelse])
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "__class__" for t in targets):
                bad.append(f"{rel}:{node.lineno} assigns a module's __class__")
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "setattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "__class__"
            ):
                bad.append(f"{rel}:{node.lineno} assigns a module's __class__")
            if isinstance(node, ast.Compare) and _names_storycast(node.left):
                for op, right in zip(node.ops, node.comparators, strict=True):
                    if isinstance(op, ast.In | ast.NotIn) and _is_sys_modules(right):
                        bad.append(f"{rel}:{node.lineno} tests sys.modules for a storycast module")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _is_sys_modules(node.func.value)
                and node.args
                and _names_storycast(node.args[0])
            ):
                bad.append(f"{rel}:{node.lineno} looks a storycast module up in sys.modules")
            if (
                isinstance(node, ast.Try)
                and any(_catches_import_error(h) for h in node.handlers)
                and _imports_storycast(node.body)
            ):
                bad.append(f"{rel}:{node.lineno} guards a storycast import with except ImportError")
    return bad


def test_no_facades_or_probes() -> None:
    bad = facades_and_probes()
    assert not bad, "import the submodule that defines a name, and import it plainly:\n" + "\n".join(bad)


def test_the_facade_check_catches_each_kind(tmp_path: Path) -> None:
    pkg = tmp_path / "storycast"
    files = {
        "__init__.py": "",
        "cli/__init__.py": "def __getattr__(name):\n    raise AttributeError(name)\n",
        "engine/__init__.py": (
            "import sys\nsys.modules[__name__].__class__ = type\n"
            "def __getattr__(name):\n    raise AttributeError(name)\n"
        ),
        "engage/__init__.py": "import sys\nLOADED = 'storycast.engine.frames' in sys.modules\n",
        "engine/tick.py": "try:\n    from ..engage import insights\nexcept ImportError:\n    pass\n",
        "secrets.py": "try:\n    import keyring\nexcept ImportError:\n    keyring = None\n",
    }
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text, encoding="utf-8")
    assert sorted(facades_and_probes(pkg)) == [
        "storycast/engage/__init__.py:2 tests sys.modules for a storycast module",
        "storycast/engine/__init__.py:2 assigns a module's __class__",
        "storycast/engine/__init__.py:3 module-level __getattr__ (a lazy facade)",
        "storycast/engine/tick.py:1 guards a storycast import with except ImportError",
    ]


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
