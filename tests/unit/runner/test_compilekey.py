"""Tests for pyflow.runner.compilekey: after a change, exactly the models it touches recompile.

Each test compiles a project with the on-disk cache, changes one thing, compiles again and
checks which models were compiled afresh; and that every cached result equals what a compile
without any cache gives for the changed project (the fast path returns what the slow path does).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pyflow.compile.cache import CompileCache
from pyflow.compile.model import CompiledModel
from pyflow.config.loader import load_project
from pyflow.core.spec import TargetInfo
from pyflow.runner.compilation import ProjectCompiler

TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database="memory")
NOW = datetime(2024, 1, 1, tzinfo=UTC)

SOURCES = """
    sources:
      - name: raw
        tables:
          - name: orders
            columns:
              - {name: id, data_type: integer}
              - {name: amount, data_type: double}
"""


def _py(name: str, params: str, body: str) -> str:
    return f"from pyflow import model\n\n\n@model\ndef {name}({params}):\n    {body}\n"


FILES = {
    "pyflow.yml": "name: shop\nvars:\n  threshold: 10\n  label: x\n",
    "models/sources.yml": SOURCES,
    # a -> b -> c (Python); a -> d (Python, reads a var); a -> s (SQL); s -> t (Python)
    "models/a.py": _py("a", "raw__orders", "return raw__orders.filter(raw__orders.amount > 0)"),
    "models/b.py": _py("b", "a", 'return a.select("id", "amount")'),
    "models/c.py": _py("c", "b", "return b.filter(b.id > 1)"),
    "models/d.py": _py("d", "a, ctx", 'return a.filter(a.amount > ctx.var("threshold"))'),
    "models/s.sql": "select id, amount from {{ ref('a') }} where id > 0\n",
    "models/t.py": _py("t", "s", "return s.filter(s.id > 2)"),
    "models/u.sql": "select '{{ var('label') }}' as label, id from {{ ref('s') }}\n",
}


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _compile(
    root: Path, adapter: Any, cache: CompileCache, vars: Mapping[str, Any] | None
) -> dict[str, CompiledModel]:
    project = load_project(root, vars=vars)
    compiler = ProjectCompiler(project, adapter, TARGET, NOW, cache=cache)
    try:
        return {name: compiler.compile(node.unique_id) for name, node in sorted(project.models.items())}
    finally:
        compiler.close()


def _recompiled(root: Path, adapter: Any, vars: Mapping[str, Any] | None = None) -> set[str]:
    """Compile with the on-disk cache; return the models compiled afresh.

    Also checks every result equals a compile of the same project without a cache.
    """
    cached = _compile(root, adapter, CompileCache(root / "target" / "cache.json"), vars)
    fresh = _compile(root, adapter, CompileCache(None), vars)
    assert {n: (m.sql, m.columns) for n, m in cached.items()} == {
        n: (m.sql, m.columns) for n, m in fresh.items()
    }
    return {name for name, compiled in cached.items() if not compiled.from_cache}


@pytest.fixture
def root(make_project: Callable[..., Path], duckdb_adapter: Any) -> Path:
    path = make_project(FILES)
    assert _recompiled(path, duckdb_adapter) == set("abcdstu")
    return path


def test_compilekey_nothing_recompiles_when_nothing_changed(root: Path, duckdb_adapter: Any) -> None:
    assert _recompiled(root, duckdb_adapter) == set()


def test_compilekey_body_change_keeping_the_schema_recompiles_only_that_model(
    root: Path, duckdb_adapter: Any
) -> None:
    _write(root, "models/a.py", FILES["models/a.py"].replace("amount > 0", "amount > 5"))

    assert _recompiled(root, duckdb_adapter) == {"a"}


def test_compilekey_schema_change_recompiles_the_python_children_that_see_it(
    root: Path, duckdb_adapter: Any
) -> None:
    _write(root, "models/a.py", _py("a", "raw__orders", "return raw__orders.mutate(extra=1)"))

    # b keeps its schema (it selects two columns), so c does not recompile; s (SQL) renders
    # ref('a') to the same relation, whatever a's columns
    assert _recompiled(root, duckdb_adapter) == {"a", "b", "d"}


def test_compilekey_sql_parent_change_recompiles_its_python_children(root: Path, duckdb_adapter: Any) -> None:
    _write(root, "models/s.sql", FILES["models/s.sql"].replace("id > 0", "id > 1"))

    # a SQL model's columns are known by describing it, so its Python children key on its key
    assert _recompiled(root, duckdb_adapter) == {"s", "t"}


def test_compilekey_var_change_recompiles_only_the_models_reading_it(root: Path, duckdb_adapter: Any) -> None:
    assert _recompiled(root, duckdb_adapter, vars={"threshold": 20}) == {"d"}
    assert _recompiled(root, duckdb_adapter, vars={"threshold": 20, "label": "y"}) == {"u"}
    assert _recompiled(root, duckdb_adapter, vars={"threshold": 20, "label": "y", "new": 1}) == set()


def test_compilekey_graph_reading_sql_model_recompiles_when_a_model_is_added(
    make_project: Callable[..., Path], duckdb_adapter: Any
) -> None:
    files = {
        **FILES,
        "models/g.sql": "select {{ graph.nodes | length }} as nodes\n",
    }
    root = make_project(files)
    _recompiled(root, duckdb_adapter)
    _write(root, "models/e.py", _py("e", "a", "return a"))

    assert _recompiled(root, duckdb_adapter) == {"e", "g"}


def test_compilekey_macro_reading_graph_makes_every_sql_model_key_on_the_graph(
    make_project: Callable[..., Path], duckdb_adapter: Any
) -> None:
    files = {
        **FILES,
        "macros/count.sql": "{% macro node_count() %}{{ graph.nodes | length }}{% endmacro %}\n",
        "models/g.sql": "select {{ node_count() }} as nodes\n",
    }
    root = make_project(files)
    _recompiled(root, duckdb_adapter)
    _write(root, "models/e.py", _py("e", "a", "return a"))

    # every SQL model (any may call the macro), and t, whose SQL parent s keys it
    assert _recompiled(root, duckdb_adapter) == {"e", "g", "s", "t", "u"}
