"""The conformance inputs, and each model's computation written independently in pandas.

:data:`INPUTS` are the source tables (keyed ``source.table``, as ``run_model`` takes them) and
:data:`EXPECTED` maps each model of ``project/models`` to a function of those frames that
returns the rows the model must produce. Nothing here imports Ibis: the expected rows come from
pandas alone, so a wrong translation by Ibis or pyflow cannot agree with itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

NA = None


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4, 5, 6, 7],
        "customer_id": [1, 1, 2, 2, 3, 99, 1],
        "amount": [120.0, 35.5, 15.0, 35.5, NA, 60.0, 35.5],
        "status": ["completed", "shipped", "completed", "returned", "shipped", "completed", "completed"],
        "ordered_at": [
            _ts("2024-01-15 10:30:00"),
            _ts("2024-01-20 08:00:00"),
            _ts("2024-02-03 23:59:00"),
            _ts("2024-02-10 12:00:00"),
            _ts("2024-03-01 00:00:00"),
            _ts("2024-03-05 17:45:00"),
            _ts("2024-03-31 09:15:00"),
        ],
        "note": [NA, "gift", NA, "damaged", NA, NA, NA],
    }
).astype({"amount": "float64"})
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4],
        "name": ["Ann Lee", " Bob ", "Alice", "Dan Wu"],
        "email": ["ann.lee@example.com", "bob@example.org", "alice@shop.io", "dan@example.com"],
        "signup_date": [dt.date(2023, 12, 1), dt.date(2024, 1, 10), dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
        "tags": ["vip, early", "new", "vip,beta,early", "new"],
    }
)
PRICES = pd.DataFrame(
    {
        "ticker": ["AAA", "AAA", "BBB"],
        "ts": [_ts("2024-01-01 09:00:00"), _ts("2024-01-01 10:00:00"), _ts("2024-01-01 09:30:00")],
        "price": [10.0, 11.0, 20.0],
    }
)
TRADES = pd.DataFrame(
    {
        "trade_id": [1, 2, 3, 4],
        "ticker": ["AAA", "AAA", "BBB", "BBB"],
        "ts": [
            _ts("2024-01-01 09:15:00"),
            _ts("2024-01-01 10:30:00"),
            _ts("2024-01-01 09:00:00"),
            _ts("2024-01-01 09:45:00"),
        ],
        "qty": [5, 3, 7, 1],
    }
)
QUARTERLY = pd.DataFrame(
    {"region": ["north", "south"], "q1": [10, 5], "q2": pd.array([20, NA], dtype="Int64")}
)

INPUTS: dict[str, pd.DataFrame] = {
    "shop.orders": ORDERS,
    "shop.customers": CUSTOMERS,
    "shop.prices": PRICES,
    "shop.trades": TRADES,
    "shop.quarterly": QUARTERLY,
}
"""Every source table's rows (each model takes the ones it reads)."""

Frames = dict[str, pd.DataFrame]


def _ints(values: list[int | None]) -> pd.Series:
    return pd.Series(pd.array(values, dtype="Int64"))


def join_inner(d: Frames) -> pd.DataFrame:
    j = d["shop.orders"].merge(d["shop.customers"], on="customer_id", how="inner")
    return j[["order_id", "name", "amount"]]


def _join(how: str) -> Callable[[Frames], pd.DataFrame]:
    def run(d: Frames) -> pd.DataFrame:
        c = d["shop.customers"][["customer_id", "name"]].assign(_c=lambda f: f.customer_id)
        o = d["shop.orders"][["customer_id", "order_id"]].assign(_o=lambda f: f.customer_id)
        j = c.drop(columns="customer_id").merge(
            o.drop(columns="customer_id"), left_on="_c", right_on="_o", how=how
        )
        return pd.DataFrame(
            {
                "customer_id": j["_c"].astype("Int64"),
                "order_customer_id": j["_o"].astype("Int64"),
                "name": j["name"],
                "order_id": j["order_id"].astype("Int64"),
            }
        )

    return run


def join_semi(d: Frames) -> pd.DataFrame:
    c = d["shop.customers"]
    return c[c.customer_id.isin(d["shop.orders"].customer_id)][["customer_id", "name"]]


