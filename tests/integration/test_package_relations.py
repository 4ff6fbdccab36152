"""Package macros that list relations through ``<database>.information_schema`` work on DuckDB.

``lister`` is a package written for this test with the shape of dbt_utils'
``get_relations_by_pattern``: a dispatched ``get_tables_by_pattern_sql`` reading
``{{ database }}.information_schema.tables`` in a ``statement`` block, and
``api.Relation.create`` for each row.
"""

from __future__ import annotations

LISTER = {
    "dbt_packages/lister/dbt_project.yml": "name: lister\n",
    "dbt_packages/lister/macros/relations.sql": """\
        {% macro get_tables_by_pattern_sql(schema_pattern, table_pattern, database=target.database) %}
          {{ return(adapter.dispatch('get_tables_by_pattern_sql', 'lister')(schema_pattern, table_pattern, database)) }}
        {% endmacro %}

        {% macro default__get_tables_by_pattern_sql(schema_pattern, table_pattern, database) %}
            select distinct table_schema, table_name
            from {{ database }}.information_schema.tables
            where table_schema ilike '{{ schema_pattern }}' and table_name ilike '{{ table_pattern }}'
            order by table_name
        {% endmacro %}

        {% macro get_relations_by_pattern(schema_pattern, table_pattern, database=target.database) %}
          {%- call statement('get_tables', fetch_result=True) %}
            {{ lister.get_tables_by_pattern_sql(schema_pattern, table_pattern, database) }}
          {%- endcall -%}
          {%- set table_list = load_result('get_tables') -%}
          {%- set relations = [] -%}
          {%- for row in table_list['table'] -%}
            {%- do relations.append(api.Relation.create(database=database, schema=row.table_schema, identifier=row.table_name)) -%}
          {%- endfor -%}
          {{ return(relations) }}
        {% endmacro %}
        """,
}


def test_package_macro_lists_relations_through_the_databases_information_schema(
    make_project, pyflow, warehouse
):
    project = make_project(
        {
            **LISTER,
            "seeds/raw_a.csv": "x\n1\n",
            "seeds/raw_b.csv": "x\n2\n",
            "models/unioned.sql": """\
                -- depends_on: {{ ref('raw_a') }}, {{ ref('raw_b') }}
                {%- set relations = lister.get_relations_by_pattern('main', 'raw_%') if execute else [] %}
                {%- for r in relations %}
                select '{{ r.identifier }}' as source, x from {{ r }}{% if not loop.last %} union all{% endif %}
                {%- else %}
                select 'none' as source, 0 as x
                {%- endfor %}
                """,
        }
    )
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select source, x from unioned order by source") == [
        ("raw_a", 1),
        ("raw_b", 2),
    ]


def test_information_schema_of_another_catalog_is_that_catalogs():
    from pyflow.adapters.duckdbcatalog import catalog_information_schema

    sql = catalog_information_schema(
        "select table_name from other.information_schema.tables t where t.table_schema = 'main'"
    )
    assert sql == (
        "SELECT table_name FROM (SELECT * FROM system.information_schema.tables WHERE table_catalog = 'other') AS t "
        "WHERE t.table_schema = 'main'"
    )
    assert (
        catalog_information_schema("select 1 from information_schema.tables")
        == "select 1 from information_schema.tables"
    )
