"""Which column type changes a table's storage can make (pyflow.adapters.typechange).

The Iceberg cases are what Trino 476's iceberg connector answered to ``ALTER TABLE ... ALTER
COLUMN v SET DATA TYPE``: "ok", or ``ICEBERG_COMMIT_ERROR ... Cannot change column type``.
"""

from __future__ import annotations

import pytest

from pyflow.adapters.typechange import can_change_type


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("integer", "bigint", True),
        ("tinyint", "bigint", True),
        ("smallint", "integer", True),
        ("real", "double", True),
        ("decimal(5,2)", "decimal(9,2)", True),
        ("varchar(5)", "varchar", True),
        ("char(3)", "varchar", True),
        ("timestamp(3)", "timestamp(6)", True),
        ("timestamp(3) with time zone", "timestamp(6) with time zone", True),
        ("varchar", "bigint", False),
        ("bigint", "varchar", False),
        ("bigint", "integer", False),
        ("real", "bigint", False),
        ("date", "timestamp(6)", False),
        ("decimal(5,2)", "decimal(9,3)", False),
        ("decimal(9,2)", "decimal(5,2)", False),
        ("decimal(9,2)", "double", False),
        ("timestamp(6)", "timestamp(6) with time zone", False),
        ("DECIMAL(5, 2)", "Decimal(7,2)", True),
        ("array(integer)", "array(bigint)", True),  # not a type the rules know: the engine decides
    ],
)
def test_iceberg_changes_types_by_promotion_only(old: str, new: str, expected: bool) -> None:
    assert can_change_type("iceberg", old, new) is expected


def test_any_and_none() -> None:
    assert can_change_type("any", "varchar", "bigint")
    assert not can_change_type("none", "integer", "bigint")
