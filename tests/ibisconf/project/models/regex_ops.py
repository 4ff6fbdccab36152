"""Regular expressions: search, extract, replace."""

import ibis

from pyflow import model


@model
def regex_ops(shop__customers: ibis.Table) -> ibis.Table:
    c = shop__customers
    return c.select(
        "customer_id",
        is_example=c.email.re_search(r"@example\.(com|org)$"),
        user=c.email.re_extract(r"^([a-z]+)[.@]", 1),
        domain=c.email.re_extract(r"@(.+)$", 1),
        masked=c.email.re_replace(r"[aeiou]", "*"),
    )
