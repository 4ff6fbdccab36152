"""rank, dense_rank and row_number per customer, by amount (Ibis numbers from 0)."""

import ibis

from pyflow import model


@model
def window_rank(shop__orders: ibis.Table) -> ibis.Table:
    o = shop__orders.filter(shop__orders.amount.notnull())
    w = ibis.window(group_by=o.customer_id, order_by=ibis.desc(o.amount))
    by_id = ibis.window(group_by=o.customer_id, order_by=[ibis.desc(o.amount), o.order_id])
    return o.select(
        "order_id",
        "customer_id",
        rnk=ibis.rank().over(w),
        dense=ibis.dense_rank().over(w),
        rownum=ibis.row_number().over(by_id),
    )
