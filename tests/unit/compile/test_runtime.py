"""Tests for pyflow.compile.runtime: memtables and Python UDFs in Python models.

On a target that attaches them (DuckDB) they ride beside the SQL as plain data; elsewhere, and
for views, memtables compile to typed inline VALUES and Python UDFs are compile errors.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

import pytest

from pyflow.compile.cache import CompileCache
from pyflow.compile.model import Upstream
from pyflow.compile.python import compile_python_model
from pyflow.compile.runtime import MAX_INLINE_CELLS, MAX_INLINE_CHARS
from pyflow.core.node import ModelNode
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import CompileError
from pyflow.relation import Relation

MEMTABLE = re.compile(r"ibis_pandas_memtable_\w+")
ORDERS = Upstream(
    "orders",
    '"db"."main"."orders"',
    Relation("db", "main", "orders"),
    columns=(("id", "int64"), ("amount", "float64")),
)


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def node(name: str, materialized: str = "table") -> ModelNode:
    return ModelNode(
        name=name,
        package="p",
        path=f"models/{name}.py",
        line=3,
        config=ModelConfig(materialized=materialized),
    )


def with_labels(orders: Any) -> Any:
    import ibis

    labels = ibis.memtable({"id": [1, 2], "label": ["one", "two"]})
    return orders.join(labels, "id")


def _double(orders: Any) -> Any:
    import ibis

    @ibis.udf.scalar.python
    def double_it(x: int) -> int:
        return x * 2

    return orders.mutate(twice=double_it(orders.id))


def _compile(fn: Any, dialect: str, *, attach: bool, materialized: str = "table") -> Any:
    return compile_python_model(
        fn,
        node(fn.__name__.strip("_"), materialized),
        {"orders": ORDERS},
        None,
        dialect,
        _quote,
        attach=attach,
    )


def test_memtable_rides_beside_the_sql_on_an_attaching_target() -> None:
    compiled = _compile(with_labels, "duckdb", attach=True)

    assert compiled.runtime is not None
    (memtable,) = compiled.runtime.memtables
    assert memtable.name.startswith("ibis_pandas_memtable_")
    assert memtable.columns == (("id", "int64"), ("label", "string"))
    assert memtable.data.to_pydict() == {"id": [1, 2], "label": ["one", "two"]}
    assert f'INNER JOIN "{memtable.name}"' in compiled.sql
    assert "VALUES" not in compiled.sql


def test_memtable_compiles_to_typed_values_on_trino() -> None:
    compiled = _compile(with_labels, "trino", attach=False)

    assert compiled.runtime is None
    assert MEMTABLE.sub("<memtable>", compiled.sql) == (
        'SELECT\n  "t2"."id",\n  "t2"."amount",\n  "t3"."label"\n'
        'FROM "db"."main"."orders" AS "t2"\n'
        "INNER JOIN (\n"
        '  SELECT\n    CAST("id" AS BIGINT) AS "id",\n    CAST("label" AS VARCHAR) AS "label"\n'
        '  FROM (VALUES\n    (1, \'one\'),\n    (2, \'two\')) AS "<memtable>"("id", "label")\n'
        ') AS "t3"\n  ON "t2"."id" = "t3"."id"'
    )


def test_memtable_in_a_duckdb_view_is_inlined_so_the_view_outlives_the_run() -> None:
    compiled = _compile(with_labels, "duckdb", attach=True, materialized="view")

    assert compiled.runtime is None
    assert "VALUES" in compiled.sql


ROWS: dict[str, list[Any]] = {
    "i": [1, None, -(2**40)],
    "d": [decimal.Decimal("12.34"), decimal.Decimal("-0.01"), None],
    "day": [dt.date(2024, 2, 29), None, dt.date(1970, 1, 1)],
    "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), None, dt.datetime(2000, 12, 31, 23, 59, 59)],
    "s": ["it's", None, ""],
    "b": [True, False, None],
    "nothing": [None, None, None],
}
TYPES = {
    "i": "int64",
    "d": "decimal(10, 2)",
    "day": "date",
    "ts": "timestamp",
    "s": "string",
    "b": "boolean",
    "nothing": "int32",
}


def typed_model(orders: Any) -> Any:
    import ibis
    import pyarrow as pa

    schema = ibis.schema(TYPES)
    table = pa.table(ROWS, schema=schema.to_pyarrow())
    return ibis.memtable(table)


def _run_as_duckdb(sql: str, dialect: str) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    import duckdb
    import sqlglot

    if dialect != "duckdb":
        sql = sqlglot.transpile(sql, read=dialect, write="duckdb")[0]
    con = duckdb.connect()
    try:
        rel = con.sql(sql)
        return rel.fetchall(), list(zip(rel.columns, [str(t) for t in rel.types], strict=True))
    finally:
        con.close()


@pytest.mark.parametrize("dialect", ["trino", "athena", "duckdb"])
def test_inline_values_round_trip_every_type_and_null(dialect: str) -> None:
    compiled = _compile(typed_model, dialect, attach=False)

    rows, types = _run_as_duckdb(compiled.sql, dialect)

    assert rows == list(zip(*ROWS.values(), strict=True))
    assert types == [
        ("i", "BIGINT"),
        ("d", "DECIMAL(10,2)"),
        ("day", "DATE"),
        ("ts", "TIMESTAMP"),
        ("s", "VARCHAR"),
        ("b", "BOOLEAN"),
        ("nothing", "INTEGER"),
    ]


NESTED: dict[str, list[Any]] = {
    "at": [dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC), None, dt.datetime(1999, 1, 1, tzinfo=dt.UTC)],
    "tags": [[1, 2], [3], None],
    "pair": [{"a": 1, "b": "x"}, None, {"a": 2, "b": None}],
}


def nested_model(orders: Any) -> Any:
    import ibis

    return ibis.memtable(NESTED)


@pytest.mark.parametrize("dialect", ["trino", "duckdb"])
def test_inline_values_round_trip_zoned_timestamps_lists_and_structs(dialect: str) -> None:
    compiled = _compile(nested_model, dialect, attach=False)

    rows, types = _run_as_duckdb(compiled.sql, dialect)

    assert rows == list(zip(*NESTED.values(), strict=True))
    assert types == [
        ("at", "TIMESTAMP WITH TIME ZONE"),
        ("tags", "BIGINT[]"),
        ("pair", "STRUCT(a BIGINT, b VARCHAR)"),
    ]


def test_empty_memtable_is_typed_nulls_with_no_rows() -> None:
    def empty(orders: Any) -> Any:
        import ibis

        return ibis.memtable(ibis.schema({"a": "int64", "b": "string"}).to_pyarrow().empty_table())

    compiled = _compile(empty, "trino", attach=False)

    rows, types = _run_as_duckdb(compiled.sql, "trino")
    assert rows == []
    assert types == [("a", "BIGINT"), ("b", "VARCHAR")]


def test_memtable_over_the_cell_limit_is_a_compile_error_naming_model_and_memtable() -> None:
    rows = MAX_INLINE_CELLS // 2 + 1

    def big(orders: Any) -> Any:
        import ibis

        return ibis.memtable({"a": list(range(rows)), "b": list(range(rows))})

    with pytest.raises(CompileError) as info:
        _compile(big, "trino", attach=False)

    err = info.value
    assert err.code == "memtable-too-large"
    assert err.model == "big"
    assert err.path == "models/big.py"
    text = str(err)
    assert "memtable 'ibis_pandas_memtable_" in text
    assert "columns a, b" in text
    assert f"{rows} rows x 2 columns" in text
    assert f"{MAX_INLINE_CELLS:,} cells" in text
    assert "seed" in (err.hint or "")
    assert "DataFrame model" in (err.hint or "")


def test_memtable_over_the_text_limit_is_a_compile_error() -> None:
    long = "x" * 1000
    rows = MAX_INLINE_CHARS // 1000 + 1

    def wide(orders: Any) -> Any:
        import ibis

        return ibis.memtable({"s": [long] * rows})

    assert rows < MAX_INLINE_CELLS
    with pytest.raises(CompileError) as info:
        _compile(wide, "athena", attach=False)

    assert info.value.code == "memtable-too-large"
    assert "columns s;" in str(info.value)


def test_large_memtable_is_attached_not_inlined_on_duckdb_tables() -> None:
    rows = MAX_INLINE_CELLS + 1

    def big(orders: Any) -> Any:
        import ibis

        return ibis.memtable({"a": list(range(rows))})

    compiled = _compile(big, "duckdb", attach=True)

    assert compiled.runtime is not None
    assert compiled.runtime.memtables[0].rows == rows


@pytest.mark.parametrize("dialect", ["trino", "athena"])
def test_python_udf_is_a_compile_error_off_duckdb(dialect: str) -> None:
    with pytest.raises(CompileError) as info:
        _compile(_double, dialect, attach=False)

    err = info.value
    assert err.code == "python-udf-unsupported"
    assert err.model == "double"
    assert err.path == "models/double.py"
    text = str(err)
    assert "Python UDF 'double_it'" in text
    assert f"cannot run on {dialect}" in text
    assert "test_runtime.py:" in text  # where the UDF is defined
    assert "built-in" in (err.hint or "") and "SQL UDF" in (err.hint or "")


@pytest.mark.parametrize("materialized", ["view", "ephemeral"])
def test_python_udf_in_a_view_is_a_compile_error_on_duckdb(materialized: str) -> None:
    with pytest.raises(CompileError) as info:
        _compile(_double, "duckdb", attach=True, materialized=materialized)

    assert info.value.code == "python-udf-materialization"
    assert "Python UDF 'double_it'" in str(info.value)
    assert 'materialized="table"' in (info.value.hint or "")


def test_python_udfs_of_every_kind_ride_beside_the_sql_on_duckdb() -> None:
    def kinds(orders: Any) -> Any:
        import ibis
        import pyarrow.compute as pc

        @ibis.udf.scalar.python
        def plus_one(x: int) -> int:
            return x + 1

        @ibis.udf.scalar.pyarrow
        def times_ten(x: int) -> int:
            return pc.multiply(x, 10)

        @ibis.udf.scalar.pandas
        def halve(x: float) -> float:
            return x / 2

        return orders.mutate(a=plus_one(orders.id), b=times_ten(orders.id), c=halve(orders.amount))

    compiled = _compile(kinds, "duckdb", attach=True)

    assert compiled.runtime is not None
    found = {u.function: (u.kind, u.params, u.returns) for u in compiled.runtime.udfs}
    assert found == {
        "plus_one": ("python", ("int64",), "int64"),
        "times_ten": ("pyarrow", ("int64",), "int64"),
        "halve": ("pandas", ("float64",), "float64"),
    }
    for udf in compiled.runtime.udfs:
        assert f"{udf.name.upper()}(" in compiled.sql.upper()


def test_builtin_udf_needs_nothing_at_run_time_anywhere() -> None:
    def builtin(orders: Any) -> Any:
        import ibis

        @ibis.udf.scalar.builtin
        def upper(x: str) -> str: ...

        return orders.mutate(u=upper(orders.id.cast("string")))

    for dialect, attach in (("duckdb", True), ("trino", False)):
        compiled = _compile(builtin, dialect, attach=attach)
        assert compiled.runtime is None
        assert "UPPER(" in compiled.sql.upper()


def test_models_with_attachments_are_not_kept_in_the_compile_cache(tmp_path: Any) -> None:
    cache = CompileCache(tmp_path / "cache.json")
    compiled = _compile(with_labels, "duckdb", attach=True)

    cache.put("k", compiled)

    assert cache.get(compiled.name, "k") is None
    cache.save()
    assert CompileCache(tmp_path / "cache.json").get(compiled.name, "k") is None


def test_a_cache_entry_from_before_attachments_is_not_reused(tmp_path: Any) -> None:
    """Version 2 entries of memtable models named tables that existed only while compiling."""
    import json

    path = tmp_path / "cache.json"
    stale = 'SELECT * FROM "ibis_pandas_memtable_abc"'
    path.write_text(json.dumps({"version": 2, "entries": {"m": {"key": "k", "sql": stale}}}))

    assert CompileCache(path).get("m", "k") is None


def test_builtin_aggregate_udf_needs_nothing_at_run_time_anywhere() -> None:
    """Ibis 12 has only builtin aggregate UDFs: they name an engine function."""

    def agg(orders: Any) -> Any:
        import ibis

        @ibis.udf.agg.builtin
        def geomean(x: float) -> float: ...

        return orders.group_by("id").aggregate(some=geomean(orders.amount))

    for dialect, attach in (("duckdb", True), ("trino", False)):
        compiled = _compile(agg, dialect, attach=attach)
        assert compiled.runtime is None
        assert "GEOMEAN(" in compiled.sql.upper()


MICROS: dict[str, list[Any]] = {
    "at": [dt.datetime(2020, 5, 6, 7, 8, 9, 500123), None],
    "zoned": [dt.datetime(2020, 5, 6, 7, 8, 9, 500123, tzinfo=dt.timezone(dt.timedelta(hours=2))), None],
}


def micros_model(orders: Any) -> Any:
    import ibis
    import pyarrow as pa

    return ibis.memtable(
        pa.table(
            {
                "at": pa.array(MICROS["at"], pa.timestamp("us")),
                "zoned": pa.array(MICROS["zoned"], pa.timestamp("us", tz="UTC")),
            }
        )
    )


@pytest.mark.parametrize("dialect", ["trino", "athena"])
def test_inline_timestamps_keep_their_microseconds_on_trino_and_athena(dialect: str) -> None:
    # Ibis writes from_iso8601_timestamp(...), which Trino types timestamp(3) with time zone:
    # the microseconds were lost before the cast to the column's timestamp(6) (seen on Trino 476)
    compiled = _compile(micros_model, dialect, attach=False)

    assert "FROM_ISO8601" not in compiled.sql.upper()
    assert "CAST('2020-05-06 07:08:09.500123' AS TIMESTAMP(6))" in compiled.sql
    assert "CAST('2020-05-06 05:08:09.500123 UTC' AS TIMESTAMP(6) WITH TIME ZONE)" in compiled.sql
    rows, _ = _run_as_duckdb(compiled.sql, dialect)
    assert rows == list(zip(*MICROS.values(), strict=True))


def test_compile_expression_unbinds_only_when_a_table_is_bound_and_both_paths_agree() -> None:
    import ibis

    from pyflow.compile.python import compile_expression

    con = ibis.duckdb.connect()
    con.raw_sql("CREATE TABLE t AS SELECT 1 AS x")
    bound = con.table("t").filter(lambda t: t.x > 0)
    unbound = ibis.table({"x": "int32"}, name="t").filter(lambda t: t.x > 0)
    model = node("m")

    assert (
        compile_expression(bound, model, "duckdb")[0]
        == compile_expression(bound.unbind(), model, "duckdb")[0]
    )
    assert compile_expression(unbound, model, "duckdb")[0] == ibis.to_sql(unbound.unbind(), dialect="duckdb")
    con.disconnect()
