"""Custom generic tests (Jinja ``{% test %}`` and Python ``@generic_test``), singular tests (SQL
files and Python ``@data_test``), and the errors of test declarations, against real DuckDB."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pyflow.config.loader import load_project
from pyflow.errors import ErrorGroup, PyflowError

FILES = {
    "models/orders.sql": """
        select * from (values (1, 1, 10), (2, 1, -5), (3, 4, 7)) as t(order_id, customer_id, amount)
    """,
    "models/customers.sql": "select * from (values (1), (2)) as t(customer_id)\n",
    "data/payments.csv": "payment_id,amount\n1,5\n2,-1\n",
    "models/schema.yml": """
        sources:
          - name: bank
            tables:
              - name: payments
                external_location: data/payments.csv
                columns:
                  - name: amount
                    data_tests: [{is_positive: {name: payments_positive}}]
        models:
          - name: orders
            data_tests:
              - has_rows: {min_rows: 2, name: enough_rows}
              - has_rows: {min_rows: 5, name: too_few_rows}
            columns:
              - name: order_id
                data_tests:
                  - {is_positive: {name: ids_positive}}
                  - {jinja_positive: {name: ids_positive_sql}}
              - name: amount
                data_tests:
                  - {is_positive: {name: amounts_positive}}
                  - {is_positive: {name: amounts_positive_where, config: {where: "order_id <> 2"}}}
                  - {jinja_positive: {name: amounts_positive_sql}}
                  - {jinja_positive: {name: amounts_positive_sql_where, where: "order_id <> 2"}}
                  - {at_most: {name: amounts_capped, limit_value: 8}}
              - name: customer_id
                data_tests:
                  - {exists_in: {name: customers_exist, to: "ref('customers')", field: customer_id}}
                  - {jinja_exists_in: {name: customers_exist_sql, to: "ref('customers')", field: customer_id}}
                  - {at_least: {name: customer_ids_at_least_one, value: 1}}
    """,
    "tests/generic/positive.sql": """
        {% test jinja_positive(model, column_name) %}
        select * from {{ model }} where {{ column_name }} <= 0
        {% endtest %}

        {% test jinja_exists_in(model, column_name, to, field) %}
        select * from {{ model }} where {{ column_name }} not in (select {{ field }} from {{ to }})
        {% endtest %}
    """,
    # a generic test may live in a model file too (imported on every load, never from cache)
    "models/bounds.py": """
        import ibis

        from pyflow import generic_test, model


        @model
        def bounds(orders: ibis.Table) -> ibis.Table:
            return orders.aggregate(low=orders.amount.min())


        @generic_test
        def at_least(model: ibis.Table, column_name: str, value: int) -> ibis.Table:
            return model.filter(model[column_name] < value)
    """,
    "tests/generic/checks.py": """
        import ibis

        from pyflow import generic_test


        @generic_test
        def is_positive(model: ibis.Table, column_name: str) -> ibis.Table:
            return model.filter(model[column_name] <= 0)


        @generic_test(severity="warn")
        def at_most(model: ibis.Table, column_name: str, limit_value: int) -> ibis.Table:
            return model.filter(model[column_name] > limit_value)


        @generic_test
        def has_rows(model: ibis.Table, min_rows: int = 1) -> ibis.Table:
            counted = model.count().name("n_rows").as_table()
            return counted.filter(counted.n_rows < min_rows)


        @generic_test
        def exists_in(model: ibis.Table, column_name: str, to: ibis.Table, field: str) -> ibis.Table:
            return model.anti_join(to, model[column_name] == to[field])
    """,
    "tests/assert_no_big_orders.sql": "select * from {{ ref('orders') }} where amount > 100\n",
    "tests/assert_no_negative_orders.sql": "select * from {{ ref('orders') }} where amount < 0\n",
    "tests/singular.py": """
        import ibis

        from pyflow import data_test


        @data_test
        def orders_have_customers(orders: ibis.Table, customers: ibis.Table) -> ibis.Table:
            \"\"\"Every order's customer exists.\"\"\"
            return orders.anti_join(customers, "customer_id")


        @data_test(severity="warn")
        def payments_are_small(bank__payments: ibis.Table) -> ibis.Table:
            return bank__payments.filter(bank__payments.amount > 1)


        @data_test
        def orders_are_few(orders: ibis.Table) -> ibis.Table:
            counted = orders.count().name("n").as_table()
            return counted.filter(counted.n > 10)
    """,
    # pytest modules and helpers under tests/ must never be imported by pyflow
    "tests/test_models.py": "raise RuntimeError('pyflow imported a pytest module')\n",
    "tests/helpers.py": "# mentions data_test and generic_test, decorates nothing\nraise RuntimeError('imported')\n",
}

EXPECTED = {
    "payments_positive": ("fail", 1),
    "enough_rows": ("pass", 0),
    "too_few_rows": ("fail", 1),
    "ids_positive": ("pass", 0),
    "ids_positive_sql": ("pass", 0),
    "amounts_positive": ("fail", 1),
    "amounts_positive_where": ("pass", 0),
    "amounts_positive_sql": ("fail", 1),
    "amounts_positive_sql_where": ("pass", 0),
    "amounts_capped": ("warn", 1),
    "customers_exist": ("fail", 1),
    "customers_exist_sql": ("fail", 1),
    "customer_ids_at_least_one": ("pass", 0),
    "assert_no_big_orders": ("pass", 0),
    "assert_no_negative_orders": ("fail", 1),
    "orders_have_customers": ("fail", 1),
    "payments_are_small": ("warn", 1),
    "orders_are_few": ("pass", 0),
}


def cli(*args: str | Path) -> Any:
    from pyflow.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"pyflow.yml": f"name: {root.name}\n", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, dict[str, Any]]]:
    root = write(tmp_path_factory.mktemp("custom") / "custom", FILES)
    result = cli("build", "--project-dir", root)
    data = json.loads((root / "target" / "run_results.json").read_text())
    return root, result, {r["name"]: r for r in data["results"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_custom_and_singular_tests_pass_or_fail(built: tuple[Path, Any, dict[str, Any]], name: str) -> None:
    _, _, runs = built
    assert (runs[name]["status"], runs[name]["failures"]) == EXPECTED[name]


def test_custom_tests_build_summary(built: tuple[Path, Any, dict[str, Any]]) -> None:
    _, result, runs = built
    assert result.exit_code == 1
    assert "RuntimeError" not in result.output
    fails = sum(s == "fail" for s, _ in EXPECTED.values())
    assert f"WARN=2 ERROR={fails} SKIP=1" in result.output  # bounds reads orders, whose tests failed
    assert runs["bounds"]["status"] == "skipped"
    assert {n for n, r in runs.items() if r["unique_id"].startswith("test.")} == set(EXPECTED)


def test_python_generic_test_failure_names_model_column_and_rows(
    built: tuple[Path, Any, dict[str, Any]],
) -> None:
    _, result, runs = built
    message = runs["amounts_positive"]["message"]
    assert all(line in result.output for line in message.splitlines())
    assert "Failure in test amounts_positive (models/schema.yml:" in message
    assert "test 'is_positive' on orders column amount: got 1 failing row(s)" in message
    assert "test 'bank__payments'" not in runs["payments_are_small"]["message"]
    assert (
        "Warning in test payments_are_small (tests/singular.py:13)" in runs["payments_are_small"]["message"]
    )
    assert (
        "test 'exists_in' on orders column customer_id: got 1 failing row(s)"
        in runs["customers_exist"]["message"]
    )


def test_python_generic_test_where_is_an_inline_cte(built: tuple[Path, Any, dict[str, Any]]) -> None:
    root, _, _ = built
    sql = (root / "target" / "compiled" / "custom" / "models" / "amounts_positive_where.sql").read_text()
    assert 'WITH "__pyflow_where__amounts_positive_where" AS (' in sql
    assert "WHERE order_id <> 2" in sql


def test_python_tests_are_in_the_graph(built: tuple[Path, Any, dict[str, Any]]) -> None:
    root, _, _ = built
    project = load_project(root)
    singular = project.tests["orders_have_customers"]
    assert (singular.kind, singular.language, singular.path, singular.line) == (
        "singular",
        "python",
        "tests/singular.py",
        7,
    )
    assert singular.description == "Every order's customer exists."
    assert sorted(project.graph.parents[singular.unique_id]) == [
        "model.custom.customers",
        "model.custom.orders",
    ]
    generic = project.tests["customers_exist"]
    assert (generic.kind, generic.language, generic.attached) == ("generic", "python", "orders")
    assert generic.ref_args == {"to": "customers"}
    assert "model.custom.customers" in project.graph.parents[generic.unique_id]


def test_generic_test_in_a_model_file_survives_the_parse_cache(
    built: tuple[Path, Any, dict[str, Any]],
) -> None:
    root, _, _ = built
    again = cli("test", "--project-dir", root, "--select", "orders")
    assert "PASS test customer_ids_at_least_one " in again.output
    assert "FAIL test customers_exist_sql " in again.output
    assert "bounds" in load_project(root).models


def test_selecting_a_model_runs_its_python_tests(built: tuple[Path, Any, dict[str, Any]]) -> None:
    root, _, _ = built
    result = cli("test", "--project-dir", root, "--select", "customers")
    assert "orders_have_customers" in result.output and "customers_exist" in result.output
    assert "amounts_positive" not in result.output


# ---- errors ------------------------------------------------------------------------------------

MODEL = "models/orders.sql"
ERRORS: dict[str, tuple[dict[str, str], str, str, tuple[str, ...]]] = {
    # name: (files, code, "path:line", texts the message must hold)
    "unknown_test": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [uniqe]\n"
        },
        "unknown-test",
        "models/schema.yml:5",
        ("model 'orders'", "unknown test 'uniqe'", "Did you mean 'unique'?", "Fix: "),
    ),
    "unknown_python_test": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    data_tests: [has_row]\n",
            "tests/generic/t.py": "from pyflow import generic_test\n\n\n@generic_test\ndef has_rows(model):\n    return model\n",
        },
        "unknown-test",
        "models/schema.yml:3",
        ("unknown test 'has_row'", "Did you mean 'has_rows'?"),
    ),
    "missing_argument": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values: {quote: false}\n"
        },
        "invalid-test",
        "models/schema.yml:6",
        (
            "model 'orders'",
            "test 'accepted_values' needs the argument 'values'",
            "Fix: add `values: ...` under the test",
        ),
    ),
    "missing_python_argument": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [at_most]\n",
            "tests/generic/t.py": "from pyflow import generic_test\n\n\n@generic_test\ndef at_most(model, column_name, value):\n    return model\n",
        },
        "invalid-test",
        "models/schema.yml:5",
        ("test 'at_most' needs the argument 'value'", "Fix: add `value: ...`"),
    ),
    "unknown_argument": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n        data_tests:\n          - unique: {severty: warn}\n"
        },
        "invalid-test",
        "models/schema.yml:6",
        ("test 'unique' has no argument 'severty'", "Did you mean 'severity'?", "config:"),
    ),
    "bad_threshold": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n        data_tests:\n          - unique: {config: {error_if: more than 10}}\n"
        },
        "invalid-test",
        "models/schema.yml:6",
        (
            "invalid test config 'error_if'",
            "cannot read the threshold 'more than 10'",
            'e.g. `error_if: ">= 10"`',
        ),
    ),
    "bad_severity": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    data_tests:\n      - not_empty: {config: {severity: fatal}}\n"
        },
        "invalid-test",
        "models/schema.yml:4",
        ("invalid test config 'severity'", "Fix: write `severity: error` or `severity: warn`"),
    ),
    "bad_python_signature": (
        {
            "tests/generic/t.py": "from pyflow import generic_test\n\n\n@generic_test\ndef positive(table, column_name):\n    return table\n"
        },
        "invalid-test",
        "tests/generic/t.py:5",
        ("test 'positive'", "first parameter, `model`", "Fix: write `def positive(model: ibis.Table"),
    ),
    "bad_decorator_config": (
        {
            "tests/checks.py": "from pyflow import data_test\n\n\n@data_test(severity='loud')\ndef check(orders):\n    return orders\n"
        },
        "invalid-test",
        "tests/checks.py:5",
        ("test 'check'", "invalid test config 'severity'"),
    ),
    "singular_python_missing_dependency": (
        {
            "tests/checks.py": "from pyflow import data_test\n\n\n@data_test\ndef check(ordes):\n    return ordes\n"
        },
        "missing-dependency",
        "tests/checks.py:5",
        ("test 'check'", "depends on 'ordes'", "Did you mean 'orders'?"),
    ),
    "column_name_not_taken": (
        {
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [has_rows]\n",
            "tests/generic/t.py": "from pyflow import generic_test\n\n\n@generic_test\ndef has_rows(model):\n    return model\n",
        },
        "invalid-test",
        "models/schema.yml:5",
        ("takes no column_name", "declared under column 'id'", "tests/generic/t.py:5"),
    ),
    "python_and_jinja_twice": (
        {
            "tests/generic/t.py": "from pyflow import generic_test\n\n\n@generic_test\ndef positive(model, column_name):\n    return model\n",
            "tests/generic/positive.sql": "{% test positive(model, column_name) %}\nselect 1\n{% endtest %}\n",
        },
        "duplicate-name",
        "tests/generic/t.py:5",
        ("generic test 'positive' is defined twice", "tests/generic/positive.sql:1"),
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_test_declaration_errors_name_file_node_and_fix(tmp_path: Path, name: str) -> None:
    files, code, location, texts = ERRORS[name]
    root = write(tmp_path / "proj", {MODEL: "select 1 as id\n", **files})

    with pytest.raises(PyflowError) as info:
        load_project(root)
    err = info.value
    assert not isinstance(err, ErrorGroup), str(err)
    text = str(err)
    assert err.code == code
    assert location in text.splitlines()[0]
    assert err.hint
    for part in texts:
        assert part in text

    result = cli("test", "--project-dir", root)
    assert result.exit_code == 1
    assert result.stderr == f"pyflow: {text}\n"
    assert "Traceback" not in result.output


def test_python_test_that_raises_points_at_its_line(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            MODEL: "select 1 as id\n",
            "tests/checks.py": "from pyflow import data_test\n\n\n@data_test\ndef check(orders):\n    return orders.no_such_column\n",
        },
    )

    result = cli("test", "--project-dir", root)

    assert result.exit_code == 1
    assert "test 'check' (tests/checks.py:6): the test function raised: AttributeError" in result.output
    assert "Fix: fix the test function at that line" in result.output
