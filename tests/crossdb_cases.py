"""dbt cross-database macro calls, as a template writes them, with the value each must return.

Shared by the DuckDB build (tests/integration/test_dbt_crossdb.py), the offline Trino/Athena
renderings (tests/unit/adapters/test_crossdb.py) and the live Trino run of the same SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

SCALARS: dict[str, tuple[str, Any]] = {
    "dateadd_day": ("CAST({{ dbt.dateadd('day', 3, \"DATE '2024-01-30'\") }} AS DATE)", dt.date(2024, 2, 2)),
    "dateadd_month": (
        "CAST({{ dbt.dateadd('month', 1, \"DATE '2024-01-31'\") }} AS DATE)",
        dt.date(2024, 2, 29),
    ),
    "datediff_day": (
        "{{ dbt.datediff(\"TIMESTAMP '2024-01-01 23:00:00'\", \"TIMESTAMP '2024-01-03 01:00:00'\", 'day') }}",
        2,
    ),
    "datediff_month": ("{{ dbt.datediff(\"DATE '2024-01-31'\", \"DATE '2024-02-01'\", 'month') }}", 1),
    "datediff_year": ("{{ dbt.datediff(\"DATE '2023-12-31'\", \"DATE '2024-01-01'\", 'year') }}", 1),
    "date_trunc": ("CAST({{ dbt.date_trunc('month', \"DATE '2024-02-17'\") }} AS DATE)", dt.date(2024, 2, 1)),
    "last_day": ("{{ dbt.last_day(\"DATE '2024-02-10'\", 'month') }}", dt.date(2024, 2, 29)),
    "split_part": ("{{ dbt.split_part(\"'a,b,c'\", \"','\", 2) }}", "b"),
    "split_part_from_end": ("{{ dbt.split_part(\"'a,b,c'\", \"','\", -1) }}", "c"),
    "concat": ("{{ dbt.concat([\"'a'\", \"'b'\", \"'c'\"]) }}", "abc"),
    "hash": ("{{ dbt.hash(\"'abc'\") }}", hashlib.md5(b"abc").hexdigest()),
    "safe_cast_bad": ("{{ dbt.safe_cast(\"'x'\", dbt.type_int()) }}", None),
    "safe_cast_ok": ("{{ dbt.safe_cast(\"'12'\", dbt.type_int()) }}", 12),
    "cast": ("{{ dbt.cast('7', dbt.type_string()) }}", "7"),
    "cast_bool_to_text": ("{{ dbt.cast_bool_to_text('1 = 1') }}", "true"),
    "string_literal": ('{{ dbt.string_literal("it\'s") }}', "it's"),
    "escape_single_quotes": ("'{{ dbt.escape_single_quotes(\"it's\") }}'", "it's"),
    "right": ("{{ dbt.right(\"'abcdef'\", 2) }}", "ef"),
    "position": ("{{ dbt.position(\"'c'\", \"'abc'\") }}", 3),
    "length": ("{{ dbt.length(\"'abcd'\") }}", 4),
    "replace": ("{{ dbt.replace(\"'aXb'\", \"'X'\", \"'-'\") }}", "a-b"),
    "type_bigint": ("CAST(5 AS {{ dbt.type_bigint() }})", 5),
    "type_float": ("CAST(1.5 AS {{ dbt.type_float() }})", 1.5),
    "type_numeric": ("CAST(1.25 AS {{ dbt.type_numeric() }})", Decimal("1.250000")),
    "type_boolean": ("CAST(TRUE AS {{ dbt.type_boolean() }})", True),
    "type_timestamp": (
        "CAST(TIMESTAMP '2024-01-02 03:04:05' AS {{ dbt.type_timestamp() }})",
        dt.datetime(2024, 1, 2, 3, 4, 5),
    ),
    "current_day": (
        "CAST(CAST({{ dbt.current_timestamp() }} AS TIMESTAMP) AS DATE) = CAST(CAST(current_timestamp AS TIMESTAMP) AS DATE)",
        True,
    ),
    "except": (
        "(SELECT count(*) FROM (SELECT x FROM (VALUES (1), (2)) AS s(x) {{ dbt.except() }} SELECT 2) AS r)",
        1,
    ),
    "intersect": (
        "(SELECT count(*) FROM (SELECT x FROM (VALUES (1), (2)) AS s(x) {{ dbt.intersect() }} SELECT 2) AS r)",
        1,
    ),
}
"""Name -> (SQL expression with dbt macro calls, its value)."""

AGGREGATE_SOURCE = "(VALUES ('b'), ('a'), ('c')) AS t(v)"
AGGREGATES: dict[str, tuple[str, Any]] = {
    "listagg": ("{{ dbt.listagg('v', \"','\", 'order by v') }}", "a,b,c"),
    "listagg_limit": ("{{ dbt.listagg('v', \"'-'\", 'order by v desc', 2) }}", "c-b"),
    "any_value": ("{{ dbt.any_value('v') }} IN ('a', 'b', 'c')", True),
    "bool_or": ("{{ dbt.bool_or(\"v = 'b'\") }}", True),
}
"""Name -> (aggregate over :data:`AGGREGATE_SOURCE`'s column ``v``, its value)."""


def scalar_select() -> str:
    """One SELECT of every scalar case, a column each."""
    return "select\n" + ",\n".join(f'  {sql} as "{name}"' for name, (sql, _) in SCALARS.items())


def aggregate_select() -> str:
    """One SELECT of every aggregate case over the three-row source."""
    cols = ",\n".join(f'  {sql} as "{name}"' for name, (sql, _) in AGGREGATES.items())
    return f"select\n{cols}\nfrom {AGGREGATE_SOURCE}"
