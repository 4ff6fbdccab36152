"""Generic tests are named and identified as dbt names them.

The expected ids are the ones dbt 1.x writes for jaffle_shop (dbt-labs' example project), as
they appear in its published manifests.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyflow.core.datatest import Target, make_test
from pyflow.core.node import DependencyRef, TestNode
from pyflow.core.testname import MAX_NAME, generic_test_name


def build(entry: Any, target: Target, column: str | None) -> TestNode:
    def parse_ref(text: str) -> DependencyRef | None:
        name = text.removeprefix("ref('").removesuffix("')")
        return DependencyRef(name, 1, "ref") if text.startswith("ref(") else None

    return make_test(
        entry,
        target,
        column,
        package="jaffle_shop",
        path="models/schema.yml",
        line=1,
        known=lambda _: True,
        parse_ref=parse_ref,
    )


@pytest.mark.parametrize(
    ("entry", "target", "column", "unique_id"),
    [
        (
            "unique",
            Target("ref", "customers"),
            "customer_id",
            "test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1",
        ),
        (
            "not_null",
            Target("ref", "customers"),
            "customer_id",
            "test.jaffle_shop.not_null_customers_customer_id.5c9bf9911d",
        ),
        ("unique", Target("ref", "orders"), "order_id", "test.jaffle_shop.unique_orders_order_id.fed79b3a6e"),
        (
            {"accepted_values": {"values": ["placed", "shipped", "completed", "return_pending", "returned"]}},
            Target("ref", "orders"),
            "status",
            "test.jaffle_shop.accepted_values_orders_status__placed__shipped__completed__return_pending__returned"
            ".be6b5b5ec3",
        ),
        (
            {"relationships": {"to": "ref('customers')", "field": "customer_id"}},
            Target("ref", "orders"),
            "customer_id",
            "test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2",
        ),
        (
            "unique",
            Target("source", "jaffle_shop", "customers"),
            "id",
            "test.jaffle_shop.source_unique_jaffle_shop_customers_id.2777a7933e",
        ),
    ],
)
def test_generic_tests_get_dbts_names_and_unique_ids(
    entry: Any, target: Target, column: str, unique_id: str
) -> None:
    node = build(entry, target, column)

    assert node.unique_id == unique_id
    assert node.name == unique_id.split(".")[2]


def test_a_model_level_test_without_arguments_ends_in_an_underscore_as_in_dbt() -> None:
    assert generic_test_name("unique", "customers", {}, source=False) == "unique_customers_"


def test_arguments_are_sorted_flattened_and_made_safe() -> None:
    args = {"values": [1, 2], "quote": False, "column_name": "priority", "opts": {"a": "x-y"}}

    assert generic_test_name("accepted_values", "orders", args, source=False) == (
        "accepted_values_orders_priority__x_y__False__1__2"
    )


def test_a_custom_name_keeps_its_name_and_gets_a_hash() -> None:
    node = build({"unique": {"name": "orders_pk"}}, Target("ref", "orders"), "order_id")

    assert node.name == "orders_pk"
    assert (
        node.unique_id.startswith("test.jaffle_shop.orders_pk.") and len(node.unique_id.split(".")[3]) == 10
    )


def test_names_too_long_for_a_file_end_in_a_hash() -> None:
    name = generic_test_name("accepted_values", "orders", {"values": ["x" * 150, "y" * 150]}, source=False)

    assert len(name) == MAX_NAME and name.startswith("accepted_values_orders_xxx")


def test_unit_tests_and_singular_tests_get_dbts_unique_ids() -> None:
    unit = TestNode(name="test_is_valid_email", package="shop", path="models/u.yml", line=1)
    unit.test_type, unit.attached = "unit", "dim_customers"
    singular = TestNode(name="assert_total_is_positive", package="shop", path="tests/a.sql", line=1)
    singular.kind = "singular"

    assert unit.unique_id == "unit_test.shop.dim_customers.test_is_valid_email"
    assert singular.unique_id == "test.shop.assert_total_is_positive"
