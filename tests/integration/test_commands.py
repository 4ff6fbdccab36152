"""`pyflow show`, `pyflow debug` and `pyflow clean`."""

from __future__ import annotations

import json

import pytest


def table_cells(output: str) -> list[list[str]]:
    """The cells of the table ``pyflow show`` prints: the header row first, then the data rows."""
    return [
        [cell.strip() for cell in line.strip()[1:-1].split(line.strip()[0])]
        for line in output.splitlines()
        if line.strip()[:1] in ("┃", "│")
    ]


@pytest.fixture
def built(copy_project, pyflow):
    project = copy_project("mixed")
    pyflow("build", "--project-dir", project)
    return project


def test_show_model_prints_its_rows(built, pyflow):
    result = pyflow("show", "customer_report", "--project-dir", built)

    assert "Previewing customer_report" in result.stdout
    assert table_cells(result.stdout) == [
        ["customer_id", "name", "order_count", "total"],
        ["1", "ANN", "3", "36.5"],
        ["2", "BEN", "1", "40.0"],
        ["3", "CAT", "1", "120.0"],
        ["4", "DAN", "0", "0.0"],
    ]


def test_show_model_output_json(built, pyflow):
    result = pyflow("show", "big_spenders", "--project-dir", built, "--output", "json")

    rows = json.loads(result.stdout)
    assert sorted(rows, key=lambda r: r["customer_id"]) == [
        {"customer_id": 2, "name": "BEN", "total": 40.0},
        {"customer_id": 3, "name": "CAT", "total": 120.0},
    ]


def test_show_limit(built, pyflow):
    result = pyflow("show", "customer_report", "--project-dir", built, "--output", "json", "--limit", "2")

    assert len(json.loads(result.stdout)) == 2


def test_show_inline_query_resolves_refs(built, pyflow):
    result = pyflow(
        "show",
        "--inline",
        "select name, order_count from {{ ref('customer_report') }} where order_count > {{ var('min_orders', 0) }} order by name",
        "--project-dir",
        built,
        "--output",
        "json",
    )

    assert json.loads(result.stdout) == [
        {"name": "ANN", "order_count": 3},
        {"name": "BEN", "order_count": 1},
        {"name": "CAT", "order_count": 1},
    ]


def test_show_inline_table_output(built, pyflow):
    result = pyflow(
        "show", "--inline", "select count(*) as n_seeded from {{ ref('raw_orders') }}", "--project-dir", built
    )

    assert table_cells(result.stdout) == [["n_seeded"], ["6"]]


def test_show_needs_model_or_inline(built, pyflow):
    result = pyflow("show", "--project-dir", built, expect=2)

    assert "--inline" in result.output


