"""The measuring query of a monitor test (:mod:`pyflow.core.monitor`), in standard SQL.

Unlike other data tests, a monitor's query does not return failing rows: it returns the
numbers the runner judges against the test's bounds or the run history
(:mod:`pyflow.runner.monitors`). ``schema_change`` measures nothing by query: its SELECT is
only described (column names and types), never run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Quote = Callable[[str], str]


def monitor_sql(
    test: str, args: Mapping[str, Any], model: str, q: Quote, to_utc: Callable[[str], str] | None
) -> str:
    """The query measuring ``model`` (a relation or subquery) for the monitor ``test``."""
    col = q(str(args["column_name"])) if "column_name" in args else None
    if test == "volume":
        return f"SELECT count(*) AS row_count\nFROM {model}"
    if test == "freshness":
        newest = to_utc(str(col)) if to_utc is not None else f"CAST({col} AS TIMESTAMP)"
        return f"SELECT max({newest}) AS newest, count(*) AS row_count\nFROM {model}"
    if test == "schema_change":
        return f"SELECT *\nFROM {model}"
    if test == "null_rate":
        return f"SELECT count(*) AS row_count, count({col}) AS non_null\nFROM {model}"
    if test == "distinct_rate":
        return f"SELECT count(*) AS row_count, count(DISTINCT {col}) AS distinct_values\nFROM {model}"
    raise ValueError(f"not a monitor test: {test}")
