"""The ``microbatch`` project: an incremental model built in daily batches (``event_time``,
``begin``, ``batch_size``, ``lookback``, ``--event-time-start/--event-time-end``).

Its expected files come from dbt-duckdb like the others'.
"""

from __future__ import annotations

import pytest

from tests.compat.comparison import table_differences
from tests.compat.harness import days

PROJECT = "microbatch"


@pytest.mark.parametrize("day", days(PROJECT))
def test_microbatch_tables_equal_dbts(by_pyflow, by_dbt, day):
    assert table_differences(by_dbt[day], by_pyflow[day]) == []


@pytest.mark.parametrize("day", days(PROJECT))
def test_microbatch_test_names_and_outcomes_equal_dbts(by_pyflow, by_dbt, day):
    assert by_pyflow[day].tests == by_dbt[day].tests
