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
        ("code", "BIGINT"),
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
