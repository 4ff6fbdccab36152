"""YAML unit tests run through the harness: pass, fail with a diff, fixture typing, csv, overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from pyflow.errors import PyflowError
from pyflow.testing.model import ProjectHarness
from pyflow.testing.unit import fixture_table, run_unit_test

STG_PASS = """
unit_tests:
  - name: test_stg_orders_lowercases_status
    model: stg_orders
    given:
      - input: source('raw', 'orders')
        rows:
          - {id: 1, status: COMPLETED, ordered_at: 2024-01-02 10:00:00}
          - {id: 2, status: Shipped, ordered_at: 2024-01-03 10:00:00}
    expect:
      rows:
        - {id: 2, status: shipped}
        - {id: 1, status: completed}
"""


def _run(project, name: str, **harness_kwargs):
    harness = ProjectHarness(project, **harness_kwargs)
    return run_unit_test(harness, harness.project.tests[name])


def test_unit_passes_comparing_only_expected_columns_in_any_order(unit_project):
    outcome = _run(unit_project(STG_PASS), "test_stg_orders_lowercases_status")

    assert outcome.ok, outcome.message
    assert outcome.status == "pass"


def test_unit_fail_shows_a_side_by_side_diff_naming_test_model_and_file(unit_project):
    failing = STG_PASS.replace("{id: 2, status: shipped}", "{id: 2, status: delivered}")

    outcome = _run(unit_project(failing), "test_stg_orders_lowercases_status")

    assert outcome.status == "fail"
    message = outcome.message
    assert "unit test test_stg_orders_lowercases_status (models/unit.yml:2)" in message
    assert "model 'stg_orders' (models/stg_orders.sql:1)" in message
    assert "1 expected row(s) missing, 1 unexpected row(s)" in message
    lines = message.splitlines()
    header = next(line for line in lines if "expected, missing from actual" in line)
    assert "| actual, not expected" in header
    row = next(line for line in lines if "delivered" in line)
    assert row.split("|")[0].split() == ["2", "delivered"]
    assert row.split("|")[1].split() == ["2", "shipped*"]  # the differing cell is marked
    assert "completed" not in message  # only differing rows are shown


def test_unit_null_first_row_and_missing_keys_get_the_declared_types(unit_project):
    yaml = """
    unit_tests:
      - name: test_nulls
        model: customer_totals
        given:
          - input: ref('stg_orders')
            rows:
              - {customer_id: null, amount: null, status: null}
              - {customer_id: 7, amount: 2, status: completed}
              - {customer_id: 7, amount: 0.5, status: completed}
        expect:
          rows:
            - {customer_id: 7, orders: 2, total: 2.5}
    """
    outcome = _run(unit_project(yaml), "test_nulls")

    assert outcome.ok, outcome.message


def test_unit_fixture_table_types_do_not_come_from_the_first_row(unit_project):
    project = unit_project(STG_PASS)
    node = ProjectHarness(project).project.tests["test_stg_orders_lowercases_status"]

    table = fixture_table(
        node, [{"a": None, "b": 1}, {"a": "x"}, {"b": 2.5, "c": dt.date(2024, 1, 2)}], "dict"
    )

    assert table.column_names == ["a", "b", "c"]
    assert table.column("a").to_pylist() == [None, "x", None]
    assert table.column("b").to_pylist() == [1.0, None, 2.5]
    assert str(table.schema.field("c").type) == "date32[day]"


def test_unit_csv_fixture_reads_a_header_and_empty_fields_as_null(unit_project):
    project = unit_project(STG_PASS)
    node = ProjectHarness(project).project.tests["test_stg_orders_lowercases_status"]

    table = fixture_table(node, "id, status\n1,Completed\n2,\n", "csv")

    assert table.to_pylist() == [{"id": "1", "status": "Completed"}, {"id": "2", "status": None}]


def test_unit_csv_rows_cast_to_the_declared_types(unit_project):
    yaml = """
    unit_tests:
      - name: test_csv
        model: customer_totals
        given:
          - input: ref('stg_orders')
            format: csv
            rows: |
              customer_id,amount,status
              1,1.25,completed
              1,,completed
              2,3,shipped
        expect:
          format: csv
          rows: |
            customer_id,orders,total
            1,2,1.25
    """
    outcome = _run(unit_project(yaml), "test_csv")

    assert outcome.ok, outcome.message


def test_unit_csv_row_with_wrong_width_names_the_file(unit_project):
    yaml = """
    unit_tests:
      - name: test_bad_csv
        model: customer_totals
        given:
          - input: ref('stg_orders')
            format: csv
            rows: |
              customer_id,amount
              1,2,3
        expect: {rows: []}
    """
    with pytest.raises(PyflowError) as err:
        _run(unit_project(yaml), "test_bad_csv")

    assert err.value.code == "invalid-unit-test"
    assert err.value.path == "models/unit.yml"
    assert "CSV row 2 has 3 value(s)" in str(err.value)


def test_unit_overrides_vars(unit_project):
    yaml = """
    unit_tests:
      - name: test_vars
        model: stg_orders
        overrides:
          vars: {start: "2024-06-01"}
        given:
          - input: source('raw', 'orders')
            rows:
              - {id: 1, ordered_at: 2024-01-02 10:00:00}
              - {id: 2, ordered_at: 2024-07-03 10:00:00}
        expect:
          rows: [{id: 2}]
    """
    outcome = _run(unit_project(yaml), "test_vars")

    assert outcome.ok, outcome.message


def test_unit_overrides_is_incremental_with_this(unit_project):
    yaml = """
    unit_tests:
      - name: test_incremental
        model: daily
        overrides:
          macros: {is_incremental: true}
        given:
          - input: this
            rows: [{day: 2024-01-02, orders: 5}]
          - input: ref('stg_orders')
            rows:
              - {id: 1, ordered_at: 2024-01-01 09:00:00}
              - {id: 2, ordered_at: 2024-01-02 09:00:00}
              - {id: 3, ordered_at: 2024-01-03 09:00:00}
        expect:
          rows:
            - {day: 2024-01-02, orders: 1}
            - {day: 2024-01-03, orders: 1}
    """
    outcome = _run(unit_project(yaml), "test_incremental")

    assert outcome.ok, outcome.message


def test_unit_empty_expect_means_no_rows(unit_project):
    yaml = """
    unit_tests:
      - name: test_empty
        model: customer_totals
        given:
          - input: ref('stg_orders')
            rows: [{customer_id: 1, status: shipped}]
        expect: {rows: []}
      - name: test_not_empty
        model: customer_totals
        given:
          - input: ref('stg_orders')
            rows: [{customer_id: 1, status: completed}]
        expect: {rows: []}
    """
    project = unit_project(yaml)

    assert _run(project, "test_empty").ok
    failed = _run(project, "test_not_empty")
    assert failed.status == "fail"
    assert "0 expected row(s) missing, 1 unexpected row(s)" in failed.message


def test_unit_expected_column_the_model_lacks_is_a_failure(unit_project):
    yaml = STG_PASS.replace("{id: 2, status: shipped}", "{id: 2, stauts: shipped}")

    outcome = _run(unit_project(yaml), "test_stg_orders_lowercases_status")

    assert outcome.status == "fail"
    assert "column(s) stauts expected but not produced" in outcome.message


def test_unit_unknown_input_is_an_error_with_suggestions(unit_project):
    yaml = STG_PASS.replace("source('raw', 'orders')", "source('raw', 'ordrs')")

    with pytest.raises(PyflowError) as err:
        _run(unit_project(yaml), "test_stg_orders_lowercases_status")

    assert err.value.code == "unknown-input"
    assert "raw.orders" in str(err.value)
    assert "in unit test 'test_stg_orders_lowercases_status' (models/unit.yml:2)" in str(err.value)


def test_unit_missing_input_is_an_error(unit_project):
    yaml = """
    unit_tests:
      - name: test_no_inputs
        model: customer_totals
        expect: {rows: []}
    """
    with pytest.raises(PyflowError) as err:
        _run(unit_project(yaml), "test_no_inputs")

    assert err.value.code == "missing-input"
    assert "'stg_orders'" in str(err.value)


def test_unit_athena_sql_is_transpiled_to_duckdb(unit_project):
    yaml = """
    unit_tests:
      - name: test_athena_days
        model: athena_days
        given:
          - input: source('raw', 'events')
            rows:
              - {day_text: "2024-01-02", ts_text: "2024-01-02T10:00:00Z", user_id: 7}
              - {day_text: "2024-01-02", ts_text: "2024-01-02T12:00:00Z", user_id: 8}
              - {day_text: "2024-01-03", ts_text: "2024-01-03T11:30:00Z", user_id: 7}
        expect:
          rows:
            - {day: 2024-01-02 00:00:00, users: 2}
            - {day: 2024-01-03 00:00:00, users: 1}
    """
    outcome = _run(unit_project(yaml), "test_athena_days")

    assert outcome.ok, outcome.message


UNTRANSPILABLE = """
unit_tests:
  - name: test_stem
    model: athena_stem
    given:
      - input: source('raw', 'events')
        rows: [{day_text: running}]
    expect: {rows: [{stem: run}]}
  - name: test_strpos
    model: athena_strpos
    given:
      - input: source('raw', 'events')
        rows: [{day_text: abcabc}]
    expect: {rows: [{pos: 4}]}
