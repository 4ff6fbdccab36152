"""A package's snapshots and singular tests are read from dbt_packages/ like its models and seeds,
and a mistake in a package's own config tree names its line in the package's dbt_project.yml."""

from __future__ import annotations

import json

PACKAGE = {
    "dbt_packages/audit/dbt_project.yml": """\
        name: audit
        snapshot-paths: [snaps]
        test-paths: [checks]
        snapshots:
          audit:
            +target_schema: audit_history
        """,
    "dbt_packages/audit/seeds/accounts.csv": "id,tier,updated_at\n1,gold,2024-01-01 00:00:00\n2,free,2024-01-02 00:00:00\n",
    "dbt_packages/audit/snaps/accounts_history.sql": """\
        {% snapshot accounts_history %}
        {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
        select * from {{ ref('accounts') }}
        {% endsnapshot %}
        """,
    "dbt_packages/audit/checks/one_row_per_account.sql": """\
        select id from {{ ref('accounts_history') }} where {{ current_only() }} group by id having count(*) > 1
        """,
    "dbt_packages/audit/macros/current.sql": "{% macro current_only() %}pyflow_valid_to is null{% endmacro %}",
}


def test_package_snapshots_and_singular_tests_are_built_and_run(make_project, pyflow, warehouse):
    project = make_project(PACKAGE)
    result = pyflow("build", "--project-dir", project)
    assert "PASS test one_row_per_account" in result.output
    assert warehouse(project).rows("select id, tier from audit_history.accounts_history order by id") == [
        (1, "gold"),
        (2, "free"),
    ]
    nodes = json.loads((project / "target" / "manifest.json").read_text())["nodes"]
    assert nodes["snapshot.audit.accounts_history"]["original_file_path"] == (
        "dbt_packages/audit/snaps/accounts_history.sql"
    )
    assert nodes["test.audit.one_row_per_account"]["package_name"] == "audit"


def test_error_in_a_package_config_tree_names_its_line(make_project, pyflow):
    project = make_project(
        {
            "dbt_packages/p/dbt_project.yml": """\
                name: p

                models:
                  p:
                    +materialized: table
                    +schema: "{{ nope( }}"
                """,
            "dbt_packages/p/models/pm.sql": "select 1 as x",
        }
    )
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "model 'pm' (dbt_packages/p/dbt_project.yml:6)" in result.output
    assert "[config-jinja]" in result.output


def test_package_python_model_joins_the_dag_with_the_packages_config(make_project, pyflow, warehouse):
    project = make_project(
        {
            "dbt_packages/pyp/dbt_project.yml": "name: pyp\nmodels:\n  pyp:\n    +materialized: table\n",
            "dbt_packages/pyp/seeds/nums.csv": "n\n1\n2\n",
            "dbt_packages/pyp/models/marts/doubled.py": """\
                from pyflow import model


                @model
                def doubled(nums):
                    return nums.mutate(d=nums.n * 2)
                """,
            "models/total.sql": "select sum(d) as total from {{ ref('doubled') }}",
        }
    )
    pyflow("build", "--project-dir", project)
    db = warehouse(project)
    assert db.rows("select total from total") == [(6,)]
    assert db.relations()["main.doubled"] == "BASE TABLE"  # the package's own +materialized: table
    node = json.loads((project / "target" / "manifest.json").read_text())["nodes"]["model.pyp.doubled"]
    assert (node["package_name"], node["fqn"]) == ("pyp", ["pyp", "marts", "doubled"])
