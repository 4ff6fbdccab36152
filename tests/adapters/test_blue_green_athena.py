"""Blue-green deploys on Athena over the recording connection: the statements, in order.

The recording connection stands in for pyathena; a small catalog (:class:`Catalog`) applies each
statement's effect (CREATE/DROP of schemas, tables and views, renames) so the catalog queries
pyflow asks are answered as Athena would, and keeps the rows of ``pyflow_releases`` so the
release log reads back what was appended. Models are Iceberg tables (Hive tables swap through
Glue, which tests/adapters/test_athena_swap_recovery.py covers). Asserted: a passing build
creates the release's tables in ``shop__<release>`` and only then replaces the production
views, one statement per model (Athena has no transactions); a failing test replaces no view
and drops nothing; rollback replaces the views with the previous release's; retention drops
the old release's tables and then its schema.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters.athena import AthenaAdapter
from tests.adapters.recording import RecordingConnection, record_aws_calls
from tests.conftest import write_project

PROFILES = """
ci:
  target: prod
  outputs:
    prod:
      type: athena
      s3_staging_dir: s3://bucket/results/
      s3_data_dir: s3://bucket/tables
      region_name: eu-west-1
      schema: shop
      blue_green: true
      releases:
        keep: 2
"""
# the run history (on by default) adds statements of its own; this test asserts the release's alone
PROJECT = "name: shop\nprofile: ci\nrun-history: false\nmodels:\n  +table_type: iceberg\n"
FILES = {
    "models/sources.yml": """
        sources:
          - name: raw
            schema: raw
            tables:
              - name: orders
        models:
          - name: orders_inc
            columns:
              - name: amount
                data_tests: [not_null]
        """,
    "models/order_totals.sql": (
        "{{ config(materialized='table') }}\n"
        "select customer, sum(amount) as total from {{ source('raw', 'orders') }} group by customer\n"
    ),
    "models/orders_inc.sql": (
        "{{ config(materialized='incremental', incremental_strategy='append') }}\n"
        "select id, amount, customer from {{ source('raw', 'orders') }}\n"
        "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n"
    ),
}

_NAME = r'(?:"[^"]*"\.)?[`"]([^`"]*)[`"]\.[`"]([^`"]*)[`"]'
_CREATE_TABLE = re.compile(rf"^CREATE TABLE {_NAME}")
_CREATE_VIEW = re.compile(rf"^CREATE OR REPLACE VIEW {_NAME}")
_DROP = re.compile(rf"^DROP (TABLE|VIEW) IF EXISTS {_NAME}")
_RENAME = re.compile(rf"^ALTER TABLE {_NAME} RENAME TO {_NAME}")
_CREATE_SCHEMA = re.compile(r"^CREATE SCHEMA IF NOT EXISTS (?:\"[^\"]*\"\.)?[`\"]([^`\"]*)[`\"]")
_DROP_SCHEMA = re.compile(r"^DROP SCHEMA IF EXISTS `([^`]*)`")
_VALUE = re.compile(r"CAST\('((?:[^']|'')*)' AS VARCHAR\) AS \"(\w+)\"")
_SEQ = re.compile(r"CAST\((\d+) AS BIGINT\) AS \"seq\"")
COLUMNS = ("seq", "release_id", "event", "at", "project_name", "target_name", "built", "models", "detail")


class Catalog:
    """Athena's catalog as the statements leave it, and the rows of the release table."""

    def __init__(self) -> None:
        self.tables: dict[tuple[str, str], str] = {("raw", "orders"): "BASE TABLE"}
        self.schemas = {"shop", "raw"}
        self.releases: list[tuple[Any, ...]] = []
        self.aws_calls: list[str] = []
        self.failing_amounts = False
        """Whether the not_null test of orders_inc finds rows."""

    def on_execute(self, sql: str) -> None:
        if m := _CREATE_TABLE.match(sql):
            self.tables[(m[1], m[2])] = "BASE TABLE"
            if m[2] == "pyflow_releases":
                self._release_row(sql)
        elif m := _CREATE_VIEW.match(sql):
            self.tables[(m[1], m[2])] = "VIEW"
        elif m := _DROP.match(sql):
            self.tables.pop((m[2], m[3]), None)
        elif m := _RENAME.match(sql):
            self.tables[(m[3], m[4])] = self.tables.pop((m[1], m[2]))
        elif m := _CREATE_SCHEMA.match(sql):
            self.schemas.add(m[1])
        elif m := _DROP_SCHEMA.match(sql):
            assert not any(s == m[1] for s, _ in self.tables), f"schema {m[1]} is not empty"
            self.schemas.discard(m[1])
        elif sql.startswith("INSERT INTO") and "pyflow_releases" in sql:
            self._release_row(sql)

    def _release_row(self, sql: str) -> None:
        values = {col: text.replace("''", "'") for text, col in _VALUE.findall(sql)}
        seq = _SEQ.search(sql)
        assert seq
        self.releases.append((int(seq[1]), *(values[c] for c in COLUMNS[1:])))

    def answer(self, sql: str) -> list[tuple[Any, ...]] | None:
        if "pyflow_releases" in sql and sql.startswith("SELECT max(seq)"):
            return [(max((r[0] for r in self.releases), default=None),)]
        if "pyflow_releases" in sql and sql.startswith('SELECT "seq"'):
            return list(self.releases)
        if sql.startswith("SELECT count(*) FROM (") and "pyflow_test" in sql:
            return [(1 if self.failing_amounts else 0,)]
        return None


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Catalog, RecordingConnection, Path]:
    catalog = Catalog()
    con = RecordingConnection(
        on_execute=catalog.on_execute,
        answer=catalog.answer,
        describe=[("id", "bigint"), ("amount", "double"), ("customer", "varchar")],  # orders_inc's query
    )
    con.tables = catalog.tables
    con.schemas = catalog.schemas
    con.columns = AnyColumns()
    monkeypatch.setattr(AthenaAdapter, "connect", lambda self: con)
    record_aws_calls(monkeypatch, catalog.aws_calls)
    root = write_project(tmp_path / "shop", {**FILES, "profiles.yml": PROFILES}, project_yml=PROJECT)
    return catalog, con, root


