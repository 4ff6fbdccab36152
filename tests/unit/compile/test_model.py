"""Tests for pyflow.compile.model: inputs and CTE injection."""

from __future__ import annotations

from typing import Any

from pyflow.compile.model import Upstream, with_ctes
from pyflow.relation import Relation


def _quote(s: str) -> str:
    return '"' + s + '"'


def test_with_ctes_without_ctes_returns_the_sql_unchanged() -> None:
    assert with_ctes("select 1;", [], _quote) == "select 1;"


def test_with_ctes_prefixes_definitions_and_wraps_the_model() -> None:
    sql = with_ctes('select * from "a" ;\n', [("a", "select 1 as x"), ("b", "select 2 as y")], _quote)

    assert sql == (
        'WITH "a" AS (\nselect 1 as x\n),\n"b" AS (\nselect 2 as y\n)\n'
        'SELECT * FROM (\nselect * from "a" \n) AS "__pyflow_model"'
    )


def test_with_ctes_keeps_the_models_own_with_clause_valid(duckdb_adapter: Any) -> None:
    model_sql = 'with doubled as (select x * 2 as x from "eph") select x from doubled order by x'

    sql = with_ctes(model_sql, [("eph", "select * from range(3) t(x)")], _quote)

    assert duckdb_adapter.fetchall(sql) == [(0,), (2,), (4,)]


def test_upstream_is_inline_when_it_has_no_relation() -> None:
    assert Upstream("e", '"e"', None, "e", "select 1").is_inline
    assert not Upstream("t", '"t"', Relation(None, "main", "t")).is_inline
