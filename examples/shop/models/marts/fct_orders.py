"""One row per order with the customer's country and the order's sequence number."""

import ibis

from pyflow import model


@model(materialized="table", tags=["marts"])
def fct_orders(stg_orders: ibis.Table, stg_customers: ibis.Table) -> ibis.Table:
    """Orders joined to customers; `customer_order_number` is 1 for a customer's first order."""
    o, c = stg_orders, stg_customers
    t = o.left_join(c, o.customer_id == c.customer_id).select(
        o.order_id,
        o.customer_id,
        o.order_date,
        o.status,
        o.amount_dollars,
        c.country_code,
        is_completed=o.status == "completed",
    )
    nth = ibis.row_number().over(group_by=t.customer_id, order_by=[t.order_date, t.order_id])
    return t.mutate(customer_order_number=nth + 1)
