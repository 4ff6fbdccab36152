"""`pyflow build` types unit-test fixtures like the tables already built in the warehouse.

The source below declares no columns, so only the warehouse knows that ``day`` is a DATE and
``amount`` a DECIMAL: the unit test passes strings and leaves ``amount`` out.
"""

from __future__ import annotations

import duckdb

FILES = {
    "models/sources.yml": """
        sources:
          - name: raw
            tables:
              - name: events
    """,
    "models/next_days.sql": """
        select id, day + 1 as next_day, amount * 2 as doubled from {{ source('raw', 'events') }}
    """,
    "models/next_days_py.py": """
        import ibis

        from pyflow import model


        @model
        def next_days_py(raw__events: ibis.Table) -> ibis.Table:
            t = raw__events
            return t.select(t.id, next_day=t.day + ibis.interval(days=1), doubled=t.amount * 2)
    """,
    "models/unit.yml": """
        unit_tests:
          - name: test_next_days_sql
            model: next_days
            given:
              - input: source('raw', 'events')
                rows: [{id: 1, day: "2024-01-02"}]
            expect:
              rows: [{id: 1, next_day: 2024-01-03, doubled: null}]
          - name: test_next_days_py
            model: next_days_py
            given:
              - input: source('raw', 'events')
                rows: [{id: 1, day: "2024-01-02"}]
            expect:
              rows: [{id: 1, next_day: 2024-01-03, doubled: null}]
    """,
}


def test_build_casts_fixtures_to_the_built_source_types(make_project, pyflow, run_results):
    project = make_project(FILES)
    con = duckdb.connect(str(project / "pyflow.duckdb"))
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.events (id BIGINT, day DATE, amount DECIMAL(10, 2))")
    con.close()

    pyflow("build", "--project-dir", project)

    results = run_results(project)
    assert results["test_next_days_sql"]["status"] == "pass", results["test_next_days_sql"]
    assert results["test_next_days_py"]["status"] == "pass", results["test_next_days_py"]
