"""The Jinja surface real dbt projects use, built end to end on DuckDB.

``adapter.dispatch`` (``duckdb__`` / ``default__`` and dbt_project.yml's ``dispatch:``),
``run_query`` / ``statement`` / ``load_result`` / ``execute``, ``adapter.get_relation`` /
``get_columns_in_relation``, ``invocation_id``, ``doc()``, dbt's helper names and the ``dbt.``
cross-database macros: each model's rows are read back from the DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

PROFILES = """
    proj:
      target: local
      outputs:
        local:
          type: duckdb
          path: pyflow.duckdb
"""

DBT_PROJECT = """
name: proj
profile: proj
dispatch:
  - macro_namespace: my_utils
    search_order: [proj]
"""

ORDERS = "id,status,amount\n1,paid,10\n2,paid,20\n3,open,5\n"


def _columns(db, table: str) -> list[str]:
    rows = db.rows(
        f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' "
        "ORDER BY ordinal_position"
    )
    return [name for (name,) in rows]


@pytest.fixture
def dbt_project(make_project, monkeypatch):
    """``dbt_project(files)``: a dbt project (dbt_project.yml, no pyflow.yml) with an orders seed."""

    def make(files: dict[str, str]) -> object:
        project = make_project(
            {"profiles.yml": PROFILES, "dbt_project.yml": DBT_PROJECT, "seeds/orders.csv": ORDERS, **files}
        )
        (project / "pyflow.yml").unlink()
        monkeypatch.setenv("DBT_PROFILES_DIR", str(project))
        return project

    return make


DISPATCH_MACROS = """
    {% macro cents(col) %}{{ return(adapter.dispatch('cents', 'my_utils')(col)) }}{% endmacro %}
    {% macro default__cents(col) %}({{ col }} * 100){% endmacro %}
    {% macro duckdb__cents(col) %}({{ col }} * 100 + 1){% endmacro %}

    {% macro label(col) %}{{ return(adapter.dispatch('label', 'my_utils')(col)) }}{% endmacro %}
    {% macro default__label(col) %}upper({{ col }}){% endmacro %}
    {% macro trino__label(col) %}lower({{ col }}){% endmacro %}

    {% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) %}
      (CAST({{ from_date_or_timestamp }} AS DATE) + 1000)
    {% endmacro %}
"""


def test_dispatch_picks_the_adapter_macro_then_default(dbt_project, pyflow, warehouse):
    project = dbt_project(
        {
            "macros/dispatch.sql": DISPATCH_MACROS,
            "models/dispatched.sql": """
                select id, {{ cents('amount') }} as cents, {{ label('status') }} as label,
                    {{ dbt.dateadd('day', 1, "DATE '2024-01-01'") }} as overridden
                from {{ ref('orders') }}
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM dispatched ORDER BY id") == [
        # duckdb__cents wins over default__cents; label has no duckdb__, so default__label;
        # the project's duckdb__dateadd is found before dbt's own (root project first)
        (1, 1001, "PAID", dt.date(2026, 9, 27)),
        (2, 2001, "PAID", dt.date(2026, 9, 27)),
        (3, 501, "OPEN", dt.date(2026, 9, 27)),
    ]


def test_dispatch_of_an_unknown_macro_lists_what_was_searched(dbt_project, pyflow):
    project = dbt_project(
        {
            "macros/m.sql": "{% macro m() %}{{ return(adapter.dispatch('nope', 'my_utils')()) }}{% endmacro %}",
            "models/broken.sql": "select {{ m() }} as x",
        }
    )

    result = pyflow("build", "--project-dir", project, expect=1)

    assert "adapter.dispatch('nope', 'my_utils') found no macro for adapter 'duckdb'" in result.output
    assert "searched proj.duckdb__nope, proj.default__nope" in result.output
    assert "[dispatch-not-found]" in result.output
    assert "broken" in result.output


