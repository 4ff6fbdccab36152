"""Generate the shop example's raw data: data/customers.parquet and data/orders.parquet.

Deterministic: every random number comes from a splitmix64 hash of (row index, salt), so the
files are byte-identical on every run (for a given pyarrow version) and on every machine.

    python examples/shop/generate_data.py          # writes examples/shop/data/*.parquet

About 10,000 customers (about 12% never order) and 100,000 orders between 2022-01-01 and
2024-12-31, with messy name casing/whitespace and messy order status spellings on purpose:
the staging models clean them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N_CUSTOMERS = 10_000
N_ORDERS = 100_000
FIRST_DAY = dt.date(2022, 1, 1)
LAST_DAY = dt.date(2024, 12, 31)
LAST_SIGNUP = dt.date(2024, 9, 30)
DATA_DIR = Path(__file__).parent / "data"

# fmt: off
FIRST_NAMES = [
    "alice", "bob", "carol", "david", "emma", "frank", "grace", "henry", "isla", "jack",
    "karen", "liam", "mia", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara", "uma",
    "victor", "wendy", "xavier", "yara", "zoe", "ahmed", "bea", "chen", "diego", "elena",
    "farah", "goran", "hana", "ivan", "jonas", "kofi", "lena", "marco", "nina",
]
LAST_NAMES = [
    "smith", "jones", "brown", "garcia", "miller", "davis", "wilson", "moore", "taylor",
    "anderson", "thomas", "martin", "lee", "perez", "white", "harris", "clark", "lewis",
    "young", "walker", "hall", "allen", "king", "wright", "lopez", "hill", "scott", "green",
    "adams", "baker", "nelson", "carter", "mitchell", "roberts", "turner", "phillips",
    "campbell", "parker",
]
# fmt: on
DOMAINS = ["example.com", "mail.test", "shop.example", "inbox.test"]
# Must match seeds/country_codes.csv. Repeats weight the draw toward bigger markets.
COUNTRIES = (
    ["US"] * 6
    + ["GB"] * 3
    + ["DE"] * 3
    + ["FR"] * 2
    + ["CA"] * 2
    + ["AU"]
    + ["NL", "ES", "IT", "SE", "BR", "MX", "JP", "IN", "ZA"]
)
# (canonical status, weight, raw spellings found in the source system)
STATUSES = [
    ("completed", 68, ["completed", "Completed", " completed", "COMPLETED", "complete"]),
    ("shipped", 12, ["shipped", "SHIPPED", "Shipped "]),
    ("returned", 8, ["returned", "Returned", "RETURNED"]),
    ("cancelled", 7, ["cancelled", "canceled", "Cancelled "]),
    ("pending", 5, ["pending", "Pending", " PENDING"]),
]

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def uniform(idx: np.ndarray, salt: int) -> np.ndarray:
    """A float in [0, 1) per index, from a splitmix64 hash of (index, salt)."""
    with np.errstate(over="ignore"):
        seed = np.uint64(salt * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
        z = idx.astype(np.uint64) * np.uint64(0x100000001B3) + seed
        z = (z + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def pick(idx: np.ndarray, salt: int, n: int) -> np.ndarray:
    """An integer in [0, n) per index."""
    return np.minimum((uniform(idx, salt) * n).astype(np.int64), n - 1)


def messy(names: np.ndarray, idx: np.ndarray, salt: int) -> list[str]:
    """Title case mostly; some UPPER, lower or padded with spaces."""
    style = pick(idx, salt, 10)
    variants: dict[int, Callable[[str], str]] = {0: str.upper, 1: str.lower, 2: lambda n: f" {n.title()} "}
    return [variants.get(s, str.title)(name) for name, s in zip(names, style, strict=True)]


def customers() -> tuple[pa.Table, dict[str, np.ndarray]]:
    """The customers table, plus per-customer facts the order generator needs."""
    i = np.arange(N_CUSTOMERS, dtype=np.int64)
    first = np.array(FIRST_NAMES)[pick(i, 1, len(FIRST_NAMES))]
    last = np.array(LAST_NAMES)[pick(i, 2, len(LAST_NAMES))]
    domain = np.array(DOMAINS)[pick(i, 3, len(DOMAINS))]
    upper_email = pick(i, 4, 5) == 0
    email = [
        f"{fn.title()}.{ln.title()}{n + 1}@{d}" if u else f"{fn}.{ln}{n + 1}@{d}"
        for fn, ln, d, n, u in zip(first, last, domain, i, upper_email, strict=True)
    ]
    signup_days = pick(i, 5, (LAST_SIGNUP - FIRST_DAY).days + 1)
    signup = np.datetime64(FIRST_DAY.isoformat()) + signup_days.astype("timedelta64[D]")
    end = np.datetime64(LAST_DAY.isoformat()) + np.timedelta64(1, "D")
    span = (end - signup).astype("timedelta64[s]").astype(np.int64)
    updated = signup.astype("datetime64[s]") + (uniform(i, 6) * span).astype("timedelta64[s]")
    # Orders fall between signup and `active_until`: 55% of buyers are still active at the end.
    still_active = uniform(i, 7) < 0.55
    active_span = np.where(still_active, span, (uniform(i, 8) * span).astype(np.int64) + 86_400)
    table = pa.table(
        {
            "customer_id": pa.array(i + 1, pa.int64()),
            "first_name": pa.array(messy(first, i, 9), pa.string()),
            "last_name": pa.array(messy(last, i, 10), pa.string()),
            "email": pa.array(email, pa.string()),
            "country_code": pa.array(np.array(COUNTRIES)[pick(i, 11, len(COUNTRIES))], pa.string()),
            "signup_date": pa.array(signup, pa.date32()),
            "updated_at": pa.array(updated.astype("datetime64[us]"), pa.timestamp("us")),
        }
    )
    facts = {
        "buyer": uniform(i, 12) >= 0.12,
        "signup_s": signup.astype("datetime64[s]").astype(np.int64),
        "active_span": np.minimum(active_span, span),
    }
    return table, facts


def orders(facts: dict[str, np.ndarray]) -> pa.Table:
    """The orders table: skewed order counts per buyer, ids assigned in date order."""
    i = np.arange(N_ORDERS, dtype=np.int64)
    buyers = np.flatnonzero(facts["buyer"])
    buyers = buyers[np.argsort(uniform(buyers, 13), kind="stable")]
    cust = buyers[np.minimum((uniform(i, 14) ** 1.6 * len(buyers)).astype(np.int64), len(buyers) - 1)]
    when = facts["signup_s"][cust] + (uniform(i, 15) * facts["active_span"][cust]).astype(np.int64)
    weights = np.cumsum([w for _, w, _ in STATUSES]) / sum(w for _, w, _ in STATUSES)
    kind = np.searchsorted(weights, uniform(i, 16), side="right")
    spelling = pick(i, 17, 60)
    status = [STATUSES[k][2][s % len(STATUSES[k][2])] for k, s in zip(kind, spelling, strict=True)]
    cents = 500 + (uniform(i, 18) ** 2.5 * 60_000).astype(np.int64)
    order = np.lexsort((i, when))  # by date, ties by generation index
    return pa.table(
        {
            "order_id": pa.array(np.arange(1, N_ORDERS + 1), pa.int64()),
            "customer_id": pa.array(cust[order] + 1, pa.int64()),
            "order_date": pa.array(
                when[order].astype("datetime64[s]").astype("datetime64[us]"), pa.timestamp("us")
            ),
            "status": pa.array(np.array(status, dtype=object)[order], pa.string()),
            "total_amount_cents": pa.array(cents[order], pa.int64()),
        }
    )


def main() -> None:
    DATA_DIR.mkdir(exist_ok=True)
    cust, facts = customers()
    for name, table in (("customers", cust), ("orders", orders(facts))):
        path = DATA_DIR / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd", use_dictionary=True)
        print(f"wrote {path} ({table.num_rows} rows, {path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
