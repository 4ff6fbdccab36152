"""Tests for pyflow.config.loader: models, seeds and sources from disk, and config layering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pyflow.config.loader import load_project

ProjectFactory = Callable[..., Path]

LAYERED = {
    "pyflow.yml": """
        name: shop
        models:
          shop:
            +materialized: table
            +tags: [nightly]
            +meta: {owner: data}
            marts:
              +schema: marts
              +tags: [marts]
    """,
    "models/marts/schema.yml": """
        models:
          - name: revenue
            description: Revenue per day.
            config:
              schema: finance
              tags: [finance, nightly]
              meta: {tier: 1}
          - name: orders
            config:
              materialized: view
    """,
    "models/marts/revenue.py": """
        from pyflow import model


        @model(tags=["pii"], alias="rev")
        def revenue():
            ...
    """,
    "models/marts/orders.sql": "{{ config(materialized='ephemeral', tags=['sql']) }}\nselect 1 as id\n",
    "models/staging/stg.sql": "select 1 as id\n",
}


def test_loader_config_layers_tree_then_properties_then_file(make_project: ProjectFactory) -> None:
    project = load_project(make_project(LAYERED))

    revenue = project.models["revenue"].config
    assert revenue.materialized == "table"  # tree
    assert revenue.schema_ == "finance"  # properties beat the tree
    assert revenue.alias == "rev"  # the file
    assert revenue.description == "Revenue per day."
    assert revenue.meta == {"owner": "data", "tier": 1}

    orders = project.models["orders"].config
    assert orders.materialized == "ephemeral"  # the file beats properties and tree
    assert orders.schema_ == "marts"

    stg = project.models["stg"].config
    assert (stg.materialized, stg.schema_, stg.tags) == ("table", None, ("nightly",))


def test_loader_tags_are_the_union_of_every_layer_in_order(make_project: ProjectFactory) -> None:
    project = load_project(make_project(LAYERED))

    assert project.models["revenue"].config.tags == ("nightly", "marts", "finance", "pii")
    assert project.models["orders"].config.tags == ("nightly", "marts", "sql")


def test_loader_python_model_node_records_file_line_refs_and_fqn(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: orders\n",
            "models/staging/stg_orders.py": """
                from pyflow import model


                @model
                def stg_orders(raw__orders, ctx):
                    \"\"\"Cleaned orders.\"\"\"
                    return raw__orders
            """,
        },
        name="shop",
    )

    project = load_project(root)

    node = project.models["stg_orders"]
    assert (node.path, node.line, node.language) == ("models/staging/stg_orders.py", 5, "python")
    assert [r.name for r in node.refs] == ["raw__orders"]  # ctx is not a dependency
    assert node.fqn == ("shop", "staging", "stg_orders")
    assert node.description == "Cleaned orders."
    assert node.unique_id == "model.shop.stg_orders"
    assert project.graph.parents[node.unique_id] == ["source.shop.raw.orders"]
    assert project.functions["stg_orders"].__name__ == "stg_orders"


def test_loader_skips_private_and_imported_functions(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "models/base.py": """
                from pyflow import model


                @model
                def base():
                    ...


                @model
                def _helper():
                    ...
            """,
            "models/child.py": """
                from pyflow import model
                from models.base import base


                @model
                def child(base):
                    return base
            """,
        }
    )

    project = load_project(root)

    assert sorted(project.models) == ["base", "child"]
    assert project.models["base"].path == "models/base.py"


def test_loader_sql_model_refs_sources_and_config(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "models/sources.yml": "sources:\n  - name: raw\n    schema: landing\n    tables:\n      - name: orders\n",
            "models/a.sql": "select 1 as id\n",
            "models/b.sql": "{{ config(materialized='table') }}\nselect * from {{ ref('a') }}\n"
            "join {{ source('raw', 'orders') }} using (id)\n",
        },
        name="shop",
    )

    project = load_project(root)

    b = project.models["b"]
    assert b.language == "sql"
    assert b.config.materialized == "table"
    assert [(r.kind, r.name, r.line) for r in b.refs] == [("ref", "a", 2), ("source", "raw", 3)]
    assert sorted(project.graph.parents[b.unique_id]) == ["model.shop.a", "source.shop.raw.orders"]
    assert project.sources[("raw", "orders")].schema == "landing"


def test_loader_disabled_model_is_left_out(make_project: ProjectFactory) -> None:
    root = make_project(
        {"models/a.sql": "{{ config(enabled=false) }}\nselect 1 as x\n", "models/b.sql": "select 1 as x\n"}
    )

    project = load_project(root)

    assert list(project.models) == ["b"]
    assert list(project.disabled) == ["a"]


def test_loader_seeds_take_config_from_tree_and_properties(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "pyflow.yml": "name: shop\nseeds:\n  shop:\n    +delimiter: ';'\n",
            "seeds/country_codes.csv": "code;name\nDE;Germany\n",
            "seeds/schema.yml": "seeds:\n  - name: country_codes\n    config:\n      column_types: {code: varchar}\n",
        }
    )

    project = load_project(root)

    seed = project.seeds["country_codes"]
    assert seed.path == "seeds/country_codes.csv"
    assert seed.config.delimiter == ";"
    assert seed.config.column_types == {"code": "varchar"}
    assert seed.unique_id == "seed.shop.country_codes"


def test_loader_source_external_location_fills_in_the_table_name(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "models/sources.yml": """
                sources:
                  - name: files
                    external_location: "data/{name}.parquet"
                    tags: [lake]
                    tables:
                      - name: events
                        tags: [big]
                      - name: users
                        identifier: people
            """
        }
    )

    project = load_project(root)

    events = project.sources[("files", "events")]
    users = project.sources[("files", "users")]
    assert events.external_location == "data/events.parquet"
    assert users.external_location == "data/people.parquet"
    assert events.tags == ("lake", "big")
    assert (events.path, events.line) == ("models/sources.yml", 6)
    assert events.schema == "files"


def test_loader_vars_override_project_vars(make_project: ProjectFactory) -> None:
    root = make_project({"pyflow.yml": "name: shop\nvars:\n  a: 1\n  b: 2\n"})

    project = load_project(root, vars={"b": 3})

    assert project.vars == {"a": 1, "b": 3}


def test_loader_snapshot_properties_attach_docs_and_tests(make_project: ProjectFactory) -> None:
    project = load_project(
        make_project(
            {
                "seeds/raw.csv": "id,updated_at\n1,2024-01-01\n",
                "snapshots/snap.sql": """
                    {% snapshot raw_snap %}
                    {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
                    select * from {{ ref('raw') }}
                    {% endsnapshot %}
                """,
                "models/schema.yml": """
                    snapshots:
                      - name: raw_snap
                        description: History of raw.
                        columns:
                          - name: id
                            data_tests: [not_null]
                """,
            }
        )
    )
    assert project.snapshots["raw_snap"].description == "History of raw."
    assert [t.test_name for t in project.tests.values()] == ["not_null"]
    assert project.graph.parents[next(iter(project.tests.values())).unique_id] == ["snapshot.proj.raw_snap"]
