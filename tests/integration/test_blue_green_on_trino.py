"""Blue-green deploys live on Trino (memory, iceberg and hive catalogs): the issue 16 acceptance scenarios.

Production names become views over the release's tables; publishing replaces the views one by
one (Trino has no multi-statement transactions), a failing test leaves every production view's
definition and rows as they were, ``rollback`` re-points the views at the previous release, and
an incremental model carries its rows into the next release without a rebuild. The snapshot
runs on iceberg only (the memory connector cannot update rows, which SCD2 needs).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_project

pytestmark = [pytest.mark.trino]

PROFILES = """
shop:
  target: prod
  outputs:
    prod:
      type: trino
      host: {host}
      port: {port}
      database: {catalog}
      schema: {schema}
      blue_green: true
      releases:
        keep: 2
"""

MODELS = {
    "models/sources.yml": """
        sources:
          - name: raw
            schema: {raw}
            tables:
              - name: orders
              - name: customers
        models:
          - name: orders_inc
            columns:
              - name: amount
                data_tests: [not_null]
        """,
    "models/stg_orders.sql": "{{ config(materialized='view') }}\nselect * from {{ source('raw', 'orders') }}\n",
    "models/order_totals.sql": (
        "{{ config(materialized='table') }}\n"
        "select customer, sum(amount) as total, count(*) as n from {{ ref('stg_orders') }} group by customer\n"
    ),
    "models/orders_inc.sql": (
        "{{ config(materialized='incremental', incremental_strategy='append') }}\n"
        "select id, amount, customer from {{ ref('stg_orders') }}\n"
        "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n"
    ),
}
SNAPSHOT = """
    import ibis

    from pyflow import snapshot


    @snapshot(unique_key="id", strategy="check", check_cols=["tier"])
    def customers_snap(raw__customers: ibis.Table) -> ibis.Table:
        return raw__customers
    """


class Rig:
    """One test's schemas in one catalog of the live server, and a connection to query them."""

    def __init__(self, server: Any, catalog: str) -> None:
        import trino

        run = uuid.uuid4().hex[:8]
        self.catalog, self.schema, self.raw = catalog, f"bg_{run}", f"raw_bg_{run}"
        self.con = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow")

    def q(self, sql: str) -> list[Any]:
        cur = self.con.cursor()
        cur.execute(sql)
        return cur.fetchall()

    def load_orders(self, ids: range, *, null_amount: bool = False) -> None:
        """(Re)create raw.orders holding ``ids`` (a NULL amount on the last one when asked)."""
        amount = (
            f"CASE WHEN x = {ids[-1]} THEN NULL ELSE CAST(x AS double) END"
            if null_amount
            else "CAST(x AS double)"
        )
        self.q(f"DROP TABLE IF EXISTS {self.catalog}.{self.raw}.orders")
        self.q(
            f"CREATE TABLE {self.catalog}.{self.raw}.orders AS SELECT CAST(x AS bigint) AS id, {amount} AS amount, "
            f"'c' || CAST(x % 3 AS varchar) AS customer FROM UNNEST(sequence({ids[0]}, {ids[-1]})) AS t(x)"
        )

    def load_customers(self, tier_of_1: str) -> None:
        self.q(f"DROP TABLE IF EXISTS {self.catalog}.{self.raw}.customers")
        self.q(
            f"CREATE TABLE {self.catalog}.{self.raw}.customers AS SELECT CAST(x AS bigint) AS id, "
            f"CASE WHEN x = 1 THEN '{tier_of_1}' ELSE 'bronze' END AS tier FROM UNNEST(sequence(0, 2)) AS t(x)"
        )

    def schemas(self) -> list[str]:
        rows = self.q(f"SELECT schema_name FROM {self.catalog}.information_schema.schemata")
        return sorted(s for (s,) in rows if s.startswith(self.schema))

    def production(self) -> dict[str, Any]:
        """Each production relation: its type, its view definition, and its rows (sorted)."""
        rels = self.q(
            f"SELECT table_name, table_type FROM {self.catalog}.information_schema.tables "
            f"WHERE table_schema = '{self.schema}'"
        )
        out = {}
        for name, kind in sorted(rels):
            definition = (
                self.q(f"SHOW CREATE VIEW {self.catalog}.{self.schema}.{name}")[0][0]
                if kind == "VIEW"
                else None
            )
            rows = (
                None
                if name == "stg_orders"
                else sorted(self.q(f"SELECT * FROM {self.catalog}.{self.schema}.{name}"), key=repr)
            )
            out[name] = (kind, definition, rows)  # stg_orders is a view over the source: its rows follow it
        return out

    def drop_all(self) -> None:
        for schema in [*self.schemas(), self.raw]:
            for name, kind in self.q(
                f"SELECT table_name, table_type FROM {self.catalog}.information_schema.tables WHERE table_schema = '{schema}'"
            ):
                self.q(
                    f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {self.catalog}.{schema}.{name}"
                )
            self.q(f"DROP SCHEMA IF EXISTS {self.catalog}.{schema}")
        self.con.close()


