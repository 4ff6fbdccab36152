"""Python UDFs in Python models, end to end.

On DuckDB ``@ibis.udf.scalar.python`` / ``.pyarrow`` / ``.pandas`` functions are registered on
the connection that runs the model (build, run, show, unit tests); on Trino and Athena a Python
UDF is a compile error naming the model and the UDF.
"""

from __future__ import annotations

import sys

import pytest

PROFILES = """
proj:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: pyflow.duckdb
    tr:
      type: trino
      host: localhost
      port: 8080
      user: etl
      database: hive
      schema: shop
    ath:
      type: athena
      s3_staging_dir: s3://bucket/staging/
      region_name: us-east-1
      database: awsdatacatalog
      schema: shop
"""
NUMS = "select range as id from range(4)"
# the acceptance model: a memtable join and a pyarrow UDF
ENRICHED = """
    import ibis
    import pyarrow.compute as pc

    from pyflow import model


    @ibis.udf.scalar.pyarrow
    def double_it(x: int) -> int:
        return pc.multiply(x, 2)


    @model(materialized="table")
    def enriched(nums):
        labels = ibis.memtable({"id": [0, 1, 2], "label": ["zero", "one", "two"]})
        joined = nums.join(labels, "id")
        return joined.mutate(doubled=double_it(joined.id)).order_by("id")
    """
ENRICHED_ROWS = [(0, "zero", 0), (1, "one", 2), (2, "two", 4)]
UNIT_TEST = """
unit_tests:
  - name: test_enriched_doubles_known_ids
    model: enriched
    given:
      - input: ref('nums')
        rows: [{id: 2}, {id: 9}]
    expect:
      rows: [{id: 2, label: two, doubled: 4}]
"""


@pytest.fixture
def enriched(make_project):
    return make_project(
        {
            "models/nums.sql": NUMS,
            "models/enriched.py": ENRICHED,
            "models/unit_tests.yml": UNIT_TEST,
            "models/report.sql": "select sum(doubled) as total from {{ ref('enriched') }}",
            "profiles.yml": PROFILES,
        },
        name="proj",
    )


def test_memtable_join_and_pyarrow_udf_build_on_duckdb(enriched, pyflow, warehouse, run_results):
    pyflow("build", "--project-dir", enriched)

    db = warehouse(enriched)
    assert db.rows("SELECT * FROM enriched ORDER BY id") == ENRICHED_ROWS
    assert db.rows("SELECT * FROM report") == [(6,)]
    assert run_results(enriched)["test_enriched_doubles_known_ids"]["status"] == "pass"


def test_memtable_join_and_pyarrow_udf_run_again_with_run(enriched, pyflow, warehouse):
    pyflow("build", "--project-dir", enriched)

    pyflow("run", "--project-dir", enriched, "--select", "enriched")

    assert warehouse(enriched).rows("SELECT * FROM enriched ORDER BY id") == ENRICHED_ROWS


def test_memtable_join_and_pyarrow_udf_in_show(enriched, pyflow):
    pyflow("build", "--project-dir", enriched, "--select", "nums")

    out = pyflow("show", "enriched", "--project-dir", enriched).output

    assert "doubled" in out
    assert "two" in out and "│ 4" in out


def test_memtable_join_and_pyarrow_udf_with_pyflow_testing(enriched):
    import pandas as pd

    from pyflow.testing import run_model

    out = run_model(enriched, "enriched", inputs={"nums": pd.DataFrame({"id": [1, 2, 3]})})

    assert out.to_dict("records") == [
        {"id": 1, "label": "one", "doubled": 2},
        {"id": 2, "label": "two", "doubled": 4},
    ]


@pytest.mark.parametrize("target", ["tr", "ath"])
def test_python_udf_fails_compile_for_trino_and_athena(enriched, pyflow, target):
    out = pyflow("compile", "--project-dir", enriched, "--target", target, expect=1).output

    engine = {"tr": "trino", "ath": "athena"}[target]
    assert "model 'enriched' (models/enriched.py:" in out
    assert "the Python UDF 'double_it' (pyarrow, defined at " in out
    assert f"cannot run on {engine}" in out
    assert "built-in function" in out and "SQL UDF" in out
    assert "[python-udf-unsupported] see docs/errors.md#python-udf-unsupported" in out


