"""dbt's node configs and YAML resources on DuckDB: kept ones (grants, exposures ...), enforced
contracts, and docs blocks rendered into descriptions.

Each test writes a small project, runs the CLI in-process and reads the DuckDB file or
``target/manifest.json``.
"""

from __future__ import annotations

import json
from typing import Any


def _yml(**keys: Any) -> str:
    return json.dumps({"name": "proj", **keys})


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
    # a version's unique id is dbt's model.<project>.<model>.v<v>
    assert exposure["depends_on"] == {"nodes": ["model.proj.orders", "model.proj.dim.v2"]}
    assert exposure["original_file_path"] == "models/props.yml"
    assert set(manifest["metrics"]) == {"metric.proj.order_count"}
    assert set(manifest["semantic_models"]) == {"semantic_model.proj.orders_sm"}
    assert set(manifest["saved_queries"]) == {"saved_query.proj.weekly"}
    orders = manifest["nodes"]["model.proj.orders"]["config"]
    assert orders["grants"] == {"select": ["reporter"]} and orders["persist_docs"] == {"relation": True}
    assert orders["contract"]["enforced"] is True
    assert (orders["access"], orders["group"]) == ("public", "finance")
    # each version's properties describe the model <name>_v<v>
    dim_v1 = manifest["nodes"]["model.proj.dim.v1"]["columns"]
    assert dim_v1["id"]["description"] == "the key" and dim_v1["old"]["description"] == "gone in v2"


def test_debug_lists_configs_and_resources_kept_but_not_applied_once(make_project, pyflow):
    project = make_project(DBT_EXTRAS)

    result = pyflow("debug", "--project-dir", project)

    lines = [line for line in result.output.splitlines() if "accepted, not applied by pyflow" in line]
    assert lines == [
        "  accepted, not applied by pyflow: +access (1), +group (1), "
        "exposures (1), groups (1), metrics (1), saved_queries (1), "
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


def test_access_and_group_selector_methods(make_project, pyflow):
    project = make_project(DBT_EXTRAS)

    def ls(criterion: str) -> list[str]:
        out = pyflow("ls", "--project-dir", project, "-s", criterion, "--resource-type", "model").stdout
        return sorted(out.split())

    assert ls("access:public") == ["orders"]
    assert ls("access:protected") == ["dim_v1", "dim_v2"]  # dbt's default access of a model
    assert ls("access:private") == []
    assert ls("group:finance") == ["orders"]
    assert ls("group:finance+") == ["orders"]
    assert (
        "access level 'publik'"
        in pyflow("ls", "--project-dir", project, "-s", "access:publik", expect=1).output
    )
