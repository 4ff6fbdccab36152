"""Orders, cleaned: one spelling per status, amounts in dollars, only the reporting window."""

import ibis

from pyflow import Context, model

# Raw spellings (after trimming and lower-casing) -> the canonical status.
STATUS_MAP = {
    "completed": "completed",
    "complete": "completed",
    "shipped": "shipped",
    "returned": "returned",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "pending": "pending",
}


@model(materialized="view", tags=["staging"])
def stg_orders(ecommerce__orders: ibis.Table, ctx: Context) -> ibis.Table:
    """One row per order placed between the `start_date` and `end_date` vars (inclusive)."""
    o = ecommerce__orders
    start = ibis.date(ctx.var("start_date", "1900-01-01"))
    end = ibis.date(ctx.var("end_date", "2999-12-31"))
    return o.filter(o.order_date.date().between(start, end)).select(
        "order_id",
        "customer_id",
        "order_date",
        status=o.status.strip().lower().substitute(STATUS_MAP, else_="unknown"),
        total_amount_cents=o.total_amount_cents,
        amount_dollars=(o.total_amount_cents / 100).round(2),
    )
