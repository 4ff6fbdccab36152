"""The ``events`` project over two days: incremental models (merge, delete+insert, append)
reading ``{{ this }}`` and ``is_incremental()``, snapshots in a ``{% snapshot %}`` block and in
YAML with renamed meta columns; the seeds change between day 1 and day 2 as a loader's would.
Built by pyflow and compared with dbt-duckdb, day by day."""

from __future__ import annotations

import pytest

from tests.compat.comparison import load_with_dbt, schema_errors, table_differences
from tests.compat.conftest import live_dbt
from tests.compat.harness import days

PROJECT = "events"


@pytest.mark.parametrize("day", days(PROJECT))
def test_events_tables_equal_dbts(by_pyflow, by_dbt, day):
    assert table_differences(by_dbt[day], by_pyflow[day]) == []


@pytest.mark.parametrize("day", days(PROJECT))
def test_events_test_names_and_outcomes_equal_dbts(by_pyflow, by_dbt, day):
    assert by_pyflow[day].tests == by_dbt[day].tests


def test_events_day2_changed_what_day1_built(by_dbt):
    # the comparison is only worth something if day 2 runs the incremental and snapshot paths
    changed = {k for k, rows in by_dbt["day2"].rows.items() if rows != by_dbt["day1"].rows.get(k)}
    assert {"main.event_log", "main.events_merged", "snapshots.users_snapshot"} <= changed


def test_events_artifacts_match_dbts_json_schemas(by_pyflow):
    target = by_pyflow["day2"].target
    assert schema_errors(target / "manifest.json", "manifest_v12") == []
    assert schema_errors(target / "run_results.json", "run_results_v6") == []


@pytest.mark.skipif(live_dbt() is None, reason="needs dbt-core (the compat nox session)")
def test_events_artifacts_load_with_dbt_core_classes(by_pyflow):
    proc = load_with_dbt(live_dbt(), by_pyflow["day2"].target)
    assert proc.returncode == 0, proc.stderr
