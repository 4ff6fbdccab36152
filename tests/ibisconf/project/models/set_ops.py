"""union (distinct and all), intersect and difference, tagged by operation."""

import ibis

from pyflow import model


@model
def set_ops(shop__orders: ibis.Table, shop__customers: ibis.Table) -> ibis.Table:
    ordered = shop__orders.select("customer_id")
    known = shop__customers.select("customer_id")
    return ibis.union(
        ordered.union(known, distinct=True).mutate(op=ibis.literal("union")),
        ordered.union(known).mutate(op=ibis.literal("union_all")),
        ordered.intersect(known).mutate(op=ibis.literal("intersect")),
        known.difference(ordered).mutate(op=ibis.literal("difference")),
    )
