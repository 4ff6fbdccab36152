"""topk of a column and the top rows by a sort key."""

import ibis

from pyflow import model


@model
def top_k(shop__orders: ibis.Table) -> ibis.Table:
    o = shop__orders
    counts = o.status.topk(2).rename(n="status_count").mutate(kind=ibis.literal("topk"))
    biggest = (
        o.filter(o.amount.notnull())
        .order_by([ibis.desc(o.amount), o.order_id])
        .limit(3)
        .select(status=o.order_id.cast("string"), n=o.customer_id)
        .mutate(kind=ibis.literal("largest"))
    )
    return counts.union(biggest)