def test_show_unbuilt_model_is_a_user_error(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow("show", "customer_report", "--project-dir", project, expect=1)

    assert "pyflow build" in result.output


def test_debug_checks_project_profile_and_connection(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow("debug", "--project-dir", project)

    assert f"project: mixed ({project.resolve() / 'pyflow.yml'})  [OK]" in result.output
    assert "target: dev  [OK]" in result.output
    assert "connection: duckdb database 'pyflow' (the file " in result.output
    assert "does not exist yet: the first run creates it)  [OK]" in result.output
    assert "All checks passed!" in result.output
    assert not (project / "pyflow.duckdb").exists()


def test_debug_reports_a_missing_project(tmp_path, pyflow):
    result = pyflow("debug", "--project-dir", tmp_path, expect=1)

    assert "no pyflow.yml found" in result.output
    assert "All checks passed!" not in result.output


def test_debug_reports_a_bad_profile(copy_project, pyflow):
    project = copy_project("mixed")
    (project / "profiles.yml").write_text(
        "mixed:\n  target: dev\n  outputs:\n    dev:\n      type: postgress\n"
    )

    result = pyflow("debug", "--project-dir", project, expect=1)

    assert "unknown target type 'postgress'" in result.output


def test_clean_removes_target_and_logs(built, pyflow):
    assert (built / "target" / "manifest.json").is_file()
    assert (built / "logs" / "pyflow.log").is_file()

    result = pyflow("clean", "--project-dir", built)

    assert "removed target/" in result.output
    assert "removed logs/" in result.output
    assert not (built / "target").exists()
    assert not (built / "logs").exists()
    assert (built / "pyflow.duckdb").is_file()
    assert (built / "models").is_dir()


def test_clean_refuses_folders_outside_the_project_and_deletes_nothing(make_project, pyflow, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    project = make_project(
        {"build_out/x.txt": "x"}, project_yml="name: proj\nclean-targets: [build_out, ../precious]\n"
    )

    result = pyflow("clean", "--project-dir", project, expect=1)

    assert (
        "pyflow.yml:2: clean-targets names '../precious', which is outside the project folder"
        in result.output
    )
    assert outside.is_dir()
    assert (project / "build_out" / "x.txt").is_file()


def test_show_inline_ref_to_ephemeral_model(make_project, pyflow):
    project = make_project(
        {
            "models/base.sql": "{{ config(materialized='table') }}\nselect range as n from range(4)",
            "models/evens.sql": "{{ config(materialized='ephemeral') }}\nselect n from {{ ref('base') }} where n % 2 = 0",
        }
    )
    pyflow("run", "--project-dir", project)

    inline = pyflow(
        "show",
        "--inline",
        "select sum(n) as total from {{ ref('evens') }}",
        "--project-dir",
        project,
        "--output",
        "json",
    )
    model = pyflow("show", "evens", "--project-dir", project, "--output", "json")

    assert json.loads(inline.stdout) == [{"total": 2}]
    assert json.loads(model.stdout) == [{"n": 0}, {"n": 2}]


# ---- dbt's spelling: `dbt show --select NODE --limit N`, tests previewed by their failing rows


def _checked_project(make_project, pyflow):
    project = make_project(
        {
            "models/orders.sql": "{{ config(materialized='table') }}\n"
            "select * from (values (1, 'paid'), (2, 'lost'), (3, 'paid'), (4, 'odd')) as t(id, status)",
            "models/schema.yml": """
version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - accepted_values:
              values: [paid, lost]
unit_tests:
  - name: orders_keep_rows
    model: orders
    expect:
      rows: [{id: 1, status: paid}, {id: 2, status: lost}, {id: 3, status: paid}, {id: 4, status: odd}]
""",
        }
    )
    pyflow("run", "--project-dir", project)
    return project


def test_show_select_is_the_model_argument(built, pyflow):
    positional = pyflow("show", "customer_report", "--project-dir", built, "--output", "json")
    long = pyflow("show", "--select", "customer_report", "--project-dir", built, "--output", "json")
    short = pyflow("show", "-s", "customer_report", "--project-dir", built, "--output", "json")

    assert json.loads(long.stdout) == json.loads(short.stdout) == json.loads(positional.stdout)
    assert len(json.loads(long.stdout)) == 4


def test_show_negative_limit_shows_every_row(make_project, pyflow):
    project = make_project(
        {"models/nums.sql": "{{ config(materialized='table') }}\nselect range as n from range(12)"}
    )
    pyflow("run", "--project-dir", project)

    result = pyflow("show", "-s", "nums", "--limit", "-1", "--project-dir", project, "--output", "json")

    assert sorted(row["n"] for row in json.loads(result.stdout)) == list(range(12))


def test_show_a_data_test_previews_its_failing_rows(make_project, pyflow):
    project = _checked_project(make_project, pyflow)
    name = "accepted_values_orders_status__paid__lost"

    result = pyflow("show", "-s", name, "--project-dir", project, "--output", "json")
    table = pyflow("show", name, "--project-dir", project)

    assert [row["value_field"] for row in json.loads(result.stdout)] == ["odd"]
    assert f"Previewing {name}" in table.stdout


def test_show_select_of_several_nodes_names_them(built, pyflow):
    result = pyflow("show", "-s", "customer_report+", "--project-dir", built, expect=1)

    assert "previews one node" in result.output
    assert "customer_report" in result.output and "big_spenders" in result.output


def test_show_select_and_model_argument_together_is_a_usage_error(built, pyflow):
    result = pyflow("show", "customer_report", "-s", "big_spenders", "--project-dir", built, expect=2)

    assert "either" in result.output


def test_show_unit_test_says_how_to_run_it(make_project, pyflow):
    project = _checked_project(make_project, pyflow)

    result = pyflow("show", "orders_keep_rows", "--project-dir", project, expect=1)

    assert "unit test" in result.output and "pyflow test --select orders_keep_rows" in result.output


def test_show_unknown_name_suggests_tests_too(make_project, pyflow):
    project = _checked_project(make_project, pyflow)

    result = pyflow("show", "accepted_values_orders_statu", "--project-dir", project, expect=1)

    assert "accepted_values_orders_status__paid__lost" in result.output


def test_show_select_of_two_words_is_refused_not_read_as_the_argument(built, pyflow):
    result = pyflow("show", "-s", "customer_report", "big_spenders", "--project-dir", built, expect=2)

    assert "previews one node: --select got 2 (customer_report big_spenders)" in result.output
