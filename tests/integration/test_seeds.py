"""Seeds: inferred column types, `+column_types` overrides, reloading, and column changes."""

from __future__ import annotations

import datetime as dt

CSV = "code,name,price,added\n1007,apple,1.5,2024-01-02\n1042,pear,2.25,2024-02-03\n"
PROJECT_YML = """\
name: proj
seeds:
  codes_typed:
    +column_types:
      code: varchar
"""


def _types(db, table):
    return db.rows(
        f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}' "
        "ORDER BY ordinal_position"
    )


def test_seed_infers_types_and_respects_column_types(make_project, pyflow, warehouse, run_results):
    project = make_project({"seeds/codes.csv": CSV, "seeds/codes_typed.csv": CSV}, project_yml=PROJECT_YML)

    result = pyflow("seed", "--project-dir", project)

    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
    db = warehouse(project)
    assert _types(db, "codes") == [
        ("code", "INTEGER"),  # dbt-duckdb's type for a column of integers
        ("name", "VARCHAR"),
        ("price", "DOUBLE"),
        ("added", "DATE"),
    ]
    assert _types(db, "codes_typed")[0] == ("code", "VARCHAR")
    assert db.rows("SELECT * FROM codes ORDER BY code") == [
        (1007, "apple", 1.5, dt.date(2024, 1, 2)),
        (1042, "pear", 2.25, dt.date(2024, 2, 3)),
    ]
    assert db.rows("SELECT code FROM codes_typed ORDER BY code") == [("1007",), ("1042",)]
    assert run_results(project)["codes"]["rows_affected"] == 2


def test_seed_reload_after_csv_change(make_project, pyflow, warehouse):
    project = make_project(
        {"seeds/codes.csv": CSV, "models/code_count.sql": "select count(*) as n from {{ ref('codes') }}"}
    )
    pyflow("build", "--project-dir", project)
    (project / "seeds" / "codes.csv").write_text(CSV + "100,plum,0.5,2024-03-04\n")

    result = pyflow("seed", "--project-dir", project)

    assert "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1" in result.output
    db = warehouse(project)
    assert db.rows("SELECT code, name FROM codes ORDER BY code") == [
        (100, "plum"),
        (1007, "apple"),
        (1042, "pear"),
    ]
    assert db.rows("SELECT n FROM code_count") == [(3,)]  # the view over the seed still works


def test_seed_column_change_needs_full_refresh(make_project, pyflow, warehouse, run_results):
    project = make_project({"seeds/codes.csv": CSV})
    pyflow("seed", "--project-dir", project)
    (project / "seeds" / "codes.csv").write_text(
        "code,name,price,added,colour\n1007,apple,1.5,2024-01-02,green\n"
    )

    failed = pyflow("seed", "--project-dir", project, expect=1)

    assert "Done. PASS=0 WARN=0 ERROR=1 SKIP=0 TOTAL=1" in failed.output
    assert "--full-refresh" in failed.output
    assert "--full-refresh" in run_results(project)["codes"]["message"]
    db = warehouse(project)
    assert db.rows("SELECT count(*) FROM codes") == [(2,)]  # the old table is untouched
    assert [c for c, _ in _types(db, "codes")] == ["code", "name", "price", "added"]

    pyflow("seed", "--project-dir", project, "--full-refresh")

    db = warehouse(project)
    assert db.rows("SELECT code, colour FROM codes") == [(1007, "green")]
    assert not any("__pyflow" in rel for rel in db.relations())


# one column per agate type dbt's seeds infer; the expected types are dbt-duckdb's
# (dbt-common's build_type_tester + dbt-adapters' SQLAdapter.convert_*_type)
DBT_TYPES_CSV = (
    "ints,decimals,mixed_numbers,dates,timestamps,iso_timestamps,fractional,flags,words,empty,ints_and_nulls\n"
    "1,1.0,7,2024-01-02,2024-01-02 03:04:05,2024-01-02T03:04:05,2024-01-02 03:04:05.5,true,a,,null\n"
    "-2,2.50,7.5,2024-12-31,2024-12-31 23:59:59,2024-12-31T23:59,2024-12-31 23:59:59.1,FALSE,,,3\n"
)


def test_seed_columns_get_dbt_duckdbs_types(make_project, pyflow, warehouse):
    project = make_project({"seeds/typed.csv": DBT_TYPES_CSV})

    pyflow("seed", "--project-dir", project)

    db = warehouse(project)
    assert _types(db, "typed") == [
        ("ints", "INTEGER"),
        ("decimals", "DOUBLE"),  # a decimal place (even .0): dbt's float8
        ("mixed_numbers", "DOUBLE"),
        ("dates", "DATE"),
        ("timestamps", "TIMESTAMP"),
        ("iso_timestamps", "TIMESTAMP"),
        ("fractional", "VARCHAR"),  # neither '%Y-%m-%d %H:%M:%S' nor ISO 8601 with 'T': text in dbt
        ("flags", "BOOLEAN"),
        ("words", "VARCHAR"),
        ("empty", "INTEGER"),  # no values: agate's Number, an integer
        ("ints_and_nulls", "INTEGER"),
    ]
    assert db.rows("SELECT ints, words, empty, ints_and_nulls, flags FROM typed ORDER BY ints") == [
        (-2, None, None, 3, False),  # empty fields and 'null' are NULL
        (1, "a", None, None, True),
    ]


def test_integers_beyond_integer_range_load_as_bigint(make_project, pyflow, warehouse):
    project = make_project({"seeds/big.csv": "id\n1\n3000000000\n"})

    pyflow("seed", "--project-dir", project)

    assert _types(warehouse(project), "big") == [("id", "BIGINT")]


def test_a_seed_table_built_with_bigint_reloads_without_a_full_refresh(make_project, pyflow, warehouse):
    # seed tables built before integers loaded as INTEGER have BIGINT columns: they still reload
    import duckdb

    project = make_project({"seeds/codes.csv": CSV})
    pyflow("seed", "--project-dir", project)
    con = duckdb.connect(str(project / "pyflow.duckdb"))
    con.execute("ALTER TABLE codes ALTER code TYPE BIGINT")
    con.close()
    (project / "seeds" / "codes.csv").write_text(CSV + "100,plum,0.5,2024-03-04\n")

    pyflow("seed", "--project-dir", project)

    db = warehouse(project)
    assert _types(db, "codes")[0] == ("code", "BIGINT")
    assert db.rows("SELECT code FROM codes ORDER BY code") == [(100,), (1007,), (1042,)]
    pyflow("seed", "--project-dir", project, "--full-refresh")
    assert _types(warehouse(project), "codes")[0] == ("code", "INTEGER")
