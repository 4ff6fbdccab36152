"""cases, ifelse, coalesce and fill_null."""

import ibis

from pyflow import model


@model
def conditional(shop__orders: ibis.Table) -> ibis.Table:
    o = shop__orders
    return o.select(
        "order_id",
        size=ibis.cases((o.amount >= 100, "large"), (o.amount >= 20, "medium"), else_="small"),
        status_code=o.status.cases(("completed", 1), ("returned", -1), else_=0),
        is_done=ibis.ifelse(o.status == "completed", True, False),
        note_or_status=ibis.coalesce(o.note, o.status),
        amount_or_zero=o.amount.fill_null(0),
    )
