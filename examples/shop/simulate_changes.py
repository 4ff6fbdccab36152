"""Change the shop's raw data the way a day of business would, to watch incremental models
and snapshots work.

    pyflow build --project-dir examples/shop           # first build
    python examples/shop/simulate_changes.py            # 1% of customers change, 0.1% leave,
                                                        # 1% sign up; new orders on the last day
    pyflow build --project-dir examples/shop            # fct_daily_sales merges the last day;
                                                        # customers_snapshot records the changes
    python examples/shop/simulate_changes.py --reset    # back to the generated data

Each call applies one more "day" (changes are deterministic per day number, kept in
data/.day). The raw files are rewritten in place; --reset regenerates them exactly.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).parent
DATA = HERE / "data"
DAY_FILE = DATA / ".day"


def _rewrite(con: duckdb.DuckDBPyConnection, name: str, select: str) -> None:
    path = DATA / f"{name}.parquet"
    tmp = path.with_suffix(".tmp.parquet")
    con.execute(f"COPY ({select}) TO '{tmp}' (FORMAT parquet)")
    tmp.replace(path)


def simulate(day: int) -> None:
    """Apply change set number ``day``."""
    con = duckdb.connect()
    customers = f"read_parquet('{DATA / 'customers.parquet'}')"
    orders = f"read_parquet('{DATA / 'orders.parquet'}')"
    stamp = f"TIMESTAMP '2025-01-01' + INTERVAL {day} DAY"
    n = con.execute(f"SELECT count(*), max(customer_id) FROM {customers}").fetchone()
    assert n is not None
    count, max_id = n
    # 1% change their email (and updated_at), 0.1% are deleted, 1% new customers sign up
    _rewrite(
        con,
        "customers",
        f"""
        SELECT customer_id, first_name, last_name,
               CASE WHEN hash(customer_id, {day}) % 100 = 0
                    THEN lower(first_name) || '.' || {day} || '@new.example' ELSE email END AS email,
               country_code, signup_date,
               CASE WHEN hash(customer_id, {day}) % 100 = 0 THEN {stamp} ELSE updated_at END AS updated_at
        FROM {customers}
        WHERE hash(customer_id, {day}, 'delete') % 1000 <> 0
        UNION ALL
        SELECT {max_id} + i, 'new', 'customer ' || i, 'new' || ({max_id} + i) || '@signup.example',
               'US', DATE '2024-12-31', {stamp}
        FROM range(1, {max(1, count // 100)} + 1) AS r(i)
        ORDER BY customer_id
        """,
    )
    # new completed orders on the last day of the reporting window
    _rewrite(
        con,
        "orders",
        f"""
        SELECT * FROM {orders}
        UNION ALL
        SELECT (SELECT max(order_id) FROM {orders}) + i, 1 + (i * 7919) % {count},
               TIMESTAMP '2024-12-31 12:00:00', 'completed', 1000 + i * 37
        FROM range(1, 51) AS r(i)
        ORDER BY order_id
        """,
    )
    DAY_FILE.write_text(str(day), encoding="utf-8")
    print(f"applied change set {day}: see `pyflow build` pick it up")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reset", action="store_true", help="regenerate the original data")
    args = parser.parse_args()
    if args.reset:
        subprocess.run([sys.executable, str(HERE / "generate_data.py")], check=True)
        DAY_FILE.unlink(missing_ok=True)
        print("data reset to the generated state")
        return
    day = int(DAY_FILE.read_text(encoding="utf-8")) + 1 if DAY_FILE.exists() else 1
    simulate(day)


if __name__ == "__main__":
    main()
