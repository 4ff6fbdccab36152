"""Running sums with frames: cumulative per customer and a two-row moving sum overall."""

import ibis

from pyflow import model


@model
def window_running(shop__orders: ibis.Table) -> ibis.Table:
    o = shop__orders
    cumulative = ibis.window(group_by=o.customer_id, order_by=o.order_id, rows=(None, 0))
    moving = ibis.window(order_by=o.order_id, rows=(-1, 0))
    return o.select(
        "order_id",
        running_total=o.amount.sum().over(cumulative),
        moving_sum=o.amount.sum().over(moving),
        customer_total=o.amount.sum().over(group_by=o.customer_id),
    )