"""


def test_unit_function_duckdb_lacks_fails_naming_function_model_and_file(unit_project):
    with pytest.raises(PyflowError) as err:
        _run(unit_project(UNTRANSPILABLE), "test_stem")

    text = str(err.value)
    assert err.value.code == "untranspilable-sql"
    assert "model 'athena_stem' (models/athena_stem.sql:1)" in text
    assert "function 'word_stem'" in text
    assert "does not exist in DuckDB" in text
    assert "in unit test 'test_stem' (models/unit.yml:2)" in text
    assert "Fix: use an equivalent function both engines have instead of 'word_stem'" in text


def test_unit_sql_sqlglot_cannot_translate_fails_with_its_reason(unit_project):
    with pytest.raises(PyflowError) as err:
        _run(unit_project(UNTRANSPILABLE), "test_strpos")

    text = str(err.value)
    assert err.value.code == "untranspilable-sql"
    assert "model 'athena_strpos' (models/athena_strpos.sql:1)" in text
    assert "STRPOS does not support the occurrence parameter" in text


def test_unit_target_dialect_applies_to_sql_models_without_sql_dialect(unit_project):
    yaml = """
    unit_tests:
      - name: test_trino_sql
        model: trino_style
        given:
          - input: source('raw', 'events')
            rows: [{day_text: "2024-02-03"}]
        expect: {rows: [{d: 2024-02-03 00:00:00}]}
    """
    files = {
        "models/trino_style.sql": "select date_parse(day_text, '%Y-%m-%d') as d from {{ source('raw', 'events') }}\n"
    }
    project = unit_project(yaml, files)

    assert _run(project, "test_trino_sql", dialect="trino").ok
    with pytest.raises(PyflowError):  # read as DuckDB SQL, date_parse does not exist
        _run(project, "test_trino_sql", dialect="duckdb")


def test_unit_reruns_reuse_compiled_models_and_the_database(unit_project):
    project = unit_project(STG_PASS)
    harness = ProjectHarness(project)
    node = harness.project.tests["test_stg_orders_lowercases_status"]

    assert run_unit_test(harness, node).ok
    compiled = dict(harness._compile_memo)
    assert run_unit_test(harness, node).ok

    assert harness._compile_memo == compiled  # nothing recompiled
    tables = harness._db.adapter()._cursor().execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    assert tables == (0,)  # every fixture table was dropped after the run


def test_unit_dataframe_model(unit_project):
    yaml = """
    unit_tests:
      - name: test_counts
        model: status_counts
        given:
          - input: ref('stg_orders')
            rows: [{status: a}, {status: b}, {status: a}]
        expect:
          rows: [{status: a, n: 2}, {status: b, n: 1}]
    """
    outcome = _run(unit_project(yaml), "test_counts")

    assert outcome.ok, outcome.message


# ---- format: sql (dbt 1.8): a fixture written as a SELECT, in the target's SQL dialect

SQL_FIXTURE = """
unit_tests:
  - name: test_sql_fixture
    model: customer_totals
    given:
      - input: ref('stg_orders')
        format: sql
        rows: |
          select 1 as customer_id, 1.25 as amount, 'completed' as status
          union all
          select 1, null, 'completed'
          union all
          select 2, 3, 'shipped'
    expect:
      format: sql
      rows: |
        select 1 as customer_id, 2 as orders, 1.25 as total
