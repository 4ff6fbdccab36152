"""The SQL the Athena adapter generates, executed on a live Trino (Athena's engine is Trino-based).

pyathena talks to the AWS Athena API, so the statements are built by an offline
``AthenaAdapter`` and sent through the ``trino`` client to the rig's ``hive`` and ``iceberg``
catalogs. Only names are mapped (the data catalog ``awsdatacatalog`` and schema ``shop`` to a
catalog and a per-test schema; ``s3://bucket/tables/`` to ``local:///<schema>/``): the text
of each statement is otherwise the adapter's own.

Executed here: a Hive CTAS with ``external_location``, ``format``, ``partitioned_by`` and
``bucketed_by`` (the CTAS of every Hive build, and of the new prefix an ``insert_overwrite``
writes); INSERT into a Hive table; the Iceberg MERGE of ``merge`` (also by partition batches),
the one-MERGE ``delete+insert`` and ``insert_overwrite``, and the snapshot's closing MERGE.

Not executable on Trino, so covered by the recorded tests only (each refusal is checked
here, with the engine's words, in :func:`test_athena_only_syntax_is_refused_by_trino`):

- the Iceberg CTAS (``table_type = 'ICEBERG'``, ``is_external = false``: Athena's properties,
  Trino's Iceberg tables are Iceberg by catalog);
- Athena's Hive DDL (backquoted ``schema`.`table``` names: ``ALTER TABLE ... RENAME TO``,
  ``ADD COLUMNS``, ``DROP TABLE``), which Trino's parser refuses;
- ``write_compression`` (Athena's CTAS property; Trino sets compression per catalog/session);
- the Hive ``insert_overwrite`` partition swap and the Hive table swap, which repoint Glue
  partitions and tables through the AWS API, not SQL (``tests/adapters/test_athena_partitions.py``,
  ``test_athena_swap_recovery.py``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pyflow.adapters.base import TableOptions
from pyflow.relation import Relation
from tests.adapters.recording import RecordingConnection, athena_adapter
from tests.conftest import trino_warehouse

pytestmark = pytest.mark.trino

SHOP = Relation("awsdatacatalog", "shop", "orders")


class Live:
    """A per-test schema in the live ``hive`` and ``iceberg`` catalogs, and the mapping onto it."""

    def __init__(self, server: Any) -> None:
        import trino

        self.schema = f"athena_{uuid.uuid4().hex[:8]}"
        self.con = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow")
        for catalog in ("hive", "iceberg"):
            self.run(f"CREATE SCHEMA {catalog}.{self.schema}")

    def run(self, sql: str) -> list[Any]:
        cur = self.con.cursor()
        cur.execute(sql)
        return cur.fetchall()

    def local(self, sql: str, catalog: str) -> str:
        """An Athena statement with its names mapped onto ``catalog`` and this test's schema."""
        return sql.replace('"awsdatacatalog"."shop".', f'"{catalog}"."{self.schema}".').replace(
            "'s3://bucket/tables/", f"'local:///{self.schema}/"
        )

    def rows(self, catalog: str, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
        return sorted(tuple(r) for r in self.run(f'SELECT {columns} FROM {catalog}.{self.schema}."{table}"'))

    def table(self, catalog: str, name: str, select: str) -> None:
        """A table made by Trino itself (the state an earlier step would have left)."""
        self.run(f'CREATE TABLE {catalog}.{self.schema}."{name}" AS {select}')

    def close(self) -> None:
        for catalog in ("hive", "iceberg"):
            for (name,) in self.run(
                f"SELECT table_name FROM {catalog}.information_schema.tables WHERE table_schema = '{self.schema}'"
            ):
                self.run(f'DROP TABLE {catalog}.{self.schema}."{name}"')
            self.run(f"DROP SCHEMA {catalog}.{self.schema}")
        shutil.rmtree(trino_warehouse() / self.schema, ignore_errors=True)  # the external Hive tables' files
        self.con.close()


@pytest.fixture
def live(trino_server: Any) -> Iterator[Live]:
    side = Live(trino_server)
    try:
        yield side
    finally:
        side.close()


@pytest.fixture
def athena() -> Any:
    """An offline Athena adapter (tables under ``s3://bucket/tables``, schema ``shop``)."""
    return athena_adapter(RecordingConnection())


ROWS = "SELECT * FROM (VALUES (1, 'a', DATE '2024-01-01'), (2, 'b', DATE '2024-01-02'), (3, 'c', DATE '2024-01-02')) AS t (id, v, day)"


def test_hive_ctas_with_location_partitions_and_buckets_runs_on_trino_hive(live: Live, athena: Any) -> None:
    options = TableOptions(partitioned_by=("day",), bucketed_by=("id",), bucket_count=2)
    sql = athena.create_table_as_sql(SHOP.with_identifier("events"), ROWS, options)
    assert "external_location = 's3://bucket/tables/" in sql and "partitioned_by = ARRAY['day']" in sql
    live.run(live.local(sql, "hive"))
    assert live.rows("hive", "events") == [
        (1, "a", dt.date(2024, 1, 1)),
        (2, "b", dt.date(2024, 1, 2)),
        (3, "c", dt.date(2024, 1, 2)),
    ]
    assert live.rows("hive", "events$partitions") == [(dt.date(2024, 1, 1),), (dt.date(2024, 1, 2),)]
    (ddl,) = live.run(f"SHOW CREATE TABLE hive.{live.schema}.events")[0]
    assert f"external_location = 'local:///{live.schema}/shop/events/" in ddl

    # an append to the Hive table: the adapter's INSERT ... SELECT
    live.table("hive", "batch", "SELECT 4 AS id, 'd' AS v, DATE '2024-01-03' AS day")
    insert = athena.insert_sql(
        SHOP.with_identifier("events"), SHOP.with_identifier("batch"), ["id", "v", "day"]
    )
    live.run(live.local(insert, "hive"))
    assert live.rows("hive", "events$partitions") == [
        (dt.date(2024, 1, 1),),
        (dt.date(2024, 1, 2),),
        (dt.date(2024, 1, 3),),
    ]


def _iceberg_target_and_batch(live: Live) -> tuple[Relation, Relation]:
    live.table("iceberg", "orders", ROWS)
    live.table(
        "iceberg",
        "batch",
        "SELECT * FROM (VALUES (2, 'B', DATE '2024-01-02'), (4, 'd', DATE '2024-01-03')) AS t (id, v, day)",
    )
    return SHOP, SHOP.with_identifier("batch")


def test_iceberg_merge_runs_on_trino_iceberg(live: Live, athena: Any) -> None:
    target, batch = _iceberg_target_and_batch(live)
    live.run(live.local(athena.merge_sql(target, batch, ["id"], ["v", "day"], ["id", "v", "day"]), "iceberg"))
    assert live.rows("iceberg", "orders", "id, v") == [(1, "a"), (2, "B"), (3, "c"), (4, "d")]


def test_iceberg_merge_by_partition_batches_runs_on_trino_iceberg(live: Live, athena: Any) -> None:
    target, batch = _iceberg_target_and_batch(live)
    for day in (dt.date(2024, 1, 2), dt.date(2024, 1, 3)):
        where = athena.in_partitions_sql(["day"], [[day]])
        sql = athena.merge_sql(target, batch, ["id"], ["v"], ["id", "v", "day"], where=where)
        live.run(live.local(sql, "iceberg"))
    assert live.rows("iceberg", "orders", "id, v") == [(1, "a"), (2, "B"), (3, "c"), (4, "d")]


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (["id"], [(1, "a"), (2, "B"), (3, "c"), (4, "d")]),  # delete+insert on unique_key
        (["day"], [(1, "a"), (2, "B"), (4, "d")]),  # insert_overwrite of partitions by day
        ([], [(2, "B"), (4, "d")]),  # insert_overwrite without partitions: every row
    ],
    ids=["delete-insert", "insert-overwrite-partitions", "insert-overwrite-all"],
)
def test_iceberg_one_merge_replace_runs_on_trino_iceberg(
    live: Live, athena: Any, match: list[str], expected: list[tuple[Any, ...]]
) -> None:
    target, batch = _iceberg_target_and_batch(live)
    live.run(live.local(athena.replace_sql(target, batch, match, ["id", "v", "day"]), "iceberg"))
    assert live.rows("iceberg", "orders", "id, v") == expected


