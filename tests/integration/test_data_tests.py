"""Built-in data tests against real DuckDB: each passes on good data and fails on bad data with
a message naming the model, column, test and failing row count; tests on sources; config
(severity, thresholds, where, limit, store_failures, tags, name); `pyflow build` skipping what a
failing test guards; run_results.json."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.integration.conftest import Warehouse

ORDERS_COLUMNS = "order_id, customer_id, status, priority, amount, part_a, part_b, updated_at"
FILES = {
    "models/customers.sql": "select * from (values (1, 'ann'), (2, 'bob'), (3, 'cy')) as t(customer_id, name)\n",
    "models/good.sql": f"""
        select * from (values
            (1, 1, 'placed', 1, 10.0, 'a', 'x', current_timestamp - interval 1 hour),
            (2, 2, 'shipped', 2, 99.0, 'a', 'y', current_timestamp - interval 2 hour)
        ) as t({ORDERS_COLUMNS})
    """,
    "models/bad.sql": f"""
        select * from (values
            (1, 1, 'placed', 1, 10.0, 'a', 'x', timestamp '2020-01-01'),
            (1, 9, 'lost', 7, -3.0, 'a', 'x', timestamp '2020-01-02'),
            (null, null, null, null, 100.0, null, null, null)
        ) as t({ORDERS_COLUMNS})
    """,
    "models/nothing.sql": "select 1 as v where false\n",
    "models/nulls.sql": "select cast(null as integer) as v from range(3)\n",
    "data/customers.csv": "customer_id,name\n1,ann\n2,bob\n3,cy\n",
    "data/orders.csv": "order_id,amount\n1,5\n1,6\n2,7\n",
}

# case -> (column or None, test name, arguments, failing rows on `bad`)
CASES: dict[str, tuple[str | None, str, dict[str, Any], int]] = {
    "unique": ("order_id", "unique", {}, 1),
    "not_null": ("order_id", "not_null", {}, 1),
    "accepted_values": ("status", "accepted_values", {"values": ["placed", "shipped"]}, 1),
    "accepted_values_numbers": ("priority", "accepted_values", {"values": [1, 2], "quote": False}, 1),
    "relationships": ("customer_id", "relationships", {"to": "ref('customers')", "field": "customer_id"}, 1),
    "relationships_to_source": (
        "customer_id",
        "relationships",
        {"to": "source('crm', 'customers')", "field": "customer_id"},
        1,
    ),
    "unique_combination": (
        None,
        "unique_combination_of_columns",
        {"combination_of_columns": ["part_a", "part_b"]},
        1,
    ),
    "expression_is_true": (None, "expression_is_true", {"expression": "amount >= 0"}, 1),
    "expression_is_true_column": ("amount", "expression_is_true", {"expression": ">= 0"}, 1),
    "accepted_range": ("amount", "accepted_range", {"min_value": 0, "max_value": 100}, 1),
    "accepted_range_exclusive": (
        "amount",
        "accepted_range",
        {"min_value": 0, "max_value": 100, "inclusive": False},
        2,
    ),
    "recency": (None, "recency", {"field": "updated_at", "datepart": "day", "interval": 1}, 1),
}
# tests whose failing case needs another model: case -> (test, column, passing model, failing model)
OTHER_MODELS = {
    "not_empty": ("not_empty", None, "good", "nothing"),
    "at_least_one": ("at_least_one", "v", "nulls", "nulls"),
}


def _entry(test: str, args: dict[str, Any], name: str) -> dict[str, Any]:
    return {test: {**args, "name": name}}


def _properties() -> dict[str, Any]:
    models: dict[str, dict[str, Any]] = {
        m: {"name": m, "columns": {}, "data_tests": []} for m in ("good", "bad")
    }
    for case, (column, test, args, _) in CASES.items():
        for m in ("good", "bad"):
            entry = _entry(test, args, f"{case}__{m}")
            if column is None:
                models[m]["data_tests"].append(entry)
            else:
                models[m]["columns"].setdefault(column, []).append(entry)
    out = [
        {
            "name": m["name"],
            "data_tests": m["data_tests"],
            "columns": [{"name": c, "data_tests": t} for c, t in m["columns"].items()],
        }
        for m in models.values()
    ]
    out += [
        {"name": "customers", "columns": [{"name": "customer_id", "data_tests": ["unique", "not_null"]}]},
        {"name": "nothing", "data_tests": [_entry("not_empty", {}, "not_empty__bad")]},
        {
            "name": "nulls",
            "columns": [{"name": "v", "data_tests": [_entry("at_least_one", {}, "at_least_one__bad")]}],
        },
    ]
    out[0]["data_tests"].append(_entry("not_empty", {}, "not_empty__good"))
    out[0]["columns"].append(
        {"name": "customer_id", "data_tests": [_entry("at_least_one", {}, "at_least_one__good")]}
    )
    sources = [
        {
            "name": "crm",
            "tables": [
                {
                    "name": "customers",
                    "external_location": "data/customers.csv",
                    "columns": [{"name": "customer_id", "data_tests": ["unique", "not_null"]}],
                },
                {
                    "name": "orders",
                    "external_location": "data/orders.csv",
                    "columns": [{"name": "order_id", "data_tests": ["unique"]}],
                },
            ],
        }
    ]
    return {"version": 2, "models": out, "sources": sources}


def cli(*args: str | Path) -> Any:
    from pyflow.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"pyflow.yml": f"name: {root.name}\n", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def results(root: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((root / "target" / "run_results.json").read_text())
    return {r["name"]: r for r in data["results"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = write(
        tmp_path_factory.mktemp("builtins") / "checks",
        {**FILES, "models/schema.yml": yaml.safe_dump(_properties())},
    )
    return root, cli("build", "--project-dir", root)


@pytest.mark.parametrize("case", [*CASES, *OTHER_MODELS])
def test_builtin_test_passes_on_good_data_and_fails_on_bad(built: tuple[Path, Any], case: str) -> None:
    root, result = built
    runs = results(root)
    good, bad = runs[f"{case}__good"], runs[f"{case}__bad"]
    if case in OTHER_MODELS:
        test, column, _, model = OTHER_MODELS[case]
        count = 1
    else:
        column, test, _, count = CASES[case]
        model = "bad"
    assert (good["status"], good["failures"], good["message"]) == ("pass", 0, "passed")
    assert (bad["status"], bad["failures"]) == ("fail", count)
    on = f"on {model} column {column}" if column else f"on {model}:"
    assert f"Failure in test {case}__bad (models/schema.yml:" in bad["message"]
    assert f"test '{test}' {on}" in bad["message"]
    assert f"got {count} failing row(s)" in bad["message"]
    assert all(line in result.output for line in bad["message"].splitlines())
    assert f"FAIL test {case}__bad " in result.output


def test_builtin_tests_build_exit_code_and_summary(built: tuple[Path, Any]) -> None:
    root, result = built
    runs = results(root)
    failing = len(CASES) + len(OTHER_MODELS) + 1  # + the source table crm.orders
    tests = [r for r in runs.values() if r["unique_id"].startswith("test.")]
    assert result.exit_code == 1
    assert sum(r["status"] == "fail" for r in tests) == failing
    assert f"ERROR={failing} SKIP=0" in result.output
    assert runs["unique_customers_customer_id"]["status"] == "pass"  # default names
    assert runs["not_null_customers_customer_id"]["status"] == "pass"


def test_builtin_tests_on_source_columns(built: tuple[Path, Any]) -> None:
    root, _ = built
    runs = results(root)
    assert runs["source_unique_crm_customers_customer_id"]["status"] == "pass"  # dbt's names
    assert runs["source_not_null_crm_customers_customer_id"]["status"] == "pass"
    bad = runs["source_unique_crm_orders_order_id"]
    assert (bad["status"], bad["failures"]) == ("fail", 1)
    assert "test 'unique' on crm.orders column order_id: got 1 failing row(s)" in bad["message"]


def test_run_results_records_test_statuses_and_failures(built: tuple[Path, Any]) -> None:
    root, _ = built
    bad = results(root)["accepted_range_exclusive__bad"]
    assert bad["unique_id"] == "test.checks.accepted_range_exclusive__bad.1073305711"  # dbt's hash suffix
    assert (bad["status"], bad["failures"], bad["response"], bad["relation"]) == ("fail", 2, "FAIL 2", None)
    assert bad["adapter_response"] == {"rows_affected": 2, "code": "FAIL 2"}
    compiled = root / "target" / "compiled" / "checks" / "models" / "accepted_range_exclusive__bad.sql"
    assert "> 0" in compiled.read_text() and "< 100" in compiled.read_text()


# ---- config ------------------------------------------------------------------------------------

CONFIG_FILES = {
    "models/events.sql": "select * from (values (1, 'a'), (2, 'b'), (3, null), (4, null), (5, null)) as t(id, v)\n",
    "models/schema.yml": """
        models:
          - name: events
            columns:
              - name: v
                data_tests:
                  - not_null: {name: warns, config: {severity: warn}}
                  - not_null: {name: warn_below_error, config: {warn_if: ">= 1", error_if: "> 3"}}
                  - not_null: {name: errors_at_three, config: {warn_if: ">= 1", error_if: ">= 3"}}
                  - not_null: {name: tolerated, warn_if: "> 5", error_if: "> 5"}
                  - not_null: {name: filtered, config: {where: "id <= 2"}}
                  - not_null: {name: limited, config: {limit: 2}}
                  - not_null: {name: kept, config: {store_failures: true}}
                  - not_null: {name: kept_elsewhere, config: {store_failures: true, schema: audit}}
                  - not_null: {name: tagged, config: {tags: [nightly], where: "id <= 2"}}
    """,
}


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = write(tmp_path_factory.mktemp("config") / "config", CONFIG_FILES)
    return root, cli("build", "--project-dir", root)


@pytest.mark.parametrize(
    ("name", "status", "failures"),
    [
        ("warns", "warn", 3),
        ("warn_below_error", "warn", 3),
        ("errors_at_three", "fail", 3),
        ("tolerated", "pass", 3),
        ("filtered", "pass", 0),
        ("limited", "fail", 2),
        ("kept", "fail", 3),
    ],
)
def test_test_config_decides_the_outcome(
    configured: tuple[Path, Any], name: str, status: str, failures: int
) -> None:
    root, _ = configured
    run = results(root)[name]
    assert (run["status"], run["failures"]) == (status, failures)


def test_warn_message_names_the_rule(configured: tuple[Path, Any]) -> None:
    root, result = configured
    message = results(root)["warn_below_error"]["message"]
    assert "Warning in test warn_below_error (models/schema.yml:7)" in message
    assert "test 'not_null' on events column v: got 3 failing row(s), configured to warn if >= 1" in message
    assert "WARN test warn_below_error " in result.output and "[WARN 3 in " in result.output


def test_store_failures_keeps_the_failing_rows(configured: tuple[Path, Any]) -> None:
    root, _ = configured
    runs = results(root)
    db = Warehouse(root)
    assert db.rows("SELECT id, v FROM main_test__audit.kept ORDER BY id") == [(3, None), (4, None), (5, None)]
    assert db.rows("SELECT id FROM main_audit.kept_elsewhere ORDER BY id") == [(3,), (4,), (5,)]
    assert runs["kept"]["relation"] == '"pyflow"."main_test__audit"."kept"'
    assert 'failing rows in "pyflow"."main_test__audit"."kept"' in runs["kept"]["message"]
    assert runs["warns"]["relation"] is None
    assert "main_test__audit.warns" not in db.relations()


def test_tags_select_tests(configured: tuple[Path, Any]) -> None:
    root, _ = configured
    result = cli("test", "--project-dir", root, "--select", "tag:nightly")
    assert result.exit_code == 0, result.output
    assert list(results(root)) == ["tagged"]
    assert "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1" in result.output


def test_severity_warn_exits_0_and_counts_the_warning(configured: tuple[Path, Any]) -> None:
    root, _ = configured
    result = cli("test", "--project-dir", root, "--select", "test_name:warns")
    assert result.exit_code == 0, result.output
    assert "WARN test warns " in result.output
    assert "Done. PASS=0 WARN=1 ERROR=0 SKIP=0 TOTAL=1" in result.output


# ---- build -------------------------------------------------------------------------------------

BUILD_FILES = {
    "models/raw_orders.sql": "select * from (values (1, 10), (1, 20), (2, 5)) as t(order_id, amount)\n",
    "models/order_totals.sql": "select sum(amount) as total from {{ ref('raw_orders') }}\n",
    "models/order_report.py": """
        import ibis

        from pyflow import model


        @model
        def order_report(order_totals: ibis.Table) -> ibis.Table:
            return order_totals.mutate(doubled=order_totals.total * 2)
    """,
    "models/customers.sql": "select 1 as customer_id\n",
    "models/customer_count.sql": "select count(*) as n from {{ ref('customers') }}\n",
    "models/schema.yml": """
        models:
          - name: raw_orders
            columns:
              - {name: order_id, data_tests: [unique]}
          - name: customers
            columns:
              - {name: customer_id, data_tests: [unique]}
    """,
}


def test_build_skips_what_a_failing_test_guards(tmp_path: Path) -> None:
    root = write(tmp_path / "shop", BUILD_FILES)

    result = cli("build", "--project-dir", root)

    assert result.exit_code == 1, result.output
    runs = results(root)
    reason = "skipped because 'unique_raw_orders_order_id' failed"
    assert {n: r["status"] for n, r in runs.items()} == {
        "customers": "success",
        "raw_orders": "success",
        "unique_customers_customer_id": "pass",
        "unique_raw_orders_order_id": "fail",
        "customer_count": "success",
        "order_totals": "skipped",
        "order_report": "skipped",
    }
    assert runs["order_totals"]["message"] == runs["order_report"]["message"] == reason
    assert "SKIP sql view model main.order_totals" in result.output
    assert "Done. PASS=4 WARN=0 ERROR=1 SKIP=2 TOTAL=7" in result.output


def test_build_goes_on_after_a_warning(tmp_path: Path) -> None:
    files = dict(BUILD_FILES)
    files["models/schema.yml"] = files["models/schema.yml"].replace(
        "data_tests: [unique]}\n          - name: customers",
        "data_tests: [{unique: {config: {severity: warn}}}]}\n          - name: customers",
    )
    root = write(tmp_path / "shop", files)

    result = cli("build", "--project-dir", root)

    assert result.exit_code == 0, result.output
    runs = results(root)
    assert runs["unique_raw_orders_order_id"]["status"] == "warn"
    assert runs["order_report"]["status"] == runs["order_totals"]["status"] == "success"
    assert "WARN test unique_raw_orders_order_id " in result.output
    assert "Done. PASS=6 WARN=1 ERROR=0 SKIP=0 TOTAL=7" in result.output
