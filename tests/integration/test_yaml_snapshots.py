"""Snapshots defined in YAML (dbt 1.9+): ``snapshots:`` entries with a ``relation``.

Each builds the table a ``{% snapshot %}`` block selecting ``select * from {{ relation }}``
builds, with the config of ``dbt_project.yml``'s ``snapshots:`` tree and dbt's meta column names.
"""

from __future__ import annotations

import json

import pytest

from pyflow.config.loader import load_project
from pyflow.errors import ErrorGroup, PyflowError

PROFILE = "proj:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: pyflow.duckdb}\n"
SEED_V1 = "id,status,updated_at\n1,new,2024-01-01 00:00:00\n2,new,2024-01-01 00:00:00\n"
SEED_V2 = "id,status,updated_at\n1,shipped,2024-01-02 00:00:00\n2,new,2024-01-01 00:00:00\n"
SNAPSHOT_YML = """\
sources:
  - name: shop
    schema: main
    tables:
      - name: raw_orders
snapshots:
  - name: orders_snapshot
    relation: source('shop', 'raw_orders')
    description: Orders over time
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
    columns:
      - name: id
        data_tests: [not_null, unique]
"""


def _dbt_project(make_project, files):
    project = make_project(
        {"dbt_project.yml": "name: proj\nprofile: proj\n", "profiles.yml": PROFILE, **files}
    )
    (project / "pyflow.yml").unlink()  # a dbt project: dbt_project.yml alone
    return project


def _history(db, table):
    return db.rows(
        f"select id, status, updated_at::varchar, dbt_valid_from::varchar, dbt_valid_to::varchar "
        f"from {table} order by id, dbt_valid_from"
    )


def test_yaml_snapshot_tracks_changes_across_two_runs(make_project, pyflow, warehouse):
    project = _dbt_project(
        make_project, {"seeds/raw_orders.csv": SEED_V1, "snapshots/orders.yml": SNAPSHOT_YML}
    )
    pyflow("seed", "--project-dir", project)
    pyflow("snapshot", "--project-dir", project)
    (project / "seeds/raw_orders.csv").write_text(SEED_V2)
    pyflow("seed", "--project-dir", project)
    pyflow("snapshot", "--project-dir", project)
    assert _history(warehouse(project), "orders_snapshot") == [
        (1, "new", "2024-01-01 00:00:00", "2024-01-01 00:00:00", "2024-01-02 00:00:00"),
        (1, "shipped", "2024-01-02 00:00:00", "2024-01-02 00:00:00", None),
        (2, "new", "2024-01-01 00:00:00", "2024-01-01 00:00:00", None),
    ]


def test_yaml_snapshot_is_a_node_with_dbts_id_config_tree_tests_and_dependency(make_project, pyflow):
    project = _dbt_project(
        make_project,
        {
            "dbt_project.yml": "name: proj\nprofile: proj\nsnapshots:\n  proj:\n    +schema: snaps\n    +tags: [hist]\n",
            "seeds/raw_orders.csv": SEED_V1,
            "models/stg_orders.sql": "select * from {{ ref('raw_orders') }}",
            "models/snaps.yml": ("snapshots:\n" + SNAPSHOT_YML.split("snapshots:\n", 1)[1]).replace(
                "source('shop', 'raw_orders')", 'ref("stg_orders")'
            ),
        },
    )
    loaded = load_project(project)
    node = loaded.snapshots["orders_snapshot"]
    assert (node.path, node.line, node.description) == ("models/snaps.yml", 2, "Orders over time")
    assert [(r.name, r.kind, r.line) for r in node.refs] == [("stg_orders", "ref", 3)]
    assert (node.config.schema_, node.config.tags) == ("snaps", ("hist",))
    assert sorted(t for t in loaded.tests if "orders_snapshot" in t) == [
        "not_null_orders_snapshot_id",
        "unique_orders_snapshot_id",
    ]
    pyflow("build", "--project-dir", project)
    manifest = json.loads((project / "target/manifest.json").read_text())
    snap = manifest["nodes"]["snapshot.proj.orders_snapshot"]
    assert snap["depends_on"]["nodes"] == ["model.proj.stg_orders"]
    assert snap["original_file_path"] == "models/snaps.yml"


def test_yaml_snapshot_builds_the_same_table_as_a_snapshot_block(make_project, pyflow, warehouse):
    block = """\
{% snapshot orders_snapshot %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select * from {{ source('shop', 'raw_orders') }}
{% endsnapshot %}
"""
    sources = SNAPSHOT_YML.split("snapshots:\n", 1)[0]
    as_yaml = _dbt_project(make_project, {"seeds/raw_orders.csv": SEED_V1, "snapshots/o.yml": SNAPSHOT_YML})
    as_block = _dbt_project(
        make_project,
        {"seeds/raw_orders.csv": SEED_V1, "snapshots/s.yml": sources, "snapshots/o.sql": block},
    )
    tables = []
    for project in (as_yaml, as_block):
        pyflow("seed", "--project-dir", project)
        pyflow("snapshot", "--project-dir", project)
        (project / "seeds/raw_orders.csv").write_text(SEED_V2)
        pyflow("seed", "--project-dir", project)
        pyflow("snapshot", "--project-dir", project)
        db = warehouse(project)
        columns = db.rows(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'orders_snapshot' order by ordinal_position"
        )
        tables.append((columns, db.rows("select * from orders_snapshot order by id, dbt_valid_from")))
    assert tables[0] == tables[1]
    assert len(tables[0][1]) == 3


