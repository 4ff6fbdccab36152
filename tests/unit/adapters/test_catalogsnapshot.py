"""The DuckDB adapter's catalog snapshot answers exactly what a catalog query answers.

Every check compares ``relation_type``/``schema_exists`` (from the snapshot) with the
adapter's direct catalog queries (``_query_relation_type``/``_query_schema_exists``) on a real
DuckDB file, after each kind of change: DDL the adapter built, DDL it did not (hooks), a rolled
back transaction, raw cursor use, names differing only in case, and builds on threads.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.materializers.view import ViewMaterializer
from pyflow.relation import Relation

NAMES = (
    "a",
    "A",
    "b",
    "v",
    "t2",
    "m0",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "hooked",
    "a__pyflow_tmp_x",
)
SCHEMAS = ("main", "other", "Other", "hook_schema", "missing")


@pytest.fixture
def adapter(tmp_path: Path) -> DuckDBAdapter:
    from pyflow.adapters.duckdb import MemoryConfig

    a = DuckDBAdapter(MemoryConfig(path=str(tmp_path / "db.duckdb")))
    a.open()
    yield a
    a.close()


def assert_same_answers(adapter: DuckDBAdapter) -> None:
    """Snapshot answers == catalog queries, for every name and schema the tests touch."""
    db = adapter.database
    for schema in SCHEMAS:
        assert adapter.schema_exists(db, schema) == adapter._query_schema_exists(db, schema), schema
        for name in NAMES:
            rel = Relation(db, schema, name)
            assert adapter.relation_type(rel) == adapter._query_relation_type(rel), rel


def test_snapshot_follows_the_adapters_own_ddl(adapter: DuckDBAdapter) -> None:
    db = adapter.database
    assert_same_answers(adapter)  # loads the snapshot
    rel, view = Relation(db, "main", "a"), Relation(db, "main", "v")
    adapter.execute(adapter.create_table_as_sql(rel, "SELECT 1 AS x"))
    adapter.execute(adapter.create_view_sql(view, "SELECT * FROM main.a"))
    assert adapter.relation_type(rel) == "table" and adapter.relation_type(view) == "view"
    assert_same_answers(adapter)
    adapter.execute(adapter.create_schema_sql(db, "other"))
    adapter.execute(adapter.create_schema_sql(db, "Other"))  # IF NOT EXISTS: the same schema
    assert_same_answers(adapter)
    adapter.execute(adapter.rename_relation_sql(rel, "b", "table"))
    assert_same_answers(adapter)
    adapter.execute(adapter.drop_relation_sql(Relation(db, "main", "V"), "view"))  # another case
    assert adapter.relation_type(view) is None
    assert_same_answers(adapter)
    adapter.execute(adapter.create_table_as_sql(Relation(db, "OTHER", "A"), "SELECT 1 AS x"))
    assert_same_answers(adapter)


def test_snapshot_is_dropped_by_ddl_it_did_not_build(adapter: DuckDBAdapter) -> None:
    db = adapter.database
    assert_same_answers(adapter)
    adapter.execute("CREATE SCHEMA hook_schema")  # e.g. an on-run-start hook
    adapter.execute("CREATE TABLE hook_schema.hooked AS SELECT 1 AS x")
    assert adapter.relation_type(Relation(db, "hook_schema", "hooked")) == "table"
    assert_same_answers(adapter)
    adapter.execute("DROP SCHEMA hook_schema CASCADE")
    assert adapter.relation_type(Relation(db, "hook_schema", "hooked")) is None
    assert_same_answers(adapter)
    adapter._cursor().execute("CREATE TABLE main.m0 AS SELECT 1 AS x")  # the raw cursor, handed out
    assert adapter.relation_type(Relation(db, "main", "m0")) == "table"
    assert_same_answers(adapter)


def test_snapshot_keeps_a_transactions_changes_until_commit(adapter: DuckDBAdapter) -> None:
    db = adapter.database
    rel = Relation(db, "main", "a")
    tmp = adapter.temp_relation(rel)
    assert_same_answers(adapter)
    with pytest.raises(RuntimeError), adapter.transaction():
        adapter.execute(adapter.create_table_as_sql(tmp, "SELECT 1 AS x"))
        assert adapter.relation_type(tmp) == adapter._query_relation_type(tmp) == "table"
        raise RuntimeError("the build fails")
    assert adapter.relation_type(tmp) is None
    assert_same_answers(adapter)
    with adapter.transaction():
        adapter.execute(adapter.create_table_as_sql(tmp, "SELECT 1 AS x"))
        adapter.execute(adapter.rename_relation_sql(tmp, "a", "table"))
        assert adapter.relation_type(rel) == "table"
    assert_same_answers(adapter)


def test_snapshot_after_builds_on_threads(adapter: DuckDBAdapter) -> None:
    """Tables and views built concurrently, twice (the second time replacing them), as a run does."""
    db = adapter.database
    assert_same_answers(adapter)

    def build(i: int) -> None:
        rel = Relation(db, "main", f"m{i}")
        materializer = ViewMaterializer() if i % 3 == 0 else TableMaterializer()
        materializer.build(Job(rel.identifier, rel, adapter, sql=f"SELECT {i} AS x"))

    for _ in range(2):
        threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert_same_answers(adapter)
    loaded, _, _ = adapter._load_catalog()
    adapter.catalog.invalidate()
    reloaded, _, _ = adapter._load_catalog()
    assert sorted(loaded) == sorted(reloaded)


def test_statements_that_change_nothing_keep_the_snapshot(adapter: DuckDBAdapter) -> None:
    db = adapter.database
    adapter.execute(adapter.create_table_as_sql(Relation(db, "main", "a"), "SELECT 1 AS x"))
    assert_same_answers(adapter)
    for sql in ("SELECT 1", "INSERT INTO main.a VALUES (2)", "UPDATE main.a SET x = 3", "DELETE FROM main.a"):
        adapter.execute(sql)
        assert adapter.catalog.holds, sql
    with adapter.transaction():  # the adapter's own BEGIN and COMMIT
        adapter.execute("INSERT INTO main.a VALUES (4)")
    assert adapter.catalog.holds
    scratch = adapter.scratch_relation(Relation(db, "main", "a"), "batch")
    adapter.execute(adapter.create_scratch_table_sql(scratch, "SELECT 1 AS x"))  # temp: private
    adapter.execute(adapter.drop_relation_sql(scratch, "table"))
    assert adapter.catalog.holds
    assert_same_answers(adapter)


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE main.t (x INT)",
        "DROP SCHEMA IF EXISTS nothing_here",
        "ATTACH ':memory:' AS m",
        "SELECT 1; CREATE TABLE main.t2 (x INT)",
        "USE main",
        "SET search_path = 'main'",
        "CALL pragma_version()",
    ],
)
def test_statements_that_may_change_the_catalog_drop_the_snapshot(adapter: DuckDBAdapter, sql: str) -> None:
    assert_same_answers(adapter)
    assert adapter.catalog.holds
    adapter.execute(sql)
    assert not adapter.catalog.holds
    assert_same_answers(adapter)


def test_a_hooks_own_transaction_turns_the_snapshot_off(adapter: DuckDBAdapter) -> None:
    """BEGIN ... ROLLBACK sent as statements (an on-run-start hook, say): the adapter-built DDL
    inside is rolled back by the engine, so the snapshot must not keep it."""
    db = adapter.database
    assert_same_answers(adapter)
    adapter.execute("BEGIN")
    adapter.execute(adapter.create_table_as_sql(Relation(db, "main", "a"), "SELECT 1 AS x"))
    assert adapter.relation_type(Relation(db, "main", "a")) == "table"  # this thread sees it
    adapter.execute("ROLLBACK")
    assert adapter.relation_type(Relation(db, "main", "a")) is None
    assert_same_answers(adapter)
    assert not adapter.catalog.holds  # off for good: every answer is a query
    adapter.execute(adapter.create_table_as_sql(Relation(db, "main", "b"), "SELECT 1 AS x"))
    assert_same_answers(adapter)
    assert not adapter.catalog.holds


def test_statements_built_and_never_run_are_forgotten(adapter: DuckDBAdapter) -> None:
    from pyflow.adapters.catalogsnapshot import MAX_BUILT

    db = adapter.database
    first = adapter.create_table_as_sql(Relation(db, "main", "a"), "SELECT 1 AS x")
    for i in range(MAX_BUILT + 10):  # e.g. a dry run builds statements it never sends
        adapter.create_view_sql(Relation(db, "main", f"v{i}"), "SELECT 1 AS x")
    assert len(adapter._effects) == MAX_BUILT
    assert_same_answers(adapter)
    adapter.execute(first)  # forgotten: it drops the snapshot instead of updating it
    assert not adapter.catalog.holds
    assert_same_answers(adapter)


def test_catalogs_the_load_does_not_cover_are_always_queried() -> None:
    """Postgres, SQLite or MotherDuck catalogs attached to DuckDB can change under the run."""
    from pyflow.adapters.catalogsnapshot import CatalogSnapshot

    loads = []

    def load():  # what DuckDB's load returns: the attached "pg" catalog is not its own
        loads.append(1)
        return [(("db", "main", "a"), "table"), (("pg", "public", "t"), "table")], [("db", "main")], {"db"}

    snapshot = CatalogSnapshot(load)
    assert snapshot.relation_type(("db", "main", "a")) == "table"
    assert snapshot.relation_type(("DB", "main", "b")) is None  # the engine folds catalog names
    assert snapshot.relation_type(("pg", "public", "t")) == "unknown"
    assert snapshot.schema_exists(("pg", "public")) == "unknown"
    assert snapshot.schema_exists(("db", "main")) is True
    assert loads == [1]


def test_own_catalogs_are_duckdb_files_and_memory(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    adapter.execute(f"ATTACH '{tmp_path / 'other.duckdb'}' AS other_file")
    adapter.execute("ATTACH ':memory:' AS scratchpad")
    _, _, catalogs = adapter._load_catalog()
    assert catalogs == {adapter.database, "other_file", "scratchpad"}


def test_a_snapshot_dropped_by_another_thread_mid_question_answers_unknown() -> None:
    """Another thread's invalidate() between the load check and the lookup: "unknown", never
    "absent" (an absent target would be built as if new)."""
    from pyflow.adapters.catalogsnapshot import CatalogSnapshot

    snapshot = CatalogSnapshot(lambda: ([(("db", "main", "a"), "table")], [("db", "main")], {"db"}))
    assert snapshot.relation_type(("db", "main", "a")) == "table"
    loaded = snapshot._loaded

    def dropped_meanwhile() -> bool:
        ok = loaded()
        snapshot.invalidate()  # what a thread running a hook's DDL does at that moment
        return ok

    snapshot._loaded = dropped_meanwhile  # type: ignore[method-assign]
    assert snapshot.relation_type(("db", "main", "a")) == "unknown"
    assert snapshot.schema_exists(("db", "main")) == "unknown"
