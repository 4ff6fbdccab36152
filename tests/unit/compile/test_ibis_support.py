"""Ibis operations whose SQL a target rejects are compile errors there (IbisSupport), not run-time ones."""

from __future__ import annotations

from typing import Any

import pytest

from pyflow import model
from pyflow.compile.model import Upstream
from pyflow.compile.portability import IbisSupport
from pyflow.compile.python import compile_python_model
from pyflow.core.node import ModelNode
from pyflow.errors import UnsupportedError
from pyflow.relation import Relation

EVENTS = Upstream(
    "events",
    '"hive"."raw"."events"',
    Relation("hive", "raw", "events"),
    columns=(
        ("id", "int64"),
        ("ts", "timestamp"),
        ("tags", "array<string>"),
        ("items", "array<struct<sku: string, qty: int64>>"),
    ),
)
NO_ASOF = IbisSupport(asof_join=False)
NO_STRUCT_UNNEST = IbisSupport(unnest_struct_arrays=False)


@model
def unnest_items(events: Any) -> Any:
    return events.select("id", item=events["items"].unnest())


@model
def table_unnest_items(events: Any) -> Any:
    return events.unnest("items")


@model
def unnest_tags(events: Any) -> Any:
    return events.select("id", tag=events.tags.unnest())


@model
def latest_before(events: Any) -> Any:
    other = events.view()
    return events.asof_join(other, on=events.ts >= other.ts, predicates="id").select(events.id)


def _compile(fn: Any, support: IbisSupport) -> Any:
    node = ModelNode(name=fn.__name__, package="p", path=f"models/{fn.__name__}.py", line=3)
    return compile_python_model(fn, node, {"events": EVENTS}, None, "trino", lambda s: s, support=support)


@pytest.mark.parametrize("fn", [unnest_items, table_unnest_items])
def test_unnesting_a_struct_array_is_refused_where_its_sql_does_not_run(fn: Any) -> None:
    with pytest.raises(UnsupportedError) as caught:
        _compile(fn, NO_STRUCT_UNNEST)

    error = caught.value
    assert error.model == fn.__name__ and error.code == "unsupported-operation"
    assert "unnest an array of structs" in error.message and "ibis-project/ibis#9998" in error.message
    assert error.hint and "pivot_longer" in error.hint


def test_unnesting_plain_values_still_compiles() -> None:
    compiled = _compile(unnest_tags, NO_STRUCT_UNNEST)

    assert compiled.sql is not None and "UNNEST" in compiled.sql


def test_asof_join_is_refused_where_the_engine_has_none() -> None:
    with pytest.raises(UnsupportedError, match=r"trino has no as-of join \(ASOF JOIN\)"):
        _compile(latest_before, NO_ASOF)


@pytest.mark.parametrize("fn", [unnest_items, table_unnest_items, latest_before])
def test_everything_compiles_where_the_target_supports_it(fn: Any) -> None:
    assert _compile(fn, IbisSupport()).sql is not None
