"""Selecting tests: test_type:unit|data|generic|singular and test_name:<glob>."""

from __future__ import annotations

import pytest

from pyflow.config.loader import load_project
from pyflow.core.selector import select_nodes
from pyflow.errors import SelectionError

UNITS = """
models:
  - name: customer_totals
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
unit_tests:
  - name: test_totals_counts
    model: customer_totals
    given: [{input: "ref('stg_orders')", rows: [{customer_id: 1}]}]
    expect: {rows: []}
  - name: test_stg_lowercases
    model: stg_orders
    given: [{input: "source('raw', 'orders')", rows: [{id: 1}]}]
    expect: {rows: []}
"""
SINGULAR = {"tests/assert_nothing.sql": "select * from {{ ref('customer_totals') }} where false\n"}


@pytest.fixture
def graph(unit_project):
    return load_project(unit_project(UNITS, SINGULAR)).graph


def _names(graph, *select):
    return {graph.nodes[u].name for u in select_nodes(graph, list(select), resource_types={"test"}).ids}


def test_selection_by_test_type(graph):
    assert _names(graph, "test_type:unit") == {"test_totals_counts", "test_stg_lowercases"}
    assert _names(graph, "test_type:data") == {
        "unique_customer_totals_customer_id",
        "not_null_customer_totals_customer_id",
        "assert_nothing",
    }
    assert _names(graph, "test_type:singular") == {"assert_nothing"}
    assert _names(graph, "test_type:generic") == {
        "unique_customer_totals_customer_id",
        "not_null_customer_totals_customer_id",
    }


def test_selection_by_test_name_glob(graph):
    assert _names(graph, "test_name:test_totals_*") == {"test_totals_counts"}
    assert _names(graph, "test_name:unique") == {
        "unique_customer_totals_customer_id"
    }  # the generic test's name


def test_selection_test_type_intersects_with_graph_operators(graph):
    assert _names(graph, "test_type:unit,customer_totals+") == {"test_totals_counts"}


def test_selection_unknown_test_type_is_an_error_with_suggestion(graph):
    with pytest.raises(SelectionError) as err:
        select_nodes(graph, ["test_type:unt"])

    assert "Did you mean 'unit'?" in str(err.value)
    assert "unit, data, generic, singular" in str(err.value)
