"""The layering rules of STYLE.md §1, checked by parsing every module's imports.

Every ``import``/``from`` of a pyflow module counts, wherever it is (module level, inside a
function, under ``if TYPE_CHECKING:``). Driver and heavy libraries must not be imported at
module level anywhere in pyflow/ (inside functions and under ``TYPE_CHECKING`` is fine).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pyflow"
DRIVERS = ("duckdb", "pandas", "ibis", "pyarrow", "sqlglot", "pyathena", "trino")
LEAVES = (
    "pyflow.errors",
    "pyflow.relation",
    "pyflow.version",
    "pyflow.jsonfile",
    "pyflow.secret",
    "pyflow.deprecations",
)


@dataclass(frozen=True)
class Import:
    """One import statement of a module."""

    target: str
    line: int
    in_function: bool
    type_checking: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join([*parts[:keep], *([node.module] if node.module else [])])
    # ``from pyflow import errors`` imports the submodule pyflow.errors
    names = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return names or [base]


def imports_of(name: str) -> list[Import]:
    path = MODULES[name]
    return parse_imports(path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py")


def parse_imports(source: str, name: str, *, is_package: bool = False) -> list[Import]:
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(a.name, node.lineno, in_function, type_checking) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            targets = _resolve(name, is_package, node)
            found.extend(Import(t, node.lineno, in_function, type_checking) for t in targets)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, in_function, True)
            for child in node.orelse:
                visit(child, in_function, type_checking)
            return
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for sub in ast.iter_child_nodes(node):
            visit(sub, inside, type_checking)

    visit(tree, False, False)
    return found


BASE_MODULES = (
    "pyflow.adapters.base",
    "pyflow.adapters.dml",
    "pyflow.adapters.kinds",
    "pyflow.adapters.querystats",
    "pyflow.adapters.storage",
)
"""The adapter interface: base.py, its SQL builders and the plain data types it hands out (split out of it)."""


def _layer(name: str) -> str:
    parts = name.split(".")
    if name in LEAVES:
        return "leaf"
    if len(parts) == 1:
        return "root"
    if parts[1] == "adapters":
        return "adapters.base" if name in BASE_MODULES else "adapters"
    return parts[1]


def _within(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


ALLOWED: dict[str, tuple[str, ...]] = {
    "leaf": ("pyflow.secret",),  # jsonfile masks secrets in every file it writes
    "root": ("pyflow.core", *LEAVES),
    "core": ("pyflow.core", *LEAVES),
    "config": ("pyflow.config", "pyflow.core", *LEAVES),
    "compile": ("pyflow.compile", "pyflow.core", *LEAVES),
    "adapters.base": (
        "pyflow.adapters.dml",
        "pyflow.adapters.kinds",
        "pyflow.adapters.querystats",
        "pyflow.adapters.storage",
        *LEAVES,
    ),
    "adapters": ("pyflow.adapters", *LEAVES),
    "materializers": (
        "pyflow.materializers",
        "pyflow.core",
        "pyflow.compile",
        "pyflow.adapters.base",
        *LEAVES,
    ),
    "runner": (  # anything but cli and testing
        "pyflow.runner",
        "pyflow.config",
        "pyflow.core",
        "pyflow.compile",
        "pyflow.adapters",
        "pyflow.materializers",
        *LEAVES,
    ),
    "cli": (
        "pyflow.cli",
        "pyflow.runner",
        "pyflow.config",
        "pyflow.errors",
        "pyflow.version",
        "pyflow.secret",
    ),
    # testing is a consumer of the whole engine like runner: it loads projects (config) and
    # runs materializer steps on DuckDB (issue: "materializer steps are unit-testable"), so it
    # may import everything but cli. STYLE.md's table listed only runner/adapters.duckdb/core.
    "testing": (
        "pyflow.testing",
        "pyflow.runner",
        "pyflow.config",
        "pyflow.core",
        "pyflow.compile",
        "pyflow.adapters",
        "pyflow.materializers",
        *LEAVES,
    ),
}
LAZY_IMPORT_ALLOWED = {("pyflow.runner.unitrun", "pyflow.testing")}
"""(module, package) pairs allowed inside functions only: ``pyflow test``/``build`` run YAML unit
tests with the same harness as the pytest plugin; testing never imports the session (no cycle)."""
ROOT_IMPORT_ALLOWED = {"cli", "runner"}
"""Layers that may import the top-level ``pyflow`` package itself (for ``__version__``)."""


def violations(name: str) -> list[str]:
    layer = _layer(name)
    allowed = ALLOWED[layer]
    out = []
    for imp in imports_of(name):
        if not (imp.target == "pyflow" or imp.target.startswith("pyflow.")):
            continue
        ok = layer in ROOT_IMPORT_ALLOWED if imp.target == "pyflow" else _within(imp.target, allowed)
        ok = ok or (
            imp.in_function and any(name == m and _within(imp.target, (t,)) for m, t in LAZY_IMPORT_ALLOWED)
        )
        if not ok:
            out.append(f"{name} imports {imp.target} (line {imp.line})")
    return out


def test_layers_every_package_has_a_rule() -> None:
    assert {_layer(n) for n in MODULES} <= set(ALLOWED)
    assert {"core", "config", "compile", "adapters", "adapters.base", "materializers", "runner", "cli"} <= {
        _layer(n) for n in MODULES
    }


def test_layers_scanner_sees_every_kind_of_import() -> None:
    source = """
