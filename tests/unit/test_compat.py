"""Catch a broken ibis / duckdb / sqlglot combination before users do.

Each step below is something a known bad combination breaks: ``to_pyarrow``/``execute`` call
``fetch_arrow_table`` (removed in duckdb 2.x), ``drop_view`` emits a nameless ``DROP VIEW`` with
sqlglot >= 30.18, and incremental models need DuckDB's ``MERGE INTO`` (duckdb >= 1.4).
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]

# Known, harmless under the pins (pytest turns warnings into errors): ibis 12.0 calls
# DuckDBPyConnection.fetch_arrow_table, deprecated in duckdb 1.5 and removed in 2.0 (hence
# duckdb<2), and its to_pandas() reads a pandas option that pandas 3 deprecates. Removal, not
# deprecation, is what these tests must catch.
FETCH_ARROW_DEPRECATED = pytest.mark.filterwarnings(
    r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"
)
INFER_STRING_DEPRECATED = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated")


@pytest.fixture
def con() -> Any:
    import ibis

    connection = ibis.duckdb.connect()
    connection.raw_sql(
        "CREATE TABLE orders AS SELECT * FROM (VALUES (1, 'a', 10.0), (2, 'b', 5.0), (3, 'a', 1.5)) t(id, customer, amount)"
    )
    yield connection
    connection.disconnect()


def _expr(con: Any) -> Any:
    orders = con.table("orders")
    return (
        orders.group_by("customer").agg(total=orders.amount.sum(), n=orders.id.count()).order_by("customer")
    )


@INFER_STRING_DEPRECATED
def test_compat_ibis_executes_to_pyarrow_and_pandas(con: Any) -> None:
    expr = _expr(con)

    table = expr.to_pyarrow()
    frame = expr.execute()

    assert table.to_pydict() == {"customer": ["a", "b"], "total": [11.5, 5.0], "n": [2, 1]}
    assert frame["total"].tolist() == [11.5, 5.0]


def _views(con: Any) -> list[str]:
    rows = con.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'"
    ).fetchall()
    return [r[0] for r in rows]


def test_compat_ibis_creates_and_drops_views(con: Any) -> None:
    con.create_view("customer_totals", _expr(con))
    assert _views(con) == ["customer_totals"]
    assert con.table("customer_totals").count().to_pyarrow().as_py() == 2

    con.drop_view("customer_totals")

    assert _views(con) == []


@FETCH_ARROW_DEPRECATED
def test_compat_ibis_lists_tables_and_wraps_sql(con: Any) -> None:
    assert con.list_tables() == ["orders"]
    assert con.sql("SELECT id FROM orders WHERE amount > 2").count().to_pyarrow().as_py() == 2


def test_compat_ibis_to_sql_for_duckdb(con: Any) -> None:
    import ibis

    sql = ibis.to_sql(_expr(con), dialect="duckdb")

    assert "GROUP BY" in sql.upper()
    assert '"orders"' in sql
    assert con.raw_sql(str(sql)).fetchall() == [("a", 11.5, 2), ("b", 5.0, 1)]


def test_compat_duckdb_merge_into() -> None:
    import duckdb

    db = duckdb.connect()
    try:
        db.execute("CREATE TABLE target AS SELECT * FROM (VALUES (1, 'old'), (2, 'old')) t(id, v)")
        db.execute("CREATE TABLE changes AS SELECT * FROM (VALUES (2, 'new'), (3, 'new')) t(id, v)")
        db.execute(
            "MERGE INTO target AS d USING changes AS s ON d.id = s.id "
            "WHEN MATCHED THEN UPDATE SET v = s.v "
            "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
        )
        assert db.execute("SELECT id, v FROM target ORDER BY id").fetchall() == [
            (1, "old"),
            (2, "new"),
            (3, "new"),
        ]
    finally:
        db.close()


def _requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"]]


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_compat_installed_versions_satisfy_the_pins(requirement: Requirement) -> None:
    if requirement.marker is not None and not requirement.marker.evaluate():
        pytest.skip(f"{requirement} does not apply here")
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        pytest.fail(f"{requirement.name} is a dependency but is not installed")

    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} violates {requirement}"
    )


def test_compat_pins_cover_the_engine_stack() -> None:
    names = {r.name for r in _requirements()}

    assert {"ibis-framework", "duckdb", "sqlglot"} <= names
