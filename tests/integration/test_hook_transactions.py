"""Hooks inside the model's transaction, as dbt runs them, on DuckDB (an engine with transactions).

dbt runs a model's pre- and post-hooks inside the transaction that builds it (unless a hook
says ``transaction: false``, dbt's ``before_begin``/``after_commit``): a failing post-hook
rolls the build back, so the previous table stays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _project(make_project: Any, model_sql: str) -> Path:
    return make_project(
        {
            "pyflow.yml": json.dumps({"name": "proj"}),
            "models/orders.sql": model_sql,
        }
    )


def test_hook_transactions_a_failing_post_hook_rolls_the_build_back(make_project, pyflow, warehouse):
    project = _project(make_project, "{{ config(materialized='table') }}\nselect 1 as id\n")
    pyflow("run", "--project-dir", project)
    (project / "models/orders.sql").write_text(
        "{{ config(materialized='table', post_hook=['create table audit_ok as select 1 as x', "
        "'insert into no_such_table values (1)']) }}\nselect 2 as id\n"
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "post-hook 2 failed" in result.output and "no_such_table" in result.output
    assert "rolled back" in result.output
    db = warehouse(project)
    assert db.rows("SELECT id FROM main.orders") == [(1,)]  # the previous table, not the new one
    tables = {r[0] for r in db.rows("SELECT table_name FROM information_schema.tables")}
    assert "audit_ok" not in tables  # the first post-hook was rolled back with the build
    assert not [t for t in tables if "__pyflow_" in t]  # no leftover temporary table


def test_hook_transactions_a_post_hook_outside_the_transaction_runs_after_commit(
    make_project, pyflow, warehouse
):
    project = _project(make_project, "{{ config(materialized='table') }}\nselect 1 as id\n")
    pyflow("run", "--project-dir", project)
    (project / "models/orders.sql").write_text(
        "{{ config(materialized='table', post_hook=[{'sql': 'insert into no_such_table values (1)', "
        "'transaction': false}]) }}\nselect 2 as id\n"
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "post-hook failed" in result.output
    assert "committed" in result.output
    assert warehouse(project).rows("SELECT id FROM main.orders") == [(2,)]  # built and committed first


def test_hook_transactions_hooks_see_the_new_table_inside_the_transaction(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        "{{ config(materialized='table', post_hook=\"create or replace table seen as select count(*) as n "
        'from {{ this }}") }}\nselect 1 as id union all select 2\n',
    )

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT n FROM main.seen") == [(2,)]
