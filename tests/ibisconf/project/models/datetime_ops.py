"""Truncation, interval arithmetic, date parts and differences."""

import ibis

from pyflow import model


@model
def datetime_ops(shop__orders: ibis.Table, shop__customers: ibis.Table) -> ibis.Table:
    o, c = shop__orders, shop__customers
    j = o.join(c, o.customer_id == c.customer_id)
    return j.select(
        o.order_id,
        day=o.ordered_at.truncate("D"),
        month=o.ordered_at.truncate("M"),
        hour=o.ordered_at.truncate("h"),
        order_date=o.ordered_at.date(),
        due=o.ordered_at + ibis.interval(days=3),
        week_before=o.ordered_at.date() - ibis.interval(days=7),
        year=o.ordered_at.year(),
        month_no=o.ordered_at.month(),
        weekday=o.ordered_at.day_of_week.index(),
        days_since_signup=o.ordered_at.date().delta(c.signup_date, unit="day"),
    )
