"""The sealed ledger: only ``storycast.ledger`` talks SQL.

Every module outside ``storycast/ledger/`` is parsed and each import checked, function-local
and ``TYPE_CHECKING`` ones included: none may import SQLAlchemy, and none may reach the ledger's
tables (``storycast.ledger.tables``/``models``) to build statements of its own. Other packages
call named ``Ledger`` methods instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import storycast

PACKAGE = Path(storycast.__file__).resolve().parent
SEALED = {"storycast.ledger.tables", "storycast.ledger.models"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, wherever it sits."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # ``from storycast.ledger import tables`` names the module in the alias.
            found.extend(
                (node.lineno, f"{name}.{alias.name}")
                for alias in node.names
                if f"{name}.{alias.name}" in SEALED
            )
    return found


def _outside_ledger() -> list[Path]:
    ledger = PACKAGE / "ledger"
    return sorted(p for p in PACKAGE.rglob("*.py") if ledger not in p.parents)


def test_the_scan_sees_what_it_should() -> None:
    """The checker itself: relative, absolute and function-local imports are all resolved."""
    names = {n for _, n in _imports(PACKAGE / "ledger" / "copy.py")}
    assert {"sqlalchemy", "storycast.ledger.store", "storycast.errors"} <= names
    assert len(_outside_ledger()) > 100


def test_no_sqlalchemy_outside_the_ledger() -> None:
    bad = [
        f"{p.relative_to(PACKAGE.parent)}:{line}: {name}"
        for p in _outside_ledger()
        for line, name in _imports(p)
        if name == "sqlalchemy" or name.startswith("sqlalchemy.")
    ]
    assert not bad, (
        "SQLAlchemy imported outside storycast/ledger/ (add a Ledger method instead):\n" + "\n".join(bad)
    )


def test_no_ledger_tables_outside_the_ledger() -> None:
    bad = [
        f"{p.relative_to(PACKAGE.parent)}:{line}: {name}"
        for p in _outside_ledger()
        for line, name in _imports(p)
        if name in SEALED or any(name.startswith(s + ".") for s in SEALED)
    ]
    assert not bad, (
        "ledger tables used outside storycast/ledger/ (add a Ledger method instead):\n" + "\n".join(bad)
    )
