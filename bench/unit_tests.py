"""YAML unit tests: time per test through the code ``pyflow test`` and the pytest plugin run.

Copies examples/shop to a temporary folder, writes ``models/bench_unit_tests.yml`` with N
generated unit tests (default 100) of four shop models — the SQL models
``int_customer_order_summary`` and ``stg_customers``, the Python models ``stg_orders`` (from a
source, with vars overridden) and ``fct_orders`` (a join and a window) — each with different
fixture rows (1 to 12 rows, values from a seeded generator) and the expected rows computed here
in plain Python. Then, in this process:

1. loads the project once (``ProjectHarness``, as the plugin does) and times
   :func:`pyflow.testing.unit.run_unit_test` for every test: the first one (which pays for
   importing Ibis/DuckDB/pyarrow and warming caches) and the rest (median, mean, p90, max);
2. times ``pyflow test --select test_type:unit`` in-process (a runner Session, threads as
   configured), which runs the same function for every test.

Every test must pass (the figures of a wrong answer mean nothing). Target: under 20 ms per
test after the first.

    python bench/unit_tests.py              # 100 tests
    python bench/unit_tests.py --tests 300 --profile   # also print the top of a cProfile run
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # time this checkout's pyflow, whatever is installed
SHOP = REPO / "examples" / "shop"
STATUS = {"Completed": "completed", " shipped": "shipped", "CANCELED": "cancelled", "weird": "unknown"}


def _summary_case(rng: random.Random, i: int) -> dict[str, Any]:
    rows, totals = [], {}
    for n in range(rng.randint(1, 12)):
        cid = rng.randint(1, 4)
        status = rng.choice(["completed", "shipped", "returned"])
        cents = rng.randint(0, 50_000)
        rows.append(
            {
                "order_id": n,
                "customer_id": cid,
                "status": status,
                "total_amount_cents": cents,
                "order_date": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:00:00",
            }
        )
        t = totals.setdefault(cid, [0, 0, 0])
        t[0] += 1
        t[1] += status == "completed"
        t[2] += cents if status == "completed" else 0
    expect = [
        {
            "customer_id": c,
            "order_count": t[0],
            "completed_orders": t[1],
            "lifetime_value": round(t[2] / 100, 2),
        }
        for c, t in sorted(totals.items())
    ]
    return {
        "name": f"bench_summary_{i}",
        "model": "int_customer_order_summary",
        "given": [{"input": "ref('stg_orders')", "rows": rows}],
        "expect": {"rows": expect},
    }


def _customers_case(rng: random.Random, i: int) -> dict[str, Any]:
    rows, expect = [], []
    for n in range(rng.randint(1, 12)):
        first = rng.choice(["  aNN ", "bob", " CHLOE"])
        email = rng.choice([" X@Y.COM", "a@b.org "])
        rows.append({"customer_id": n, "first_name": first, "email": email, "country_code": " de"})
        f = first.strip()
        expect.append(
            {
                "customer_id": n,
                "first_name": f[:1].upper() + f[1:].lower(),
                "email": email.strip().lower(),
                "country_code": "DE",
            }
        )
    return {
        "name": f"bench_customers_{i}",
        "model": "stg_customers",
        "given": [{"input": "source('ecommerce', 'customers')", "rows": rows}],
        "expect": {"rows": expect},
    }


def _orders_case(rng: random.Random, i: int) -> dict[str, Any]:
    lines, expect = ["order_id,customer_id,order_date,status,total_amount_cents"], []
    for n in range(rng.randint(1, 12)):
        year = rng.choice([2023, 2024, 2024, 2025])
        raw = rng.choice(list(STATUS))
        cents = rng.randint(0, 99_999)
        lines.append(f"{n},1,{year}-05-01 00:00:00,{raw},{cents}")
        if year == 2024:
            expect.append({"order_id": n, "status": STATUS[raw], "amount_dollars": round(cents / 100, 2)})
    return {
        "name": f"bench_orders_{i}",
        "model": "stg_orders",
        "overrides": {"vars": {"start_date": "2024-01-01", "end_date": "2024-12-31"}},
        "given": [
            {"input": "source('ecommerce', 'orders')", "format": "csv", "rows": "\n".join(lines) + "\n"}
        ],
        "expect": {"rows": expect},
    }


def _fct_orders_case(rng: random.Random, i: int) -> dict[str, Any]:
    orders, seen, expect = [], {}, []
    for n in range(rng.randint(1, 12)):
        cid = rng.randint(1, 3)
        orders.append(
            {"order_id": n, "customer_id": cid, "order_date": f"2024-01-{n + 1:02d}", "status": "completed"}
        )
        seen[cid] = seen.get(cid, 0) + 1
        expect.append(
            {"order_id": n, "customer_order_number": seen[cid], "country_code": "DE" if cid == 1 else None}
        )
    return {
        "name": f"bench_fct_orders_{i}",
        "model": "fct_orders",
        "given": [
            {"input": "ref('stg_orders')", "rows": orders},
            {"input": "ref('stg_customers')", "rows": [{"customer_id": 1, "country_code": "DE"}]},
        ],
        "expect": {"rows": expect},
    }


CASES = [_summary_case, _customers_case, _orders_case, _fct_orders_case]


def write_project(dest: Path, count: int, seed: int) -> Path:
    shutil.copytree(
        SHOP, dest, ignore=shutil.ignore_patterns("target", "logs", "pyflow.duckdb*", "__pycache__")
    )
    rng = random.Random(seed)
    tests = [CASES[i % len(CASES)](rng, i) for i in range(count)]
    (dest / "models" / "bench_unit_tests.yml").write_text(
        yaml.safe_dump({"unit_tests": tests}, sort_keys=False)
    )
    return dest


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile run of the tests")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pyflow-bench-unit-") as tmp:
        project = write_project(Path(tmp) / "shop", args.tests, args.seed)
        started = time.perf_counter()
        from pyflow.testing.model import ProjectHarness
        from pyflow.testing.unit import run_unit_test, target_dialect, unit_tests_of

        harness = ProjectHarness(project, dialect=target_dialect(project))
        tests = [t for t in unit_tests_of(harness) if t.name.startswith("bench_")]
        loaded = time.perf_counter() - started
        times, failed = [], []
        profiler = cProfile.Profile() if args.profile else None
        for n, node in enumerate(tests):
            if profiler is not None and n == 1:
                profiler.enable()
            t0 = time.perf_counter()
            outcome = run_unit_test(harness, node)
            times.append(time.perf_counter() - t0)
            if not outcome.ok:
                failed.append(outcome.message)
        if profiler is not None:
            profiler.disable()
        rest = sorted(times[1:])
        print(f"pyflow YAML unit tests: {len(tests)} tests of examples/shop models ({sys.executable})")
        print(f"  import + project load   {_ms(loaded)}")
        print(f"  first test              {_ms(times[0])}")
        if rest:
            print(f"  rest: median            {_ms(statistics.median(rest))}   (target < 20 ms)")
            print(f"        mean              {_ms(statistics.fmean(rest))}")
            print(f"        p90               {_ms(rest[int(len(rest) * 0.9) - 1])}")
            print(f"        max               {_ms(rest[-1])}")
        print(f"  total ({len(times)} tests)       {_ms(sum(times))}")

        from pyflow.runner.session import Options, Session

        t0 = time.perf_counter()
        with Session(Options(project_dir=project, select=("test_type:unit",))) as session:
            outcome_run = session.execute("test")
        cli = time.perf_counter() - t0
        bad = [r for r in outcome_run.results if r.status != "pass"]
        print(
            f"  `pyflow test --select test_type:unit` in-process: {_ms(cli)} for "
            f"{len(outcome_run.results)} tests ({_ms(cli / max(1, len(outcome_run.results)))} each)"
        )
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
            print(out.getvalue())
        if failed or bad:
            print(f"\n{len(failed)} test(s) failed in the harness run, {len(bad)} in the session run:")
            for message in failed[:3]:
                print(message)
            for r in bad[:3]:
                print(r.message)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
