"""A dbt project's snapshots have dbt's meta column names (``dbt_scd_id``, ``dbt_valid_from`` ...).

pyflow's own projects keep ``pyflow_*``; a project read from dbt_project.yml gets dbt's, and a
partial ``snapshot_meta_column_names`` renames only the columns it names (as in dbt).
"""

from __future__ import annotations

DBT_FILES = {
    "dbt_project.yml": "name: proj\nprofile: proj\n",
    "profiles.yml": "proj:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: pyflow.duckdb}\n",
    "seeds/users.csv": "id,plan,updated_at\n1,free,2024-01-01 00:00:00\n",
    "snapshots/snaps.sql": """\
        {% snapshot users_snap %}
        {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
        select * from {{ ref('users') }}
        {% endsnapshot %}
        {% snapshot renamed_snap %}
        {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at',
                  snapshot_meta_column_names={'dbt_valid_to': 'valid_to'}) }}
        select * from {{ ref('users') }}
        {% endsnapshot %}
        """,
}


def _columns(db, table):
    sql = (
        "select column_name from information_schema.columns where table_name = '{}' order by ordinal_position"
    )
    return [r[0] for r in db.rows(sql.format(table))]


def test_dbt_projects_snapshots_have_dbts_meta_column_names(make_project, pyflow, warehouse):
    project = make_project(DBT_FILES)
    (project / "pyflow.yml").unlink()  # a dbt project: dbt_project.yml alone
    pyflow("build", "--project-dir", project)
    db = warehouse(project)
    meta = ["dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"]
    assert _columns(db, "users_snap") == ["id", "plan", "updated_at", *meta]
    assert _columns(db, "renamed_snap") == ["id", "plan", "updated_at", *meta[:3], "valid_to"]


def test_pyflow_projects_snapshots_keep_pyflows_meta_column_names(make_project, pyflow, warehouse):
    files = {k: v for k, v in DBT_FILES.items() if k not in ("dbt_project.yml", "profiles.yml")}
    project = make_project(files)
    pyflow("build", "--project-dir", project)
    assert _columns(warehouse(project), "users_snap")[3:] == [
        "pyflow_scd_id", "pyflow_updated_at", "pyflow_valid_from", "pyflow_valid_to",
    ]  # fmt: skip
