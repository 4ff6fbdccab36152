"""dbt's cross-database macros (``dbt.dateadd``, ``dbt.listagg`` ...) in SQL models built on DuckDB.

Every call of :mod:`tests.crossdb_cases` is written in a model as a dbt package would write
it; the built table holds the values the cases expect (the same values Trino returns in
``tests/adapters/test_crossdb.py``).
"""

from __future__ import annotations

import datetime as dt

from tests.crossdb_cases import AGGREGATES, SCALARS, aggregate_select, scalar_select


def test_dbt_namespace_macros_return_the_expected_values(make_project, pyflow, warehouse):
    project = make_project(
        {
            "models/scalars.sql": scalar_select(),
            "models/aggregates.sql": aggregate_select(),
        }
    )

    pyflow("run", "--project-dir", project)

    db = warehouse(project)
    for table, cases in (("scalars", SCALARS), ("aggregates", AGGREGATES)):
        names = [
            n
            for (n,) in db.rows(
                f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
            )
        ]
        ((row),) = db.rows(f"SELECT * FROM {table}")
        assert dict(zip(names, row, strict=True)) == {n: v for n, (_, v) in cases.items()}


def test_dbt_macros_are_also_global_names_and_a_project_macro_wins(make_project, pyflow, warehouse):
    project = make_project(
        {
            "macros/own.sql": "{% macro hash(x) %}'own hash'{% endmacro %}",
            "models/bare.sql": """
                select
                  CAST({{ dateadd('day', 1, "DATE '2024-02-28'") }} AS DATE) as next_day,
                  {{ split_part("'a-b'", "'-'", 2) }} as second,
                  {{ hash("'x'") }} as hashed
            """,
        }
    )

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM bare") == [(dt.date(2024, 2, 29), "b", "own hash")]
