"""Unit tests of the shop models: small hand-written inputs, hand-computed expected outputs.

Each test runs one model on in-memory DuckDB with `pyflow.testing.run_model`, feeding every
upstream (source table, model or seed) from a pandas DataFrame.

    pytest examples/shop/tests
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pyflow.testing import run_model

PROJECT_DIR = Path(__file__).parents[1]
D = dt.date


def ts(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


def days(column: pd.Series) -> list[str | None]:
    """Dates (DATE or TIMESTAMP) as ISO day strings, None for missing."""
    return [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in column]


def by(df: pd.DataFrame, key: str) -> pd.DataFrame:
    return df.sort_values(key).reset_index(drop=True)


# ---- stg_orders (Python) ---------------------------------------------------------------------

RAW_ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "customer_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
        "order_date": ts(
            "2023-12-31 23:59:59",  # the day before start_date: dropped
            "2024-01-01 00:00:00",  # start_date itself: kept
            "2024-03-15 12:30:00",
            "2024-06-01 08:00:00",
            "2024-07-04 10:00:00",
            "2024-08-01 00:00:00",
            "2024-09-09 09:09:09",
            "2024-10-10 10:10:10",
            "2024-12-31 23:59:59",  # last second of end_date: kept
            "2025-01-01 00:00:00",  # after end_date: dropped
        ),
        "status": [
            "Completed",
            " completed",
            "SHIPPED",
            "returned",
            "canceled",
            "Pending ",
            "complete",
            "lost in transit",
            "COMPLETED",
            "completed",
        ],
        "total_amount_cents": [1000, 1999, 250, 12345, 5, 99, 100000, 700, 1, 500],
    }
)


def test_stg_orders_standardises_status_and_converts_cents() -> None:
    out = run_model(
        PROJECT_DIR,
        "stg_orders",
        inputs={"ecommerce__orders": RAW_ORDERS},
        vars={"start_date": "2024-01-01", "end_date": "2024-12-31"},
    )
    out = by(out, "order_id")
    assert out["order_id"].tolist() == [2, 3, 4, 5, 6, 7, 8, 9]
    assert out["status"].tolist() == [
        "completed",
        "shipped",
        "returned",
        "cancelled",
        "pending",
        "completed",
        "unknown",
        "completed",
    ]
    assert out["total_amount_cents"].tolist() == [1999, 250, 12345, 5, 99, 100000, 700, 1]
    assert out["amount_dollars"].tolist() == pytest.approx(
        [19.99, 2.50, 123.45, 0.05, 0.99, 1000.00, 7.00, 0.01]
    )


def test_stg_orders_uses_project_vars_by_default() -> None:
    # pyflow.yml: start_date 2023-01-01, end_date 2024-12-31
    out = run_model(PROJECT_DIR, "stg_orders", inputs={"ecommerce__orders": RAW_ORDERS})
    assert sorted(out["order_id"].tolist()) == [1, 2, 3, 4, 5, 6, 7, 8, 9]


# ---- stg_customers (SQL) ---------------------------------------------------------------------


def test_stg_customers_cleans_names_and_emails() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "first_name": ["  alice ", "bOB"],
            "last_name": ["SMITH", " garcia"],
            "email": [" Alice.Smith@Example.COM ", "bob@mail.test"],
            "country_code": ["us", "GB "],
            "signup_date": [D(2023, 1, 5), D(2024, 2, 29)],
            "updated_at": ts("2023-01-05 10:00:00", "2024-03-01 11:00:00"),
        }
    )
    out = by(run_model(PROJECT_DIR, "stg_customers", inputs={"ecommerce.customers": raw}), "customer_id")
    assert out["first_name"].tolist() == ["Alice", "Bob"]
    assert out["last_name"].tolist() == ["Smith", "Garcia"]
    assert out["email"].tolist() == ["alice.smith@example.com", "bob@mail.test"]
    assert out["country_code"].tolist() == ["US", "GB"]
    assert days(out["signup_date"]) == ["2023-01-05", "2024-02-29"]


# ---- intermediate models (SQL on top of the Python stg_orders) -------------------------------

STG_ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4, 5, 6, 7],
        "customer_id": [1, 1, 1, 2, 3, 3, 3],
        "order_date": ts(
            "2024-01-05 10:00:00",
            "2024-03-01 09:00:00",
            "2024-02-10 15:00:00",
            "2024-05-05 23:59:59",
            "2024-12-31 18:00:00",
            "2024-06-30 00:00:01",
            "2024-12-31 23:00:00",
        ),
        "status": ["completed", "completed", "returned", "cancelled", "completed", "completed", "pending"],
        "total_amount_cents": [1999, 2501, 5000, 1000, 123456, 1, 999],
        "amount_dollars": [19.99, 25.01, 50.00, 10.00, 1234.56, 0.01, 9.99],
    }
)


def test_int_customer_order_summary() -> None:
    out = by(
        run_model(PROJECT_DIR, "int_customer_order_summary", inputs={"stg_orders": STG_ORDERS}), "customer_id"
    )
    assert out["customer_id"].tolist() == [1, 2, 3]
    assert out["order_count"].tolist() == [3, 1, 3]
    assert out["completed_orders"].tolist() == [2, 0, 2]
    # completed cents only: 1999 + 2501 = 4500; none; 123456 + 1 = 123457
    assert out["lifetime_value"].tolist() == pytest.approx([45.00, 0.00, 1234.57])
    assert days(out["first_order_date"]) == ["2024-01-05", "2024-05-05", "2024-06-30"]
    assert days(out["last_order_date"]) == ["2024-03-01", "2024-05-05", "2024-12-31"]


def test_int_orders_pivoted() -> None:
    out = by(run_model(PROJECT_DIR, "int_orders_pivoted", inputs={"stg_orders": STG_ORDERS}), "customer_id")
    assert out["completed_amount"].tolist() == pytest.approx([45.00, 0.00, 1234.57])
    assert out["shipped_amount"].tolist() == pytest.approx([0.00, 0.00, 0.00])
    assert out["returned_amount"].tolist() == pytest.approx([50.00, 0.00, 0.00])
    assert out["cancelled_amount"].tolist() == pytest.approx([0.00, 10.00, 0.00])
    assert out["pending_amount"].tolist() == pytest.approx([0.00, 0.00, 9.99])
    assert out["total_amount"].tolist() == pytest.approx([95.00, 10.00, 1244.56])


# ---- dim_customers (Python on top of SQL models and a seed) ----------------------------------

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 5, 6],
        "first_name": ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"],
        "last_name": ["Lee", "Kim", "Roe", "Poe", "Ito", "Day"],
        "email": [f"c{i}@shop.test" for i in range(1, 7)],
        "country_code": ["US", "GB", "DE", "FR", "XX", "US"],
        "signup_date": [D(2022, 5, 1)] * 6,
        "updated_at": ts(*["2022-05-01 00:00:00"] * 6),
    }
)
# Customer 5 has no row: never ordered. Values sit on the segment and recency boundaries.
SUMMARY = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 6],
        "order_count": [5, 4, 2, 1, 2],
        "completed_orders": [4, 3, 2, 1, 0],
        "lifetime_value": [1500.00, 1499.99, 500.00, 499.99, 0.00],
        "first_order_date": [D(2023, 2, 1), D(2023, 3, 1), D(2023, 4, 1), D(2023, 5, 1), D(2024, 12, 1)],
        "last_order_date": [D(2024, 10, 2), D(2024, 10, 1), D(2024, 1, 1), D(2023, 12, 31), D(2024, 12, 31)],
    }
)
COUNTRIES = pd.DataFrame(
    {
        "country_code": ["DE", "FR", "GB", "US"],
        "country_name": ["Germany", "France", "United Kingdom", "United States"],
    }
)


def dim_customers(end_date: str) -> pd.DataFrame:
    out = run_model(
        PROJECT_DIR,
        "dim_customers",
        inputs={
            "stg_customers": CUSTOMERS,
            "int_customer_order_summary": SUMMARY,
            "country_codes": COUNTRIES,
        },
        vars={"end_date": end_date},
    )
    return by(out, "customer_id")


def test_dim_customers_segments_and_recency() -> None:
    out = dim_customers("2024-12-31")
    assert out["customer_id"].tolist() == [1, 2, 3, 4, 5, 6]  # no customer lost by the joins
    assert out["customer_segment"].tolist() == [
        "High Value",  # 1500.00 >= 1500
        "Medium Value",  # 1499.99
        "Medium Value",  # 500.00 >= 500
        "Low Value",  # 499.99
        "No Purchases",  # no orders
        "Low Value",  # orders, but none completed
    ]
    # days from the last order to 2024-12-31: 90, 91, 365 (2024 is a leap year), 366, -, 0
    assert out["days_since_last_order"].tolist()[:4] == [90, 91, 365, 366]
    assert pd.isna(out["days_since_last_order"][4])
    assert out["days_since_last_order"][5] == 0
    assert out["recency_status"].tolist() == [
        "Active",
        "At Risk",
        "At Risk",
        "Inactive",
        "Never Purchased",
        "Active",
    ]


def test_dim_customers_keeps_customers_without_orders() -> None:
    eve = dim_customers("2024-12-31").iloc[4]
    assert eve["first_name"] == "Eve"
    assert eve["order_count"] == 0
    assert eve["completed_orders"] == 0
    assert eve["lifetime_value"] == 0.0
    assert pd.isna(eve["last_order_date"])
    assert eve["country_name"] == "Unknown"  # 'XX' is not in the country_codes seed


def test_dim_customers_country_names_and_dates() -> None:
    out = dim_customers("2024-12-31")
    assert out["country_name"].tolist() == [
        "United States",
        "United Kingdom",
        "Germany",
        "France",
        "Unknown",
        "United States",
    ]
    assert days(out["last_order_date"]) == [
        "2024-10-02",
        "2024-10-01",
        "2024-01-01",
        "2023-12-31",
        None,
        "2024-12-31",
    ]


def test_dim_customers_recency_follows_end_date_var() -> None:
    out = dim_customers("2025-03-31")
    # 2024-10-02 -> 2025-03-31 is 180 days; 2024-12-31 -> 2025-03-31 is 90 days
    assert out["days_since_last_order"][0] == 180
    assert out["days_since_last_order"][5] == 90
    assert out["recency_status"].tolist() == [
        "At Risk",
        "At Risk",
        "Inactive",
        "Inactive",
        "Never Purchased",
        "Active",
    ]


# ---- fct_orders ------------------------------------------------------------------------------


def test_fct_orders_numbers_each_customers_orders() -> None:
    customers = CUSTOMERS[CUSTOMERS["customer_id"].isin([1, 2, 3])]
    out = by(
        run_model(PROJECT_DIR, "fct_orders", inputs={"stg_orders": STG_ORDERS, "stg_customers": customers}),
        "order_id",
    )
    assert out["customer_order_number"].tolist() == [1, 3, 2, 1, 2, 1, 3]
    assert out["is_completed"].tolist() == [True, True, False, False, True, True, False]
    assert out["country_code"].tolist() == ["US", "US", "US", "GB", "DE", "DE", "DE"]