RUN_QUERY_MODEL = """
    {% set statuses_query %}select distinct status from {{ ref('orders') }} order by 1{% endset %}
    {% set results = run_query(statuses_query) %}
    {% if execute %}
      {% set statuses = results.columns[0].values() %}
      {% set total = run_query('select sum(amount) from ' ~ ref('orders'))[0][0] %}
      {% set pairs = [] %}
      {% for row in run_query('select id, status from ' ~ ref('orders') ~ ' order by id') %}
        {% do pairs.append(row['status'] ~ row[0]) %}
      {% endfor %}
    {% else %}
      {% if results is not none %}{{ exceptions.raise_compiler_error('run_query ran while parsing') }}{% endif %}
      {% set statuses = [] %}{% set total = 0 %}{% set pairs = [] %}
    {% endif %}
    select
      {% for s in statuses %}sum(case when status = '{{ s }}' then amount else 0 end) as {{ s }}_amount,{% endfor %}
      {{ total }} as total,
      '{{ pairs | join(",") }}' as pairs
    from {{ ref('orders') }}
"""


def test_run_query_builds_a_column_list_from_the_data(dbt_project, pyflow, warehouse):
    project = dbt_project({"models/by_status.sql": RUN_QUERY_MODEL})

    pyflow("build", "--project-dir", project)
    assert _columns(warehouse(project), "by_status") == ["open_amount", "paid_amount", "total", "pairs"]
    assert warehouse(project).rows("SELECT * FROM by_status") == [(5, 30, 35, "paid1,paid2,open3")]

    # the query runs again on the next build (the compiled SQL is not cached)
    (project / "seeds" / "orders.csv").write_text(ORDERS + "4,void,7\n", encoding="utf-8")
    pyflow("build", "--project-dir", project)
    assert _columns(warehouse(project), "by_status") == [
        "open_amount",
        "paid_amount",
        "void_amount",
        "total",
        "pairs",
    ]
    assert warehouse(project).rows("SELECT * FROM by_status") == [(5, 30, 7, 42, "paid1,paid2,open3,void4")]


