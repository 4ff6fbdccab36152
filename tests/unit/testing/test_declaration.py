"""Declaring unit tests in YAML: nodes in the graph, and errors that name file:line and a fix."""

from __future__ import annotations

import pytest

from pyflow.config.loader import load_project
from pyflow.config.unitspec import input_key
from pyflow.errors import ErrorGroup, PyflowError

GOOD = """
unit_tests:
  - name: test_totals
    model: customer_totals
    description: Completed orders only.
    config: {tags: [unit, fast]}
    given:
      - input: ref('stg_orders')
        rows: [{customer_id: 1, status: completed}]
    expect:
      rows: [{customer_id: 1, orders: 1}]
"""


def _errors(project) -> list[PyflowError]:
    with pytest.raises(PyflowError) as err:
        load_project(project)
    return err.value.errors if isinstance(err.value, ErrorGroup) else [err.value]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ref('stg_orders')", "stg_orders"),
        ('ref("pkg", "stg_orders")', "stg_orders"),
        ("source('raw', 'orders')", "raw.orders"),
        ("stg_orders", "stg_orders"),
        ("raw.orders", "raw.orders"),
        ("this", "this"),
        ("ref(stg_orders)", None),
        ("ref('a', 'b', 'c')", None),
        ("source('raw')", None),
        ("select 1", None),
    ],
)
def test_declaration_input_key(text, key):
    assert input_key(text) == key


def test_declaration_becomes_a_unit_test_node_depending_on_its_model(unit_project):
    project = load_project(unit_project(GOOD))

    node = project.tests["test_totals"]
    assert node.test_type == "unit"
    assert node.path == "models/unit.yml"
    assert node.line == 2
    assert node.description == "Completed orders only."
    assert node.config.tags == ("unit", "fast")
    assert node.kwargs["given"][0]["key"] == "stg_orders"
    assert project.graph.parents[node.unique_id] == ["model.ut.customer_totals"]


def test_declaration_disabled_unit_test_is_not_loaded(unit_project):
    project = load_project(unit_project(GOOD.replace("{tags: [unit, fast]}", "{enabled: false}")))

    assert "test_totals" not in project.tests


def test_declaration_unknown_key_gets_a_suggestion(unit_project):
    errors = _errors(unit_project(GOOD.replace("    expect:", "    expected:")))

    err = next(e for e in errors if e.code == "unknown-config-key")
    assert any("unit_tests.0.expect" in str(e) for e in errors)  # and expect is missing
    assert err.path == "models/unit.yml"
    assert err.line == 9
    assert "Did you mean 'expect'?" in str(err)


def test_declaration_unknown_key_in_given_gets_a_suggestion(unit_project):
    (err,) = _errors(
        unit_project(
            GOOD.replace("        rows: [{customer_id: 1, status", "        rowz: [{customer_id: 1, status")
        )
    )

    assert err.code == "unknown-config-key"
    assert "Did you mean 'rows'?" in str(err)


def test_declaration_csv_format_needs_csv_text(unit_project):
    (err,) = _errors(
        unit_project(
            GOOD.replace(
                "      rows: [{customer_id: 1, orders: 1}]",
                "      format: csv\n      rows: [{customer_id: 1}]",
            )
        )
    )

    assert err.code == "invalid-config"
    assert "format csv takes rows as CSV text" in str(err)


def test_declaration_bad_input_names_the_line(unit_project):
    (err,) = _errors(unit_project(GOOD.replace("ref('stg_orders')", "ref(stg_orders)")))

    assert err.code == "invalid-unit-test"
    assert err.line == 7
    assert "unit test 'test_totals' (models/unit.yml:7)" in str(err)
    assert "Fix: write `input: ref('stg_orders')`" in str(err)


def test_declaration_incremental_override_needs_this(unit_project):
    text = GOOD.replace("    given:", "    overrides:\n      macros: {is_incremental: true}\n    given:")

    (err,) = _errors(unit_project(text))

    assert err.code == "invalid-unit-test"
    assert "no `input: this`" in str(err)


def test_declaration_only_is_incremental_can_be_overridden(unit_project):
    text = GOOD.replace("    given:", "    overrides:\n      macros: {current_timestamp: x}\n    given:")

    (err,) = _errors(unit_project(text))

    assert "cannot override macro 'current_timestamp'" in str(err)


def test_declaration_unknown_model_is_a_missing_dependency(unit_project):
    (err,) = _errors(unit_project(GOOD.replace("model: customer_totals", "model: customer_total")))

    assert err.code == "missing-dependency"
    assert err.path == "models/unit.yml"
    assert "Did you mean 'customer_totals'?" in str(err)


def test_declaration_duplicate_names_are_an_error(unit_project):
    text = GOOD + GOOD.replace("unit_tests:\n", "")

    (err,) = _errors(unit_project(text))

    assert err.code == "duplicate-name"
    assert "models/unit.yml:2 and models/unit.yml:12" in str(err)


def test_declaration_sql_dialect_is_checked_with_a_suggestion(unit_project):
    files = {"models/bad.sql": "{{ config(sql_dialect='athna') }}\nselect 1 as x\n"}

    (err,) = _errors(unit_project("", files))

    assert err.code == "invalid-config"
    assert err.path == "models/bad.sql"
    assert "unknown SQL dialect 'athna'; did you mean 'athena'?" in str(err)
