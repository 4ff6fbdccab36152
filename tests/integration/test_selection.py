"""--select / --exclude from the command line, and `pyflow ls` output formats.

The `mixed` project::

    raw_orders (seed)    -> stg_orders (py, tag staging) -> int_order_totals (sql) -+
    raw_customers (seed) -> stg_customers (sql, tag staging) -----------------------+-> customer_report
    customer_report (py, tag finance) -> big_spenders (sql)
"""

from __future__ import annotations

import json

import pytest

ALL = {
    "raw_orders",
    "raw_customers",
    "stg_orders",
    "stg_customers",
    "int_order_totals",
    "customer_report",
    "big_spenders",
}
PARENTS = {
    "stg_orders": {"raw_orders"},
    "stg_customers": {"raw_customers"},
    "int_order_totals": {"stg_orders"},
    "customer_report": {"stg_customers", "int_order_totals"},
    "big_spenders": {"customer_report"},
}


@pytest.fixture
def mixed(copy_project):
    return copy_project("mixed")


def test_ls_lists_every_node_parents_first(mixed, pyflow):
    names = pyflow("ls", "--project-dir", mixed).stdout.split()

    assert sorted(names) == sorted(ALL)
    for child, parents in PARENTS.items():
        assert all(names.index(p) < names.index(child) for p in parents), names


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-s", "+customer_report"], ALL - {"big_spenders"}),
        (["-s", "stg_orders+"], {"stg_orders", "int_order_totals", "customer_report", "big_spenders"}),
        (["-s", "1+int_order_totals+1"], {"stg_orders", "int_order_totals", "customer_report"}),
        (["-s", "tag:finance"], {"customer_report"}),
        (["-s", "tag:staging"], {"stg_orders", "stg_customers"}),
        (["-s", "path:models/staging"], {"stg_orders", "stg_customers"}),
        (["-s", "path:models/marts/big_spenders.sql"], {"big_spenders"}),
        (["-s", "stg_customers big_spenders"], {"stg_customers", "big_spenders"}),
        (["-s", "stg_customers", "-s", "tag:finance"], {"stg_customers", "customer_report"}),
        (["-s", "tag:staging,stg_orders+"], {"stg_orders"}),
        (
            ["-s", "stg_orders+", "--exclude", "big_spenders"],
            {"stg_orders", "int_order_totals", "customer_report"},
        ),
        (
            ["-s", "+big_spenders", "--exclude", "tag:staging raw_orders"],
            {"raw_customers", "int_order_totals", "customer_report", "big_spenders"},
        ),
        (["--exclude", "path:models/marts"], ALL - {"customer_report", "big_spenders"}),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_ls_select_and_exclude(mixed, pyflow, args, expected):
    names = pyflow("ls", "--project-dir", mixed, *args).stdout.split()

    assert sorted(names) == sorted(expected)


def test_ls_select_matching_nothing_warns_and_lists_nothing(mixed, pyflow):
    result = pyflow("ls", "--project-dir", mixed, "-s", "tag:nope")

    assert result.stdout.split() == []
    assert "The selection criterion 'tag:nope' does not match any enabled nodes" in result.stderr


def test_ls_bad_selector_is_a_user_error(mixed, pyflow):
    result = pyflow("ls", "--project-dir", mixed, "-s", "colour:red", expect=1)

    assert "unknown selector method 'colour'" in result.output


def test_ls_output_path(mixed, pyflow):
    result = pyflow("ls", "--project-dir", mixed, "-s", "path:models/staging raw_orders", "--output", "path")

    assert sorted(result.stdout.split()) == [
        "models/staging/stg_customers.sql",
        "models/staging/stg_orders.py",
        "seeds/raw_orders.csv",
    ]


def test_ls_output_json(mixed, pyflow):
    result = pyflow("ls", "--project-dir", mixed, "-s", "customer_report raw_orders", "--output", "json")

    rows = {r["name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"customer_report", "raw_orders"}
    report = rows["customer_report"]
    assert report["resource_type"] == "model"
    assert report["unique_id"] == "model.mixed.customer_report"
    assert report["original_file_path"] == "models/marts/customer_report.py"
    assert report["config"]["materialized"] == "table"
    assert report["config"]["tags"] == ["finance"]
    assert sorted(report["depends_on"]) == ["model.mixed.int_order_totals", "model.mixed.stg_customers"]
    assert rows["raw_orders"]["resource_type"] == "seed"
    assert rows["raw_orders"]["original_file_path"] == "seeds/raw_orders.csv"


def test_build_select_builds_only_selected_nodes(mixed, pyflow, warehouse, run_results):
    result = pyflow(
        "build", "--project-dir", mixed, "-s", "+int_order_totals", "--exclude", "int_order_totals+1"
    )

    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
    assert set(run_results(mixed)) == {"raw_orders", "stg_orders"}
    assert warehouse(mixed).relations() == {"main.raw_orders": "BASE TABLE", "main.stg_orders": "VIEW"}
    assert warehouse(mixed).rows("SELECT order_id FROM stg_orders ORDER BY ALL") == [
        (1,),
        (2,),
        (4,),
        (5,),
        (6,),
    ]


def test_run_select_children_only(mixed, pyflow, warehouse, run_results):
    pyflow("build", "--project-dir", mixed, "-s", "+customer_report")
    assert "main.big_spenders" not in warehouse(mixed).relations()

    result = pyflow("run", "--project-dir", mixed, "-s", "customer_report+")

    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
    assert set(run_results(mixed)) == {"customer_report", "big_spenders"}
    assert warehouse(mixed).rows("SELECT name FROM big_spenders ORDER BY ALL") == [("BEN",), ("CAT",)]