def test_statement_and_load_result(dbt_project, pyflow, warehouse):
    project = dbt_project(
        {
            "models/stats.sql": """
                {% call statement('biggest', fetch_result=True) %}
                  select max(amount) as biggest, count(*) as n from {{ ref('orders') }}
                {% endcall %}
                {% set result = load_result('biggest') %}
                {% if execute %}
                  {% set biggest = result['data'][0][0] %}
                  {% set n = result['table'].columns['n'].values()[0] %}
                  {% set names = result['table'].column_names | join('/') %}
                {% else %}
                  {% set biggest, n, names = 0, 0, '' %}
                {% endif %}
                select {{ biggest }} as biggest, {{ n }} as n, '{{ names }}' as names,
                  {{ execute }} as executed
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM stats") == [(20, 3, "biggest/n", True)]


def test_get_relation_and_get_columns_in_relation(dbt_project, pyflow, warehouse):
    project = dbt_project(
        {
            "models/catalog.sql": """
                {% set cols = adapter.get_columns_in_relation(ref('orders')) %}
                {% set found = adapter.get_relation(this.database, this.schema, 'orders') %}
                {% set missing = adapter.get_relation(this.database, this.schema, 'no_such_table') %}
                select
                  '{{ cols | map(attribute='name') | join(',') }}' as names,
                  '{{ cols | map(attribute='data_type') | join(',') }}' as types,
                  '{{ found.identifier if found else '' }}' as found,
                  {{ missing is none }} as missing_is_none,
                  '{{ this.schema }}.{{ this.identifier }}' as this_name
            """,
        }
    )

    pyflow("build", "--project-dir", project)
    # orders is a seed of whole numbers: INTEGER, as dbt-duckdb types it

    assert warehouse(project).rows("SELECT * FROM catalog") == [
        ("id,status,amount", "INTEGER,VARCHAR,INTEGER", "orders", True, "main.catalog")
    ]


def test_invocation_id_doc_and_helper_names(dbt_project, pyflow, warehouse, run_results):
    project = dbt_project(
        {
            "models/docs.md": """
                {% docs orders_doc %}
                One row per order.
                {% enddocs %}
            """,
            "models/helpers.sql": """
                {% set parsed = fromjson('{"a": [1, 2]}') %}
                {% set pairs = [] %}
                {% for x, y in zip([1, 2], ['a', 'b']) %}{% do pairs.append(x ~ y) %}{% endfor %}
                {{ print('printing from a model') }}
                {{ exceptions.warn('a warning from a model') }}
                select
                  '{{ invocation_id }}' as invocation_id,
                  '{{ doc("orders_doc") }}' as doc,
                  {{ parsed['a'] | sum }} as json_sum,
                  '{{ tojson({"k": 1}) }}' as json_text,
                  {{ fromyaml('x: 3')['x'] }} as yaml_x,
                  '{{ toyaml({"y": 4}) | trim }}' as yaml_text,
                  '{{ pairs | join(",") }}' as zipped,
                  {{ set([1, 1, 2]) | length }} as n_distinct,
                  '{{ local_md5("pyflow") }}' as md5,
                  '{{ project_name }}' as project,
                  '{{ dbt_version }}' as dbt_version,
                  {{ graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | list | length }}
                    as n_models,
                  '{{ modules.itertools.chain([1], [2]) | join("") }}' as chained,
                  '{{ modules.datetime.date(2024, 1, 2).isoformat() }}' as a_date
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    ((row),) = warehouse(project).rows("SELECT * FROM helpers")
    invocation = json.loads((project / "target" / "run_results.json").read_text())["metadata"]
    assert row == (
        invocation["invocation_id"],
        "One row per order.",
        3,
        '{"k": 1}',
        3,
        "y: 4",
        "1a,2b",
        2,
        hashlib.md5(b"pyflow").hexdigest(),
        "proj",
        "1.11.0",
        1,
        "12",
        "2024-01-02",
    )
    log = (project / "logs" / "pyflow.log").read_text()
    assert "printing from a model" in log
    assert "a warning from a model" in log


def test_raise_compiler_error_fails_the_model_with_its_message(dbt_project, pyflow):
    project = dbt_project(
        {"models/guarded.sql": "{{ exceptions.raise_compiler_error('orders must not be empty') }} select 1"}
    )

    result = pyflow("build", "--project-dir", project, expect=1)

    assert "orders must not be empty" in result.output
    assert "models/guarded.sql" in result.output
    assert "[raised-compiler-error]" in result.output


def test_doc_of_an_unknown_block_suggests_the_known_ones(dbt_project, pyflow):
    project = dbt_project(
        {
            "models/docs.md": "{% docs orders_doc %}x{% enddocs %}",
            "models/m.sql": "select '{{ doc(\"order_doc\") }}' as d",
        }
    )

    result = pyflow("build", "--project-dir", project, expect=1)

    assert "doc('order_doc') names no docs block" in result.output
    assert "orders_doc" in result.output
    assert "[unknown-doc]" in result.output


def test_custom_generic_test_uses_the_dbt_namespace_and_run_query(dbt_project, pyflow):
    project = dbt_project(
        {
            "tests/generic/amount_above.sql": """
                {% test amount_above(model, column_name, limit) %}
                  {% set n = run_query('select count(*) from ' ~ model)[0][0] if execute else 0 %}
                  select * from {{ model }}
                  where {{ column_name }} > {{ dbt.safe_cast(limit, dbt.type_int()) }} and {{ n }} = 3
                {% endtest %}
            """,
            "seeds/properties.yml": """
                seeds:
                  - name: orders
                    columns:
                      - name: amount
                        data_tests:
                          - amount_above:
                              arguments: {limit: "15"}
                              config: {severity: warn}
            """,
        }
    )

    result = pyflow("build", "--project-dir", project)

    assert "WARN=1" in result.output  # the order of 20 is above 15


def test_doc_in_a_yaml_description_renders_the_docs_block(dbt_project, pyflow, manifest):
    project = dbt_project(
        {
            "models/docs.md": "{% docs paid_orders %}Orders that were paid.{% enddocs %}",
            "models/paid.sql": "select * from {{ ref('orders') }} where status = 'paid'",
            "models/properties.yml": """
                models:
                  - name: paid
                    description: "{{ doc('paid_orders') }}"
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    assert manifest(project)["nodes"]["model.proj.paid"]["description"] == "Orders that were paid."


MODEL_CONTEXT_MACROS = """
    {% macro owner_label() %}'{{ model.name }} by {{ model.meta.get("owner", "nobody") }}'{% endmacro %}
"""
MODEL_CONTEXT_SQL = """
    {{ config(materialized='table', tags=['finance'], meta={'owner': 'ana'}) }}
    select
      '{{ model.name }}' as name,
      '{{ model.unique_id }}' as uid,
      '{{ model.config.materialized }}' as mat,
      '{{ model.tags | join(",") }}' as tags,
      '{{ model.resource_type }}' as kind,
      {{ owner_label() }} as label
    from {{ ref('orders') }}
    limit 1
"""


def test_model_context_names_the_model_being_built(dbt_project, pyflow, warehouse):
    # dbt's `model`: packages and project macros read model.name, model.config, model.meta ...
    project = dbt_project({"models/report.sql": MODEL_CONTEXT_SQL, "macros/owner.sql": MODEL_CONTEXT_MACROS})

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM report") == [
        ("report", "model.proj.report", "table", "finance", "model", "report by ana")
    ]


NATIVE_FILTERS_PROJECT = """
name: proj
profile: proj
vars:
  use_extra: false
  factor: "3"
models:
  proj:
    extra:
      +enabled: "{{ var('use_extra') | as_bool }}"
"""


def test_dbts_native_filters_in_config_values_and_sql(dbt_project, pyflow, warehouse):
    # `+enabled: "{{ var('x') | as_bool }}"` is how dbt projects and packages switch models on
    project = dbt_project(
        {
            "models/extra/extra_report.sql": "select 1 as id",
            "models/scaled.sql": "select {{ var('factor') | as_number }} * 2 as n, "
            "'{{ var('factor') | as_text }}' as t, '{{ 'true' | as_bool }}' as b, "
            "'{{ [1] | as_native }}' as l",
        }
    )
    (project / "dbt_project.yml").write_text(NATIVE_FILTERS_PROJECT, encoding="utf-8")

    listed = pyflow("ls", "--project-dir", project, "--resource-type", "model").stdout.split()
    enabled = pyflow(
        "ls", "--project-dir", project, "--resource-type", "model", "--vars", "{use_extra: true}"
    ).stdout.split()
    pyflow("run", "--project-dir", project, "-s", "scaled")

    assert listed == ["scaled"]
    assert sorted(enabled) == ["extra_report", "scaled"]
    assert warehouse(project).rows("SELECT * FROM scaled") == [(6, "3", "true", "[1]")]


def test_as_bool_of_a_non_boolean_in_a_config_value_names_the_file(dbt_project, pyflow):
    project = dbt_project({"models/extra/extra_report.sql": "select 1 as id"})
    (project / "dbt_project.yml").write_text(
        NATIVE_FILTERS_PROJECT.replace("use_extra: false", "use_extra: maybe"), encoding="utf-8"
    )

    out = pyflow("ls", "--project-dir", project, expect=1).output

    assert "dbt_project.yml" in out
    assert "'maybe' is not a boolean" in out


CONFIG_GET_MACROS = """
    {% macro mat_label() %}'{{ config.get("materialized") }}'{% endmacro %}
"""
CONFIG_GET_SQL = """
    {{ config(materialized='table', meta={'owner': 'ana'}) }}
    select
      {{ mat_label() }} as mat,
      '{{ config.get("meta")["owner"] }}' as owner,
      '{{ config.get("not_a_key", "fallback") }}' as fallback,
      '{{ config.require("materialized") }}' as required
    {% if config.get("materialized") == "table" %}, 'built as a table' as note{% endif %}
"""


def test_config_get_and_require_read_the_models_config(dbt_project, pyflow, warehouse):
    project = dbt_project({"models/configured.sql": CONFIG_GET_SQL, "macros/mat.sql": CONFIG_GET_MACROS})

    pyflow("run", "--project-dir", project, "-s", "configured")

    assert warehouse(project).rows("SELECT * FROM configured") == [
        ("table", "ana", "fallback", "table", "built as a table")
    ]


def test_config_require_of_a_missing_key_names_the_model(dbt_project, pyflow):
    project = dbt_project({"models/needs.sql": "select '{{ config.require(\"partition_key\") }}' as k"})

    out = pyflow("compile", "--project-dir", project, "-s", "needs", expect=1).output

    assert "model 'needs' (models/needs.sql" in out
    assert "config 'partition_key' is required" in out


COLUMN_API_SQL = """
    select
      cast('5' as {{ api.Column.translate_type('integer') }}) as n,
      '{{ api.Column.translate_type('string') }}' as s,
      '{{ api.Column.create('amount', 'float').data_type }}' as created,
      '{{ api.Column.create('amount', 'float').name }}' as created_name,
      '{{ api.Column.string_type(10) }}' as sized,
      '{{ api.Column.numeric_type('decimal', 18, 2) }}' as num
"""


def test_api_column_translates_dbt_type_labels(dbt_project, pyflow, warehouse):
    project = dbt_project({"models/typed.sql": COLUMN_API_SQL})

    pyflow("run", "--project-dir", project, "-s", "typed")

    assert warehouse(project).rows("SELECT * FROM typed") == [
        (5, "TEXT", "FLOAT", "amount", "character varying(10)", "decimal(18,2)")
    ]


def test_target_has_dbts_profile_name_threads_and_dbname(dbt_project, pyflow, warehouse):
    sql = "select '{{ target.profile_name }}' as p, {{ target.threads }} as t, '{{ target.dbname }}' as d"
    project = dbt_project({"models/where_am_i.sql": sql})

    pyflow("run", "--project-dir", project, "-s", "where_am_i", "--threads", "2")

    assert warehouse(project).rows("SELECT * FROM where_am_i") == [("proj", 4, "pyflow")]


FLAGS_SQL = """
    {{ config(materialized='table') }}
    select '{{ flags.WHICH }}' as which, {{ flags.FULL_REFRESH }} as full_refresh,
           {{ should_full_refresh() }} as should
"""
PINNED_SQL = """
    {{ config(materialized='table', full_refresh=false) }}
    select {{ should_full_refresh() }} as should
"""


def test_flags_and_should_full_refresh_follow_the_invocation(dbt_project, pyflow, warehouse):
    project = dbt_project({"models/flagged.sql": FLAGS_SQL, "models/pinned.sql": PINNED_SQL})

    compiled = pyflow("compile", "--project-dir", project, "-q", "-s", "flagged").stdout
    pyflow("run", "--project-dir", project, "-s", "flagged", "pinned")
    ran = warehouse(project).rows("SELECT * FROM flagged") + warehouse(project).rows("SELECT * FROM pinned")
    pyflow("build", "--project-dir", project, "-s", "flagged", "pinned", "--full-refresh")
    rebuilt = warehouse(project).rows("SELECT * FROM flagged") + warehouse(project).rows("SELECT * FROM pinned")

    assert "'compile' as which, False as full_refresh" in compiled
    assert ran == [("run", False, False), (False,)]
    assert rebuilt == [("build", True, True), (False,)]  # the model's full_refresh: false wins


def test_hooks_see_flags(make_project, pyflow, warehouse):
    hook = "create or replace table main.hook_flags as select '{{ flags.WHICH }}' as which"
    project = make_project({"models/m.sql": f'{{{{ config(post_hook="{hook}") }}}}\nselect 1 as id'})

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM main.hook_flags") == [("build",)]


def test_a_model_reading_flags_renders_every_time_and_one_naming_a_column_flags_does_not(dbt_project, pyflow):
    project = dbt_project(
        {"models/flagged.sql": FLAGS_SQL, "models/plain.sql": "select 1 as feature_flags, 'run_started_at_x' as c"}
    )
    pyflow("compile", "--project-dir", project)

    again = pyflow("compile", "--project-dir", project).stdout

    assert "Compiled 2 model(s) (1 unchanged)" in again  # flagged renders again, plain is cached


def test_set_sql_header_says_to_use_a_pre_hook(dbt_project, pyflow):
    sql = "{% call set_sql_header(config) %}set timezone = 'UTC';{% endcall %}\nselect 1 as id"
    project = dbt_project({"models/headed.sql": sql})

    out = pyflow("compile", "--project-dir", project, "-s", "headed", expect=1).output

    assert "model 'headed' (models/headed.sql:1)" in out
    assert "set_sql_header is not supported" in out
    assert "pre_hook" in out
