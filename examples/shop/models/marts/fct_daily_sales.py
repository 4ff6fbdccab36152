"""Daily sales, built incrementally: each run recomputes only the latest days and merges them."""

import ibis

from pyflow import Context, model


@model(
    materialized="incremental",
    unique_key="date_day",
    incremental_strategy="merge",
    table_type="iceberg",  # on Athena, MERGE needs an Iceberg table (DuckDB ignores this)
    tags=["marts", "daily"],
    columns={
        "date_day": {"description": "Sales day (order date).", "tests": ["unique", "not_null"]},
        "orders": "Completed orders that day.",
        "customers": "Distinct customers with a completed order that day.",
        "revenue": {
            "description": "Sum of completed orders, in dollars.",
            "tests": [{"accepted_range": {"min_value": 0}}],
        },
    },
)
def fct_daily_sales(stg_orders: ibis.Table, ctx: Context) -> ibis.Table:
    """One row per day with completed orders.

    On an incremental run only days on or after the last day already in the table are
    recomputed (that day may have gained orders since), and merged on `date_day`.
    """
    o = stg_orders.filter(stg_orders.status == "completed")
    if ctx.is_incremental:
        o = o.filter(o.order_date.date() >= ctx.this.date_day.max())
    return o.group_by(date_day=o.order_date.date()).aggregate(
        orders=o.count(),
        customers=o.customer_id.nunique(),
        revenue=o.amount_dollars.sum().round(2),
    )
