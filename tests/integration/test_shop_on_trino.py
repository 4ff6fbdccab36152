"""examples/shop built on a live Trino (iceberg catalog) holds the same rows as built on DuckDB.

Both builds read the same raw data: DuckDB reads ``data/*.parquet`` (the sources' files);
Trino reads tables ``raw_shop_<id>.customers`` and ``.orders`` of the ``iceberg`` catalog, made
from the same files (copied into the rig's warehouse folder, exposed as external ``hive``
tables, then ``CREATE TABLE ... AS`` into ``iceberg``: loading 100,000 rows as SQL literals
takes minutes on two cores). Every relation the DuckDB build made (seed, views, tables, the
incremental ``fct_daily_sales``, the snapshot ``customers_snapshot``) is compared table by table
with type-aware equality (:mod:`tests.integration.sameness`), after a first build and again
after ``simulate_changes.py`` changed the raw data (customers changed, deleted and added; new
orders on the last day), when ``fct_daily_sales`` merges a batch and the snapshot closes,
opens and invalidates versions.

Needs the rig's server (``scripts/trino.sh start``): the raw files go to its warehouse folder
(``$PYFLOW_TRINO_HOME/warehouse``, default ``~/.cache/pyflow-trino/warehouse``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import trino_warehouse as warehouse

from .sameness import differences, family, rows

pytestmark = [pytest.mark.trino, pytest.mark.slow]

CATALOG = "iceberg"
DONE = re.compile(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=0 SKIP=0 TOTAL=(\d+)")
WARNED = re.compile(r"WARN test (\S+) \.+ \[WARN (\d+)")
ARROW_TO_TRINO = {
    "int64": "bigint",
    "string": "varchar",
    "date32[day]": "date",
    "timestamp[us]": "timestamp(3)",
}
"""The raw files' Arrow types -> the external Hive table's types (Hive reads timestamps in ms;
the raw times are whole seconds)."""


class TrinoShop:
    """The shop copy's Trino side: its schemas, a connection, and loading the raw tables."""

    def __init__(self, server: Any, project: Path) -> None:
        import trino

        run = uuid.uuid4().hex[:8]
        self.schema, self.raw, self.files = f"shop_{run}", f"raw_shop_{run}", f"raw_files_{run}"
        self.project = project
        self.con = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow")

    def fetch(self, sql: str) -> list[Any]:
        cur = self.con.cursor()
        cur.execute(sql)
        return cur.fetchall()

    def load_raw(self) -> None:
        """(Re)create the raw tables from the project's parquet files."""
        import pyarrow.parquet as pq

        self.fetch(f"CREATE SCHEMA IF NOT EXISTS hive.{self.files}")
        self.fetch(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{self.raw}")
        for name in ("customers", "orders"):
            folder = warehouse() / self.files / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            shutil.copy(self.project / "data" / f"{name}.parquet", folder / "data.parquet")
            fields = list(pq.read_schema(folder / "data.parquet"))
            columns = ", ".join(f'"{f.name}" {ARROW_TO_TRINO[str(f.type)]}' for f in fields)
            self.fetch(f"DROP TABLE IF EXISTS hive.{self.files}.{name}")
            self.fetch(
                f"CREATE TABLE hive.{self.files}.{name} ({columns}) "
                f"WITH (external_location = 'local:///{self.files}/{name}', format = 'PARQUET')"
            )
            select = ", ".join(
                f'CAST("{f.name}" AS timestamp(6)) AS "{f.name}"'
                if str(f.type).startswith("timestamp")
                else f'"{f.name}"'
                for f in fields
            )
            self.fetch(f"DROP TABLE IF EXISTS {CATALOG}.{self.raw}.{name}")
            self.fetch(
                f"CREATE TABLE {CATALOG}.{self.raw}.{name} AS SELECT {select} FROM hive.{self.files}.{name}"
            )

    def drop_all(self) -> None:
        for catalog, schema in ((CATALOG, self.schema), (CATALOG, self.raw), ("hive", self.files)):
            tables = self.fetch(
                f"SELECT table_name, table_type FROM {catalog}.information_schema.tables "
                f"WHERE table_schema = '{schema}'"
            )
            for name, kind in tables:
                self.fetch(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} {catalog}.{schema}."{name}"')
            self.fetch(f"DROP SCHEMA IF EXISTS {catalog}.{schema}")
        shutil.rmtree(warehouse() / self.files, ignore_errors=True)
        self.con.close()


@pytest.fixture
def shop(copy_project: Any, trino_server: Any) -> Iterator[tuple[Path, TrinoShop]]:
    """A copy of examples/shop with a ``trino`` target, and its raw tables loaded on Trino."""
    if not warehouse().is_dir():
        message = f"the rig's warehouse folder {warehouse()} is missing (is the server at {trino_server.url} the rig's?)"
        if os.environ.get("PYFLOW_TRINO_REQUIRED", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    project = copy_project("examples/shop")
    side = TrinoShop(trino_server, project)
    sources = project / "models" / "staging" / "sources.yml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("schema: raw_shop", f"schema: {side.raw}"))
    with (project / "profiles.yml").open("a", encoding="utf-8") as profiles:
        profiles.write(
            f"    trino:\n      type: trino\n      host: {trino_server.host}\n      port: {trino_server.port}\n"
            f"      user: pyflow\n      database: {CATALOG}\n      schema: {side.schema}\n      threads: 2\n"
        )
    try:
        side.load_raw()
        yield project, side
    finally:
        side.drop_all()


def build(pyflow: Any, project: Path, *target: str) -> tuple[int, list[tuple[str, str]]]:
    """``pyflow build`` (on ``--target`` when given): no node may fail or be skipped.

    Returns the node count and the tests that warned, with their failing row counts.
    """
    result = pyflow("build", "--project-dir", project, *target)
    match = DONE.search(result.output)
    assert match is not None and int(match[1]) + int(match[2]) == int(match[3]), result.output
    return int(match[3]), sorted(WARNED.findall(result.output))


def compare(duck: Any, side: TrinoShop) -> list[str]:
    """Every relation of the DuckDB build against the same relation on Trino; returns their names."""
    relations = [r for r in duck.relations() if r.startswith("main.")]
    for rel in relations:
        name = rel.split(".", 1)[1]
        duck_columns = duck.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = 'main' AND table_name = '{name}' ORDER BY ordinal_position"
        )
        trino_columns = side.fetch(
            f"SELECT column_name, data_type FROM {CATALOG}.information_schema.columns "
            f"WHERE table_schema = '{side.schema}' AND table_name = '{name}' ORDER BY ordinal_position"
        )
        assert [(c.lower(), family(t)) for c, t in duck_columns] == [
            (c, family(t)) for c, t in trino_columns
        ], name
        columns = [c.lower() for c, _ in duck_columns]
        duck_rows = duck.rows(f'SELECT * FROM main."{name}"')
        trino_rows = side.fetch(f'SELECT * FROM {CATALOG}.{side.schema}."{name}"')
        if name == "customers_snapshot":
            duck_rows, trino_rows = (_snapshot_rows(columns, found) for found in (duck_rows, trino_rows))
        left, right = rows(duck_rows), rows(trino_rows)
        assert len(left) == len(right) and left == right, (
            f"{name}: {len(left)} rows on DuckDB, {len(right)} on Trino; - DuckDB only, + Trino only:\n"
            + "\n".join(differences(left, right))
        )
    return sorted(r.split(".", 1)[1] for r in relations)


def _snapshot_rows(columns: list[str], found: list[Any]) -> list[tuple[Any, ...]]:
    """``customers_snapshot`` rows as both engines must agree on them.

    ``pyflow_scd_id`` hashes the key and the time as the engine writes it as text (formats
    differ: ``2024-01-01 00:00:00`` / ``...00.000000``): it must be set and unique, and compares
    as ``True``. ``pyflow_valid_to`` of a version closed by a hard delete is the run's start
    time, different in every run: a time no version starts at compares as ``<run time>``.
    """
    scd, start, end = (columns.index(c) for c in ("pyflow_scd_id", "pyflow_valid_from", "pyflow_valid_to"))
    ids = [r[scd] for r in found]
    assert None not in ids and len(set(ids)) == len(ids)
    starts = {r[start] for r in found}
    out = []
    for row in found:
        values = list(row)
        values[scd] = True
        if values[end] is not None and values[end] not in starts:
            values[end] = "<run time>"
        out.append(tuple(values))
    return out


def test_shop_on_trino_equals_shop_on_duckdb_before_and_after_changed_data(
    shop: tuple[Path, TrinoShop], pyflow: Any, warehouse: Any
) -> None:
    project, side = shop
    nodes = build(pyflow, project)
    assert nodes[1] == []
    assert build(pyflow, project, "--target", "trino") == nodes
    compared = compare(warehouse(project), side)
    assert compared == [
        "country_codes",
        "customers_snapshot",
        "dim_customers",
        "fct_daily_sales",
        "fct_orders",
        "int_customer_order_summary",
        "int_orders_pivoted",
        "stg_customers",
        "stg_orders",
    ]
    before = {n: side.fetch(f"SELECT count(*) FROM {CATALOG}.{side.schema}.{n}")[0][0] for n in compared}

    # a day of business: customers change, leave and sign up; completed orders on the last day
    subprocess.run([sys.executable, str(project / "simulate_changes.py")], check=True, capture_output=True)
    side.load_raw()
    changed = build(pyflow, project)
    # deleted customers leave orders behind: the relationships test warns, with the same count
    assert changed[0] == nodes[0] and changed[1] != []
    assert build(pyflow, project, "--target", "trino") == changed
    assert compare(warehouse(project), side) == compared

    after = {n: side.fetch(f"SELECT count(*) FROM {CATALOG}.{side.schema}.{n}")[0][0] for n in compared}
    assert after["customers_snapshot"] > before["customers_snapshot"]  # versions closed and opened
    closed = side.fetch(
        f"SELECT count(*) FROM {CATALOG}.{side.schema}.customers_snapshot WHERE pyflow_valid_to IS NOT NULL"
    )
    assert closed[0][0] > 0
