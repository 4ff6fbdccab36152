"""Tests for pyflow.compile.sql: rendering a SQL model against its inputs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyflow.compile.model import CompiledModel, Upstream
from pyflow.compile.sql import compile_sql_model
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import ModelNode
from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError
from pyflow.relation import Relation

TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database="memory")
INPUTS = {
    "orders": Upstream("orders", '"memory"."main"."orders"', Relation("memory", "main", "orders")),
    "raw.events": Upstream(
        "raw.events",
        '"__pyflow_source__raw__events"',
        None,
        "__pyflow_source__raw__events",
        "SELECT * FROM read_parquet('e.parquet')",
    ),
    "eph": Upstream("eph", '"__pyflow_cte__eph"', None, "__pyflow_cte__eph", "SELECT 1 AS id"),
}


def _quote(s: str) -> str:
    return '"' + s + '"'


def _compile(text: str, inputs: dict[str, Upstream] = INPUTS, **kw: object) -> CompiledModel:
    jinja = JinjaProject({})
    node = ModelNode(name="m", package="shop", path="models/m.sql", line=1, language="sql")
    jinja.add_template(node.path, text)
    options = {
        "vars": {},
        "target": TARGET,
        "run_started_at": datetime.now(UTC),
        "this": '"memory"."main"."m"',
        "is_incremental": False,
        "quote": _quote,
        "dialect": "duckdb",
    }
    options.update(kw)
    return compile_sql_model(node, jinja, inputs, **options)  # type: ignore[arg-type]


def test_sql_compile_renders_refs_to_relations_and_strips_the_semicolon() -> None:
    compiled = _compile("select * from {{ ref('orders') }} -- {{ this }};\n")

    assert compiled.sql == 'select * from "memory"."main"."orders" -- "memory"."main"."m"'
    assert compiled.columns is None


def test_sql_compile_injects_only_the_inline_inputs_it_uses() -> None:
    compiled = _compile("select * from {{ ref('eph') }} join {{ ref('orders') }} using (id)")

    assert compiled.sql == (
        'WITH "__pyflow_cte__eph" AS (\nSELECT 1 AS id\n)\n'
        'SELECT * FROM (\nselect * from "__pyflow_cte__eph" join "memory"."main"."orders" using (id)\n)'
        ' AS "__pyflow_model"'
    )


def test_sql_compile_source_with_file_location_is_a_cte() -> None:
    compiled = _compile("select * from {{ source('raw', 'events') }}")

    assert compiled.sql is not None
    assert compiled.sql.startswith('WITH "__pyflow_source__raw__events" AS (\nSELECT * FROM read_parquet')


def test_sql_compile_is_incremental_and_vars_come_from_arguments() -> None:
    text = "select {{ var('n') }}{% if is_incremental() %} + 1{% endif %}"

    assert _compile(text, vars={"n": 4}).sql == "select 4"
    assert _compile(text, vars={"n": 4}, is_incremental=True).sql == "select 4 + 1"


def test_sql_compile_dynamic_ref_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        _compile("{% set t = 'cust' ~ 'omers' %}select * from {{ ref(t) }}")

    assert info.value.code == "dynamic-ref"
    assert (info.value.model, info.value.path) == ("m", "models/m.sql")


def test_sql_compile_empty_model_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        _compile("{# nothing #}\n;\n")

    assert info.value.code == "empty-model"
