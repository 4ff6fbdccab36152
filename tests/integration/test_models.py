"""Models of every kind built end to end: Python and SQL on each other, ephemeral, DataFrame,
file sources, custom schemas."""

from __future__ import annotations

import pytest


def test_build_mixed_python_and_sql_dependencies(copy_project, pyflow, warehouse, manifest):
    project = copy_project("mixed")

    pyflow("build", "--project-dir", project)

    db = warehouse(project)
    # a SQL model reading a Python model
    assert db.rows("SELECT * FROM int_order_totals ORDER BY ALL") == [
        (1, 3, 36.5),
        (2, 1, 40.0),
        (3, 1, 120.0),
    ]
    # a Python model taking SQL models as parameters
    assert db.rows("SELECT * FROM customer_report ORDER BY ALL") == [
        (1, "ANN", 3, 36.5),
        (2, "BEN", 1, 40.0),
        (3, "CAT", 1, 120.0),
        (4, "DAN", 0, 0.0),
    ]
    assert db.rows("SELECT * FROM big_spenders ORDER BY ALL") == [(2, "BEN", 40.0), (3, "CAT", 120.0)]

    m = manifest(project)
    nodes = m["nodes"]
    expected = {
        "model.mixed.stg_orders": ("python", ["seed.mixed.raw_orders"]),
        "model.mixed.stg_customers": ("sql", ["seed.mixed.raw_customers"]),
        "model.mixed.int_order_totals": ("sql", ["model.mixed.stg_orders"]),
        "model.mixed.customer_report": (
            "python",
            ["model.mixed.stg_customers", "model.mixed.int_order_totals"],
        ),
        "model.mixed.big_spenders": ("sql", ["model.mixed.customer_report"]),
    }
    for uid, (language, parents) in expected.items():
        assert nodes[uid]["language"] == language, uid
        assert sorted(nodes[uid]["depends_on"]["nodes"]) == sorted(parents), uid
        assert sorted(m["parent_map"][uid]) == sorted(parents), uid
    assert sorted(m["child_map"]["model.mixed.stg_orders"]) == ["model.mixed.int_order_totals"]
    assert nodes["model.mixed.customer_report"]["config"]["materialized"] == "table"
    assert nodes["model.mixed.stg_orders"]["config"]["materialized"] == "view"
    assert nodes["model.mixed.customer_report"]["relation_name"] == '"pyflow"."main"."customer_report"'
    assert nodes["seed.mixed.raw_orders"]["resource_type"] == "seed"


def test_build_custom_schema_is_appended_to_target_schema(make_project, pyflow, warehouse):
    project = make_project(
        {
            "models/staging/stg_numbers.sql": "select range as n from range(3)",
            "models/staging/stg_letters.py": """
                import ibis

                from pyflow import model


                @model(materialized="table")
                def stg_letters(stg_numbers: ibis.Table) -> ibis.Table:
                    return stg_numbers.mutate(letter=ibis.literal("abc").substr(stg_numbers.n, 1))
            """,
            "models/marts/numbers_total.sql": "select sum(n) as total from {{ ref('stg_numbers') }}",
        },
        project_yml="name: proj\nmodels:\n  staging:\n    +schema: staging\n  marts:\n    +materialized: table\n",
    )

    pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.relations() == {
        "main.numbers_total": "BASE TABLE",
        "main_staging.stg_letters": "BASE TABLE",
        "main_staging.stg_numbers": "VIEW",
    }
    assert db.rows("SELECT total FROM main.numbers_total") == [(3,)]
    assert db.rows("SELECT n, letter FROM main_staging.stg_letters ORDER BY n") == [
        (0, "a"),
        (1, "b"),
        (2, "c"),
    ]


