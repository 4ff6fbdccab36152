"""lag and lead of the amount per customer, in order time."""

import ibis

from pyflow import model


@model
def window_lag_lead(shop__orders: ibis.Table) -> ibis.Table:
    o = shop__orders
    w = ibis.window(group_by=o.customer_id, order_by=o.ordered_at)
    return o.select(
        "order_id",
        prev_amount=o.amount.lag().over(w),
        next_amount=o.amount.lead().over(w),
        prev2_status=o.status.lag(2, default="none").over(w),
    )
