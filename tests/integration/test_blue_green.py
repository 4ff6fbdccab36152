"""Blue-green deploys end to end on DuckDB: the acceptance scenarios of issue 16, item 1.

A release is built in release schemas beside ``main`` and tested there; production (the
relations of schema ``main``) changes only when everything passed, and then all at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_project

PROFILES = """
shop:
  target: prod
  outputs:
    prod:
      type: duckdb
      path: pyflow.duckdb
      blue_green: {blue_green}
      releases:
        keep: {keep}
"""

FILES = {
    "models/sources.yml": """
        sources:
          - name: raw
            schema: raw
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
        "{{ config(materialized='incremental', unique_key='id') }}\n"
        "select id, amount, customer from {{ ref('stg_orders') }}\n"
        "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n"
    ),
    "snapshots/customers_snap.py": """
        import ibis

        from pyflow import snapshot


        @snapshot(unique_key="id", strategy="check", check_cols=["tier"])
        def customers_snap(raw__customers: ibis.Table) -> ibis.Table:
            return raw__customers
        """,
}


def make(tmp_path: Path, *, blue_green: bool = True, keep: int = 3) -> Path:
    """The shop project, with raw.orders (ids 0-9) and raw.customers loaded."""
    root = write_project(
        tmp_path / "shop",
        {**FILES, "profiles.yml": PROFILES.format(blue_green=str(blue_green).lower(), keep=keep)},
        name="shop",
    )
    sql(
        root,
        "CREATE SCHEMA raw",
        "CREATE TABLE raw.orders AS SELECT range AS id, range * 1.0 AS amount, 'c' || (range % 3) AS customer "
        "FROM range(10)",
        "CREATE TABLE raw.customers AS SELECT range AS id, 'bronze' AS tier FROM range(3)",
    )
    return root


def sql(root: Path, *statements: str) -> list[Any]:
    """Run statements on the project's database; the rows of the last one."""
    import duckdb

    con = duckdb.connect(str(root / "pyflow.duckdb"))
    try:
        rows: list[Any] = []
        for s in statements:
            rows = con.execute(s).fetchall()
        return rows
    finally:
        con.close()