def _ddl(con: RecordingConnection, start: int, end: int | None = None) -> list[str]:
    """The statements sent between ``start`` and ``end`` that change something: their first
    line, and for a CREATE ... AS SELECT * (a copy, a production view) what it reads."""
    keep = ("CREATE", "DROP", "ALTER", "INSERT", "MERGE")
    out = []
    for sql in con.statements[start:end]:
        if sql.startswith(keep) and "information_schema" not in sql:
            reads = re.search(r"^SELECT \* FROM (.*)$", sql, re.M)
            out.append(
                sql.splitlines()[0] + (f" ... {reads[1]}" if reads and sql.startswith("CREATE") else "")
            )
    return out


class AnyColumns(dict):  # type: ignore[type-arg]
    """information_schema.columns of every model, whatever schema (release) it is in."""

    def get(self, key: Any, default: Any = None) -> Any:
        return {
            "orders_inc": [("id", "bigint"), ("amount", "double"), ("customer", "varchar")],
            "order_totals": [("customer", "varchar"), ("total", "double")],
        }.get(key[1].split("__pyflow_")[0], default)  # scratch tables too


def _release_ids(cli: Any, root: Path) -> list[tuple[str, str, bool]]:
    result = cli("releases", "--project-dir", str(root), "--output", "json")
    assert result.exit_code == 0, result.output
    return [(r["release_id"], r["status"], r["current"]) for r in json.loads(result.output)]


