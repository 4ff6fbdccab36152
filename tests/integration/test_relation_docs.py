"""dbt's ``persist_docs`` and ``grants`` on DuckDB, read back from the engine's catalog.

DuckDB has ``COMMENT ON`` (read back from ``duckdb_tables()``, ``duckdb_views()`` and
``duckdb_columns()``) but no ``GRANT``: grants are skipped with one informational line per node.
"""

from __future__ import annotations

import json
from typing import Any

PROPS = """
    models:
      - name: orders
        description: "One row per order: it's the fact"
        columns:
          - name: id
            description: the order's key
          - name: amount
          - name: not_in_the_table
            description: documented, but the model has no such column
      - name: orders_view
        description: a view on orders
        columns:
          - name: id
            description: the key, again
"""


def _project(make_project: Any, persist_docs: dict[str, bool], **extra: Any) -> Any:
    return make_project(
        {
            "pyflow.yml": json.dumps({"name": "proj", "models": {"+persist_docs": persist_docs, **extra}}),
            "models/orders.sql": "{{ config(materialized='table') }}\nselect 1 as id, 2.5 as amount\n",
            "models/orders_view.sql": "{{ config(materialized='view') }}\nselect id from {{ ref('orders') }}\n",
            "models/props.yml": PROPS,
        }
    )


def _comments(db: Any) -> dict[str, Any]:
    tables = dict(db.rows("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'"))
    views = dict(db.rows("SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main'"))
    columns = {
        (t, c): comment
        for t, c, comment in db.rows(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main'"
        )
    }
    return {"tables": tables, "views": views, "columns": columns}


def test_persist_docs_comments_tables_views_and_documented_columns(make_project, pyflow, warehouse):
    project = _project(make_project, {"relation": True, "columns": True})

    pyflow("run", "--project-dir", project)

    found = _comments(warehouse(project))
    assert found["tables"] == {"orders": "One row per order: it's the fact"}
    assert found["views"]["orders_view"] == "a view on orders"
    assert found["columns"][("orders", "id")] == "the order's key"
    assert found["columns"][("orders", "amount")] is None  # no description: left alone
    assert found["columns"][("orders_view", "id")] == "the key, again"


def test_persist_docs_relation_only_leaves_columns_alone(make_project, pyflow, warehouse):
    project = _project(make_project, {"relation": True})

    pyflow("run", "--project-dir", project)

    found = _comments(warehouse(project))
    assert found["tables"] == {"orders": "One row per order: it's the fact"}
    assert found["columns"][("orders", "id")] is None


def test_persist_docs_off_writes_no_comment(make_project, pyflow, warehouse):
    project = _project(make_project, {})

    pyflow("run", "--project-dir", project)

    assert _comments(warehouse(project))["tables"] == {"orders": None}


def test_grants_are_skipped_on_duckdb_with_one_note_per_model(make_project, pyflow, warehouse):
    project = _project(make_project, {"relation": True}, **{"+grants": {"select": ["reporter"]}})

    result = pyflow("run", "--project-dir", project)

    notes = [line for line in result.output.splitlines() if "not applied: grants" in line]
    assert len(notes) == 2
    assert any("model 'orders': not applied: grants (duckdb has no GRANT)" in n for n in notes)
    assert _comments(warehouse(project))["tables"] == {"orders": "One row per order: it's the fact"}


def test_grants_with_a_malformed_entry_fail_the_model(make_project, pyflow):
    project = make_project(
        {
            "pyflow.yml": json.dumps({"name": "proj"}),
            "models/orders.sql": "{{ config(grants={'select; drop table x': ['a']}) }}\nselect 1 as id\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "model 'orders'" in result.output and "[invalid-grants]" in result.output
