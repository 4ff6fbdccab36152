"""A user project whose tests run with ``-W error`` passes: pyflow leaks no upstream deprecation.

Ibis 12 calls duckdb's deprecated ``fetch_arrow_table()`` and reads pandas' deprecated
``future.infer_string`` option, and duckdb's ``df()`` on a TIMESTAMPTZ column calls a pandas
method deprecated in pandas 3.1; pyflow silences exactly those at its own call sites
(:mod:`pyflow.deprecations`). The project below reaches each of them: a DataFrame model calling
``.to_pandas()`` on its input, a DataFrame model reading an ephemeral model (Ibis's
``Backend.sql``), a frame's schema inferred by Ibis, a DataFrame model returning an Ibis table
(run to pandas by pyflow), a TIMESTAMPTZ column read back as pandas, and ``pyflow.testing`` / the pytest plugin
running them. pytest and ``pyflow build`` run in subprocesses with warnings as errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROJECT = {
    "pyflow.yml": "name: strict\n",
    "pytest.ini": "[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n",
    "models/orders.sql": "select 1 as id, 20 as amount, 'a' as customer\n",
    "models/positive_orders.sql": """
        {{ config(materialized='ephemeral') }}
        select id, amount, customer from {{ ref('orders') }} where amount > 0
    """,
    "models/order_events.sql": """
        {{ config(materialized='incremental', unique_key='id') }}
        select id, cast('2024-01-0' || id || ' 10:00:00+00' as timestamptz) as seen_at
        from {{ ref('orders') }}
    """,
    "models/big_orders.py": """
        import ibis

        from pyflow import model


        @model
        def big_orders(orders: ibis.Table) -> ibis.Table:
            return orders.filter(orders.amount > 10).mutate(customer=orders.customer.upper())
    """,
    "models/amount_by_customer.py": """
        import ibis
        import pandas as pd

        from pyflow import model


        @model
        def amount_by_customer(positive_orders: ibis.Table) -> pd.DataFrame:
            frame = positive_orders.select("customer", "amount").to_pandas()
            return frame.groupby("customer", as_index=False)["amount"].sum()
    """,
    "models/customers.py": """
        import ibis
        import pandas as pd

        from pyflow import model


        @model
        def customers(orders: ibis.Table) -> pd.DataFrame:
            return orders.select("customer").distinct()  # an Ibis table: pyflow runs it to a frame
    """,
    "models/regions.py": """
        import pandas as pd

        from pyflow import model


        @model(materialized="table")
        def regions():  # not annotated: pyflow learns it is a frame, Ibis infers its schema
            return pd.DataFrame({"region": ["north", "south"], "rank": [1, 2]})
    """,
    "models/unit_tests.yml": """
        unit_tests:
          - name: big_orders_keeps_large_ones
            model: big_orders
            given:
              - input: ref('orders')
                rows:
                  - {id: 1, amount: 5, customer: a}
                  - {id: 2, amount: 50, customer: b}
            expect:
              rows:
                - {id: 2, amount: 50, customer: B}
          - name: amount_by_customer_sums
            model: amount_by_customer
            given:
              - input: ref('positive_orders')
                rows:
                  - {id: 1, amount: 5, customer: a}
                  - {id: 2, amount: 7, customer: a}
            expect:
              rows:
                - {customer: a, amount: 12}
    """,
    "tests/test_models.py": """
        import pandas as pd

        from pyflow.testing import assert_frame_equal, model_incremental_step, run_model

        ORDERS = pd.DataFrame({"id": [1, 2, 3], "amount": [5, 50, 7], "customer": ["a", "b", "a"]})


        def test_big_orders_with_the_plugin_fixture(pyflow_project):
            out = pyflow_project.run("big_orders", inputs={"orders": ORDERS})

            assert_frame_equal(out, pd.DataFrame({"id": [2], "amount": [50], "customer": ["B"]}))


        def test_amount_by_customer_with_run_model():
            out = run_model(".", "amount_by_customer", inputs={"positive_orders": ORDERS})

            assert out.sort_values("customer")["amount"].tolist() == [12, 50]


        def test_regions_with_run_model():
            assert run_model(".", "regions", inputs={})["region"].tolist() == ["north", "south"]


        def test_order_events_timestamptz_with_run_model():  # duckdb's df() on TIMESTAMPTZ
            out = run_model(".", "order_events", inputs={"orders": ORDERS})

            assert sorted(out["id"]) == [1, 2, 3]
            assert str(out["seen_at"].dt.tz) == "UTC"


        def test_order_events_incremental_step():
            current = run_model(".", "order_events", inputs={"orders": ORDERS.head(1)})

            out = model_incremental_step(".", "order_events", current, inputs={"orders": ORDERS})

            assert sorted(out["id"]) == [1, 2, 3]


        def test_customers_with_run_model():
            out = run_model(".", "customers", inputs={"orders": ORDERS})

            assert sorted(out["customer"]) == ["a", "b"]
    """,
}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "strict"
    for rel, text in PROJECT.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_warnings_user_pytest_with_w_error_passes(tmp_path: Path) -> None:
    root = _project(tmp_path)

    result = _run(["-m", "pytest", "-W", "error", "-q", "-rA"], root)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "8 passed" in out, out
    passed = {line for line in out.splitlines() if line.startswith("PASSED ")}
    assert passed == {
        "PASSED models/unit_tests.yml::big_orders_keeps_large_ones",
        "PASSED models/unit_tests.yml::amount_by_customer_sums",
        "PASSED tests/test_models.py::test_big_orders_with_the_plugin_fixture",
        "PASSED tests/test_models.py::test_amount_by_customer_with_run_model",
        "PASSED tests/test_models.py::test_regions_with_run_model",
        "PASSED tests/test_models.py::test_customers_with_run_model",
        "PASSED tests/test_models.py::test_order_events_timestamptz_with_run_model",
        "PASSED tests/test_models.py::test_order_events_incremental_step",
    }, out
    assert "Warning" not in out, out


@pytest.mark.slow
def test_warnings_pyflow_build_and_show_with_w_error(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cli = "from pyflow.cli.main import entrypoint; entrypoint()"

    build = _run(["-W", "error", "-c", cli, "build", "--project-dir", str(root)], root)
    show = _run(["-W", "error", "-c", cli, "show", "--project-dir", str(root), "amount_by_customer"], root)

    assert build.returncode == 0, build.stdout + build.stderr
    assert "PASS=8 WARN=0 ERROR=0" in build.stdout, build.stdout
    assert show.returncode == 0, show.stdout + show.stderr
    assert "Warning" not in build.stdout + build.stderr + show.stdout + show.stderr


def test_warnings_none_shown_by_default_for_table_inputs_of_a_dataframe_model(tmp_path: Path) -> None:
    """duckdb swallows the error ``-W error`` makes of its own warning, so the tests above cannot
    see one raised in duckdb's C++ (``fetch_arrow_table``); with every warning shown, as a
    user's pytest summary shows them, a DataFrame model reading a table input (and ``ctx.this``)
    leaked it."""
    import warnings

    import pandas as pd

    from pyflow.testing import run_model

    root = _project(tmp_path)
    (root / "models" / "totals.py").write_text(
        textwrap.dedent(
            """
            import ibis
            import pandas as pd

            from pyflow import model


            @model(materialized="incremental", unique_key="customer")
            def totals(orders: ibis.Table, ctx) -> pd.DataFrame:
                frame = orders.to_pandas().groupby("customer", as_index=False)["amount"].sum()
                if ctx.is_incremental:
                    seen = ctx.this.to_pandas()
                    frame = frame[~frame["customer"].isin(seen["customer"])]
                return frame
            """
        ).lstrip("\n"),
        encoding="utf-8",
    )
    orders = pd.DataFrame({"id": [1, 2], "amount": [5, 7], "customer": ["a", "b"]})

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = run_model(root, "totals", inputs={"orders": orders})
        later = run_model(root, "totals", inputs={"orders": orders}, is_incremental=True, this=first.head(1))

    assert sorted(first["customer"]) == ["a", "b"]
    assert later["customer"].tolist() == ["b"]
    assert [str(w.message) for w in seen] == []
