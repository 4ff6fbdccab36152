"""Cross join: every customer with every distinct order status."""

import ibis

from pyflow import model


@model
def join_cross(shop__orders: ibis.Table, shop__customers: ibis.Table) -> ibis.Table:
    statuses = shop__orders.select("status").distinct()
    return shop__customers.select("customer_id").cross_join(statuses)
