"""distinct over a projection."""

import ibis

from pyflow import model


@model
def distinct_rows(shop__orders: ibis.Table) -> ibis.Table:
    return shop__orders.select("customer_id", "status").distinct()
