"""String functions."""

import ibis

from pyflow import model


@model
def string_ops(shop__customers: ibis.Table) -> ibis.Table:
    c = shop__customers
    name = c.name.strip()
    return c.select(
        "customer_id",
        upper=name.upper(),
        lower=name.lower(),
        length=name.length(),
        first3=name.substr(0, 3),
        label=name + " <" + c.email + ">",
        starts_a=name.startswith("A"),
        has_dot=c.email.contains("."),
        no_spaces=name.replace(" ", "_"),
        padded=c.customer_id.cast("string").lpad(4, "0"),
        domain_pos=c.email.find("@"),
    )
