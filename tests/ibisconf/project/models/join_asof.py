"""As-of join: each trade with the latest price of its ticker at or before the trade."""

import ibis

from pyflow import model


@model
def join_asof(shop__trades: ibis.Table, shop__prices: ibis.Table) -> ibis.Table:
    t, p = shop__trades, shop__prices
    j = t.asof_join(p, on=t.ts >= p.ts, predicates=t.ticker == p.ticker)
    return j.select(t.trade_id, t.ticker, t.qty, j.price)
