"""Inner join: orders with a known customer."""

import ibis

from pyflow import model


@model
def join_inner(shop__orders: ibis.Table, shop__customers: ibis.Table) -> ibis.Table:
    o, c = shop__orders, shop__customers
    j = o.join(c, o.customer_id == c.customer_id, how="inner")
    return j.select(o.order_id, c.name, o.amount)
