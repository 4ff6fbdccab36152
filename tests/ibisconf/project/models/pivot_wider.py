"""pivot_wider: amount per status as columns (names given, so no query at compile time)."""

import ibis

from pyflow import model


@model
def pivot_wider(shop__orders: ibis.Table) -> ibis.Table:
    o = shop__orders.select("customer_id", "status", "amount")
    return o.pivot_wider(
        id_cols="customer_id",
        names_from="status",
        names=["completed", "returned", "shipped"],
        values_from="amount",
        values_agg="sum",
    )
