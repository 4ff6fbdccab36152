"""dbt's ``--resource-type`` / ``--exclude-resource-type`` on build, test, clone and ls.

Production jobs run ``build --exclude-resource-type unit_test`` (unit tests need no warehouse);
``--resource-type`` keeps only the types named; both take dbt's space-separated lists.
"""

from __future__ import annotations

import json

import pytest

FILES = {
    "seeds/raw.csv": "id,status\n1,paid\n2,lost\n",
    "models/orders.sql": "select id, status from {{ ref('raw') }}",
    "models/schema.yml": """
version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests: [unique]
unit_tests:
  - name: orders_pass_through
    model: orders
    given:
      - input: ref('raw')
        rows: [{id: 1, status: paid}]
    expect:
      rows: [{id: 1, status: paid}]
""",
}


def _ran(project) -> set[str]:
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1] if r["unique_id"].startswith("unit_test") else r["unique_id"].split(".")[2]
            for r in results}  # fmt: skip


@pytest.fixture
def project(make_project):
    return make_project(FILES, name="proj")


def test_build_exclude_resource_type_unit_test_skips_only_unit_tests(project, pyflow):
    pyflow("build", "--project-dir", project, "--exclude-resource-type", "unit_test")

    assert _ran(project) == {"raw", "orders", "unique_orders_id"}


def test_build_resource_type_takes_a_space_separated_list(project, pyflow):
    pyflow("build", "--project-dir", project, "--resource-type", "seed", "model")

    assert _ran(project) == {"raw", "orders"}


def test_test_resource_type_unit_test_runs_only_unit_tests(project, pyflow):
    pyflow("build", "--project-dir", project)

    pyflow("test", "--project-dir", project, "--resource-type", "unit_test")

    assert _ran(project) == {"orders_pass_through"}


def test_resource_type_and_exclude_resource_type_together(project, pyflow):
    pyflow("seed", "--project-dir", project)
    pyflow(
        "build",
        "--project-dir",
        project,
        "--resource-type",
        "model",
        "test",
        "--exclude-resource-type",
        "test",
    )

    assert _ran(project) == {"orders"}


def test_ls_exclude_resource_type(project, pyflow):
    out = pyflow("ls", "--project-dir", project, "--exclude-resource-type", "test", "unit_test").stdout

    assert out.split() == ["raw", "orders"]


def test_unknown_resource_type_is_a_usage_error_with_the_closest(project, pyflow):
    out = pyflow("build", "--project-dir", project, "--exclude-resource-type", "unit_tests", expect=2).output

    assert "--exclude-resource-type: unknown resource type 'unit_tests'" in out
    assert "did you mean 'unit_test'" in out


def test_a_dbt_type_pyflow_never_builds_selects_nothing(project, pyflow):
    out = pyflow("build", "--project-dir", project, "--resource-type", "analysis").output

    assert "Nothing to do" in out
