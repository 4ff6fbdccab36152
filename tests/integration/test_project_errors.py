"""Broken projects fail before anything runs, with every mistake named (exit code 1)."""

from __future__ import annotations


def test_run_cyclic_project_names_the_cycle(copy_project, pyflow, warehouse):
    project = copy_project("cyclic")

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "dependency cycle" in result.output
    assert "models/cycle_a.sql:1" in result.output
    assert "models/cycle_b.py" in result.output
    assert "Done." not in result.output
    assert not (project / "target" / "run_results.json").exists()
    assert not (project / "pyflow.duckdb").exists()  # nothing ran, not even the standalone model


def test_run_misspelled_dependencies_are_all_reported(copy_project, pyflow):
    project = copy_project("misspelled")

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "2 error(s) found in the project" in result.output
    assert "model 'orders_report' (models/orders_report.py:10): depends on 'stg_ordrs'" in result.output
    assert "'stg_order'" in result.output
    assert "models/orders_sql.sql:2" in result.output
    assert result.output.count("Did you mean 'stg_orders'?") == 2


def test_ls_misspelled_project_fails_too(copy_project, pyflow):
    project = copy_project("misspelled")

    result = pyflow("ls", "--project-dir", project, expect=1)

    assert "stg_ordrs" in result.output