def join_anti(d: Frames) -> pd.DataFrame:
    c = d["shop.customers"]
    return c[~c.customer_id.isin(d["shop.orders"].customer_id)][["customer_id", "name"]]


def join_cross(d: Frames) -> pd.DataFrame:
    statuses = d["shop.orders"][["status"]].drop_duplicates()
    return d["shop.customers"][["customer_id"]].merge(statuses, how="cross")


def join_asof(d: Frames) -> pd.DataFrame:
    trades = d["shop.trades"].sort_values("ts")
    prices = d["shop.prices"].sort_values("ts")
    j = pd.merge_asof(trades, prices, on="ts", by="ticker", direction="backward")
    return j[["trade_id", "ticker", "qty", "price"]]


def window_rank(d: Frames) -> pd.DataFrame:
    o = d["shop.orders"].dropna(subset=["amount"])
    g = o.groupby("customer_id").amount
    ordered = o.sort_values(["customer_id", "amount", "order_id"], ascending=[True, False, True])
    rownum = ordered.groupby("customer_id").cumcount()
    return pd.DataFrame(
        {
            "order_id": o.order_id,
            "customer_id": o.customer_id,
            "rnk": (g.rank(method="min", ascending=False) - 1).astype("int64"),
            "dense": (g.rank(method="dense", ascending=False) - 1).astype("int64"),
            "rownum": rownum.reindex(o.index).astype("int64"),
        }
    )


def window_lag_lead(d: Frames) -> pd.DataFrame:
    o = d["shop.orders"].sort_values(["customer_id", "ordered_at"])
    g = o.groupby("customer_id")
    return pd.DataFrame(
        {
            "order_id": o.order_id,
            "prev_amount": g.amount.shift(1),
            "next_amount": g.amount.shift(-1),
            "prev2_status": g.status.shift(2).fillna("none"),
        }
    )


def window_running(d: Frames) -> pd.DataFrame:
    o = d["shop.orders"].sort_values("order_id")
    return pd.DataFrame(
        {
            "order_id": o.order_id,
            "running_total": o.groupby("customer_id").amount.cumsum(),
            "moving_sum": o.amount.rolling(2, min_periods=1).sum(),
            "customer_total": o.groupby("customer_id").amount.transform(lambda s: s.sum(min_count=1)),
        }
    )


def conditional(d: Frames) -> pd.DataFrame:
    o = d["shop.orders"]
    size = np.select([o.amount >= 100, o.amount >= 20], ["large", "medium"], default="small")
    code = o.status.map({"completed": 1, "returned": -1}).fillna(0).astype("int64")
    return pd.DataFrame(
        {
            "order_id": o.order_id,
            "size": size,
            "status_code": code,
            "is_done": o.status == "completed",
            "note_or_status": o.note.fillna(o.status),
            "amount_or_zero": o.amount.fillna(0.0),
        }
    )


def datetime_ops(d: Frames) -> pd.DataFrame:
    j = d["shop.orders"].merge(d["shop.customers"], on="customer_id")
    at = j.ordered_at
    day = at.dt.normalize()
    return pd.DataFrame(
        {
            "order_id": j.order_id,
            "day": day,
            "month": at.dt.to_period("M").dt.to_timestamp(),
            "hour": at.dt.floor("h"),
            "order_date": at.dt.date,
            "due": at + pd.Timedelta(days=3),
            "week_before": (day - pd.Timedelta(days=7)).dt.date,
            "year": at.dt.year.astype("int64"),
            "month_no": at.dt.month.astype("int64"),
            "weekday": at.dt.day_of_week.astype("int64"),
            "days_since_signup": (day - pd.to_datetime(j.signup_date)).dt.days.astype("int64"),
        }
    )


def string_ops(d: Frames) -> pd.DataFrame:
    c = d["shop.customers"]
    name = c.name.str.strip()
    return pd.DataFrame(
        {
            "customer_id": c.customer_id,
            "upper": name.str.upper(),
            "lower": name.str.lower(),
            "length": name.str.len().astype("int64"),
            "first3": name.str[:3],
            "label": name + " <" + c.email + ">",
            "starts_a": name.str.startswith("A"),
            "has_dot": c.email.str.contains(".", regex=False),
            "no_spaces": name.str.replace(" ", "_", regex=False),
            "padded": c.customer_id.astype(str).str.rjust(4, "0"),
            "domain_pos": c.email.str.find("@").astype("int64"),
        }
    )


