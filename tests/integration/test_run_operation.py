"""``pyflow run-operation`` end to end on DuckDB: a project macro called against the target."""

from __future__ import annotations

import json

MACROS = """
    {% macro grant_audit(days, label='weekly') %}
      {% do run_query("create schema if not exists audit") %}
      {% do run_query("create or replace table audit.t as select " ~ days ~ " as days, '" ~ label ~ "' as label") %}
      {% set n = run_query("select count(*) from audit.t").columns[0].values()[0] %}
      {{ log("rows " ~ n ~ " on " ~ target.name ~ " next to " ~ ref('a'), info=True) }}
      {% call statement('answer', fetch_result=True) %}select 42 as v{% endcall %}
      {{ log("answer " ~ load_result('answer')['data'][0][0], info=True) }}
      {% set rel = adapter.get_relation(database=none, schema='audit', identifier='t') %}
      {{ log("found " ~ rel.identifier ~ " " ~ (adapter.get_columns_in_relation(rel) | map(attribute='name') | join(',')), info=True) }}
      {{ log("not shown without info=True") }}
      {{ return("the return value is not printed") }}
    {% endmacro %}

    {% macro refuse() %}
      select 1
      {{ exceptions.raise_compiler_error("no operation today") }}
    {% endmacro %}

    {% macro bad_query() %}
      {% do run_query("select * from no_such_table") %}
    {% endmacro %}

    {% macro any_args() %}{{ log("got " ~ tojson(kwargs, sort_keys=true), info=True) }}{% endmacro %}
"""


def _project(make_project):
    return make_project({"models/a.sql": "select 1 as x\n", "macros/ops.sql": MACROS})


def test_run_operation_runs_a_macro_with_args_and_the_dbt_context(make_project, pyflow, warehouse):
    project = _project(make_project)

    result = pyflow("run-operation", "grant_audit", "--args", "{days: 3}", "--project-dir", project)

    out = result.output
    assert 'rows 1 on dev next to "pyflow"."main"."a"' in out
    assert "answer 42" in out and "found t days,label" in out
    assert "not shown" not in out and "the return value" not in out
    assert warehouse(project).rows("SELECT * FROM audit.t") == [(3, "weekly")]
    assert not (project / "target" / "run_results.json").exists()


def test_run_operation_takes_json_args_and_passes_extra_ones_as_kwargs(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow(
        "run-operation", "grant_audit", "--args", '{"days": 5, "label": "daily"}', "--project-dir", project
    )
    assert warehouse(project).rows("SELECT * FROM audit.t") == [(5, "daily")]

    result = pyflow("run-operation", "any_args", "--args", "{b: 2, a: [1]}", "--project-dir", project)
    assert 'got {"a": [1], "b": 2}' in result.output


def test_run_operation_unknown_macro_suggests_names_and_files(make_project, pyflow):
    project = _project(make_project)

    result = pyflow("run-operation", "grant_audt", "--project-dir", project, expect=1)

    assert "no macro named 'grant_audt'" in result.output
    assert "Did you mean 'grant_audit'?" in result.output
    assert "grant_audit is defined in macros/ops.sql" in result.output
    assert "[unknown-macro]" in result.output


def test_run_operation_checks_args_against_the_macro(make_project, pyflow):
    project = _project(make_project)

    missing = pyflow("run-operation", "grant_audit", "--project-dir", project, expect=1)
    assert "macro 'grant_audit' (macros/ops.sql:1): --args lacks 'days'" in missing.output
    assert "[invalid-args]" in missing.output

    typo = pyflow("run-operation", "grant_audit", "--args", "{dayz: 1}", "--project-dir", project, expect=1)
    assert "--args has 'dayz', which the macro does not take" in typo.output
    assert "Did you mean 'days'?" in typo.output


def test_run_operation_rejects_args_that_are_not_a_mapping(make_project, pyflow):
    project = _project(make_project)

    listed = pyflow("run-operation", "grant_audit", "--args", "[1, 2]", "--project-dir", project, expect=1)
    assert "--args must be a mapping" in listed.output and "[invalid-args]" in listed.output
    broken = pyflow("run-operation", "grant_audit", "--args", "{days: [}", "--project-dir", project, expect=1)
    assert "[invalid-yaml]" in broken.output and "--args:1" in broken.output


def test_run_operation_a_macro_that_raises_exits_1_with_file_and_line(make_project, pyflow):
    project = _project(make_project)

    result = pyflow("run-operation", "refuse", "--project-dir", project, expect=1)

    assert "macro 'refuse' (macros/ops.sql:16): no operation today" in result.output
    assert "[raised-compiler-error]" in result.output


def test_run_operation_a_failing_query_names_the_macro_line(make_project, pyflow):
    project = _project(make_project)

    result = pyflow("run-operation", "bad_query", "--project-dir", project, expect=1)

    assert "macro 'bad_query' (macros/ops.sql:20): duckdb error" in result.output
    assert "Fix: fix the query the macro runs at macros/ops.sql:20" in result.output


def test_run_operation_leaves_the_last_run_results_for_retry(make_project, pyflow):
    project = _project(make_project)
    pyflow("run", "--project-dir", project)
    before = json.loads((project / "target" / "run_results.json").read_text())

    pyflow("run-operation", "any_args", "--project-dir", project)

    assert json.loads((project / "target" / "run_results.json").read_text()) == before


def test_run_operation_accepts_the_project_prefix_and_logs_as_json(make_project, pyflow):
    project = _project(make_project)

    result = pyflow(
        "run-operation", "proj.any_args", "--args", "{a: 1}", "--log-format", "json", "--project-dir", project
    )

    texts = [json.loads(line)["text"] for line in result.output.splitlines()]
    assert any('got {"a": 1}' in t for t in texts)
    missing = pyflow("run-operation", "other.any_args", "--project-dir", project, expect=1)
    assert "no macro named 'other.any_args'" in missing.output