def test_build_file_sources_from_csv_and_parquet(make_project, pyflow, warehouse):
    import duckdb

    project = make_project(
        {
            "models/sources.yml": """
                version: 2
                sources:
                  - name: files
                    tables:
                      - name: people
                        external_location: data/people.csv
                      - name: scores
                        external_location: data/scores.parquet
            """,
            "models/sql_scores.sql": """
                select p.id, p.name, s.score
                from {{ source('files', 'people') }} as p
                join {{ source('files', 'scores') }} as s on s.id = p.id
            """,
            "models/py_scores.py": """
                import ibis

                from pyflow import model


                @model(materialized="table")
                def py_scores(files__people: ibis.Table, files__scores: ibis.Table) -> ibis.Table:
                    p, s = files__people, files__scores
                    j = p.join(s, p.id == s.id)
                    return j.group_by(p.name).aggregate(best=s.score.max(), n=s.score.count())
            """,
        }
    )
    (project / "data").mkdir()
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES (1, 'ann'), (2, 'ben'), (3, 'cat')) AS t(id, name)) "
        f"TO '{project / 'data' / 'people.csv'}' (HEADER)"
    )
    con.execute(
        "COPY (SELECT * FROM (VALUES (1, 10), (1, 30), (2, 20)) AS t(id, score)) "
        f"TO '{project / 'data' / 'scores.parquet'}' (FORMAT parquet)"
    )
    con.close()

    pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.rows("SELECT * FROM sql_scores ORDER BY ALL") == [
        (1, "ann", 10),
        (1, "ann", 30),
        (2, "ben", 20),
    ]
    assert db.rows("SELECT * FROM py_scores ORDER BY ALL") == [("ann", 30, 2), ("ben", 20, 1)]
    # the files are read in place: no table is created for the sources
    assert set(db.relations()) == {"main.sql_scores", "main.py_scores"}


def test_build_ephemeral_models_are_inlined_into_children(
    make_project, pyflow, warehouse, run_results, manifest
):
    project = make_project(
        {
            "seeds/raw.csv": "id,kind,amount\n1,a,10\n2,b,20\n3,a,30\n4,c,40\n",
            "models/eph_py.py": """
                import ibis

                from pyflow import model


                @model(materialized="ephemeral")
                def eph_py(raw: ibis.Table) -> ibis.Table:
                    return raw.filter(raw.kind == "a").select("id", "amount")
            """,
            "models/eph_sql.sql": """
                {{ config(materialized='ephemeral') }}
                select id, amount * 10 as amount from {{ ref('raw') }} where kind = 'b'
            """,
            "models/child_py.py": """
                import ibis

                from pyflow import model


                @model(materialized="table")
                def child_py(eph_py: ibis.Table, eph_sql: ibis.Table) -> ibis.Table:
                    return eph_py.mutate(src=ibis.literal("py")).union(eph_sql.mutate(src=ibis.literal("sql")))
            """,
            "models/child_sql.sql": """
                select id, amount, 'py' as src from {{ ref('eph_py') }}
                union all
                select id, amount, 'sql' as src from {{ ref('eph_sql') }}
            """,
        }
    )

    result = pyflow("build", "--project-dir", project)

    expected = [(1, 10, "py"), (2, 200, "sql"), (3, 30, "py")]
    db = warehouse(project)
    assert db.rows("SELECT * FROM child_py ORDER BY ALL") == expected
    assert db.rows("SELECT * FROM child_sql ORDER BY ALL") == expected
    assert set(db.relations()) == {"main.raw", "main.child_py", "main.child_sql"}
    assert set(run_results(project)) == {"raw", "child_py", "child_sql"}
    assert "Done. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3" in result.output
    nodes = manifest(project)["nodes"]
    assert nodes["model.proj.eph_py"]["relation_name"] is None
    assert "__pyflow_cte__eph_py" in nodes["model.proj.child_sql"]["compiled_code"]
    assert "__pyflow_cte__eph_sql" in nodes["model.proj.child_py"]["compiled_code"]


# ibis 12's to_pandas() reads a pandas option that pandas 3 deprecates; pytest makes warnings errors.
@pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated")
def test_build_dataframe_model_computed_with_pandas(make_project, pyflow, warehouse, run_results):
    project = make_project(
        {
            "seeds/raw.csv": "id,kind,amount\n1,a,10\n2,b,20\n3,a,30\n4,c,45\n",
            "models/by_kind.py": """
                import ibis
                import pandas as pd

                from pyflow import model


                @model(materialized="table")
                def by_kind(raw: ibis.Table) -> pd.DataFrame:
                    df = raw.to_pandas()
                    df["share"] = df["amount"] / df["amount"].sum()
                    out = df.groupby("kind", as_index=False).agg(n=("id", "count"), share=("share", "sum"))
                    out["label"] = out["kind"].str.upper() + "-" + out["n"].astype(str)
                    return out
            """,
            "models/by_kind_top.sql": "select kind, label from {{ ref('by_kind') }} where share > 0.3",
        }
    )

    result = pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.relations()["main.by_kind"] == "BASE TABLE"
    assert db.rows("SELECT kind, n, round(share, 4), label FROM by_kind ORDER BY kind") == [
        ("a", 2, round(40 / 105, 4), "A-2"),
        ("b", 1, round(20 / 105, 4), "B-1"),
        ("c", 1, round(45 / 105, 4), "C-1"),
    ]
    assert db.rows("SELECT * FROM by_kind_top ORDER BY ALL") == [("a", "A-2"), ("c", "C-1")]
    assert run_results(project)["by_kind"]["status"] == "success"
    assert run_results(project)["by_kind"]["rows_affected"] == 3
    assert "python table model main.by_kind" in result.output