@pytest.fixture(params=["memory", "iceberg", "hive"])
def rig(request: pytest.FixtureRequest, trino_server: Any) -> Iterator[Rig]:
    if request.param not in trino_server.catalogs:
        pytest.skip(f"the server has no catalog '{request.param}'")
    rig = Rig(trino_server, request.param)
    rig.q(f"CREATE SCHEMA IF NOT EXISTS {rig.catalog}.{rig.raw}")
    try:
        yield rig
    finally:
        rig.drop_all()


def project(tmp_path: Path, rig: Rig, server: Any) -> Path:
    files = {k: v.replace("{raw}", rig.raw) for k, v in MODELS.items()}
    if rig.catalog == "iceberg":
        files["snapshots/customers_snap.py"] = SNAPSHOT
    files["profiles.yml"] = PROFILES.format(
        host=server.host, port=server.port, catalog=rig.catalog, schema=rig.schema
    )
    return write_project(tmp_path / "shop", files, name="shop")


def releases(cli: Callable[..., Any], root: Path) -> list[dict[str, Any]]:
    result = cli("releases", "--project-dir", str(root), "--output", "json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.output)
    return found


def test_blue_green_on_trino(tmp_path: Path, cli: Callable[..., Any], rig: Rig, trino_server: Any) -> None:
    root = project(tmp_path, rig, trino_server)
    rig.load_orders(range(10))
    rig.load_customers("bronze")
    built = ["order_totals", "orders_inc", "stg_orders"] + (
        ["customers_snap"] if rig.catalog == "iceberg" else []
    )

    # 1. a passing release: every production name becomes a view over the release's relation
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    [r1] = releases(cli, root)
    assert r1["current"] and sorted(r1["built"]) == sorted(built)
    first = rig.production()
    assert {n: k for n, (k, _, _) in first.items()} == {n: "VIEW" for n in built}
    for name in built:
        assert f'"{rig.catalog}"."{rig.schema}__{r1["release_id"]}"."{name}"' in first[name][1]

    # 2. a failing test: production untouched, nothing published, exit code 1
    rig.load_orders(range(11), null_amount=True)
    rig.load_customers("gold")
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "was NOT published" in result.output and "production is untouched" in result.output
    assert rig.production() == first
    assert [r["status"] for r in releases(cli, root)] == ["published", "failed"]

    # 3. a passing release after new orders: the incremental model carries its rows, the snapshot its versions
    rig.load_orders(range(5, 15))  # ids 0-4 left the source: a rebuild would lose them
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    r3 = releases(cli, root)[-1]
    assert r3["current"] and r3["status"] == "published"
    assert rig.q(f"SELECT min(id), max(id), count(*) FROM {rig.catalog}.{rig.schema}.orders_inc") == [
        [0, 14, 15]
    ]
    if rig.catalog == "iceberg":
        versions = rig.q(
            f"SELECT id, tier FROM {rig.catalog}.{rig.schema}.customers_snap WHERE pyflow_valid_to IS NULL"
        )
        assert sorted(versions) == [[0, "bronze"], [1, "gold"], [2, "bronze"]]
        assert rig.q(f"SELECT count(*) FROM {rig.catalog}.{rig.schema}.customers_snap") == [[4]]
    # the failed release's schema was dropped by this publish (retention)
    assert rig.schemas() == sorted(
        [
            rig.schema,
            f"{rig.schema}__pyflow",
            f"{rig.schema}__{r1['release_id']}",
            f"{rig.schema}__{r3['release_id']}",
        ]
    )

    # 4. rollback: production reads the first release's rows again
    result = cli("rollback", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert rig.production() == first
    assert [r["current"] for r in releases(cli, root)] == [True, False, False]
