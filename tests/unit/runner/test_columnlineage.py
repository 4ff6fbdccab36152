"""Tests for pyflow.runner.columnlineage over a project mixing SQL and Python models."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyflow.compile.lineage import SelectLineage
from pyflow.runner import columnlineage
from pyflow.runner.columnlineage import column_lineage, downstream_edges, write_column_lineage
from pyflow.runner.session import Options, Session
from tests.unit.runner.lineage_project import FILES

SRC_ORDERS = "source.shop.raw.orders"
SRC_CUSTOMERS = "source.shop.raw.customers"


def e(uid: str, column: str) -> dict[str, str]:
    return {"unique_id": uid, "column": column}


EXPECTED: dict[str, dict[str, list[dict[str, str]]]] = {
    SRC_ORDERS: {"id": [], "customer_id": [], "amount": [], "status": []},
    SRC_CUSTOMERS: {"id": [], "first_name": [], "last_name": []},
    "seed.shop.countries": {"code": [], "country_name": []},
    # a Python model: renames and arithmetic, traced through Ibis's SQL
    "model.shop.stg_orders": {
        "order_id": [e(SRC_ORDERS, "id")],
        "customer_id": [e(SRC_ORDERS, "customer_id")],
        "amount_dollars": [e(SRC_ORDERS, "amount")],
        "status": [e(SRC_ORDERS, "status")],
    },
    # SQL: an alias, an expression of two columns, a constant
    "model.shop.stg_customers": {
        "customer_id": [e(SRC_CUSTOMERS, "id")],
        "full_name": [e(SRC_CUSTOMERS, "first_name"), e(SRC_CUSTOMERS, "last_name")],
        "const": [],
    },
    # an ephemeral model: `select *` expanded from its parent's columns
    "model.shop.eph_completed": {
        "order_id": [e("model.shop.stg_orders", "order_id")],
        "customer_id": [e("model.shop.stg_orders", "customer_id")],
        "amount_dollars": [e("model.shop.stg_orders", "amount_dollars")],
        "status": [e("model.shop.stg_orders", "status")],
    },
    # a CTE aggregating the ephemeral model (traced through to stg_orders), a join, constants
    "model.shop.customer_totals": {
        "customer_id": [e("model.shop.stg_customers", "customer_id")],
        "name": [e("model.shop.stg_customers", "full_name")],
        "total": [e("model.shop.stg_orders", "amount_dollars")],
        "n_orders": [],
        "one": [],
    },
    # `select *` from a seed
    "model.shop.all_countries": {
        "code": [e("seed.shop.countries", "code")],
        "country_name": [e("seed.shop.countries", "country_name")],
    },
    # a Python model joining a SQL model and another
    "model.shop.big_customers": {
        "customer_id": [e("model.shop.customer_totals", "customer_id")],
        "name": [e("model.shop.customer_totals", "name")],
        "doubled": [e("model.shop.customer_totals", "total")],
        "country": [e("model.shop.all_countries", "country_name")],
    },
}


@pytest.fixture
def session(make_project: Callable[..., Path]) -> Iterator[Session]:
    with Session(Options(project_dir=make_project(FILES))) as s:
        yield s


def test_column_lineage_every_node_exact_edges(session: Session) -> None:
    found = column_lineage(session)
    assert set(found) == {"nodes"}
    assert {uid: entry["columns"] for uid, entry in found["nodes"].items()} == EXPECTED
    assert not any("error" in entry for entry in found["nodes"].values())


def test_column_lineage_column_order_follows_the_model(session: Session) -> None:
    found = column_lineage(session, ["model.shop.customer_totals"])
    assert list(found["nodes"]) == ["model.shop.customer_totals"]
    assert list(found["nodes"]["model.shop.customer_totals"]["columns"]) == [
        "customer_id",
        "name",
        "total",
        "n_orders",
        "one",
    ]


def test_column_lineage_skips_tests(make_project: Callable[..., Path]) -> None:
    files = dict(FILES)
    files["models/schema.yml"] = """
        models:
          - name: stg_customers
            columns:
              - name: customer_id
                tests: [unique]
    """
    with Session(Options(project_dir=make_project(files))) as s:
        found = column_lineage(s)
    assert all(uid.split(".")[0] != "test" for uid in found["nodes"])
    assert found["nodes"]["model.shop.stg_customers"]["columns"] == EXPECTED["model.shop.stg_customers"]


def test_downstream_edges_invert_the_lineage(session: Session) -> None:
    down = downstream_edges(column_lineage(session))
    assert down[SRC_ORDERS]["amount"] == [e("model.shop.stg_orders", "amount_dollars")]
    assert down["model.shop.stg_orders"]["amount_dollars"] == [
        e("model.shop.customer_totals", "total"),
        e("model.shop.eph_completed", "amount_dollars"),
    ]
    assert down["model.shop.customer_totals"]["total"] == [e("model.shop.big_customers", "doubled")]
    assert "model.shop.big_customers" not in down  # nothing reads it
    total = sum(len(v) for cols in down.values() for v in cols.values())
    assert total == sum(len(v) for cols in EXPECTED.values() for v in cols.values())


def test_dataframe_model_has_an_error_and_no_columns(make_project: Callable[..., Path]) -> None:
    files = dict(FILES)
    files["models/frame.py"] = """
        import pandas as pd
        from pyflow import model


        @model
        def frame() -> pd.DataFrame:
            return pd.DataFrame({"a": [1]})
    """
    with Session(Options(project_dir=make_project(files))) as s:
        entry = column_lineage(s, ["model.shop.frame"])["nodes"]["model.shop.frame"]
    assert entry["columns"] == {}
    assert "DataFrame" in entry["error"]


def test_write_column_lineage_to_target(session: Session) -> None:
    path = write_column_lineage(session)
    assert path == session.project.target_dir / "column_lineage.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert data["nodes"]["model.shop.big_customers"]["columns"] == EXPECTED["model.shop.big_customers"]


def test_snapshot_and_its_child(make_project: Callable[..., Path]) -> None:
    files = dict(FILES)
    files["snapshots/orders_snapshot.py"] = """
        import ibis
        from pyflow import snapshot


        @snapshot(unique_key="order_id", strategy="check", check_cols=["status"])
        def orders_snapshot(stg_orders: ibis.Table) -> ibis.Table:
            return stg_orders.select("order_id", "status")
    """
    files["models/current_status.sql"] = (
        "select order_id, upper(status) as st from {{ ref('orders_snapshot') }}\n"
    )
    with Session(Options(project_dir=make_project(files))) as s:
        found = column_lineage(s, ["snapshot.shop.orders_snapshot", "model.shop.current_status"])["nodes"]
    snap = found["snapshot.shop.orders_snapshot"]["columns"]
    assert snap["order_id"] == [e("model.shop.stg_orders", "order_id")]
    assert snap["status"] == [e("model.shop.stg_orders", "status")]
    assert found["model.shop.current_status"]["columns"] == {
        "order_id": [e("snapshot.shop.orders_snapshot", "order_id")],
        "st": [e("snapshot.shop.orders_snapshot", "status")],
    }


def test_model_that_does_not_compile_has_an_error(make_project: Callable[..., Path]) -> None:
    files = dict(FILES)
    files["models/bad.py"] = """
        import ibis
        from pyflow import model


        @model
        def bad(stg_orders: ibis.Table) -> ibis.Table:
            return stg_orders.select(stg_orders.no_such_column)
    """
    with Session(Options(project_dir=make_project(files))) as s:
        found = column_lineage(s)["nodes"]
    assert found["model.shop.bad"]["columns"] == {}
    assert "no_such_column" in found["model.shop.bad"]["error"]
    assert found["model.shop.big_customers"]["columns"] == EXPECTED["model.shop.big_customers"]


def test_an_unchanged_model_is_not_analysed_again(
    make_project: Callable[..., Path], monkeypatch: Any
) -> None:
    root = make_project(FILES)
    with Session(Options(project_dir=root)) as s:
        first = column_lineage(s)
    analysed: list[str] = []
    real = columnlineage.select_lineage

    def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
        analysed.append(sql)
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(columnlineage, "select_lineage", counting)
    with Session(Options(project_dir=root)) as s:
        second = column_lineage(s)

    assert second == first
    assert {uid: entry["columns"] for uid, entry in second["nodes"].items()} == EXPECTED
    assert analysed == []  # every model's SQL and inputs are as they were

    (root / "models/stg_customers.sql").write_text(
        (root / "models/stg_customers.sql").read_text().replace("'x' as const", "'y' as const")
    )
    with Session(Options(project_dir=root)) as s:
        third = column_lineage(s)

    assert len(analysed) == 1 and "'y'" in analysed[0]  # only the edited model; its columns held
    assert third == first


def test_a_damaged_lineage_cache_entry_is_analysed_again(make_project: Callable[..., Path]) -> None:
    root = make_project(FILES)
    with Session(Options(project_dir=root)) as s:
        first = column_lineage(s)
    path = root / "target" / columnlineage.CACHE_FILE
    stored = json.loads(path.read_text())
    for entry in stored["entries"].values():
        entry["columns"] = "not a mapping"
    path.write_text(json.dumps(stored))

    with Session(Options(project_dir=root)) as s:
        assert column_lineage(s) == first


def test_a_lineage_error_quoting_a_secret_is_not_stored(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PYFLOW_SECRET_TOKEN", "hunter2-very-secret")
    monkeypatch.setattr(
        columnlineage,
        "select_lineage",
        lambda sql, *a, **k: SelectLineage(error=f"ParseError: near {sql!r}"),
    )
    cache = columnlineage.LineageCache(tmp_path / "lineage.json")

    found = cache.lineage("select 'hunter2-very-secret' as x", "duckdb", [], output_columns=None)
    cache.lineage("select 1 as y", "duckdb", [], output_columns=None)
    cache.save(complete=True)

    assert found.error is not None and "hunter2" in found.error  # shown to the user once, not kept
    stored = json.loads((tmp_path / "lineage.json").read_text())["entries"]
    assert len(stored) == 1  # the other one's, not a masked copy of this one (reused masked)
    assert "hunter2" not in json.dumps(stored)
