"""A seed column's type is dbt-duckdb's: agate's type tester, then dbt-adapters' SQL types."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.adapters.seedtype import column_types_for, seed_type


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "-2", "+3", "007"], "INTEGER"),
        (["2147483647", "-2147483648"], "INTEGER"),
        (["2147483648"], "BIGINT"),  # dbt-duckdb fails to load it into an INTEGER column
        (["1.0"], "DOUBLE"),  # a decimal place, even zero
        (["1", ".5"], "DOUBLE"),
        (["1."], "INTEGER"),  # Decimal('1.') has no decimal places
        (["", "null", "NULL", "Null"], "INTEGER"),  # no values: agate's Number
        (["2024-01-02", "2024-1-2"], "DATE"),
        (["2024-02-30"], "VARCHAR"),  # not a date
        (["2024-01-02 03:04:05"], "TIMESTAMP"),
        (["2024-01-02T03:04:05", "2024-01-02T03:04:05.123456", "2024-01-02T03:04:05Z"], "TIMESTAMP"),
        (["2024-01-02 03:04:05", "2024-01-02T03:04:05"], "VARCHAR"),  # two formats: neither type fits all
        (["2024-01-02 03:04:05.5"], "VARCHAR"),
        (["2024-01-02", "2024-01-02 03:04:05"], "VARCHAR"),
        (["true", "FALSE", "True"], "BOOLEAN"),
        (["1", "true"], "VARCHAR"),
        (["yes", "no"], "VARCHAR"),  # dbt's booleans are true/false only
        (["1,000"], "VARCHAR"),
        ([" 1"], "VARCHAR"),
    ],
)
def test_seed_type(values: list[str], expected: str) -> None:
    assert seed_type(values) == expected


def test_column_types_win_case_insensitively(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Code,n\n1,2\n", encoding="utf-8")

    assert column_types_for(path, ",", {"code": "VARCHAR"}) == {"n": "INTEGER", "code": "VARCHAR"}


def test_a_csv_that_does_not_read_keeps_only_the_column_types(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('a,b\n1,"open\n', encoding="utf-8")

    assert column_types_for(path, ",", {"a": "VARCHAR"}) == {"a": "VARCHAR"}
