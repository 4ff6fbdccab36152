"""dbt's model constraints with an enforced contract, on DuckDB (which enforces NOT NULL,
PRIMARY KEY, UNIQUE and CHECK in CREATE TABLE): read back from ``duckdb_constraints()``; a row
breaking one fails the model and leaves its previous table; what DuckDB does not enforce
(foreign keys) is noted once per model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROPS = """
    models:
      - name: orders
        config:
          contract: {enforced: true}
        constraints:
          - type: check
            expression: "amount >= 0"
          - type: unique
            columns: [code, amount]
        columns:
          - name: id
            data_type: integer
            constraints:
              - type: not_null
              - type: primary_key
          - name: code
            data_type: varchar
            constraints:
              - type: foreign_key
                expression: "customers (code)"
          - name: amount
            data_type: integer
            constraints:
              - type: check
                expression: "amount < 1000"
"""

GOOD = "{{ config(materialized='table') }}\nselect 1 as id, 'a' as code, 5 as amount union all select 2, 'b', 7\n"


def _project(make_project: Any, sql: str = GOOD, props: str = PROPS) -> Path:
    return make_project(
        {
            "pyflow.yml": json.dumps({"name": "proj"}),
            "models/orders.sql": sql,
            "models/props.yml": props,
        }
    )


def test_constraints_are_created_with_the_table_on_duckdb(make_project, pyflow, warehouse):
    project = _project(make_project)

    result = pyflow("run", "--project-dir", project)

    db = warehouse(project)
    assert sorted(db.rows("SELECT id, code, amount FROM main.orders")) == [(1, "a", 5), (2, "b", 7)]
    found = sorted(
        db.rows(
            "SELECT constraint_type, constraint_text FROM duckdb_constraints() "
            "WHERE schema_name = 'main' AND table_name = 'orders'"
        )
    )
    assert found == [
        ("CHECK", "CHECK((amount < 1000))"),
        ("CHECK", "CHECK((amount >= 0))"),
        ("NOT NULL", "NOT NULL"),
        ("PRIMARY KEY", "PRIMARY KEY(id)"),
        ("UNIQUE", "UNIQUE(code, amount)"),
    ]
    assert (
        "model 'orders': constraints not enforced: foreign_key (duckdb does not enforce them)"
        in result.output
    )


def test_constraints_a_violating_row_fails_the_model_and_keeps_the_old_table(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow("run", "--project-dir", project)
    for bad in (
        "select 1 as id, 'a' as code, 5 as amount union all select 1, 'b', 7",  # duplicate key
        "select null::integer as id, 'a' as code, 5 as amount",  # NULL id
        "select 3 as id, 'c' as code, -1 as amount",  # model-level check
        "select 3 as id, 'c' as code, 1000 as amount",  # column check
    ):
        (project / "models/orders.sql").write_text("{{ config(materialized='table') }}\n" + bad + "\n")

        result = pyflow("run", "--project-dir", project, expect=1)

        assert "Constraint Error" in result.output, bad
        db = warehouse(project)
        assert sorted(db.rows("SELECT id, code, amount FROM main.orders")) == [(1, "a", 5), (2, "b", 7)]
        tables = [r[0] for r in db.rows("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")]
        assert tables == ["orders"]


def test_constraints_apply_to_incremental_batches(make_project, pyflow, warehouse):
    sql = (
        "{{ config(materialized='incremental') }}\n"
        "select {{ var('id') }} as id, 'x' || {{ var('id') }} as code, 1 as amount\n"
    )
    project = _project(make_project, sql)
    pyflow("run", "--project-dir", project, "--vars", "{id: 1}")
    pyflow("run", "--project-dir", project, "--vars", "{id: 2}")

    result = pyflow("run", "--project-dir", project, "--vars", "{id: 2}", expect=1)  # a duplicate key

    assert "Constraint Error" in result.output
    assert sorted(warehouse(project).rows("SELECT id FROM main.orders")) == [(1,), (2,)]


def test_constraints_without_an_enforced_contract_are_ignored(make_project, pyflow, warehouse):
    project = _project(
        make_project, props=PROPS.replace("contract: {enforced: true}", "contract: {enforced: false}")
    )

    result = pyflow("run", "--project-dir", project)

    assert "constraints not enforced" not in result.output
    found = warehouse(project).rows("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'orders'")
    assert found == [(0,)]


def test_constraints_on_a_view_are_noted_unless_warn_unsupported_is_off(make_project, pyflow):
    sql = "{{ config(materialized='view') }}\nselect 1 as id, 'a' as code, 5 as amount\n"
    project = _project(make_project, sql)

    result = pyflow("run", "--project-dir", project)

    assert (
        "model 'orders': constraints not enforced: check, foreign_key, not_null, primary_key, unique "
        "(a view model has no table to constrain)" in result.output
    )
    quiet = PROPS.replace("- type: not_null", "- type: not_null\n                warn_unsupported: false")
    quiet_project = _project(make_project, sql, quiet)
    result = pyflow("run", "--project-dir", quiet_project)
    assert "check, foreign_key, primary_key, unique (a view" in result.output


def test_constraints_an_unknown_type_names_the_model_and_a_fix(make_project, pyflow):
    props = PROPS.replace("- type: not_null", "- type: not_nul")
    project = _project(make_project, props=props)

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "model 'orders'" in result.output and "unknown type 'not_nul'" in result.output
    assert "Did you mean 'not_null'" in result.output
    assert "[invalid-constraint]" in result.output
