"""Test declarations -> TestNode: forms, names, arguments, config, refs, and the errors of each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pyflow.core.datatest import Target, TestDefinition, make_test, split_entry
from pyflow.core.node import DependencyRef
from pyflow.core.nodeconfig import TestConfig as DataTestConfig
from pyflow.core.nodeconfig import parse_threshold
from pyflow.errors import ProjectError

ORDERS = Target("ref", "orders")
PYTHON_POSITIVE = TestDefinition("is_positive", "python", "tests/generic/checks.py", 7, ("column_name",))
ROWS = TestDefinition("has_rows", "python", "tests/generic/checks.py", 12, (), ("min_rows",))
ANY = TestDefinition("anything", "sql", "macros/t.sql", 1, ("column_name",), any_argument=True)


def parse_ref(text: str) -> DependencyRef | None:
    if text.startswith("ref('"):
        return DependencyRef(text[5:-2], 1, "ref")
    if text.startswith("source('"):
        source, table = (p.strip(" '") for p in text[7:-1].split(","))
        return DependencyRef(source, 1, "source", table)
    return None


def build(
    entry: Any,
    column: str | None = "order_id",
    target: Target = ORDERS,
    defs: Mapping[str, TestDefinition] | None = None,
) -> Any:
    return make_test(
        entry,
        target,
        column,
        package="shop",
        path="models/schema.yml",
        line=9,
        known=lambda n: (
            n
            in {
                "unique",
                "not_null",
                "accepted_values",
                "relationships",
                "accepted_range",
                "not_empty",
                "expression_is_true",
                *(defs or {}),
            }
        ),
        parse_ref=parse_ref,
        definitions=defs,
    )


def error(
    entry: Any, column: str | None = "order_id", defs: Mapping[str, TestDefinition] | None = None
) -> ProjectError:
    with pytest.raises(ProjectError) as info:
        build(entry, column, defs=defs)
    assert info.value.path == "models/schema.yml" and info.value.line == 9
    assert info.value.hint
    return info.value


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("unique", ("unique", None, {}, {})),
        (
            {"accepted_values": {"values": [1], "quote": False}},
            ("accepted_values", None, {"values": [1], "quote": False}, {}),
        ),
        ({"unique": {"severity": "warn", "name": "u"}}, ("unique", "u", {}, {"severity": "warn"})),
        (
            {"unique": {"config": {"where": "x > 1"}, "arguments": {"a": 1}}},
            ("unique", None, {"a": 1}, {"where": "x > 1"}),
        ),
        (
            {"name": "mine", "test_name": "not_null", "config": {"limit": 3}},
            ("not_null", "mine", {}, {"limit": 3}),
        ),
        ({"not_empty": None}, ("not_empty", None, {}, {})),
    ],
)
def test_split_entry_tells_arguments_from_config(entry: Any, expected: tuple[Any, ...]) -> None:
    assert split_entry(entry) == expected


@pytest.mark.parametrize("entry", [{"unique": {}, "not_null": {}}, 42, {}])
def test_split_entry_rejects_what_is_not_a_declaration(entry: Any) -> None:
    with pytest.raises(ValueError):
        split_entry(entry)


def test_make_test_names_and_attaches_a_column_test() -> None:
    node = build("unique")
    assert (node.name, node.test_name, node.attached, node.column_name) == (
        "unique_orders_order_id",
        "unique",
        "orders",
        "order_id",
    )
    assert node.unique_id == "test.shop.unique_orders_order_id.fed79b3a6e"  # dbt's id for this test
    assert (node.kind, node.language, node.path, node.line) == ("generic", "sql", "models/schema.yml", 9)
    assert node.refs == (DependencyRef("orders", 9, "ref"),)


def test_make_test_hashes_arguments_into_the_default_name() -> None:
    one = build({"accepted_values": {"values": ["a"]}})
    two = build({"accepted_values": {"values": ["b"]}})
    assert one.name.startswith("accepted_values_orders_order_id_") and one.name != two.name
    assert build({"accepted_values": {"values": ["a"], "name": "status_ok"}}).name == "status_ok"


def test_make_test_on_a_source_table() -> None:
    node = build("not_null", target=Target("source", "crm", "customers"))
    assert node.name == "source_not_null_crm_customers_order_id"  # dbt's name
    assert node.attached == "crm.customers"
    assert node.refs == (DependencyRef("crm", 9, "source", "customers"),)


@pytest.mark.parametrize(
    ("to", "key", "ref"),
    [
        ("ref('customers')", "customers", DependencyRef("customers", 9, "ref")),
        ("source('crm', 'customers')", "crm.customers", DependencyRef("crm", 9, "source", "customers")),
    ],
)
def test_relationships_depends_on_its_target(to: str, key: str, ref: DependencyRef) -> None:
    node = build({"relationships": {"to": to, "field": "customer_id"}})
    assert node.refs[1] == ref
    assert node.ref_args == {"to": key}


def test_custom_test_arguments_naming_relations_become_dependencies() -> None:
    node = build(
        {"anything": {"other": "ref('customers')", "expression": "coalesce(a, 0) > 1"}},
        defs={"anything": ANY},
    )
    assert node.ref_args == {"other": "customers"}
    assert node.language == "sql"


def test_python_generic_test_definition_gives_language_and_default_config() -> None:
    rows = TestDefinition("has_rows", "python", "t.py", 1, (), ("min_rows",), config={"severity": "warn"})
    node = build({"has_rows": {"min_rows": 3}}, None, defs={"has_rows": rows})
    assert (node.language, node.config.severity, node.kwargs) == ("python", "warn", {"min_rows": 3})
    assert (
        build({"has_rows": {"config": {"severity": "error"}}}, None, defs={"has_rows": rows}).config.severity
        == "error"
    )


def test_unknown_test_suggests_custom_and_builtin_names() -> None:
    err = error("is_positve", defs={"is_positive": PYTHON_POSITIVE})
    assert err.code == "unknown-test"
    assert err.model == "orders"
    assert err.suggestions == ["is_positive"]
    assert error("uniqe").suggestions == ["unique"]


@pytest.mark.parametrize(
    ("entry", "column", "message"),
    [
        ({"accepted_values": {}}, "status", "test 'accepted_values' needs the argument 'values'"),
        ({"relationships": {"to": "ref('c')"}}, "id", "test 'relationships' needs the argument 'field'"),
        ("is_positive", None, "test 'is_positive' needs the argument 'column_name'"),
        ({"accepted_range": {}}, "amount", "test 'accepted_range' needs 'min_value', 'max_value' or both"),
        (
            {"relationships": {"to": "customers", "field": "id"}},
            "id",
            "is not ref('name') or source('source', 'table')",
        ),
        ({"unique": {"severty": "warn"}}, "id", "test 'unique' has no argument 'severty'"),
        ({"has_rows": {"min_row": 1}}, None, "test 'has_rows' has no argument 'min_row'"),
        ("has_rows", "id", "test 'has_rows' takes no column_name, but is declared under column 'id'"),
        ({"unique": {"config": {"warn_if": "lots"}}}, "id", "cannot read the threshold 'lots'"),
        ({"unique": {"config": {"severity": "fatal"}}}, "id", "invalid test config 'severity'"),
        ({"unique": {"config": {"limit": 0}}}, "id", "invalid test config 'limit'"),
        ({"unique": {"config": {"colour": "red"}}}, "id", "invalid test config 'colour'"),
    ],
)
def test_invalid_declarations_are_errors_with_file_line_and_fix(
    entry: Any, column: str | None, message: str
) -> None:
    err = error(entry, column, {"is_positive": PYTHON_POSITIVE, "has_rows": ROWS})
    assert err.code == "invalid-test"
    assert message in err.message
    assert "models/schema.yml:9" in str(err) and "model 'orders'" in str(err)


def test_unknown_argument_suggests_a_config_key() -> None:
    err = error({"unique": {"severty": "warn"}})
    assert err.suggestions == ["severity"]
    assert "config:" in (err.hint or "")


def test_custom_test_taking_kwargs_accepts_any_argument() -> None:
    assert build({"anything": {"whatever": 1}}, defs={"anything": ANY}).kwargs == {
        "whatever": 1,
        "column_name": "order_id",
    }


@pytest.mark.parametrize(
    ("rule", "parsed"),
    [
        ("!= 0", ("!=", 0)),
        (">10", (">", 10)),
        (" >= 100 ", (">=", 100)),
        ("=3", ("=", 3)),
        ("<>1", ("<>", 1)),
    ],
)
def test_parse_threshold(rule: str, parsed: tuple[str, int]) -> None:
    assert parse_threshold(rule) == parsed


@pytest.mark.parametrize("rule", ["", "10", "> ten", "=> 3", "!= -1", "> 1.5"])
def test_parse_threshold_rejects_what_it_cannot_read(rule: str) -> None:
    with pytest.raises(ValueError, match="operator and a number"):
        parse_threshold(rule)


def test_test_config_checks_thresholds() -> None:
    assert DataTestConfig(warn_if="> 5").warn_if == "> 5"
    with pytest.raises(ValueError, match="cannot read the threshold"):
        DataTestConfig(error_if="many")
