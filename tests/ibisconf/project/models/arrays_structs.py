"""Arrays from split, their length and unnest; a struct built and read back."""

import ibis

from pyflow import model


@model
def arrays_structs(shop__customers: ibis.Table) -> ibis.Table:
    c = shop__customers
    t = c.select("customer_id", tags=c.tags.split(","))
    t = t.mutate(n_tags=t.tags.length(), info=ibis.struct({"id": t.customer_id, "first": t.tags[0]}))
    u = t.select(
        "customer_id", "n_tags", tag=t.tags.unnest(), info_id=t["info"]["id"], first=t["info"]["first"]
    )
    return u.mutate(tag=u.tag.strip())
