"""SQL injection through ``var()``: a model's SQL is exactly one statement (issue 10, item 3).

A value passed with ``--vars`` that closes a string literal and adds ``; drop table ...`` used to
run as a second statement. Now every SQL a model, data test, snapshot or ``show --inline``
renders to must be one statement, and ``sql_literal`` / ``literal()`` / ``sql_identifier`` /
``identifier()`` quote values safely. Python models get Ibis literals, which stay data.
"""

from __future__ import annotations

import json

import pytest

HOSTILE = "x'; drop table keep; --"
HOSTILE_VARS = '{country: "' + HOSTILE + '"}'
KEEP_CSV = 'id,country\n1,x\n2,y\n3,"' + HOSTILE.replace('"', '""') + '"\n'
KEEP_ROWS = [(1, "x"), (2, "y"), (3, HOSTILE)]


def test_injection_through_var_fails_and_keeps_the_table(make_project, pyflow, warehouse, run_results):
    project = make_project(
        {
            "seeds/keep.csv": KEEP_CSV,
            "models/m.sql": "select * from {{ ref('keep') }} where country = '{{ var('country') }}'\n",
        }
    )

    result = pyflow("build", "--project-dir", project, "--vars", HOSTILE_VARS, expect=1)

    assert warehouse(project).rows("select * from main.keep order by id") == KEEP_ROWS
    assert "main.m" not in warehouse(project).relations()
    assert run_results(project)["keep"]["status"] == "success"
    m = run_results(project)["m"]
    assert m["status"] == "error"
    assert m["error"]["code"] == "multiple-statements"
    assert m["error"]["model"] == "m"
    assert m["error"]["path"] == "models/m.sql"
    assert "model 'm' (models/m.sql" in result.output
    assert "renders to 2 SQL statements" in result.output
    assert "the second statement starts: drop table keep; --'" in result.output
    assert "| sql_literal" in result.output
    assert not (project / "target" / "run" / "proj" / "models" / "m.sql").exists()


def test_injection_fails_at_compile_time_too(make_project, pyflow):
    project = make_project(
        {"models/m.sql": "select 1 as id where 'x' = '{{ var('country') }}'\n"},
    )

    result = pyflow("compile", "--project-dir", project, "--vars", HOSTILE_VARS, expect=1)

    assert "[multiple-statements]" in result.output
    assert "model 'm' (models/m.sql" in result.output


def test_sql_literal_filter_keeps_a_hostile_value_data(make_project, pyflow, warehouse):
    project = make_project(
        {
            "seeds/keep.csv": KEEP_CSV,
            "models/m.sql": "select * from {{ ref('keep') }} where country = {{ var('country') | sql_literal }}\n",
        }
    )

    pyflow("build", "--project-dir", project, "--vars", HOSTILE_VARS)

    assert warehouse(project).rows("select * from main.m") == [(3, HOSTILE)]
    assert warehouse(project).rows("select * from main.keep order by id") == KEEP_ROWS
    compiled = (project / "target" / "compiled" / "proj" / "models" / "m.sql").read_text()
    assert "where country = 'x''; drop table keep; --'" in compiled


def test_literal_and_identifier_helpers_render_every_type(make_project, pyflow):
    project = make_project({"models/keep.sql": "select 1 as id\n"})
    query = (
        'select {{ literal("it\'s") }} as s, {{ literal(none) }} as n, {{ literal(true) }} as b, '
        "{{ literal(false) }} as f, {{ literal(2) }} as i, {{ 1.5 | sql_literal }} * 2 = 3 as d, "
        "year({{ var('day') | sql_literal }}) as y, "
        "3 in {{ [1, 3] | sql_literal }} as listed, 'a;b' in {{ literal(['a;b', \"c'd\"]) }} as texts, "
        "1 as {{ 'my \"col\"' | sql_identifier }}, 2 as {{ identifier('x y') }}"
    )

    result = pyflow(
        "show", "--inline", query, "--output", "json", "--vars", "{day: 2024-01-02}", "--project-dir", project
    )

    assert json.loads(result.stdout) == [
        {
            "s": "it's",
            "n": None,
            "b": True,
            "f": False,
            "i": 2,
            "d": True,
            "y": 2024,
            "listed": True,
            "texts": True,
            'my "col"': 1,
            "x y": 2,
        }
    ]


