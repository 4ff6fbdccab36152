"""Tests for pyflow.adapters.duckdb against a private in-memory database."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters import adapter_class
from pyflow.adapters.base import Column, StatementLog
from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.errors import AdapterError, ProjectError
from pyflow.relation import Relation

ORDERS = Relation(None, None, "orders")


@pytest.fixture
def db(duckdb_adapter: DuckDBAdapter) -> DuckDBAdapter:
    duckdb_adapter.execute("CREATE TABLE orders (id INTEGER, amount DECIMAL(10, 2), note VARCHAR)")
    duckdb_adapter.execute("CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 10")
    return duckdb_adapter


def test_duckdb_adapter_class_is_found_by_target_type() -> None:
    assert adapter_class("duckdb") is DuckDBAdapter


def test_duckdb_unknown_target_type_suggests_known_ones() -> None:
    with pytest.raises(ProjectError) as info:
        adapter_class("duckbd")

    assert info.value.code == "unknown-target-type"
    assert info.value.suggestions == ["duckdb"]


def test_duckdb_default_database_and_schema(duckdb_adapter: DuckDBAdapter) -> None:
    assert duckdb_adapter.database == "memory"
    assert duckdb_adapter.schema == "main"


def test_duckdb_relation_type_tells_tables_views_and_missing(db: DuckDBAdapter) -> None:
    assert db.relation_type(ORDERS) == "table"
    assert db.relation_type(Relation("memory", "main", "big_orders")) == "view"
    assert db.relation_type(Relation(None, None, "absent")) is None
    assert db.relation_type(Relation(None, "other", "orders")) is None


def test_duckdb_get_columns_in_order_with_types(db: DuckDBAdapter) -> None:
    assert db.get_columns(ORDERS) == [
        Column("id", "INTEGER"),
        Column("amount", "DECIMAL(10,2)"),
        Column("note", "VARCHAR"),
    ]
    assert db.get_columns(Relation(None, None, "absent")) == []


def test_duckdb_describe_query_does_not_run_it(db: DuckDBAdapter) -> None:
    cols = db.describe_query("SELECT id, amount * 2 AS doubled, error('never run') AS boom FROM orders")

    assert [c.name for c in cols] == ["id", "doubled", "boom"]
    assert cols[0].data_type == "INTEGER"


STRICT = (
    "header = true, quote = '\"', escape = '\"', skip = 0, comment = '', strict_mode = true, "
    "null_padding = false, ignore_errors = false"
)
"""The options that pin DuckDB's CSV reader to pyflow's one dialect (issue 10, item 2)."""
SEED_NULLS = "nullstr = ['', 'null', 'NULL', 'Null']"
"""A seed's NULL values: dbt's (agate reads ``""`` and ``null`` as NULL)."""


@pytest.mark.parametrize(
    ("location", "file_format", "expected"),
    [
        ("data/e.parquet", None, "read_parquet('data/e.parquet')"),
        ("data/e.csv", None, f"read_csv('data/e.csv', delim = ',', {STRICT})"),
        ("data/e.tsv", None, f"read_csv('data/e.tsv', delim = '\t', {STRICT})"),
        ("data/e.json", None, "read_json('data/e.json')"),
        ("data/e.jsonl", None, "read_json('data/e.jsonl')"),
        ("data/e.ndjson", None, "read_json('data/e.ndjson')"),
        ("data/*.CSV", None, f"read_csv('data/*.CSV', delim = ',', {STRICT})"),
        ("data/events/", None, "read_parquet('data/events/')"),
        ("data/e.txt", "csv", f"read_csv('data/e.txt', delim = ',', {STRICT})"),
        ("data/e.csv", "JSON", "read_json('data/e.csv')"),
        ("it's.parquet", None, "read_parquet('it''s.parquet')"),
    ],
)
def test_duckdb_file_scan_sql_picks_the_reader(location: str, file_format: str | None, expected: str) -> None:
    assert DuckDBAdapter.in_memory().file_scan_sql(location, file_format) == expected


def test_duckdb_file_scan_sql_reads_real_files(tmp_path: Path, duckdb_adapter: DuckDBAdapter) -> None:
    (tmp_path / "a.csv").write_text("id,name\n1,x\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"id": 2, "name": "y"}\n', encoding="utf-8")

    for name in ("a.csv", "a.jsonl"):
        scan = duckdb_adapter.file_scan_sql(str(tmp_path / name))
        assert len(duckdb_adapter.fetchall(f"SELECT * FROM {scan}")) == 1


def test_duckdb_csv_scan_sql_applies_column_types(tmp_path: Path, duckdb_adapter: DuckDBAdapter) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code;zip;name\n1;01234;a\n", encoding="utf-8")

    sql = duckdb_adapter.csv_scan_sql(path, {"code": "VARCHAR", "zip": "VARCHAR"}, ";")

    assert sql == (
        f"SELECT * FROM read_csv('{path}', delim = ';', {STRICT}, {SEED_NULLS}, "
        "types = {'name': 'VARCHAR', 'code': 'VARCHAR', 'zip': 'VARCHAR'})"
    )
    assert [(c.name, c.data_type) for c in duckdb_adapter.describe_query(sql)] == [
        ("code", "VARCHAR"),
        ("zip", "VARCHAR"),
        ("name", "VARCHAR"),
    ]
    assert duckdb_adapter.fetchall(sql) == [("1", "01234", "a")]


def test_duckdb_csv_scan_sql_without_types_types_them_as_dbt_duckdb(
    tmp_path: Path, duckdb_adapter: DuckDBAdapter
) -> None:
    path = tmp_path / "n.csv"
    path.write_text("n\n7\n", encoding="utf-8")

    sql = duckdb_adapter.csv_scan_sql(path, {}, ",")

    assert sql.endswith(f"{SEED_NULLS}, types = {{'n': 'INTEGER'}})")
    assert [(c.name, c.data_type) for c in duckdb_adapter.describe_query(sql)] == [("n", "INTEGER")]
    assert duckdb_adapter.fetchall(sql) == [(7,)]


def test_duckdb_wrap_error_names_engine_model_and_first_sql_lines(duckdb_adapter: DuckDBAdapter) -> None:
    sql = "SELECT *\nFROM missing_table\n" + "".join(f"-- line {i}\n" for i in range(3, 20))

    with pytest.raises(AdapterError) as info:
        duckdb_adapter.execute(sql, model="orders_enriched")

    err = info.value
    assert err.code == "database-error"
    assert err.model == "orders_enriched"
    assert err.message.startswith("duckdb error: ")
    assert "missing_table" in err.message
    assert err.detail is not None
    sql_part = err.detail.split("SQL:\n", 1)[1].splitlines()
    assert sql_part == ["  SELECT *", "  FROM missing_table", *(f"  -- line {i}" for i in range(3, 9))]
    assert err.hint
    assert str(err).startswith("model 'orders_enriched': duckdb error: ")
    import duckdb

    assert isinstance(err.__cause__, duckdb.Error)


def test_duckdb_execute_records_statements_even_when_they_fail(duckdb_adapter: DuckDBAdapter) -> None:
    log = StatementLog()
    duckdb_adapter.execute("CREATE TABLE t (x INTEGER)", record=log)
    with pytest.raises(AdapterError):
        duckdb_adapter.execute("INSERT INTO t VALUES ('nope')", record=log)

    assert log.statements == ["CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES ('nope')"]


def test_duckdb_fetchall_errors_are_adapter_errors(duckdb_adapter: DuckDBAdapter) -> None:
    with pytest.raises(AdapterError) as info:
        duckdb_adapter.fetchall("SELEC 1", model="m")

    assert "SELEC 1" in (info.value.detail or "")


def test_duckdb_transaction_rolls_back_on_error(db: DuckDBAdapter) -> None:
    db.execute("INSERT INTO orders VALUES (1, 5, 'kept')")

    with pytest.raises(AdapterError), db.transaction():
        db.execute("DELETE FROM orders")
        db.execute("CREATE TABLE created_in_tx (x INTEGER)")
        db.execute("INSERT INTO orders VALUES ('not a number', 1, 'x')")

    assert db.fetchall("SELECT note FROM orders") == [("kept",)]
    assert db.relation_type(Relation(None, None, "created_in_tx")) is None


def test_duckdb_transaction_commits_on_success(db: DuckDBAdapter) -> None:
    with db.transaction():
        db.execute("INSERT INTO orders VALUES (1, 5, 'a')")

    assert db.fetchall("SELECT count(*) FROM orders") == [(1,)]


def test_duckdb_create_table_from_dataframe(duckdb_adapter: DuckDBAdapter) -> None:
    import pyarrow as pa

    log = StatementLog()
    rows = duckdb_adapter.create_table_from_dataframe(
        Relation("memory", "main", "frame"), pa.table({"x": [1, 2, 3]}), record=log
    )

    assert rows == 3
    assert duckdb_adapter.fetchall('SELECT sum(x) FROM "frame"') == [(6,)]
    assert log.statements[0].startswith(
        'CREATE TABLE "memory"."main"."frame" AS\nSELECT * FROM __pyflow_frame_'
    )


def test_duckdb_type_round_trip_through_ibis(duckdb_adapter: DuckDBAdapter) -> None:
    assert duckdb_adapter.type_to_ibis("INTEGER") == "int32"
    assert duckdb_adapter.type_to_ibis("DECIMAL(10,2)") == "decimal(10, 2)"
    assert duckdb_adapter.ibis_to_type("int64") == "BIGINT"
    assert duckdb_adapter.type_to_ibis(duckdb_adapter.ibis_to_type("string")) == "string"


def test_duckdb_open_failure_is_a_connection_error(tmp_path: Path) -> None:
    from pyflow.adapters.duckdb import MemoryConfig

    folder = tmp_path / "a_folder.duckdb"
    folder.mkdir()
    adapter = DuckDBAdapter(MemoryConfig(path=str(folder)))

    with pytest.raises(AdapterError) as info:
        adapter.open()

    assert info.value.code == "connection-failed"
    assert info.value.path == str(folder)


def test_duckdb_close_is_idempotent_and_reopens(duckdb_adapter: Any) -> None:
    duckdb_adapter.close()
    duckdb_adapter.close()

    assert duckdb_adapter.fetchall("SELECT 1") == [(1,)]


def test_duckdb_open_leaves_no_transaction_open_so_commits_can_checkpoint(tmp_path: Path) -> None:
    # open() read the database name with fetchone(), which left the result, and so a transaction
    # of the main connection, open for the whole run: DuckDB never checkpoints while another
    # transaction is open, so every table a build wrote stayed in memory until the end

    from pyflow.config.profile import DuckDBTarget

    adapter = DuckDBAdapter(DuckDBTarget(path=str(tmp_path / "w.duckdb")))
    adapter.open()
    outcome: list[str] = []

    def worker() -> None:  # a model's thread: its own cursor, as in a run
        with adapter.transaction():
            adapter.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
        try:
            adapter._cursor().execute("CHECKPOINT")
            outcome.append("checkpointed")
        except Exception as exc:  # DuckDB: "there are other write transactions active"
            outcome.append(str(exc))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    adapter.close()

    assert outcome == ["checkpointed"]


def _view_chain(adapter: DuckDBAdapter, depth: int) -> None:
    adapter.execute("CREATE VIEW v0 AS SELECT 1 AS x", model="v0")
    for i in range(1, depth):
        adapter.execute(f"CREATE VIEW v{i} AS SELECT x + 1 AS x FROM v{i - 1}", model=f"v{i}")


def test_duckdb_view_chain_too_deep_names_the_fixes(duckdb_adapter: DuckDBAdapter) -> None:
    # every model's SQL is fine: DuckDB expands each view into its reader (binding it when it
    # is created), and about 500 nested views pass its default expression depth of 1,000
    with pytest.raises(AdapterError) as info:
        _view_chain(duckdb_adapter, 600)

    err = info.value
    assert "Max expression depth limit" in str(err)
    assert err.model == "v500"
    assert "materialize part of the chain as tables" in err.hint
    assert "max_expression_depth: 5000" in err.hint


def test_duckdb_max_expression_depth_in_settings_reads_the_chain() -> None:
    from pyflow.adapters.duckdb import MemoryConfig

    adapter = DuckDBAdapter(MemoryConfig(settings={"max_expression_depth": "5000"}))
    try:
        _view_chain(adapter, 600)
        assert adapter.fetchall("SELECT x FROM v599") == [(600,)]
    finally:
        adapter.close()


def test_duckdb_other_database_errors_keep_the_generic_hint(duckdb_adapter: DuckDBAdapter) -> None:
    with pytest.raises(AdapterError) as info:
        duckdb_adapter.fetchall("SELECT nope FROM (SELECT 1 AS x)")
    assert info.value.hint.startswith("fix the model's SQL or logic")


class _InterruptedCursor:
    """A DuckDB cursor as Ctrl-C leaves it: DuckDB raises this error from the running call.

    (Measured with DuckDB 1.5: a SIGINT to the thread running ``execute`` or ``fetchall`` makes
    it raise ``RuntimeError("Query interrupted")``, after a delay DuckDB decides, so it is
    injected here rather than timed.)
    """

    def __init__(self, real: Any, on: str) -> None:
        self.real, self.on = real, on

    def execute(self, sql: str) -> Any:
        if self.on == "execute":
            raise RuntimeError("Query interrupted")
        return self.real.execute(sql)

    def fetchall(self) -> Any:
        raise RuntimeError("Query interrupted")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize(
    ("call", "on"), [("execute", "execute"), ("fetchall", "execute"), ("fetchall", "fetchall")]
)
def test_duckdb_ctrl_c_during_a_query_is_a_keyboard_interrupt(
    duckdb_adapter: Any, monkeypatch: pytest.MonkeyPatch, call: str, on: str
) -> None:
    # it must stop pyflow, not be reported as the model's database error while the command goes on
    real = duckdb_adapter._thread_cursor()
    monkeypatch.setattr(duckdb_adapter, "_thread_cursor", lambda: _InterruptedCursor(real, on))
    with pytest.raises(KeyboardInterrupt):
        getattr(duckdb_adapter, call)("SELECT 1", model="slow")
    monkeypatch.undo()
    assert duckdb_adapter.fetchall("SELECT 42") == [(42,)]  # the connection still works
    # any other error of the database stays the model's error
    with pytest.raises(AdapterError):
        duckdb_adapter.execute("SELECT * FROM no_such_table", model="slow")
