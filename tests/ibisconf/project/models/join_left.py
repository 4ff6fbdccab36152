"""A left join of customers and orders (unmatched rows on the kept side get NULLs)."""

import ibis

from pyflow import model


@model
def join_left(shop__orders: ibis.Table, shop__customers: ibis.Table) -> ibis.Table:
    c, o = shop__customers, shop__orders
    j = c.join(o, c.customer_id == o.customer_id, how="left")
    return j.select(
        customer_id=c.customer_id, order_customer_id=o.customer_id, name=c.name, order_id=o.order_id
    )
