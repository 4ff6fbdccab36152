"""Anti join: customers without an order."""

import ibis

from pyflow import model


@model
def join_anti(shop__orders: ibis.Table, shop__customers: ibis.Table) -> ibis.Table:
    c, o = shop__customers, shop__orders
    return c.anti_join(o, c.customer_id == o.customer_id).select("customer_id", "name")