def production(root: Path, live: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every relation of schema main: its type, view definition and sorted rows (a checksum of all).

    ``live``: view models whose rows are left out, as they follow their sources by definition
    (their view definitions are still compared).
    """
    rels = sql(
        root,
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1",
    )
    views = dict(sql(root, "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main'"))
    return {
        name: (
            kind,
            views.get(name),
            None if name in live else sql(root, f'SELECT * FROM main."{name}" ORDER BY ALL'),
        )
        for name, kind in rels
    }


def schemas(root: Path) -> list[str]:
    """The release schemas in the database."""
    rows = sql(root, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'main__r%'")
    return sorted(r[0] for r in rows)


def releases(cli: Callable[..., Any], root: Path) -> list[dict[str, Any]]:
    """``pyflow releases --output json``."""
    result = cli("releases", "--project-dir", str(root), "--output", "json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.output)
    return found


def build(cli: Callable[..., Any], root: Path, *args: str) -> Any:
    return cli("build", "--project-dir", str(root), *args)


def test_blue_green_build_publishes_every_model_at_once(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    result = build(cli, root)
    assert result.exit_code == 0, result.output
    [release] = releases(cli, root)
    rid = release["release_id"]
    assert release["status"] == "published" and release["current"]
    assert release["built"] == ["customers_snap", "order_totals", "orders_inc", "stg_orders"]
    assert f"Published release {rid}: 4 model(s) now in production" in result.output
    prod = production(root)
    # every production name is a view over the release's relation, in schema main__<release id>
    assert {n: (k, v) for n, (k, v, _) in prod.items()} == {
        name: ("VIEW", f"CREATE VIEW {name} AS SELECT * FROM pyflow.main__{rid}.{name};")
        for name in ("customers_snap", "order_totals", "orders_inc", "stg_orders")
    }
    assert prod["order_totals"][2] == [("c0", 18.0, 4), ("c1", 12.0, 3), ("c2", 15.0, 3)]
    assert schemas(root) == [f"main__{rid}"]


def test_failing_test_leaves_production_exactly_as_before(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    before = production(root, live=("stg_orders",))
    sql(root, "INSERT INTO raw.orders VALUES (10, NULL, 'c1')", "UPDATE raw.customers SET tier = 'gold'")
    result = build(cli, root)
    assert result.exit_code == 1
    first, failed = releases(cli, root)
    assert failed["status"] == "failed" and not failed["current"] and first["current"]
    assert f"Release {failed['release_id']} was NOT published" in result.output
    assert "production is untouched" in result.output
    assert "not_null_orders_inc_amount" in result.output
    assert production(root, live=("stg_orders",)) == before  # rows of every table, every view definition
    # the failed release's relations stay for inspection: there the NULL row and the new tier are
    failed_schema = f"main__{failed['release_id']}"
    assert sql(root, f"SELECT count(*) FROM {failed_schema}.orders_inc WHERE amount IS NULL") == [(1,)]


def test_failing_build_before_any_release_leaves_tables_untouched(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make(tmp_path)
    assert build(cli, root, "--no-blue-green").exit_code == 0  # production built the usual way: tables
    before = production(root, live=("stg_orders",))
    assert before["order_totals"][0] == "BASE TABLE"
    sql(root, "INSERT INTO raw.orders VALUES (10, NULL, 'c1')")
    assert build(cli, root).exit_code == 1
    assert production(root, live=("stg_orders",)) == before
    assert [r["status"] for r in releases(cli, root)] == ["failed"]


def test_incremental_and_snapshot_carry_history_and_rollback_restores_rows(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    first = production(root, live=("stg_orders",))
    # new orders arrive and the old ones leave the source: a rebuild from sources would lose them
    sql(
        root,
        "INSERT INTO raw.orders SELECT range, range * 1.0, 'c' || (range % 3) FROM range(10, 15)",
        "DELETE FROM raw.orders WHERE id < 5",
        "UPDATE raw.customers SET tier = 'gold' WHERE id = 1",
    )
    result = build(cli, root)
    assert result.exit_code == 0, result.output
    assert sql(root, "SELECT min(id), max(id), count(*) FROM main.orders_inc") == [(0, 14, 15)]
    versions = sql(root, "SELECT id, tier, pyflow_valid_to IS NULL FROM main.customers_snap ORDER BY ALL")
    assert versions == [(0, "bronze", True), (1, "bronze", False), (1, "gold", True), (2, "bronze", True)]
    result = cli("rollback", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    old, new = releases(cli, root)
    assert f"from release {new['release_id']} to {old['release_id']}" in result.output
    assert old["current"] and not new["current"]
    assert (
        production(root, live=("stg_orders",)) == first
    )  # the previous release's rows, views and definitions


def test_unselected_models_keep_their_version(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    sql(root, "INSERT INTO raw.orders VALUES (10, 5.0, 'c1')")
    assert build(cli, root, "--select", "order_totals").exit_code == 0
    first, second = releases(cli, root)
    views = dict(sql(root, "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main'"))
    assert f"main__{second['release_id']}.order_totals" in views["order_totals"]
    assert f"main__{first['release_id']}.orders_inc" in views["orders_inc"]
    assert second["models"]["orders_inc"] == first["models"]["orders_inc"]
    assert sql(root, "SELECT count(*) FROM main.orders_inc") == [(10,)]  # not rebuilt


def test_retention_drops_old_versions_but_keeps_what_kept_releases_use(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make(tmp_path, keep=2)
    assert build(cli, root).exit_code == 0
    assert build(cli, root, "--select", "order_totals").exit_code == 0
    assert build(cli, root, "--select", "order_totals").exit_code == 0
    r1, r2, r3 = releases(cli, root)
    assert [r["status"] for r in (r1, r2, r3)] == ["dropped", "published", "published"]
    assert r1["leftover"] == ["customers_snap", "orders_inc", "stg_orders"]
    # r1's order_totals is gone; its other models are still what production (and r2) point at
    left = sql(
        root,
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = 'main__{r1['release_id']}'",
    )
    assert sorted(t for (t,) in left) == ["customers_snap", "orders_inc", "stg_orders"]
    assert schemas(root) == sorted(f"main__{r['release_id']}" for r in (r1, r2, r3))
    sql(root, "INSERT INTO raw.orders VALUES (10, 5.0, 'c1')")
    assert build(cli, root).exit_code == 0  # r4 rebuilds everything; r3 (kept) still uses r1's tables
    r4 = releases(cli, root)[-1]
    assert schemas(root) == sorted(f"main__{r['release_id']}" for r in (r1, r3, r4))
    assert build(cli, root).exit_code == 0  # r5: r1 is used by no kept release (r4, r5) any more
    r5 = releases(cli, root)[-1]
    assert schemas(root) == sorted(f"main__{r['release_id']}" for r in (r4, r5))
    assert [r["leftover"] for r in releases(cli, root)[:3]] == [[], [], []]


def test_failed_releases_are_dropped_by_the_next_publish(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    sql(root, "INSERT INTO raw.orders VALUES (10, NULL, 'c1')")
    assert build(cli, root).exit_code == 1
    [failed] = releases(cli, root)
    assert schemas(root) == [f"main__{failed['release_id']}"]
    sql(root, "DELETE FROM raw.orders WHERE amount IS NULL")
    assert build(cli, root).exit_code == 0
    dropped, published = releases(cli, root)
    assert dropped["status"] == "dropped"
    assert schemas(root) == [f"main__{published['release_id']}"]


def test_target_setting_off_builds_in_place_and_flag_turns_it_on(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make(tmp_path, blue_green=False)
    assert cli("run", "--project-dir", str(root)).exit_code == 0
    assert production(root)["order_totals"][0] == "BASE TABLE" and releases(cli, root) == []
    assert cli("run", "--project-dir", str(root), "--blue-green").exit_code == 0
    assert production(root)["order_totals"][0] == "VIEW"
    assert [r["status"] for r in releases(cli, root)] == ["published"]


@pytest.mark.parametrize(
    ("args", "code"),
    [((), "no-previous-release"), (("--to", "r1"), "no-previous-release")],
)
def test_rollback_without_a_release(
    tmp_path: Path, cli: Callable[..., Any], args: tuple[str, ...], code: str
) -> None:
    root = make(tmp_path)
    result = cli("rollback", "--project-dir", str(root), *args)
    assert result.exit_code == 1
    assert f"[{code}]" in result.output
    assert "profiles.yml" in result.output and "Fix: publish one first" in result.output


def test_rollback_errors_name_the_target_and_a_fix(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    result = cli("rollback", "--project-dir", str(root))
    assert result.exit_code == 1 and "[no-previous-release]" in result.output
    assert "is the oldest release kept" in result.output and "releases: {keep: N}" in result.output
    [only] = releases(cli, root)
    result = cli("rollback", "--project-dir", str(root), "--to", only["release_id"][:-1])
    assert result.exit_code == 1 and "[unknown-release]" in result.output
    assert f"Did you mean '{only['release_id']}'" in result.output


def test_a_release_published_meanwhile_is_not_overwritten(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    before = production(root, live=("stg_orders",))
    # another deployer publishes while this build runs (simulated by an on-run-end hook, which
    # runs after the nodes and before the publish)
    other = (
        "insert into main__pyflow.pyflow_releases select 100, 'r_other', 'published', '2026-12-06T00:00:00Z', "
        "'shop', 'prod', '[]', '{}', ''"
    )
    (root / "pyflow.yml").write_text(f'name: shop\non-run-end:\n  - "{other}"\n', encoding="utf-8")
    result = build(cli, root)
    assert result.exit_code == 1
    assert "[release-conflict]" in result.output
    assert "release r_other was published to target 'prod'" in result.output
    assert "Fix: run the blue-green build again" in result.output
    assert "was NOT published" in result.output
    assert production(root, live=("stg_orders",)) == before
    assert [(r["release_id"] == "r_other", r["status"]) for r in releases(cli, root)] == [
        (False, "published"),
        (True, "published"),
        (False, "failed"),
    ]


def test_duckdb_publishes_in_one_transaction(
    tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish that fails at its last view leaves the views it already replaced as they were."""
    from pyflow.adapters.duckdb import DuckDBAdapter

    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    before = production(root, live=("stg_orders",))
    real = DuckDBAdapter.create_view_sql

    def create_view_sql(self: DuckDBAdapter, relation: Any, select: str) -> str:
        if relation.schema == "main" and relation.identifier == "stg_orders":  # published last
            return "CREATE OR REPLACE VIEW main.stg_orders AS SELECT * FROM no_such_table"
        return real(self, relation, select)

    monkeypatch.setattr(DuckDBAdapter, "create_view_sql", create_view_sql)
    result = build(cli, root)
    assert result.exit_code == 1
    assert "no_such_table" in result.output and "was NOT published" in result.output
    assert production(root, live=("stg_orders",)) == before  # customers_snap ... orders_inc rolled back
    assert [r["status"] for r in releases(cli, root)] == ["published", "failed"]


def test_snapshot_and_seed_commands_publish_releases_too(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    (root / "seeds").mkdir()
    (root / "seeds" / "tiers.csv").write_text("tier,rank\nbronze,1\ngold,2\n", encoding="utf-8")
    assert build(cli, root).exit_code == 0
    sql(root, "UPDATE raw.customers SET tier = 'gold' WHERE id = 2")
    result = cli("snapshot", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    first, second = releases(cli, root)
    assert second["built"] == ["customers_snap"] and second["current"]
    assert second["models"]["orders_inc"] == first["models"]["orders_inc"]
    rows = sql(root, "SELECT id, tier FROM main.customers_snap WHERE pyflow_valid_to IS NULL ORDER BY id")
    assert rows == [(0, "bronze"), (1, "bronze"), (2, "gold")]
    assert sql(root, "SELECT count(*) FROM main.customers_snap") == [(4,)]  # history carried
    (root / "seeds" / "tiers.csv").write_text("tier,rank\nbronze,1\ngold,3\n", encoding="utf-8")
    assert cli("seed", "--project-dir", str(root)).exit_code == 0
    assert releases(cli, root)[-1]["built"] == ["tiers"]
    assert sql(root, "SELECT rank FROM main.tiers WHERE tier = 'gold'") == [(3,)]
    assert production(root)["tiers"][0] == "VIEW"


def test_in_place_builds_of_released_history_fail_instead_of_losing_it(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make(tmp_path)
    assert build(cli, root).exit_code == 0
    before = production(root, live=("stg_orders",))
    sql(root, "DELETE FROM raw.orders WHERE id < 5")  # a rebuild from the source would lose rows
    result = cli("run", "--project-dir", str(root), "--no-blue-green", "--select", "orders_inc")
    assert result.exit_code == 1
    assert "[release-in-place]" in result.output
    assert "model 'orders_inc' (models/orders_inc.sql)" in result.output
    assert "be rebuilt from its sources, losing its history" in result.output
    assert "Fix: build it with --blue-green" in result.output
    result = cli("snapshot", "--project-dir", str(root), "--no-blue-green")
    assert result.exit_code == 1 and "[release-in-place]" in result.output
    assert production(root, live=("stg_orders",)) == before
    # on purpose: --full-refresh rebuilds it in place, as a table
    result = cli(
        "run", "--project-dir", str(root), "--no-blue-green", "--select", "orders_inc", "--full-refresh"
    )
    assert result.exit_code == 0, result.output
    assert production(root)["orders_inc"][0] == "BASE TABLE"
    assert sql(root, "SELECT count(*) FROM main.orders_inc") == [(5,)]


def test_custom_schemas_get_their_own_release_schema(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = make(tmp_path)
    (root / "models" / "order_totals.sql").write_text(
        "{{ config(materialized='table', schema='marts') }}\n"
        "select customer, count(*) as n from {{ ref('stg_orders') }} group by customer\n",
        encoding="utf-8",
    )
    assert build(cli, root).exit_code == 0
    [release] = releases(cli, root)
    rid = release["release_id"]
    assert release["models"]["order_totals"]["production"] == ["pyflow", "main_marts", "order_totals"]
    assert release["models"]["order_totals"]["physical"] == ["pyflow", f"main_marts__{rid}", "order_totals"]
    views = dict(sql(root, "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main_marts'"))
    assert views == {
        "order_totals": f"CREATE VIEW main_marts.order_totals AS SELECT * FROM pyflow.main_marts__{rid}.order_totals;"
    }
    assert sql(root, "SELECT sum(n) FROM main_marts.order_totals") == [(10,)]
