"""One row per customer with order stats, a value segment and a recency status."""

import ibis

from pyflow import Context, model

# Lifetime value (completed orders, dollars) at or above which a customer is in a segment.
HIGH_VALUE_DOLLARS = 1500
MEDIUM_VALUE_DOLLARS = 500
# Days between the last order and the `end_date` var.
ACTIVE_DAYS = 90
AT_RISK_DAYS = 365


@model(materialized="table", tags=["marts"])
def dim_customers(
    stg_customers: ibis.Table,
    int_customer_order_summary: ibis.Table,
    country_codes: ibis.Table,
    ctx: Context,
) -> ibis.Table:
    """Every customer (left joins keep those who never ordered), segmented by value and recency."""
    c, s, k = stg_customers, int_customer_order_summary, country_codes
    t = c.left_join(s, c.customer_id == s.customer_id).left_join(k, c.country_code == k.country_code)
    t = t.select(
        c.customer_id,
        c.first_name,
        c.last_name,
        c.email,
        c.country_code,
        country_name=k.country_name.coalesce("Unknown"),
        signup_date=c.signup_date,
        order_count=s.order_count.coalesce(0),
        completed_orders=s.completed_orders.coalesce(0),
        lifetime_value=s.lifetime_value.coalesce(0.0),
        first_order_date=s.first_order_date.cast("date"),
        last_order_date=s.last_order_date.cast("date"),
    )
    end_date = ibis.date(ctx.var("end_date", "2024-12-31"))
    days = end_date.delta(t.last_order_date, unit="day")
    return t.mutate(
        days_since_last_order=days,
        customer_segment=ibis.cases(
            (t.order_count == 0, "No Purchases"),
            (t.lifetime_value >= HIGH_VALUE_DOLLARS, "High Value"),
            (t.lifetime_value >= MEDIUM_VALUE_DOLLARS, "Medium Value"),
            else_="Low Value",
        ),
        recency_status=ibis.cases(
            (t.last_order_date.isnull(), "Never Purchased"),
            (days <= ACTIVE_DAYS, "Active"),
            (days <= AT_RISK_DAYS, "At Risk"),
            else_="Inactive",
        ),
    )
