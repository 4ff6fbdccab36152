"""``ibis.memtable`` in Python models, end to end: build, run, show, unit tests, Trino/Athena compile.

On DuckDB the memtable's rows are attached to the connection running the model (tables) or
inlined as VALUES (views, ephemeral models); on Trino and Athena they are inlined as VALUES up
to a documented limit (see docs/concepts/models.md#memtables-and-python-udfs).
"""

from __future__ import annotations

import pytest

from pyflow.compile.runtime import MAX_INLINE_CELLS

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


def labelled(materialized: str) -> str:
    return f"""
        import ibis

        from pyflow import model


        @model(materialized="{materialized}")
        def labelled(nums):
            labels = ibis.memtable({{"id": [0, 1, 2], "label": ["zero", "one", "two"]}})
            return nums.join(labels, "id").order_by("id")
        """


LABELLED_ROWS = [(0, "zero"), (1, "one"), (2, "two")]


def project(make_project, materialized: str = "table", **extra: str):
    return make_project(
        {
            "models/nums.sql": NUMS,
            "models/labelled.py": labelled(materialized),
            "profiles.yml": PROFILES,
            **extra,
        },
        name="proj",
    )


@pytest.mark.parametrize("materialized", ["table", "view", "incremental"])
def test_memtable_join_builds_on_duckdb(make_project, pyflow, warehouse, materialized):
    root = project(make_project, materialized)

    pyflow("build", "--project-dir", root)

    # read from a fresh connection: a view must not name a table that lived only during the run
    assert warehouse(root).rows("SELECT * FROM labelled ORDER BY id") == LABELLED_ROWS


def test_memtable_model_rebuilds_with_run_and_leaves_nothing_behind(make_project, pyflow, warehouse):
    root = project(make_project)
    pyflow("build", "--project-dir", root)

    pyflow("run", "--project-dir", root, "--select", "labelled")

    db = warehouse(root)
    assert db.rows("SELECT * FROM labelled ORDER BY id") == LABELLED_ROWS
    assert set(db.relations()) == {"main.labelled", "main.nums"}


def test_ephemeral_memtable_model_feeds_a_sql_model(make_project, pyflow, warehouse):
    root = project(
        make_project,
        "ephemeral",
        **{"models/report.sql": "select label from {{ ref('labelled') }} where id > 0"},
    )

    pyflow("build", "--project-dir", root)

    assert warehouse(root).rows("SELECT * FROM report ORDER BY ALL") == [("one",), ("two",)]


def test_memtable_model_in_show(make_project, pyflow):
    root = project(make_project)
    pyflow("build", "--project-dir", root, "--select", "nums")

    out = pyflow("show", "labelled", "--project-dir", root).output

    for _, label in LABELLED_ROWS:
        assert label in out


UNIT_TEST = """
unit_tests:
  - name: test_labelled_keeps_known_ids
    model: labelled
    given:
      - input: ref('nums')
        rows: [{id: 1}, {id: 7}]
    expect:
      rows: [{id: 1, label: one}]
"""


def test_memtable_model_in_a_yaml_unit_test(make_project, pyflow, run_results):
    root = project(make_project, **{"models/unit_tests.yml": UNIT_TEST})

    pyflow("test", "--project-dir", root, "--select", "test_type:unit")

    assert run_results(root)["test_labelled_keeps_known_ids"]["status"] == "pass"


def test_memtable_model_with_pyflow_testing(make_project):
    import pandas as pd

    from pyflow.testing import run_model

    root = project(make_project)

    out = run_model(root, "labelled", inputs={"nums": pd.DataFrame({"id": [2, 5]})})

    assert out.to_dict("records") == [{"id": 2, "label": "two"}]


@pytest.mark.parametrize("target", ["tr", "ath"])
def test_memtable_compiles_to_values_for_trino_and_athena(make_project, pyflow, target):
    root = project(make_project)

    pyflow("compile", "--project-dir", root, "--target", target)

    sql = (root / "target" / "compiled" / "proj" / "models" / "labelled.sql").read_text()
    assert "FROM (VALUES" in sql
    assert "(2, 'two')" in sql
    assert 'CAST("label" AS VARCHAR) AS "label"' in sql


def test_memtable_too_large_for_trino_is_a_compile_error(make_project, pyflow):
    rows = MAX_INLINE_CELLS + 1
    model = f"""
        import ibis

        from pyflow import model


        @model(materialized="table")
        def big(nums):
            lookup = ibis.memtable({{"id": list(range({rows}))}})
            return nums.join(lookup, "id")
        """
    root = make_project(
        {"models/nums.sql": NUMS, "models/big.py": model, "profiles.yml": PROFILES}, name="proj"
    )

    out = pyflow("compile", "--project-dir", root, "--target", "tr", expect=1).output

    assert "model 'big' (models/big.py:8)" in out  # the line calling ibis.memtable
    assert f"{rows} rows x 1 columns" in out
    assert "seed" in out and "DataFrame model" in out
    assert "[memtable-too-large]" in out
    pyflow("build", "--project-dir", root)  # on DuckDB the same model is attached, whatever its size


def test_incremental_memtable_model_merges_on_the_second_build(make_project, pyflow, warehouse):
    model = """
        import ibis

        from pyflow import model


        @model(materialized="incremental", unique_key="id")
        def labelled(nums):
            labels = ibis.memtable({"id": [0, 1, 2], "label": ["zero", "one", "two"]})
            return nums.join(labels, "id")
        """
    root = make_project({"models/nums.sql": NUMS, "models/labelled.py": model}, name="proj")
    pyflow("build", "--project-dir", root)

    out = pyflow("build", "--project-dir", root).output

    assert "incremental" in out
    assert warehouse(root).rows("SELECT * FROM labelled ORDER BY id") == LABELLED_ROWS
