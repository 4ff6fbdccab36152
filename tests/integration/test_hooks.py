"""SQL hooks end to end on DuckDB: pre_hook/post_hook of nodes, on-run-start/on-run-end of the project.

Each test writes a small project, runs the CLI in-process and reads the DuckDB file. Hooks
write into an ``audit.log`` table, so the order they ran in is visible in its rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_project

LOG_TABLE = "create table if not exists audit.log (seq integer, who varchar, what varchar)"
START = ["create schema if not exists audit", LOG_TABLE, "create sequence if not exists audit.seq"]


def _log(who: str, what: str) -> str:
    return f"insert into audit.log select nextval('audit.seq'), '{who}', '{what}'"


def _logged(warehouse: Any, project: Path) -> list[tuple[str, str]]:
    return [(who, what) for _, who, what in warehouse(project).rows("SELECT * FROM audit.log ORDER BY seq")]


def _yml(**keys: Any) -> str:
    return json.dumps({"name": "proj", **keys})


# ---- a dbt project (dbt_project.yml, no pyflow.yml) --------------------------------------------
DBT_PROJECT = {
    "dbt_project.yml": """
        name: hooked
        profile: hooked
        on-run-start:
          - "create schema if not exists audit"
          - "create or replace table audit.runs as select '{{ target.name }}' as target_name, {{ var('batch') }} as batch"
          - "{{ make_log() }}"
          - "create sequence if not exists audit.seq"
        on-run-end:
          - "{{ log_row('run', 'end ' ~ (results | length) ~ ' ' ~ (results | map(attribute='status') | join(','))) }}"
          - "create or replace table audit.schemas as select '{{ schemas | join(',') }}' as s"
        vars:
          batch: 7
        models:
          hooked:
            +post-hook: "{{ log_row(this.identifier, 'tree post') }}"
            marts:
              +materialized: table
              +pre-hook:
                - "{{ log_row(this.identifier, 'marts pre') }}"
        seeds:
          hooked:
            +post-hook: "{{ log_row(this.identifier, 'seed post') }}"
    """,
    "profiles.yml": """
        hooked:
          target: dev
          outputs:
            dev: {type: duckdb, path: pyflow.duckdb}
    """,
    "macros/audit.sql": """
        {% macro make_log() %}create table if not exists audit.log (seq integer, who varchar, what varchar){% endmacro %}
        {% macro log_row(who, what) %}insert into audit.log select nextval('audit.seq'), '{{ who }}', '{{ what }}'{% endmacro %}
    """,
    "models/sources.yml": """
        sources:
          - name: audit
            schema: audit
            tables: [{name: runs}]
    """,
    "models/staging/stg_runs.sql": "select * from {{ source('audit', 'runs') }}\n",
    "models/marts/run_summary.sql": """
        {{ config(post_hook=["{{ log_row(this.identifier, 'file post') }}"]) }}
        select target_name, batch * 2 as doubled from {{ ref('stg_runs') }}
    """,
    "seeds/countries.csv": "code,name\nfr,France\n",
}


@pytest.fixture
def dbt_hooked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = write_project(tmp_path / "hooked", DBT_PROJECT)
    (project / "pyflow.yml").unlink()  # write_project adds one; a dbt project has none
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return project


def test_hooks_a_dbt_project_runs_its_run_hooks_and_tree_hooks(dbt_hooked, pyflow, warehouse):
    result = pyflow("build", "--project-dir", dbt_hooked)

    assert "Done. PASS=3" in result.output
    db = warehouse(dbt_hooked)
    # the model reads the table on-run-start created, rendered with target and var
    assert db.rows("SELECT * FROM main.run_summary") == [("dev", 14)]
    logged = _logged(warehouse, dbt_hooked)
    # every node's hooks ran once (seeds and models may run in parallel: order across nodes varies)
    assert sorted(logged[:-1]) == [
        ("countries", "seed post"),
        ("run_summary", "file post"),
        ("run_summary", "marts pre"),
        ("run_summary", "tree post"),
        ("stg_runs", "tree post"),
    ]
    # within a node: its pre-hook, then tree hooks before the file's own
    run_summary = [what for who, what in logged if who == "run_summary"]
    assert run_summary == ["marts pre", "tree post", "file post"]
    assert logged[-1] == ("run", "end 3 success,success,success")
    assert db.rows("SELECT s FROM audit.schemas") == [("main",)]


def test_hooks_are_in_the_manifest_as_dbt_writes_them(dbt_hooked, pyflow):
    pyflow("build", "--project-dir", dbt_hooked)

    manifest = json.loads((dbt_hooked / "target" / "manifest.json").read_text())
    config = manifest["nodes"]["model.hooked.run_summary"]["config"]
    assert config["pre-hook"] == [{"sql": "{{ log_row(this.identifier, 'marts pre') }}", "transaction": True}]
    assert config["post-hook"] == [
        {"sql": "{{ log_row(this.identifier, 'tree post') }}", "transaction": True},
        {"sql": "{{ log_row(this.identifier, 'file post') }}", "transaction": True},
    ]


def test_hooks_debug_no_longer_lists_run_hooks_as_unused(dbt_hooked, pyflow):
    result = pyflow("debug", "--project-dir", dbt_hooked)

    assert "on-run-start" not in result.output and "on-run-end" not in result.output


# ---- pyflow.yml projects -----------------------------------------------------------------------
def test_hooks_every_spelling_and_layer_accumulates_in_order(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": _yml(
                **{
                    "on-run-start": START,
                    "models": {"+pre-hook": _log("{{ this.name }}", "tree pre")},
                }
            ),
            "models/props.yml": f"""
                models:
                  - name: sql_model
                    config:
                      pre-hook: ["{_log("{{ this.name }}", "yaml pre")}"]
            """,
            "models/sql_model.sql": f"""
                {{{{ config(materialized='table', pre_hook="{_log("{{ this.name }}", "file pre")}") }}}}
                select 1 as x
            """,
            "models/py_model.py": f"""
                import ibis
                from pyflow import model

                @model(materialized="table", post_hook=[{_log("{{ this.name }}", "py post")!r}])
                def py_model(sql_model: ibis.Table) -> ibis.Table:
                    return sql_model
            """,
        }
    )

    pyflow("run", "--project-dir", project)

    assert _logged(warehouse, project) == [
        ("sql_model", "tree pre"),
        ("sql_model", "yaml pre"),
        ("sql_model", "file pre"),
        ("py_model", "tree pre"),
        ("py_model", "py post"),
    ]


def test_hooks_see_this_var_is_incremental_and_macros(make_project, pyflow, warehouse):
    hook = (
        "insert into audit.log select nextval('audit.seq'), '{{ this.schema }}.{{ this.identifier }}', "
        '\'{{ var("tag") }} {{ is_incremental() }} {{ shout("m") }}\''
    )
    project = make_project(
        {
            "pyflow.yml": _yml(**{"on-run-start": START, "vars": {"tag": "v1"}}),
            "macros/shout.sql": "{% macro shout(x) %}{{ x | upper }}!{% endmacro %}\n",
            "models/inc.sql": f"""
                {{{{ config(materialized='incremental', post_hook={hook!r}) }}}}
                select 1 as x
            """,
        }
    )

    pyflow("run", "--project-dir", project)
    pyflow("run", "--project-dir", project)

    assert _logged(warehouse, project) == [("main.inc", "v1 False M!"), ("main.inc", "v1 True M!")]


def test_hooks_a_failing_pre_hook_fails_the_model_and_leaves_its_table(make_project, pyflow, warehouse):
    files = {
        "pyflow.yml": _yml(),
        "models/orders.sql": "{{ config(materialized='table') }}\nselect 1 as id\n",
    }
    project = make_project(files)
    pyflow("run", "--project-dir", project)
    (project / "models/orders.sql").write_text(
        "{{ config(materialized='table', pre_hook='insert into no_such_table values (1)') }}\n"
        "select 2 as id\n"
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert (
        "model 'orders' (models/orders.sql:1): pre-hook failed" in result.output
        and "no_such_table" in result.output
    )
    assert "insert into no_such_table values (1)" in result.output  # the hook's SQL is shown
    assert "[hook-failed]" in result.output
    assert warehouse(project).rows("SELECT id FROM main.orders") == [(1,)]  # untouched


def test_hooks_a_failing_post_hook_fails_the_model_and_skips_its_children(make_project, pyflow):
    project = make_project(
        {
            "pyflow.yml": _yml(),
            "models/a.sql": "{{ config(post_hook=['select 1', 'select * from missing_tbl']) }}\nselect 1 as x\n",
            "models/b.sql": "select * from {{ ref('a') }}\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "model 'a' (models/a.sql" in result.output
    assert "post-hook 2 failed" in result.output and "missing_tbl" in result.output
    assert "ERROR=1 SKIP=1" in result.output


def test_hooks_a_hook_that_does_not_render_names_model_and_hook(make_project, pyflow):
    project = make_project(
        {
            "pyflow.yml": _yml(),
            "models/a.sql": "{{ config(pre_hook=\"select {{ var('nope') }}\") }}\nselect 1 as x\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "model 'a' (models/a.sql" in result.output
    assert "pre-hook cannot be rendered: variable 'nope' is not defined" in result.output


def test_hooks_a_failing_on_run_start_stops_the_run_before_any_model(make_project, pyflow, warehouse):
    project = make_project({"models/a.sql": "{{ config(materialized='table') }}\nselect 1 as x\n"})
    pyflow("run", "--project-dir", project, "--select", "nothing_at_all")  # leaves a run_results.json
    assert (project / "target/run_results.json").is_file()
    start = ["create schema if not exists ok", "select * from nowhere"]
    (project / "pyflow.yml").write_text(_yml(**{"on-run-start": start}))

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "pyflow.yml:1: on-run-start 2 failed" in result.output and "nowhere" in result.output
    assert "no node was run" in result.output
    assert "main.a" not in warehouse(project).relations()
    assert not (project / "target/run_results.json").exists()  # no stale results of another run


def test_hooks_a_failing_on_run_end_fails_the_command_after_the_models(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": """
                name: proj
                on-run-end:
                  - file: logs/alerts.jsonl
                  - "select 1"
                  - "select * from nowhere"
            """,
            "models/a.sql": "{{ config(materialized='table') }}\nselect 1 as x\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "Done. PASS=1 WARN=0 ERROR=0" in result.output
    assert "1 step(s) outside the nodes failed" in result.output
    assert "pyflow.yml:5: on-run-end 2 failed" in result.output and "nowhere" in result.output
    assert warehouse(project).rows("SELECT x FROM main.a") == [(1,)]


def test_hooks_on_run_end_mixes_sql_hooks_and_alerts_in_pyflow_yml(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": _yml(
                **{
                    "on-run-end": [
                        "create or replace table main.ended as select '{{ results[0].status }}' as s",
                        {"file": "logs/alerts.jsonl", "when": ["success"]},
                    ]
                }
            ),
            "models/a.sql": "select 1 as x\n",
        }
    )

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT s FROM main.ended") == [("success",)]
    alert = json.loads((project / "logs/alerts.jsonl").read_text().splitlines()[0])
    assert alert["status"] == "success"


def test_hooks_seeds_and_snapshots_run_theirs(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": _yml(
                **{
                    "on-run-start": START,
                    "seeds": {"+post-hook": [_log("{{ this.name }}", "seed post")]},
                    "snapshots": {"+pre-hook": [_log("{{ this.name }}", "snapshot pre")]},
                }
            ),
            "seeds/people.csv": "id,name\n1,ann\n",
            "snapshots/people_snap.sql": """
                {% snapshot people_snap %}
                {{ config(unique_key='id', strategy='check', check_cols='all') }}
                select * from {{ ref('people') }}
                {% endsnapshot %}
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    assert _logged(warehouse, project) == [("people", "seed post"), ("people_snap", "snapshot pre")]


