"""The engine matrix of ``pyflow clone`` (docs/cli.md#pyflow-clone) holds: no engine has a zero-copy clone.

The docs say each clone is a view because DuckDB and Trino (Iceberg included) have no
``CLONE`` statement and Trino no SQL creating an Iceberg branch. These tests keep that claim
true against the engines installed here (DuckDB always, Trino when the rig is up); Athena has
no server here and is covered by its DDL reference only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest


def _fails(run, sql: str) -> str:
    """The message ``sql`` fails with (the test fails when the engine accepts it)."""
    try:
        run(sql)
    except Exception as exc:  # any driver error is the engine refusing the statement
        return str(exc)
    pytest.fail(f"the engine accepted {sql!r}: it may have a zero-copy clone now; update docs/cli.md")


def test_duckdb_has_no_clone_statement():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 1 AS a")
    for sql in ("CREATE TABLE t2 CLONE t", "CREATE TABLE t2 SHALLOW CLONE t"):
        assert "syntax error" in _fails(con.execute, sql).lower()


@pytest.fixture
def iceberg_table(trino_server) -> Iterator[tuple[object, str]]:
    if "iceberg" not in trino_server.catalogs:
        pytest.skip("the Trino server has no iceberg catalog")
    import trino

    con = trino.dbapi.connect(host=trino_server.host, port=trino_server.port, user="pyflow")
    cur = con.cursor()
    schema = f"iceberg.clone_{uuid.uuid4().hex[:8]}"

    def run(sql: str) -> None:
        cur.execute(sql)
        cur.fetchall()

    run(f"CREATE SCHEMA {schema}")
    run(f"CREATE TABLE {schema}.t AS SELECT 1 AS a")
    try:
        yield run, f"{schema}.t"
    finally:
        run(f"DROP TABLE IF EXISTS {schema}.t")
        run(f"DROP SCHEMA IF EXISTS {schema}")
        con.close()


@pytest.mark.trino
def test_trino_iceberg_has_no_clone_or_branch_statement(iceberg_table):
    run, table = iceberg_table
    for sql in (
        f"CREATE TABLE {table}2 CLONE {table}",
        f"CREATE TABLE {table}2 SHALLOW CLONE {table}",
        f"ALTER TABLE {table} CREATE BRANCH b1",
    ):
        assert "SYNTAX_ERROR" in _fails(run, sql)


def test_clone_help_says_every_clone_is_a_view(cli):
    result = cli("clone", "--help")

    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "No supported engine has a zero-copy table clone" in text
    assert "every clone is a view selecting from the state's relation" in text
