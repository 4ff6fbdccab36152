"""An incremental model's ``unique_key`` holds from its first build on, not only on later runs.

Issue 10, item 4. The duplicate-key guard of incremental runs also guards the first build and
``--full-refresh``: a table that already violates its key is never created (or swapped in), so
no later merge starts from it. The engine-parametrized cases (DuckDB and the Trino adapter on
DuckDB) are in tests/conformance/test_incremental.py.
"""

from __future__ import annotations

MODEL = """\
{{ config(materialized='incremental', unique_key='order_id') }}
select * from (values
    (1, 'a'), (2, 'b'), (2, 'c'){{ var('extra', '') }}
) as t(order_id, status)
"""
UNIQUE_MODEL = MODEL.replace(", (2, 'c')", "")


def test_first_build_with_duplicate_keys_fails_and_creates_no_table(
    make_project, pyflow, warehouse, run_results
):
    project = make_project({"models/orders.sql": MODEL})

    failed = pyflow("run", "--project-dir", project, expect=1)

    assert "Done. PASS=0 WARN=0 ERROR=1 SKIP=0 TOTAL=1" in failed.output
    assert "model 'orders'" in failed.output
    assert "1 duplicated value(s) of unique_key (order_id)" in failed.output
    assert "order_id=2  (2 rows)" in failed.output
    assert "Fix: make the model return one row per key" in failed.output
    assert "[duplicate-unique-key]" in failed.output
    assert run_results(project)["orders"]["status"] == "error"
    assert "main.orders" not in warehouse(project).relations()


def test_full_refresh_with_duplicate_keys_fails_and_keeps_the_old_table(make_project, pyflow, warehouse):
    project = make_project({"models/orders.sql": UNIQUE_MODEL})
    pyflow("run", "--project-dir", project)

    failed = pyflow(
        "run",
        "--full-refresh",
        "--project-dir",
        project,
        "--vars",
        "{extra: \", (1, 'z'), (1, 'y')\"}",
        expect=1,
    )

    assert "the model's rows have 1 duplicated value(s) of unique_key (order_id)" in failed.output
    assert "order_id=1  (3 rows)" in failed.output
    assert "the old table was kept" in failed.output
    db = warehouse(project)
    assert db.rows("SELECT * FROM orders ORDER BY order_id") == [(1, "a"), (2, "b")]
    assert list(db.relations()) == ["main.orders"]  # no temporary table left behind


def test_incremental_run_after_a_good_first_build_still_checks_the_batch(make_project, pyflow, warehouse):
    project = make_project({"models/orders.sql": UNIQUE_MODEL})
    pyflow("run", "--project-dir", project)

    failed = pyflow("run", "--project-dir", project, "--vars", "{extra: \", (3, 'x'), (3, 'y')\"}", expect=1)

    assert "the new batch has 1 duplicated value(s) of unique_key (order_id)" in failed.output
    assert warehouse(project).rows("SELECT * FROM orders ORDER BY order_id") == [(1, "a"), (2, "b")]


def test_first_build_of_an_append_model_keeps_duplicate_rows(make_project, pyflow, warehouse):
    # no keyed strategy, no key to violate: the guard is exactly the incremental runs' guard
    project = make_project(
        {"models/orders.sql": MODEL.replace("unique_key='order_id'", "incremental_strategy='append'")}
    )

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT count(*) FROM orders") == [(3,)]
