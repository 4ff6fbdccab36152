"""Tests for pyflow.runner.compilation: relation names, inline inputs and compile-cache keys."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pyflow.compile.cache import CompileCache
from pyflow.config.loader import load_project
from pyflow.core.spec import TargetInfo
from pyflow.relation import Relation
from pyflow.runner.compilation import ProjectCompiler
from pyflow.runner.naming import schema_name

TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database="memory")
NOW = datetime(2024, 1, 1, tzinfo=UTC)

FILES = {
    "pyflow.yml": "name: shop\n",
    "models/sources.yml": """
        sources:
          - name: raw
            tables:
              - name: orders
                columns:
                  - {name: id, data_type: integer}
                  - {name: amount, data_type: double}
    """,
    "models/stg.py": """
        from pyflow import model


        @model
        def stg(raw__orders):
            return raw__orders.filter(raw__orders.amount > 0)
    """,
    "models/mart.py": """
        from pyflow import model


        @model
        def mart(stg):
            return stg.group_by("id").agg(total=stg.amount.sum())
    """,
    "models/eph.sql": "{{ config(materialized='ephemeral') }}\nselect id, amount * 2 as doubled from {{ source('raw', 'orders') }}\n",
    "models/uses_eph.py": """
        from pyflow import model


        @model(schema="marts", alias="eph_users", database="memory")
        def uses_eph(eph):
            return eph.filter(eph.doubled > 10)
    """,
}


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def root(make_project: Callable[..., Path]) -> Path:
    return make_project(FILES)


def _compile_all(root: Path, adapter: Any, vars: Mapping[str, Any] | None = None) -> dict[str, bool]:
    """Compile every model with the on-disk cache; return which came from the cache."""
    project = load_project(root, vars=vars)
    cache = CompileCache(root / "target" / "cache.json")
    compiler = ProjectCompiler(project, adapter, TARGET, NOW, cache=cache)
    try:
        return {
            name: compiler.compile(node.unique_id).from_cache for name, node in sorted(project.models.items())
        }
    finally:
        compiler.close()


def test_schema_name_appends_a_custom_schema_to_the_target_schema() -> None:
    assert schema_name("main", None) == "main"
    assert schema_name("main", "marts") == "main_marts"
    assert schema_name("analytics", " finance ") == "analytics_finance"


def test_compilation_relation_uses_schema_alias_and_database(root: Path, duckdb_adapter: Any) -> None:
    project = load_project(root)
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW)

    assert compiler.relation(project.models["uses_eph"]) == Relation("memory", "main_marts", "eph_users")
    assert compiler.relation(project.models["stg"]) == Relation("memory", "main", "stg")
    assert compiler.relation(project.sources[("raw", "orders")]) == Relation("memory", "raw", "orders")
    compiler.close()


def test_compilation_ephemeral_parent_is_injected_as_a_cte(root: Path, duckdb_adapter: Any) -> None:
    project = load_project(root)
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW)

    sql = compiler.compile(project.models["uses_eph"].unique_id).sql
    compiler.close()

    assert sql is not None
    assert sql.startswith(
        'WITH "__pyflow_cte__eph" AS (\nselect id, amount * 2 as doubled from "memory"."raw"."orders"\n)'
    )
    duckdb_adapter.execute("CREATE SCHEMA raw")
    duckdb_adapter.execute(
        "CREATE TABLE raw.orders AS SELECT * FROM (VALUES (1, 2.0), (2, 20.0)) t(id, amount)"
    )
    assert duckdb_adapter.fetchall(sql) == [(2, 40.0)]


def test_compilation_cache_hits_when_nothing_changed(root: Path, duckdb_adapter: Any) -> None:
    assert set(_compile_all(root, duckdb_adapter).values()) == {False}

    assert set(_compile_all(root, duckdb_adapter).values()) == {True}


def test_compilation_cache_misses_when_the_code_changes(root: Path, duckdb_adapter: Any) -> None:
    _compile_all(root, duckdb_adapter)
    _write(root, "models/mart.py", FILES["models/mart.py"].replace("total=", "grand_total="))

    hits = _compile_all(root, duckdb_adapter)

    assert hits == {"eph": True, "mart": False, "stg": True, "uses_eph": True}


def test_compilation_cache_misses_when_the_config_changes(root: Path, duckdb_adapter: Any) -> None:
    _compile_all(root, duckdb_adapter)
    _write(root, "pyflow.yml", "name: shop\nmodels:\n  shop:\n    stg:\n      +materialized: table\n")

    hits = _compile_all(root, duckdb_adapter)

    assert hits["stg"] is False
    assert hits["uses_eph"] is True


def test_compilation_cache_misses_downstream_when_an_upstream_schema_changes(
    root: Path, duckdb_adapter: Any
) -> None:
    _compile_all(root, duckdb_adapter)
    _write(
        root, "models/stg.py", FILES["models/stg.py"].replace("filter(raw__orders.amount > 0)", "mutate(n=1)")
    )

    hits = _compile_all(root, duckdb_adapter)

    assert hits == {"eph": True, "mart": False, "stg": False, "uses_eph": True}


def test_compilation_cache_misses_when_an_ephemeral_sql_parent_changes(
    root: Path, duckdb_adapter: Any
) -> None:
    _compile_all(root, duckdb_adapter)
    _write(root, "models/eph.sql", FILES["models/eph.sql"].replace("amount * 2", "amount * 3"))

    hits = _compile_all(root, duckdb_adapter)

    assert hits == {"eph": False, "mart": True, "stg": True, "uses_eph": False}
