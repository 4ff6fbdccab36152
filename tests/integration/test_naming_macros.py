"""Projects that override dbt's naming macros build their relations where dbt would."""

from __future__ import annotations

import json

# dbt's common override: a custom schema is used as is, instead of appended to the target's
GENERATE_SCHEMA_NAME = """\
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
"""

PROJECT_YML = """\
name: proj
models:
  proj:
    marts:
      +schema: marts
seeds:
  proj:
    +schema: raw
"""

FILES = {
    "macros/generate_schema_name.sql": GENERATE_SCHEMA_NAME,
    "seeds/customers.csv": "id,name\n1,alice\n2,bob\n",
    "models/staging/stg_customers.sql": "select * from {{ ref('customers') }}",
    "models/marts/dim_customers.sql": (
        "{{ config(materialized='table') }}\n"
        "select *, '{{ this }}' as built_as from {{ ref('stg_customers') }}"
    ),
    "models/marts/customer_count.py": (
        "from pyflow import model\n\n"
        "@model(materialized='table', schema='reporting')\n"
        "def customer_count(dim_customers):\n"
        "    return dim_customers.aggregate(n=dim_customers.id.count())\n"
    ),
    "snapshots/customers_snapshot.sql": (
        "{% snapshot customers_snapshot %}\n"
        "{{ config(unique_key='id', strategy='check', check_cols='all', schema='snapshots') }}\n"
        "select * from {{ ref('customers') }}\n"
        "{% endsnapshot %}\n"
    ),
}


def test_generate_schema_name_override_decides_where_every_relation_lands(make_project, pyflow, warehouse):
    project = make_project(FILES, project_yml=PROJECT_YML)

    pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.relations() == {
        "raw.customers": "BASE TABLE",
        "main.stg_customers": "VIEW",  # no custom schema: the target's
        "marts.dim_customers": "BASE TABLE",
        "reporting.customer_count": "BASE TABLE",
        "snapshots.customers_snapshot": "BASE TABLE",
    }
    # `this` and ref() follow the macro too
    assert db.rows("SELECT DISTINCT built_as FROM marts.dim_customers") == [
        ('"pyflow"."marts"."dim_customers"',)
    ]
    assert db.rows("SELECT n FROM reporting.customer_count") == [(2,)]
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert (
        manifest["nodes"]["model.proj.dim_customers"]["relation_name"] == '"pyflow"."marts"."dim_customers"'
    )
    assert manifest["nodes"]["seed.proj.customers"]["relation_name"] == '"pyflow"."raw"."customers"'


GENERATE_ALIAS_NAME = """\
{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}{{ custom_alias_name | trim }}
    {%- elif node.resource_type == 'seed' -%}seed_{{ node.name }}
    {%- else -%}{{ node.fqn[1] }}_{{ node.name }}_{{ node.config.materialized }}_{{ node.path | replace('/', '_') | replace('.', '_') }}
    {%- endif -%}
{%- endmacro %}
"""


def test_generate_alias_name_sees_dbts_node_fields(make_project, pyflow, warehouse):
    files = {
        "macros/naming.sql": GENERATE_ALIAS_NAME
        # delegating to dbt's default keeps `<target>_<custom>`
        + "{% macro generate_schema_name(custom_schema_name, node) %}"
        "{{ default__generate_schema_name(custom_schema_name, node) }}{% endmacro %}\n",
        "seeds/customers.csv": "id,name\n1,alice\n",
        "models/staging/stg.sql": "select * from {{ ref('customers') }}",
        "models/marts/named.sql": "{{ config(alias='customers_final', schema='marts') }}select * from {{ ref('stg') }}",
    }
    project = make_project(files)

    pyflow("build", "--project-dir", project)

    assert warehouse(project).relations() == {
        "main.seed_customers": "BASE TABLE",
        "main.staging_stg_view_staging_stg_sql": "VIEW",
        "main_marts.customers_final": "VIEW",
    }


def test_generate_schema_name_for_env_is_dbts_builtin(make_project, pyflow, warehouse):
    files = {
        "macros/generate_schema_name.sql": "{% macro generate_schema_name(custom_schema_name, node) %}"
        "{{ generate_schema_name_for_env(custom_schema_name, node) }}{% endmacro %}\n",
        "models/a.sql": "{{ config(schema='marts') }}select 1 as x",
    }
    project = make_project(files)

    pyflow("run", "--project-dir", project)

    assert warehouse(project).relations() == {"main.a": "VIEW"}  # outside target 'prod': the target's


def test_a_naming_macro_that_fails_names_the_macro_file_and_the_node(make_project, pyflow, warehouse):
    files = {
        "macros/generate_schema_name.sql": "{% macro generate_schema_name(custom_schema_name, node) %}"
        "{{ custom_schema_name.upper() }}{% endmacro %}\n",
        "models/a.sql": "select 1 as x",
    }
    project = make_project(files)

    result = pyflow("run", "--project-dir", project, expect=1)

    out = " ".join(result.output.split())
    assert "macro 'generate_schema_name' failed for model 'a'" in out
    assert "(macros/generate_schema_name.sql:1)" in out
    assert "[naming-macro]" in out


def test_a_naming_macro_that_renders_nothing_is_an_error(make_project, pyflow):
    files = {
        "macros/generate_alias_name.sql": "{% macro generate_alias_name(custom_alias_name=none, node=none) %}"
        "{{ custom_alias_name or '' }}{% endmacro %}\n",
        "models/a.sql": "select 1 as x",
    }
    project = make_project(files)

    result = pyflow("run", "--project-dir", project, expect=1)

    out = " ".join(result.output.split())
    assert "macro 'generate_alias_name' rendered an empty name for model 'a' (called with None)" in out
    assert "macros/generate_alias_name.sql" in out
