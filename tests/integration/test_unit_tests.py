"""YAML unit tests end to end: `pyflow test` and `pyflow build` on examples/shop.

examples/shop declares unit tests in models/*/unit_tests.yml (stg_orders, stg_customers,
int_customer_order_summary, dim_customers, fct_daily_sales).
"""

from __future__ import annotations

import pytest

SHOP_UNIT_TESTS = {
    "test_stg_orders_cleans_status_and_keeps_the_window",
    "test_stg_customers_tidies_names_and_emails",
    "test_summary_counts_completed_orders",
    "test_dim_customers_segments_by_value_and_recency",
    "test_fct_daily_sales_recomputes_only_from_the_last_stored_day",
}
FAILING = """
unit_tests:
  - name: test_summary_is_wrong_on_purpose
    model: int_customer_order_summary
    given:
      - input: ref('stg_orders')
        rows: [{customer_id: 1, status: completed, total_amount_cents: 1000}]
    expect:
      rows: [{customer_id: 1, lifetime_value: 99.0}]
"""


@pytest.fixture
def shop(copy_project):
    return copy_project("examples/shop")


def test_unit_tests_run_by_pyflow_test_never_touch_the_warehouse(shop, pyflow, run_results):
    out = pyflow("test", "--project-dir", shop, "--select", "test_type:unit").output

    results = run_results(shop)
    assert set(results) == SHOP_UNIT_TESTS
    assert {r["status"] for r in results.values()} == {"pass"}
    assert f"PASS={len(SHOP_UNIT_TESTS)} WARN=0 ERROR=0" in out
    assert not (shop / "pyflow.duckdb").exists()  # the target was not even opened


def test_unit_tests_selected_with_their_model(shop, pyflow, run_results):
    pyflow("build", "--project-dir", shop, "--exclude", "test_type:unit")

    pyflow("test", "--project-dir", shop, "--select", "int_customer_order_summary")

    results = run_results(shop)
    assert "test_summary_counts_completed_orders" in results
    assert any(name.startswith("unique_int_customer_order_summary") for name in results)
    assert not SHOP_UNIT_TESTS - {"test_summary_counts_completed_orders"} & set(results)


def test_unit_tests_left_out_by_test_type_data(shop, pyflow, run_results):
    pyflow("build", "--project-dir", shop, "--exclude", "test_type:unit")

    pyflow("test", "--project-dir", shop, "--select", "test_type:data")

    assert not SHOP_UNIT_TESTS & set(run_results(shop))


def test_unit_tests_run_before_their_model_in_build(shop, pyflow, run_results):
    pyflow("build", "--project-dir", shop)

    results = run_results(shop)
    assert set(results) >= SHOP_UNIT_TESTS
    unit = results["test_summary_counts_completed_orders"]
    model = results["int_customer_order_summary"]
    assert unit["status"] == "pass" and model["status"] == "success"
    assert unit["completed_at"] <= model["started_at"]


def test_build_skips_the_model_and_its_descendants_when_a_unit_test_fails(
    shop, pyflow, run_results, warehouse
):
    (shop / "models" / "intermediate" / "failing_unit_tests.yml").write_text(FAILING, encoding="utf-8")

    out = pyflow("build", "--project-dir", shop, expect=1).output

    results = run_results(shop)
    assert results["test_summary_is_wrong_on_purpose"]["status"] == "fail"
    assert results["int_customer_order_summary"]["status"] == "skipped"
    assert results["dim_customers"]["status"] == "skipped"
    assert results["stg_orders"]["status"] == "success"
    assert (
        "Failure in unit test test_summary_is_wrong_on_purpose (models/intermediate/failing_unit_tests.yml:3)"
        in out
    )
    assert "model 'int_customer_order_summary' (models/intermediate/int_customer_order_summary.sql:1)" in out
    assert "expected, missing from actual" in out
    assert "main.int_customer_order_summary" not in warehouse(shop).relations()


def test_unit_test_of_untranspilable_sql_fails_with_a_clear_message(shop, pyflow):
    (shop / "models" / "athena_only.sql").write_text(
        "{{ config(sql_dialect='athena') }}\nselect word_stem(status) as stem from {{ ref('stg_orders') }}\n",
        encoding="utf-8",
    )
    (shop / "models" / "athena_only.yml").write_text(
        "unit_tests:\n  - name: test_stem\n    model: athena_only\n    given:\n"
        "      - {input: stg_orders, rows: [{status: running}]}\n    expect: {rows: [{stem: run}]}\n",
        encoding="utf-8",
    )

    out = pyflow("test", "--project-dir", shop, "--select", "test_name:test_stem", expect=1).output

    assert "model 'athena_only' (models/athena_only.sql:1)" in out
    assert "function 'word_stem'" in out
    assert "in unit test 'test_stem' (models/athena_only.yml:2)" in out
    assert "[untranspilable-sql]" in out
