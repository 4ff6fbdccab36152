"""The ``shop`` project: staging/marts layering, seeds as raw data, a generate_schema_name
override, custom schemas, dispatch, a vendored package, ``var()`` in config, hooks, unit tests
and data tests (one fails on purpose), built by pyflow and compared with dbt-duckdb."""

from __future__ import annotations

import pytest

from tests.compat.comparison import load_with_dbt, schema_errors, table_differences
from tests.compat.conftest import live_dbt
from tests.compat.harness import days

PROJECT = "shop"


@pytest.mark.parametrize("day", days(PROJECT))
def test_shop_tables_equal_dbts(by_pyflow, by_dbt, day):
    assert table_differences(by_dbt[day], by_pyflow[day]) == []


@pytest.mark.parametrize("day", days(PROJECT))
def test_shop_test_names_and_outcomes_equal_dbts(by_pyflow, by_dbt, day):
    assert by_pyflow[day].tests == by_dbt[day].tests
    assert "fail" in {t["status"] for t in by_dbt[day].tests.values()}


def test_shop_artifacts_match_dbts_json_schemas(by_pyflow):
    target = by_pyflow["day1"].target
    assert schema_errors(target / "manifest.json", "manifest_v12") == []
    assert schema_errors(target / "run_results.json", "run_results_v6") == []


@pytest.mark.skipif(live_dbt() is None, reason="needs dbt-core (the compat nox session)")
def test_shop_artifacts_load_with_dbt_core_classes(by_pyflow):
    proc = load_with_dbt(live_dbt(), by_pyflow["day1"].target)
    assert proc.returncode == 0, proc.stderr
