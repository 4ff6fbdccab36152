"""``pyflow show --lineage MODEL.COLUMN``: a column's upstream and downstream trees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.runner.lineage_project import FILES


@pytest.fixture
def root(make_project: Callable[..., Path]) -> Path:
    return make_project(FILES)


def test_show_lineage_text_trees(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "--lineage", "customer_totals.total", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "model customer_totals.total",
        "  upstream:",
        "    model stg_orders.amount_dollars",
        "      source raw.orders.amount",
        "  downstream:",
        "    model big_customers.doubled",
    ]


def test_show_lineage_of_a_source_column(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "--lineage", "raw.orders.amount", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "source raw.orders.amount",
        "  upstream:",
        "    (none)",
        "  downstream:",
        "    model stg_orders.amount_dollars",
        "      model customer_totals.total",
        "        model big_customers.doubled",
        "      model eph_completed.amount_dollars",
    ]


def test_show_lineage_json(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "--lineage", "stg_customers.full_name", "-o", "json", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    src = "source.shop.raw.customers"
    assert json.loads(result.stdout) == {
        "unique_id": "model.shop.stg_customers",
        "column": "full_name",
        "upstream": [
            {"unique_id": src, "column": "first_name", "upstream": []},
            {"unique_id": src, "column": "last_name", "upstream": []},
        ],
        "downstream": [
            {
                "unique_id": "model.shop.customer_totals",
                "column": "name",
                "downstream": [{"unique_id": "model.shop.big_customers", "column": "name", "downstream": []}],
            }
        ],
        "errors": {},
    }


def test_show_lineage_unknown_column_suggests(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "--lineage", "customer_totals.totl", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "model 'customer_totals' (models/customer_totals.sql:1): has no column 'totl'" in result.output
    assert "Did you mean 'total'?" in result.output
    assert "Fix: pick one of its columns" in result.output
    assert "[unknown-lineage-column]" in result.output


def test_show_lineage_unknown_model_suggests(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "--lineage", "custmer_totals.total", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "no model, seed, snapshot or source named 'custmer_totals'" in result.output
    assert "Did you mean 'customer_totals'?" in result.output
    assert "[unknown-node]" in result.output


def test_show_lineage_spec_without_column(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "--lineage", "customer_totals", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "does not name a column" in result.output
    assert "Fix: write MODEL.COLUMN" in result.output


def test_show_lineage_with_a_model_argument_is_a_usage_error(cli: Callable[..., Any], root: Path) -> None:
    result = cli("show", "stg_orders", "--lineage", "stg_orders.status", "--project-dir", str(root))
    assert result.exit_code == 2
    assert "--lineage MODEL.COLUMN takes no node argument" in result.output