def test_build_nested_ephemeral_models_over_seed_and_file_source(make_project, pyflow, warehouse):
    project = make_project(
        {
            "seeds/amounts.csv": "id,v\n1,10\n2,20\n3,30\n",
            "data/names.csv": "id,name\n1,x\n2,y\n",
            "models/sources.yml": """
                version: 2
                sources:
                  - name: ext
                    tables:
                      - name: names
                        external_location: data/names.csv
            """,
            "models/eph_inner.sql": "{{ config(materialized='ephemeral') }}\nselect id, v from {{ ref('amounts') }}",
            "models/eph_outer.sql": """
                {{ config(materialized='ephemeral') }}
                select i.id, i.v, n.name from {{ ref('eph_inner') }} as i join {{ source('ext', 'names') }} as n using (id)
            """,
            "models/outer_sql.sql": "select * from {{ ref('eph_outer') }}",
            "models/outer_py.py": """
                import ibis

                from pyflow import model


                @model(materialized="table")
                def outer_py(eph_outer: ibis.Table) -> ibis.Table:
                    return eph_outer.mutate(v2=eph_outer.v * 2)
            """,
        },
        project_yml="name: proj\nseeds:\n  +schema: raw\n",
    )

    pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.relations() == {
        "main.outer_py": "BASE TABLE",
        "main.outer_sql": "VIEW",
        "main_raw.amounts": "BASE TABLE",
    }
    assert db.rows("SELECT * FROM outer_sql ORDER BY ALL") == [(1, 10, "x"), (2, 20, "y")]
    assert db.rows("SELECT * FROM outer_py ORDER BY ALL") == [(1, 10, "x", 20), (2, 20, "y", 40)]


def test_run_materialization_change_replaces_relation(make_project, pyflow, warehouse):
    project = make_project(
        {
            "models/flip.sql": "{{ config(materialized=var('kind')) }}\nselect {{ var('n') }} as n",
            "models/flip_child.sql": "select n * 10 as n from {{ ref('flip') }}",
        },
        project_yml="name: proj\nvars:\n  kind: view\n  n: 1\n",
    )
    pyflow("run", "--project-dir", project)
    assert warehouse(project).relations()["main.flip"] == "VIEW"

    pyflow("run", "--project-dir", project, "--vars", "{kind: table, n: 2}")
    db = warehouse(project)
    assert db.relations()["main.flip"] == "BASE TABLE"
    assert db.rows("SELECT n FROM flip_child") == [(20,)]

    pyflow("run", "--project-dir", project, "--vars", "{kind: view, n: 3}")
    db = warehouse(project)
    assert db.relations() == {"main.flip": "VIEW", "main.flip_child": "VIEW"}
    assert db.rows("SELECT n FROM flip_child") == [(30,)]


def test_run_writes_executed_statements_and_log(copy_project, pyflow):
    project = copy_project("mixed")

    pyflow("build", "--project-dir", project)

    run_dir = project / "target" / "run" / "mixed"
    report = (run_dir / "models" / "marts" / "customer_report.sql").read_text()
    assert 'CREATE TABLE "pyflow"."main"."customer_report__pyflow_tmp_' in report
    assert 'RENAME TO "customer_report"' in report
    view = (run_dir / "models" / "staging" / "stg_customers.sql").read_text()
    assert 'CREATE OR REPLACE VIEW "pyflow"."main"."stg_customers"' in view
    assert "INSERT" not in view
    log = (project / "logs" / "pyflow.log").read_text()
    assert 'CREATE OR REPLACE VIEW "pyflow"."main"."stg_customers"' in log