KINDS = """
    import ibis

    from pyflow import model


    @ibis.udf.scalar.python
    def plus_one(x: int) -> int:
        return x + 1


    @ibis.udf.scalar.pandas
    def halve(x: float) -> float:
        return x / 2


    @model(materialized="table")
    def kinds(nums):
        return nums.mutate(p=plus_one(nums.id), h=halve(nums.id.cast("float64"))).order_by("id")
    """


def test_python_and_pandas_udfs_build_on_duckdb(make_project, pyflow, warehouse):
    root = make_project({"models/nums.sql": NUMS, "models/kinds.py": KINDS})

    pyflow("build", "--project-dir", root)

    assert warehouse(root).rows("SELECT * FROM kinds ORDER BY id") == [
        (0, 1, 0.0),
        (1, 2, 0.5),
        (2, 3, 1.0),
        (3, 4, 1.5),
    ]


def test_python_udf_in_a_view_is_a_compile_error(make_project, pyflow):
    root = make_project(
        {"models/nums.sql": NUMS, "models/kinds.py": KINDS.replace('materialized="table"', "")}
    )

    out = pyflow("build", "--project-dir", root, expect=1).output

    assert "the Python UDF 'plus_one' (python, defined at models/kinds.py:6)" in out
    assert "materialized as view" in out
    assert '`@model(materialized="table")`' in out
    assert "[python-udf-materialization]" in out


@pytest.fixture
def forget_udflib():
    """Forget the helper package ``udflib`` afterwards (each test project has its own)."""
    yield
    for name in [n for n in sys.modules if n == "udflib" or n.startswith("udflib.")]:
        del sys.modules[name]


RATIOS = {
    "models/nums.sql": NUMS,
    "udflib/__init__.py": "",
    "udflib/maths.py": "def ratio(x):\n    return 10 / (x - x)\n",
    "models/ratios.py": """
        import ibis

        from udflib.maths import ratio
        from pyflow import model


        @ibis.udf.scalar.python
        def safe_ratio(x: int) -> float:
            return ratio(x)


        @model(materialized="table")
        def ratios(nums):
            return nums.mutate(r=safe_ratio(nums.id))
        """,
}
UDF_FAILED = (
    "the Python UDF 'safe_ratio' raised while DuckDB ran the model: ZeroDivisionError: division by zero"
)


def test_an_exception_in_a_udf_is_reported_at_the_users_line(make_project, pyflow, forget_udflib):
    root = make_project(RATIOS)

    out = pyflow("build", "--project-dir", root, expect=1).output

    assert f"model 'ratios' (udflib/maths.py:2): {UDF_FAILED}" in out
    assert "models/ratios.py:9 in safe_ratio" in out
    assert "return 10 / (x - x)" in out
    assert "[python-udf-error]" in out


def test_an_exception_in_a_udf_is_reported_at_the_users_line_in_show_and_unit_tests(
    make_project, pyflow, forget_udflib
):
    import pandas as pd

    from pyflow.errors import AdapterError
    from pyflow.testing import run_model

    root = make_project(RATIOS)
    pyflow("build", "--project-dir", root, "--select", "nums")

    shown = pyflow("show", "ratios", "--project-dir", root, expect=1).output
    with pytest.raises(AdapterError) as info:
        run_model(root, "ratios", inputs={"nums": pd.DataFrame({"id": [1]})})

    assert f"model 'ratios' (udflib/maths.py:2): {UDF_FAILED}" in shown
    assert (info.value.path, info.value.line, info.value.code) == ("udflib/maths.py", 2, "python-udf-error")
    assert UDF_FAILED in str(info.value)


def test_data_tests_inline_memtables_and_refuse_python_udfs(make_project, pyflow, run_results):
    root = make_project(
        {
            "models/nums.sql": NUMS,
            "tests/checks.py": """
                import ibis

                from pyflow import data_test


                @ibis.udf.scalar.python
                def is_odd(x: int) -> bool:
                    return x % 2 == 1


                @data_test
                def nums_are_known(nums):
                    known = ibis.memtable({"id": [0, 1, 2, 3]})
                    return nums.anti_join(known, "id")


                @data_test
                def nums_are_even(nums):
                    return nums.filter(is_odd(nums.id))
                """,
        }
    )

    out = pyflow("build", "--project-dir", root, expect=1).output

    results = run_results(root)
    assert results["nums_are_known"]["status"] == "pass"
    assert results["nums_are_even"]["status"] == "error"
    assert "the Python UDF 'is_odd' (python, defined at tests/checks.py:6) cannot run in a data test" in out
    assert "[python-udf-unsupported]" in out