def _load_errors(project) -> list[PyflowError]:
    with pytest.raises(PyflowError) as info:
        load_project(project)
    err = info.value
    return list(err.errors) if isinstance(err, ErrorGroup) else [err]


@pytest.mark.parametrize(
    ("relation", "code", "fragment"),
    [
        ("orders", "invalid-snapshot-relation", "not a ref() or source() call"),
        ("ref(orders)", "invalid-snapshot-relation", "not a ref() or source() call"),
        ("source('shop', 'raw_order')", None, "raw_orders"),
        ("ref('raw_order')", None, "raw_orders"),
    ],
)
def test_yaml_snapshot_with_a_bad_relation_is_an_error_at_its_line(make_project, relation, code, fragment):
    yml = SNAPSHOT_YML.replace("source('shop', 'raw_orders')", relation)
    project = _dbt_project(make_project, {"seeds/raw_orders.csv": SEED_V1, "snapshots/o.yml": yml})
    errors = _load_errors(project)
    assert len(errors) == 1
    err = errors[0]
    assert (err.path, err.line) == ("snapshots/o.yml", 8)
    assert fragment in str(err)
    if code is not None:
        assert err.code == code


def test_yaml_snapshot_without_a_relation_value_is_an_error(make_project):
    yml = SNAPSHOT_YML.replace("source('shop', 'raw_orders')", "")
    project = _dbt_project(make_project, {"seeds/raw_orders.csv": SEED_V1, "snapshots/o.yml": yml})
    [err] = _load_errors(project)
    assert (err.code, err.path, err.line) == ("invalid-snapshot-relation", "snapshots/o.yml", 8)


@pytest.mark.parametrize("missing", ["unique_key: id", "strategy: timestamp"])
def test_yaml_snapshot_without_unique_key_or_strategy_is_an_error(make_project, missing):
    yml = SNAPSHOT_YML.replace(f"      {missing}\n", "")
    project = _dbt_project(make_project, {"seeds/raw_orders.csv": SEED_V1, "snapshots/o.yml": yml})
    [err] = _load_errors(project)
    assert err.path == "snapshots/o.yml"
    assert err.line is not None and err.line >= 7
    assert missing.split(":")[0] in str(err)
    assert err.model == "orders_snapshot"


def test_yaml_snapshots_dbt_19_configs_apply(make_project, pyflow, warehouse):
    yml = SNAPSHOT_YML.replace(
        "      updated_at: updated_at\n",
        "      updated_at: updated_at\n"
        "      hard_deletes: invalidate\n"
        "      dbt_valid_to_current: \"'9999-12-31'::timestamp\"\n"
        "      snapshot_meta_column_names: {dbt_valid_from: valid_from, dbt_valid_to: valid_to}\n",
    )
    project = _dbt_project(make_project, {"seeds/raw_orders.csv": SEED_V1, "snapshots/o.yml": yml})
    pyflow("seed", "--project-dir", project)
    pyflow("snapshot", "--project-dir", project)
    (project / "seeds/raw_orders.csv").write_text("id,status,updated_at\n1,new,2024-01-01 00:00:00\n")
    pyflow("seed", "--project-dir", project)
    pyflow("snapshot", "--project-dir", project)
    rows = warehouse(project).rows(
        "select id, valid_from::varchar, valid_to > timestamp '9999-01-01' from orders_snapshot order by id"
    )
    assert rows == [(1, "2024-01-01 00:00:00", True), (2, "2024-01-01 00:00:00", False)]


def test_a_packages_yaml_snapshot_belongs_to_the_package(make_project, pyflow, warehouse):
    project = make_project(
        {
            "dbt_packages/audit/dbt_project.yml": (
                "name: audit\nsnapshot-paths: [snaps]\n"
                "snapshots:\n  audit:\n    +target_schema: audit_history\n"
            ),
            "dbt_packages/audit/seeds/accounts.csv": "id,tier,updated_at\n1,gold,2024-01-01 00:00:00\n",
            "dbt_packages/audit/snaps/history.yml": (
                "snapshots:\n  - name: accounts_history\n    relation: ref('accounts')\n"
                "    config: {unique_key: id, strategy: timestamp, updated_at: updated_at}\n"
            ),
        }
    )
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select id, tier from audit_history.accounts_history") == [(1, "gold")]
    nodes = json.loads((project / "target" / "manifest.json").read_text())["nodes"]
    snap = nodes["snapshot.audit.accounts_history"]
    assert (snap["package_name"], snap["original_file_path"]) == (
        "audit",
        "dbt_packages/audit/snaps/history.yml",
    )
    assert snap["depends_on"]["nodes"] == ["seed.audit.accounts"]
