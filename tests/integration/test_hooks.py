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

    assert "model 'orders' (models/orders.sql" in result.output
    assert "pre-hook failed" in result.output and "no_such_table" in result.output
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

    assert "pyflow.yml: on-run-start 2 failed" in result.output and "nowhere" in result.output
    assert "no node was run" in result.output
    assert "main.a" not in warehouse(project).relations()
    assert not (project / "target/run_results.json").exists()  # no stale results of another run


def test_hooks_a_failing_on_run_end_fails_the_command_after_the_models(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": _yml(**{"on-run-end": "select * from nowhere"}),
            "models/a.sql": "{{ config(materialized='table') }}\nselect 1 as x\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "Done. PASS=1 WARN=0 ERROR=0" in result.output
    assert "1 step(s) outside the nodes failed" in result.output
    assert "pyflow.yml: on-run-end failed" in result.output and "nowhere" in result.output
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


# ---- dbt configs and YAML resources pyflow keeps without applying -----------------------------
DBT_EXTRAS = {
    "pyflow.yml": _yml(models={"+grants": {"select": ["reporter"]}, "+persist_docs": {"relation": True}}),
    "models/orders.sql": "{{ config(materialized='table', contract={'enforced': true}) }}\nselect 1 as id\n",
    "models/dim_v1.sql": "select 1 as id, 'a' as old\n",
    "models/dim_v2.sql": "select 1 as id\n",
    "models/props.yml": """
        version: 2
        models:
          - name: orders
            access: public
            group: finance
            config:
              contract: {enforced: true}
            constraints:
              - type: primary_key
                columns: [id]
            columns:
              - name: id
                data_type: integer
                constraints: [{type: not_null}]
          - name: dim
            latest_version: 2
            columns:
              - name: id
                description: the key
            versions:
              - v: 1
                columns:
                  - include: all
                  - name: old
                    description: gone in v2
              - v: 2
        groups:
          - name: finance
            owner: {name: Fin}
        exposures:
          - name: weekly_report
            type: dashboard
            owner: {name: Ann, email: ann@example.com}
            depends_on: ["ref('orders')", "ref('dim_v2')"]
        semantic_models:
          - name: orders_sm
            model: ref('orders')
            entities: [{name: order, type: primary, expr: id}]
        metrics:
          - name: order_count
            label: Orders
            type: simple
            type_params: {measure: orders}
        saved_queries:
          - name: weekly
            query_params: {metrics: [order_count]}
    """,
}


def test_dbt_configs_and_yaml_resources_load_and_build(make_project, pyflow, warehouse):
    project = make_project(DBT_EXTRAS)

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT id FROM main.orders") == [(1,)]
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.proj.weekly_report"]
    assert exposure["depends_on"] == {"nodes": ["model.proj.orders", "model.proj.dim_v2"]}
    assert exposure["original_file_path"] == "models/props.yml"
    assert set(manifest["metrics"]) == {"metric.proj.order_count"}
    assert set(manifest["semantic_models"]) == {"semantic_model.proj.orders_sm"}
    assert set(manifest["saved_queries"]) == {"saved_query.proj.weekly"}
    orders = manifest["nodes"]["model.proj.orders"]["config"]
    assert orders["grants"] == {"select": ["reporter"]} and orders["persist_docs"] == {"relation": True}
    assert orders["contract"]["enforced"] is True
    assert (orders["access"], orders["group"]) == ("public", "finance")
    # each version's properties describe the model <name>_v<v>
    dim_v1 = manifest["nodes"]["model.proj.dim_v1"]["columns"]
    assert dim_v1["id"]["description"] == "the key" and dim_v1["old"]["description"] == "gone in v2"


def test_debug_lists_configs_and_resources_kept_but_not_applied_once(make_project, pyflow):
    project = make_project(DBT_EXTRAS)

    result = pyflow("debug", "--project-dir", project)

    lines = [line for line in result.output.splitlines() if "accepted, not applied by pyflow" in line]
    assert lines == [
        "  accepted, not applied by pyflow: +grants (3), +persist_docs (3), +access (1), +group (1), "
        "constraints (1), exposures (1), groups (1), metrics (1), saved_queries (1), "
        "semantic_models (1) (see docs/coming-from-dbt.md)"
    ]


# ---- contracts -----------------------------------------------------------------------------------
CONTRACT_PROPS = """
    models:
      - name: orders
        config:
          contract: {enforced: true}
        columns:
          - name: id
            data_type: integer
          - name: amount
            data_type: decimal(10, 2)
      - name: py_orders
        config:
          contract: {enforced: true}
        columns:
          - name: id
            data_type: integer
"""


def test_contract_that_holds_builds_sql_and_python_models(make_project, pyflow, warehouse):
    project = make_project(
        {
            "models/props.yml": CONTRACT_PROPS,
            "models/orders.sql": "{{ config(materialized='table') }}\nselect 1 as id, 2.50::decimal(10, 2) as amount\n",
            "models/py_orders.py": """
                import ibis
                from pyflow import model

                @model(materialized="table")
                def py_orders(orders: ibis.Table) -> ibis.Table:
                    return orders.select("id")
            """,
        }
    )

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT id FROM main.py_orders") == [(1,)]


def test_contract_broken_fails_the_model_before_its_table_is_touched(make_project, pyflow, warehouse):
    files = {
        "models/props.yml": CONTRACT_PROPS.split("      - name: py_orders")[0],
        "models/orders.sql": "{{ config(materialized='table') }}\nselect 1 as id, 2.50::decimal(10, 2) as amount\n",
    }
    project = make_project(files)
    pyflow("run", "--project-dir", project)
    (project / "models/orders.sql").write_text(
        "{{ config(materialized='table') }}\nselect 'x' as id, 3 as extra\n"
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert (
        "model 'orders' (models/orders.sql:1): the columns it returns do not match its enforced contract"
        in result.output
    )
    assert "amount                   decimal(10, 2)       (not returned)" in result.output
    assert "extra                    (not declared)       int32" in result.output
    assert "id                       integer              string" in result.output
    assert "[contract-violation]" in result.output
    assert warehouse(project).rows("SELECT id, amount FROM main.orders") == [(1, 2.5)]


def test_contract_needs_a_data_type_for_every_column(make_project, pyflow):
    project = make_project(
        {
            "models/props.yml": """
                models:
                  - name: a
                    config: {contract: {enforced: true}}
                    columns: [{name: id}]
            """,
            "models/a.sql": "select 1 as id\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "its contract is enforced but columns ['id'] have no data_type" in result.output


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


# ---- docs blocks -----------------------------------------------------------------------------------
def test_doc_blocks_render_into_descriptions(make_project, pyflow):
    project = make_project(
        {
            "models/docs.md": """
                # Shop docs
                {% docs orders_desc %}
                One row per **order**.
                {% enddocs %}

                {% docs id_desc %}The order key.{% enddocs %}
            """,
            "models/props.yml": """
                models:
                  - name: orders
                    description: "{{ doc('orders_desc') }}"
                    columns:
                      - name: id
                        description: 'Key: {{ doc("id_desc") }}'
            """,
            "models/orders.sql": "select 1 as id\n",
        }
    )

    pyflow("run", "--project-dir", project)

    node = json.loads((project / "target/manifest.json").read_text())["nodes"]["model.proj.orders"]
    assert node["description"] == "One row per **order**."
    assert node["columns"]["id"]["description"] == "Key: The order key."


def test_doc_naming_no_block_is_an_error_with_a_suggestion(make_project, pyflow):
    project = make_project(
        {
            "models/docs.md": "{% docs orders_desc %}Orders.{% enddocs %}\n",
            "models/props.yml": """
                models:
                  - name: orders
                    description: "{{ doc('order_desc') }}"
            """,
            "models/orders.sql": "select 1 as id\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "models/props.yml:3: doc('order_desc') names no docs block" in result.output
    assert "Did you mean 'orders_desc'?" in result.output and "[unknown-doc]" in result.output