def _norm(lines: list[str], ids: list[str]) -> list[str]:
    """Release ids as R1, R2 ...; the per-invocation suffix of scratch tables as X."""
    out = []
    for line in lines:
        for n, rid in enumerate(ids, 1):
            line = line.replace(rid, f"R{n}")
        out.append(re.sub(r"(__pyflow_[a-z]+)_[0-9a-f]{8}", r"\1_X", line))
    return out


def test_athena_blue_green_statements(athena: tuple[Catalog, RecordingConnection, Path], cli: Any) -> None:
    catalog, con, root = athena
    marks = []
    for failing in (False, True, False):
        catalog.failing_amounts = failing
        marks.append(len(con.statements))
        result = cli("build", "--project-dir", str(root), "--threads", "1")  # one order of statements
        assert result.exit_code == (1 if failing else 0), result.output
    marks.append(len(con.statements))
    result = cli("rollback", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    releases = _release_ids(cli, root)
    ids = [r for r, _, _ in releases]
    assert [(s, c) for _, s, c in releases] == [("published", True), ("dropped", False), ("published", False)]
    phase = [_norm(_ddl(con, a, b), ids) for a, b in zip(marks, [*marks[1:], None], strict=True)]
    log_row = 'INSERT INTO "awsdatacatalog"."shop__pyflow"."pyflow_releases" ' + (
        '("seq", "release_id", "event", "at", "project_name", "target_name", "built", "models", "detail")'
    )
    # 1. the release's tables in shop__R1, then the production views (one statement each), then the log
    assert phase[0] == [
        "CREATE SCHEMA IF NOT EXISTS `shop__R1`",
        'CREATE TABLE "awsdatacatalog"."shop__R1"."order_totals__pyflow_tmp_X"',
        "ALTER TABLE `shop__R1`.`order_totals__pyflow_tmp_X` RENAME TO `shop__R1`.`order_totals`",
        'CREATE TABLE "awsdatacatalog"."shop__R1"."orders_inc__pyflow_tmp_X"',
        "ALTER TABLE `shop__R1`.`orders_inc__pyflow_tmp_X` RENAME TO `shop__R1`.`orders_inc`",
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."order_totals" AS ... "awsdatacatalog"."shop__R1"."order_totals"',
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."orders_inc" AS ... "awsdatacatalog"."shop__R1"."orders_inc"',
        "CREATE SCHEMA IF NOT EXISTS `shop__pyflow`",
        'CREATE TABLE "awsdatacatalog"."shop__pyflow"."pyflow_releases"',
    ]
    # 2. a failing test: the incremental model starts from a copy of R1's table; no view is
    #    replaced, nothing in shop is dropped; only the log says "failed"
    assert phase[1] == [
        "CREATE SCHEMA IF NOT EXISTS `shop__R2`",
        'CREATE TABLE "awsdatacatalog"."shop__R2"."orders_inc" ... "awsdatacatalog"."shop__R1"."orders_inc"',
        'CREATE TABLE "awsdatacatalog"."shop__R2"."order_totals__pyflow_tmp_X"',
        "ALTER TABLE `shop__R2`.`order_totals__pyflow_tmp_X` RENAME TO `shop__R2`.`order_totals`",
        'CREATE TABLE "awsdatacatalog"."shop__R2"."orders_inc__pyflow_batch_X"',
        'INSERT INTO "awsdatacatalog"."shop__R2"."orders_inc" ("id", "amount", "customer")',
        "DROP TABLE IF EXISTS `shop__R2`.`orders_inc__pyflow_batch_X`",
        log_row,
    ]
    # 3. passing again: views replaced after every table and test; then retention drops the
    #    failed release's tables and schema (keep: 2 keeps R1 and R3)
    assert phase[2] == [
        "CREATE SCHEMA IF NOT EXISTS `shop__R3`",
        'CREATE TABLE "awsdatacatalog"."shop__R3"."orders_inc" ... "awsdatacatalog"."shop__R1"."orders_inc"',
        'CREATE TABLE "awsdatacatalog"."shop__R3"."order_totals__pyflow_tmp_X"',
        "ALTER TABLE `shop__R3`.`order_totals__pyflow_tmp_X` RENAME TO `shop__R3`.`order_totals`",
        'CREATE TABLE "awsdatacatalog"."shop__R3"."orders_inc__pyflow_batch_X"',
        'INSERT INTO "awsdatacatalog"."shop__R3"."orders_inc" ("id", "amount", "customer")',
        "DROP TABLE IF EXISTS `shop__R3`.`orders_inc__pyflow_batch_X`",
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."order_totals" AS ... "awsdatacatalog"."shop__R3"."order_totals"',
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."orders_inc" AS ... "awsdatacatalog"."shop__R3"."orders_inc"',
        log_row,
        "DROP TABLE IF EXISTS `shop__R2`.`order_totals`",
        "DROP TABLE IF EXISTS `shop__R2`.`orders_inc`",
        "DROP SCHEMA IF EXISTS `shop__R2`",
        log_row,
    ]
    # 4. rollback: the views point at R1 again; no data is copied
    assert phase[3] == [
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."order_totals" AS ... "awsdatacatalog"."shop__R1"."order_totals"',
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."orders_inc" AS ... "awsdatacatalog"."shop__R1"."orders_inc"',
        log_row,
    ]
    # retention drops Iceberg tables with DROP TABLE alone (it deletes their data): no S3
    # cleanup of a release table's location, as a Hive table would get (only scratch tables')
    assert [c for c in catalog.aws_calls if c.startswith("s3.") and "__pyflow_" not in c] == []
    assert catalog.schemas == {"shop", "raw", "shop__pyflow", f"shop__{ids[0]}", f"shop__{ids[2]}"}
    assert {k: v for k, v in catalog.tables.items() if k[0] == "shop"} == {
        ("shop", "order_totals"): "VIEW",
        ("shop", "orders_inc"): "VIEW",
    }


def test_athena_external_location_cannot_be_blue_green(
    athena: tuple[Catalog, RecordingConnection, Path], cli: Any
) -> None:
    _, con, root = athena
    path = root / "models" / "order_totals.sql"
    path.write_text(
        "{{ config(materialized='table', table_type='hive', external_location='s3://bucket/fixed/') }}\n"
        "select 1 as one\n",
        encoding="utf-8",
    )
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "[blue-green-unsupported]" in result.output
    assert "model 'order_totals'" in result.output and "models/order_totals.sql" in result.output
    assert "Fix: remove external_location" in result.output
    assert _ddl(con, 0) == []  # refused before anything was written


def test_athena_publish_stopping_part_way_says_so_and_rollback_repairs_it(
    athena: tuple[Catalog, RecordingConnection, Path], cli: Any
) -> None:
    _, con, root = athena
    assert cli("build", "--project-dir", str(root)).exit_code == 0
    [(r1, _, _)] = _release_ids(cli, root)
    con.fail_on = lambda sql: sql.startswith('CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."orders_inc"')
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "publishing stopped part way, so some production views may read this release" in result.output
    assert f"`pyflow rollback --to {r1}`" in result.output
    ids = [r for r, _, _ in _release_ids(cli, root)]
    assert [s for _, s, _ in _release_ids(cli, root)] == ["published", "failed"]
    con.fail_on = lambda sql: False
    start = len(con.statements)
    result = cli("rollback", "--project-dir", str(root), "--to", r1)
    assert result.exit_code == 0, result.output
    assert _norm(_ddl(con, start), ids) == [
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."order_totals" AS ... "awsdatacatalog"."shop__R1"."order_totals"',
        'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."orders_inc" AS ... "awsdatacatalog"."shop__R1"."orders_inc"',
        'INSERT INTO "awsdatacatalog"."shop__pyflow"."pyflow_releases" '
        '("seq", "release_id", "event", "at", "project_name", "target_name", "built", "models", "detail")',
    ]
