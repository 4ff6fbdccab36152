"""The dbt context of SQL models: var, env_var, target, this, run_started_at, log, macros
returning values, and --vars overriding pyflow.yml."""

from __future__ import annotations

import datetime as dt

FILES = {
    "profiles.yml": """
        proj:
          target: local
          outputs:
            local:
              type: duckdb
              path: pyflow.duckdb
    """,
    "macros/greeting.sql": """
        {% macro greeting(name) %}
          {{ return('hello ' ~ name | upper) }}
        {% endmacro %}

        {% macro greetings(names) %}
          {% set out = [] %}
          {% for n in names %}{% do out.append(greeting(n)) %}{% endfor %}
          {{ return(out) }}
        {% endmacro %}
    """,
    "models/context.sql": """
        {% set greet = greeting(var('who')) %}
        {% set many = greetings(['a', 'b']) %}
        {{ log('rendering ' ~ this ~ ' for ' ~ var('who'), info=True) }}
        select
            '{{ var("who") }}' as who,
            '{{ var("missing", "default-value") }}' as with_default,
            '{{ env_var("PYFLOW_IT_COLOUR") }}' as colour,
            '{{ env_var("PYFLOW_IT_UNSET", "fallback") }}' as unset,
            '{{ target.name }}' as target_name,
            '{{ target.schema }}' as target_schema,
            '{{ this | replace("'", "''") }}' as this_relation,
            '{{ run_started_at.isoformat() }}' as started,
            '{{ greet | trim }}' as greet,
            {{ many | length }} as n_greetings,
            '{{ many | join("/") }}' as greetings
    """,
}


def test_sql_model_sees_dbt_context(make_project, pyflow, warehouse, monkeypatch):
    monkeypatch.setenv("PYFLOW_IT_COLOUR", "teal")
    monkeypatch.delenv("PYFLOW_IT_UNSET", raising=False)
    project = make_project(FILES, project_yml="name: proj\nprofile: proj\nvars:\n  who: yaml\n")
    before = dt.datetime.now(dt.UTC)

    pyflow("run", "--project-dir", project)

    ((who, with_default, colour, unset, target_name, target_schema, this, started, greet, n, greetings),) = (
        warehouse(project).rows("SELECT * FROM context")
    )
    assert (who, with_default, colour, unset) == ("yaml", "default-value", "teal", "fallback")
    assert (target_name, target_schema) == ("local", "main")
    assert this == '"pyflow"."main"."context"'
    assert before - dt.timedelta(seconds=5) <= dt.datetime.fromisoformat(started) <= dt.datetime.now(dt.UTC)
    assert greet == "hello YAML"
    # a macro calling another macro of its file: each return() ends only its own macro
    assert (n, greetings) == (2, "hello A/hello B")
    log = (project / "logs" / "pyflow.log").read_text()
    assert 'rendering "pyflow"."main"."context" for yaml' in log


def test_cli_vars_override_project_vars(make_project, pyflow, warehouse, monkeypatch):
    monkeypatch.setenv("PYFLOW_IT_COLOUR", "teal")
    project = make_project(FILES, project_yml="name: proj\nprofile: proj\nvars:\n  who: yaml\n")
    pyflow("run", "--project-dir", project)

    pyflow("run", "--project-dir", project, "--vars", "{who: cli}")

    assert warehouse(project).rows("SELECT who, greet FROM context") == [("cli", "hello CLI")]


def test_sql_model_missing_env_var_is_a_user_error(make_project, pyflow, monkeypatch):
    monkeypatch.delenv("PYFLOW_IT_COLOUR", raising=False)
    project = make_project(FILES, project_yml="name: proj\nprofile: proj\nvars:\n  who: yaml\n")

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "environment variable 'PYFLOW_IT_COLOUR' is not set" in result.output