"""


def test_unit_sql_fixtures_given_and_expected(unit_project):
    outcome = _run(unit_project(SQL_FIXTURE), "test_sql_fixture")

    assert outcome.ok, outcome.message


def test_unit_sql_fixture_rows_are_compared(unit_project):
    wrong = SQL_FIXTURE.replace(
        "select 1 as customer_id, 2 as orders, 1.25 as total",
        "select 1 as customer_id, 3 as orders, 1.25 as total",
    )

    outcome = _run(unit_project(wrong), "test_sql_fixture")

    assert outcome.status == "fail"
    assert "1 expected row(s) missing, 1 unexpected row(s)" in outcome.message


def test_unit_sql_fixture_in_the_target_dialect_is_transpiled(unit_project):
    yaml = """
    unit_tests:
      - name: test_trino_fixture
        model: stg_orders
        given:
          - input: source('raw', 'orders')
            format: sql
            rows: "select 1 as id, 'DONE' as status, date_add('day', 1, date '2024-01-01') as ordered_at"
        expect:
          rows: [{id: 1, status: done}]
    """
    project = unit_project(yaml)

    assert _run(project, "test_trino_fixture", dialect="trino").ok
    with pytest.raises(PyflowError) as err:  # DuckDB's date_add takes (date, interval)
        _run(project, "test_trino_fixture", dialect="duckdb")
    assert err.value.code == "invalid-unit-test"
    assert err.value.path == "models/unit.yml"
    assert "format: sql" in str(err.value) and "date_add" in str(err.value)


def test_unit_sql_fixture_that_is_not_text_names_the_file(unit_project):
    yaml = """
    unit_tests:
      - name: test_sql_list
        model: customer_totals
        given:
          - input: ref('stg_orders')
            format: sql
            rows: [{customer_id: 1}]
        expect: {rows: []}
    """
    with pytest.raises(PyflowError) as err:  # read with the project, as a csv fixture that is not text
        _run(unit_project(yaml), "test_sql_list")

    assert err.value.code == "invalid-config"
    assert err.value.path == "models/unit.yml"
    assert "rows of format sql are one SELECT statement as text" in str(err.value)