def regex_ops(d: Frames) -> pd.DataFrame:
    c = d["shop.customers"]
    return pd.DataFrame(
        {
            "customer_id": c.customer_id,
            "is_example": c.email.str.contains(r"@example\.(?:com|org)$", regex=True),
            "user": c.email.str.extract(r"^([a-z]+)[.@]", expand=False),
            "domain": c.email.str.extract(r"@(.+)$", expand=False),
            "masked": c.email.str.replace(r"[aeiou]", "*", regex=True),
        }
    )


def arrays_structs(d: Frames) -> pd.DataFrame:
    c = d["shop.customers"]
    tags = c.tags.str.split(",")
    t = pd.DataFrame({"customer_id": c.customer_id, "tags": tags, "n_tags": tags.str.len().astype("int64")})
    t["first"] = tags.str[0]
    u = t.explode("tags").rename(columns={"tags": "tag"})
    u["tag"] = u.tag.str.strip()
    u["info_id"] = u.customer_id
    return u[["customer_id", "n_tags", "tag", "info_id", "first"]]


def distinct_rows(d: Frames) -> pd.DataFrame:
    return d["shop.orders"][["customer_id", "status"]].drop_duplicates()


def set_ops(d: Frames) -> pd.DataFrame:
    ordered = d["shop.orders"].customer_id
    known = d["shop.customers"].customer_id
    parts = {
        "union": sorted(set(ordered) | set(known)),
        "union_all": [*ordered, *known],
        "intersect": sorted(set(ordered) & set(known)),
        "difference": sorted(set(known) - set(ordered)),
    }
    return pd.DataFrame(
        [(v, op) for op, values in parts.items() for v in values], columns=["customer_id", "op"]
    )


def top_k(d: Frames) -> pd.DataFrame:
    o = d["shop.orders"]
    counts = o.status.value_counts().head(2)
    top = o.dropna(subset=["amount"]).sort_values(["amount", "order_id"], ascending=[False, True]).head(3)
    rows = [(s, int(n), "topk") for s, n in counts.items()]
    rows += [(str(r.order_id), int(r.customer_id), "largest") for r in top.itertuples()]
    return pd.DataFrame(rows, columns=["status", "n", "kind"])


def pivot_longer(d: Frames) -> pd.DataFrame:
    q = d["shop.quarterly"]
    long = q.melt(id_vars="region", value_vars=["q1", "q2"], var_name="quarter", value_name="sales")
    return long.astype({"sales": "Int64"})


def pivot_wider(d: Frames) -> pd.DataFrame:
    o = d["shop.orders"]
    wide = o.pivot_table(
        index="customer_id",
        columns="status",
        values="amount",
        aggfunc=lambda s: s.sum(min_count=1),
        dropna=False,
    )
    wide = wide.reindex(columns=["completed", "returned", "shipped"]).reset_index()
    wide.columns.name = None
    return wide.astype({"completed": "float64", "returned": "float64", "shipped": "float64"})


EXPECTED: dict[str, Callable[[Frames], pd.DataFrame]] = {
    "join_inner": join_inner,
    "join_left": _join("left"),
    "join_right": _join("right"),
    "join_outer": _join("outer"),
    "join_semi": join_semi,
    "join_anti": join_anti,
    "join_cross": join_cross,
    "join_asof": join_asof,
    "window_rank": window_rank,
    "window_lag_lead": window_lag_lead,
    "window_running": window_running,
    "conditional": conditional,
    "datetime_ops": datetime_ops,
    "string_ops": string_ops,
    "regex_ops": regex_ops,
    "arrays_structs": arrays_structs,
    "distinct_rows": distinct_rows,
    "set_ops": set_ops,
    "top_k": top_k,
    "pivot_longer": pivot_longer,
    "pivot_wider": pivot_wider,
}