def test_iceberg_snapshot_closing_merge_runs_on_trino_iceberg(live: Live, athena: Any) -> None:
    live.table(
        "iceberg",
        "snap",
        "SELECT * FROM (VALUES (1, 'x', CAST(NULL AS timestamp(6))), (2, 'y', CAST(NULL AS timestamp(6)))) "
        "AS t (id, scd, valid_to)",
    )
    live.table(
        "iceberg",
        "changes",
        "SELECT 1 AS id, TRUE AS closes, TIMESTAMP '2024-05-01 12:00:00.123456' AS new_to",
    )
    sql = athena.close_versions_sql(
        SHOP.with_identifier("snap"),
        SHOP.with_identifier("changes"),
        ["id"],
        "valid_to",
        "new_to",
        "closes",
        "DBT_INTERNAL_DEST.valid_to IS NULL",
    )
    live.run(live.local(sql, "iceberg"))
    assert live.rows("iceberg", "snap", "id, valid_to") == [
        (1, dt.datetime(2024, 5, 1, 12, 0, 0, 123456)),
        (2, None),
    ]


@pytest.mark.parametrize(
    ("statement", "catalog", "refusal"),
    [
        (
            lambda a: a.create_table_as_sql(
                SHOP.with_identifier("ice"), ROWS, TableOptions(table_type="iceberg")
            ),
            "iceberg",
            "table property 'table_type' does not exist",
        ),
        (
            lambda a: a.create_table_as_sql(
                SHOP.with_identifier("zipped"), ROWS, TableOptions(write_compression="snappy")
            ),
            "hive",
            "table property 'write_compression' does not exist",
        ),
        (
            lambda a: a.rename_relation_sql(SHOP, "orders_old", "table"),
            "hive",
            "backquoted identifiers are not supported",
        ),
        (
            lambda a: a.add_column_sql(SHOP, "w", "varchar"),
            "hive",
            "backquoted identifiers are not supported",
        ),
    ],
    ids=["iceberg-ctas", "write-compression", "hive-ddl-rename", "hive-ddl-add-columns"],
)
def test_athena_only_syntax_is_refused_by_trino(
    live: Live, athena: Any, statement: Any, catalog: str, refusal: str
) -> None:
    from trino.exceptions import TrinoUserError

    with pytest.raises(TrinoUserError) as caught:
        live.run(live.local(statement(athena), catalog).replace("`shop`", f"`{live.schema}`"))
    assert refusal in str(caught.value).lower()