import duckdb
from typing import TYPE_CHECKING
from pyflow import errors
from . import graph
from ..compile import cache

if TYPE_CHECKING:
    import pandas

class C:
    import sqlglot

def f():
    import ibis
    from pyflow import __version__
"""
    found = {i.target: i for i in parse_imports(source, "pyflow.core.spec")}

    assert found["duckdb"] == Import("duckdb", 2, in_function=False, type_checking=False)
    assert found["pyflow.errors"].in_function is False
    assert "pyflow.core.graph" in found
    assert "pyflow.compile.cache" in found
    assert found["pandas"].type_checking is True
    assert found["sqlglot"].in_function is False
    assert found["ibis"].in_function is True
    assert found["pyflow"].in_function is True


def test_layers_scanner_resolves_relative_imports_in_packages() -> None:
    found = {
        i.target for i in parse_imports("from .base import Adapter\n", "pyflow.adapters", is_package=True)
    }

    assert found == {"pyflow.adapters.base"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layers_module_imports_only_what_its_layer_allows(name: str) -> None:
    assert violations(name) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layers_no_module_level_driver_imports(name: str) -> None:
    bad = [
        f"{name}:{imp.line} imports {imp.target} at module level"
        for imp in imports_of(name)
        if imp.target.split(".")[0] in DRIVERS and not imp.in_function and not imp.type_checking
    ]
    assert bad == []


def _runtime_import_cycles() -> list[list[str]]:
    """Groups of pyflow modules that import each other at run time (``TYPE_CHECKING`` excluded)."""
    graph = {
        m: sorted({i.target for i in imports_of(m) if not i.type_checking and i.target in MODULES} - {m})
        for m in MODULES
    }
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in graph:  # Tarjan's strongly connected components, iteratively
        if root in order:
            continue
        work = [(root, iter(graph[root]))]
        order[root] = low[root] = len(order)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == order[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        cycles.append(sorted(group))
            elif child not in order:
                order[child] = low[child] = len(order)
                stack.append(child)
                work.append((child, iter(graph[child])))
            elif child in stack:
                low[node] = min(low[node], order[child])
    return cycles


def test_no_import_cycles() -> None:
    """No two pyflow modules import each other at run time, directly or around a circle."""
    assert _runtime_import_cycles() == []


def test_import_cycle_finder_finds_a_circle(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"pyflow.errors": "import pyflow.relation\n", "pyflow.relation": "import pyflow.errors\n"}
    real = imports_of

    def imports(name: str) -> list[Import]:
        return parse_imports(fake[name], name) if name in fake else real(name)

    monkeypatch.setitem(globals(), "imports_of", imports)
    assert _runtime_import_cycles() == [["pyflow.errors", "pyflow.relation"]]


def test_import_cycle_finder_counts_imports_inside_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness's old circle (model imports fixturedb; fixturedb imported model in a method)."""
    lazy = "def _value():\n    from pyflow.testing.model import ProjectHarness\n"
    real = imports_of

    def imports(name: str) -> list[Import]:
        found = real(name)
        return [*found, *parse_imports(lazy, name)] if name == "pyflow.testing.fixturedb" else found

    monkeypatch.setitem(globals(), "imports_of", imports)
    assert ["pyflow.testing.fixturedb", "pyflow.testing.model"] in _runtime_import_cycles()