def test_hooks_ref_and_source_name_relations(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": _yml(**{"on-run-start": START}),
            "models/sources.yml": """
                sources:
                  - name: audit
                    schema: audit
                    tables: [{name: log}]
            """,
            "models/base.sql": "{{ config(materialized='table') }}\nselect 41 as n\n",
            "models/top.sql": """
                {{ config(post_hook="insert into {{ source('audit', 'log') }} select 100, 'top', (select n + 1 from {{ ref('base') }})::varchar") }}
                select * from {{ ref('base') }}
            """,
        }
    )

    pyflow("run", "--project-dir", project)

    assert _logged(warehouse, project) == [("top", "42")]


def test_hooks_a_ref_to_an_unknown_node_names_the_hook(make_project, pyflow):
    project = make_project(
        {"models/a.sql": "{{ config(pre_hook=\"select * from {{ ref('nope') }}\") }}\nselect 1 as x\n"}
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "model 'a' (models/a.sql" in result.output
    assert "pre-hook cannot be rendered: no model or seed named 'nope'" in result.output


def test_hooks_see_the_node_as_model(make_project, pyflow, warehouse):
    project = make_project(
        {
            "models/audited.sql": """
                {{ config(materialized='table', post_hook="create or replace table main.audit_note as "
                    "select '{{ model.unique_id }}' as uid, '{{ model.config.materialized }}' as mat") }}
                select 1 as id
            """,
        }
    )

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM main.audit_note") == [("model.proj.audited", "table")]