def test_literal_refuses_values_it_cannot_quote(make_project, pyflow):
    project = make_project({"models/m.sql": "select {{ literal(var('when')) }} as w\n"})

    result = pyflow("compile", "--project-dir", project, "--vars", "{when: {a: 1}}", expect=1)

    assert "model 'm' (models/m.sql:1)" in result.output
    assert "cannot quote a dict as a SQL literal" in result.output


def test_show_inline_must_be_one_statement(make_project, pyflow, warehouse):
    project = make_project({"seeds/keep.csv": KEEP_CSV})
    pyflow("seed", "--project-dir", project)

    result = pyflow("show", "--inline", "select 1 as a; drop table keep", "--project-dir", project, expect=1)

    assert "[multiple-statements]" in result.output
    assert "inline" in result.output
    assert warehouse(project).rows("select count(*) from main.keep") == [(3,)]


def test_singular_data_test_must_be_one_statement(make_project, pyflow, warehouse, run_results):
    project = make_project(
        {
            "seeds/keep.csv": KEEP_CSV,
            "tests/no_z.sql": "select * from {{ ref('keep') }} where country = 'z'; drop table keep\n",
        }
    )

    result = pyflow("build", "--project-dir", project, expect=1)

    assert warehouse(project).rows("select count(*) from main.keep") == [(3,)]
    assert run_results(project)["no_z"]["error"]["code"] == "multiple-statements"
    assert "tests/no_z.sql" in result.output


def test_snapshot_must_be_one_statement(make_project, pyflow, warehouse, run_results):
    project = make_project(
        {
            "seeds/keep.csv": KEEP_CSV,
            "snapshots/snap.sql": """
                {% snapshot keep_snap %}
                {{ config(unique_key='id', strategy='check', check_cols='all') }}
                select * from {{ ref('keep') }} where country <> '{{ var('country') }}'
                {% endsnapshot %}
            """,
        }
    )

    pyflow("build", "--project-dir", project, "--vars", HOSTILE_VARS, expect=1)

    assert warehouse(project).rows("select count(*) from main.keep") == [(3,)]
    assert run_results(project)["keep_snap"]["error"]["code"] == "multiple-statements"
    assert run_results(project)["keep_snap"]["error"]["path"] == "snapshots/snap.sql"


def test_semicolons_in_literals_comments_and_a_trailing_one_are_one_statement(
    make_project, pyflow, warehouse
):
    project = make_project(
        {
            "models/m.sql": """
                select 'a;b' as s, "c;d" as t -- a comment; with a semicolon
                from (select 1 as "c;d") /* and; another */
                ;
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("select s, t from main.m") == [("a;b", 1)]


def test_python_model_gets_a_hostile_var_as_data(make_project, pyflow, warehouse):
    project = make_project(
        {
            "seeds/keep.csv": KEEP_CSV,
            "models/m.py": """
                import ibis
                from pyflow import Context, model


                @model(materialized="table")
                def m(keep: ibis.Table, ctx: Context) -> ibis.Table:
                    return keep.filter(keep.country == ctx.var("country"))
            """,
        }
    )

    pyflow("build", "--project-dir", project, "--vars", HOSTILE_VARS)

    assert warehouse(project).rows("select * from main.m") == [(3, HOSTILE)]
    assert warehouse(project).rows("select * from main.keep order by id") == KEEP_ROWS


@pytest.mark.parametrize("dialect", ["duckdb", "trino", "athena"])
def test_statements_are_counted_in_each_engine_dialect(dialect):
    from pyflow.compile.statement import check_one_statement, count_statements
    from pyflow.errors import CompileError

    hostile = f"select * from keep where country = '{HOSTILE}'"
    assert count_statements(hostile, dialect) == 2
    assert count_statements("select 'a;b' as s, \"c;d\" -- e;f\n/* g; */ from t ;\n", dialect) == 1
    assert count_statements("select 1 as x;", dialect) == 1
    with pytest.raises(CompileError) as caught:
        check_one_statement(hostile, dialect, model="m", path="models/m.sql")
    assert caught.value.code == "multiple-statements"
    assert caught.value.detail == "the second statement starts: drop table keep; --'"
