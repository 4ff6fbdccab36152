"""Tests for pyflow.adapters.attachment: memtables and Python UDFs on a real in-memory DuckDB."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters.attachment import AttachesPython, attached
from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.compile.runtime import Memtable, PythonUdf, Runtime
from pyflow.errors import AdapterError


def _plus_one(x: int) -> int:
    return x + 1


def _times_ten(x: Any) -> Any:
    import pyarrow.compute as pc

    return pc.multiply(x, 10)


def _halve(x: Any) -> Any:
    return x / 2


PLUS_ONE = PythonUdf("plus_one_0", "plus_one", "python", _plus_one, ("int64",), "int64")
TIMES_TEN = PythonUdf("times_ten_0", "times_ten", "pyarrow", _times_ten, ("int64",), "int64")
HALVE = PythonUdf("halve_0", "halve", "pandas", _halve, ("float64",), "float64")


def labels() -> Memtable:
    import pyarrow as pa

    data = pa.table({"id": [1, 2], "label": ["one", "two"]})
    return Memtable("ibis_pandas_memtable_test", (("id", "int64"), ("label", "string")), data)


def _exists(adapter: DuckDBAdapter, sql: str) -> bool:
    try:
        adapter._cursor().execute(sql).fetchall()
    except Exception:
        return False
    return True


def test_duckdb_adapter_attaches_python() -> None:
    assert isinstance(DuckDBAdapter.in_memory(), AttachesPython)


def test_memtable_and_udfs_of_every_kind_are_there_during_the_block_only(
    duckdb_adapter: DuckDBAdapter,
) -> None:
    runtime = Runtime((labels(),), (PLUS_ONE, TIMES_TEN, HALVE))
    sql = (
        "SELECT id, label, plus_one_0(id), times_ten_0(id), halve_0(CAST(id AS DOUBLE)) "
        "FROM ibis_pandas_memtable_test ORDER BY id"
    )

    with attached(duckdb_adapter, runtime, "m"):
        duckdb_adapter.execute("CREATE TABLE t AS " + sql)

    assert duckdb_adapter.fetchall("SELECT * FROM t") == [(1, "one", 2, 10, 0.5), (2, "two", 3, 20, 1.0)]
    assert not _exists(duckdb_adapter, "SELECT * FROM ibis_pandas_memtable_test")
    assert not _exists(duckdb_adapter, "SELECT plus_one_0(1)")
    assert not _exists(duckdb_adapter, "SELECT halve_0(1.0)")


def test_an_empty_runtime_attaches_nothing(duckdb_adapter: DuckDBAdapter) -> None:
    with attached(duckdb_adapter, None, "m"), attached(duckdb_adapter, Runtime(), "m"):
        assert duckdb_adapter.fetchall("SELECT 1") == [(1,)]


def test_a_udf_stays_while_another_thread_still_uses_it(duckdb_adapter: DuckDBAdapter) -> None:
    """DuckDB functions are shared by the connection's cursors: the last user removes it."""
    runtime = Runtime((), (PLUS_ONE,))
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[Any] = []

    def first() -> None:
        with attached(duckdb_adapter, runtime, "a"):
            first_in.set()
            second_done.wait()
            seen.append(duckdb_adapter.fetchall("SELECT plus_one_0(41)"))

    def second() -> None:
        first_in.wait()
        with attached(duckdb_adapter, runtime, "b"):
            seen.append(duckdb_adapter.fetchall("SELECT plus_one_0(1)"))
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert seen == [[(2,)], [(42,)]]
    assert not _exists(duckdb_adapter, "SELECT plus_one_0(1)")


def test_a_memtable_is_private_to_the_thread_that_attached_it(duckdb_adapter: DuckDBAdapter) -> None:
    found: list[bool] = []
    with attached(duckdb_adapter, Runtime((labels(),)), "m"):
        t = threading.Thread(
            target=lambda: found.append(_exists(duckdb_adapter, "SELECT * FROM ibis_pandas_memtable_test"))
        )
        t.start()
        t.join()
        assert _exists(duckdb_adapter, "SELECT * FROM ibis_pandas_memtable_test")
    assert found == [False]


def test_an_exception_in_a_udf_points_at_the_users_line(
    duckdb_adapter: DuckDBAdapter, tmp_path: Path
) -> None:
    helper = tmp_path / "udf_helpers.py"
    helper.write_text("def ratio(x):\n    return 1 / (x - x)\n", encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec(compile(helper.read_text(), str(helper), "exec"), namespace)
    udf = PythonUdf("ratio_0", "ratio", "python", namespace["ratio"], ("int64",), "float64")

    with pytest.raises(AdapterError) as info, attached(duckdb_adapter, Runtime((), (PLUS_ONE, udf)), "m"):
        duckdb_adapter.execute("CREATE TABLE t AS SELECT plus_one_0(1) AS p, ratio_0(1) AS r", model="m")

    err = info.value
    assert err.code == "python-udf-error"
    assert err.model == "m"
    assert err.path is not None and err.path.endswith("udf_helpers.py")
    assert err.line == 2
    assert "the Python UDF 'ratio' raised" in err.message
    assert "ZeroDivisionError" in err.message
    assert "return 1 / (x - x)" in (err.detail or "")
    assert isinstance(err.__cause__, ZeroDivisionError)


def test_a_udf_duckdb_cannot_register_is_an_adapter_error(duckdb_adapter: DuckDBAdapter) -> None:
    odd = PythonUdf("odd_0", "odd", "python", _plus_one, ("int64",), "int64", (("no_such_option", 1),))

    with pytest.raises(AdapterError) as info, attached(duckdb_adapter, Runtime((), (odd,)), "m"):
        pass

    assert info.value.code == "python-udf-error"
    assert "'odd'" in info.value.message


def test_trino_cannot_attach_so_a_runtime_reaching_it_is_an_unsupported_error() -> None:
    from pyflow.adapters.trino import TrinoAdapter
    from pyflow.config.profile import TrinoTarget
    from pyflow.errors import UnsupportedError

    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "hive", "schema": "s"}
    )
    adapter = TrinoAdapter(config)

    assert not isinstance(adapter, AttachesPython)
    with attached(adapter, None, "m"):  # nothing to attach: fine anywhere
        pass
    with pytest.raises(UnsupportedError) as info:
        attached(adapter, Runtime((labels(),)), "m")
    assert info.value.code == "python-udf-unsupported"
    assert info.value.model == "m"
