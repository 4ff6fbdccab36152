"""The pytest plugin, run in a child pytest: YAML unit tests as items, the pyflow_project fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("pandas", "duckdb", "ibis", "pyarrow", "sqlglot", "pydantic", "jinja2")

UNITS = """
unit_tests:
  - name: test_totals_pass
    model: customer_totals
    given:
      - input: ref('stg_orders')
        rows: [{customer_id: 1, amount: 2, status: completed}]
    expect:
      rows: [{customer_id: 1, total: 2}]
  - name: test_totals_fail
    model: customer_totals
    given:
      - input: ref('stg_orders')
        rows: [{customer_id: 1, amount: 2, status: completed}]
    expect:
      rows: [{customer_id: 1, total: 3}]
"""
FIXTURE_TEST = """
import pandas as pd

from pyflow.testing import assert_frame_equal


def test_fixture_runs_a_model(pyflow_project):
    out = pyflow_project.run("customer_totals", {"stg_orders": pd.DataFrame({"customer_id": [1], "status": ["completed"]})})
    assert_frame_equal(out, pd.DataFrame({"customer_id": [1], "orders": [1], "total": [None]}))
"""


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the plugin by module name, whether or not the installed package registers its entry point
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:pyflow",
        "-p",
        "pyflow.testing.plugin",
        "-p",
        "no:cacheprovider",
        *args,
    ]
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)


def test_plugin_collects_unit_tests_of_yaml_files_under_model_paths(unit_project):
    project = unit_project(UNITS, {"other/unit.yml": UNITS, "models/docs.yml": "models: []\n"})

    result = _pytest(project, "--collect-only", "-q")

    assert result.returncode == 0, result.stdout + result.stderr
    items = [line for line in result.stdout.splitlines() if "::" in line]
    assert items == ["models/unit.yml::test_totals_pass", "models/unit.yml::test_totals_fail"]


def test_plugin_runs_unit_tests_and_shows_the_diff_without_a_traceback(unit_project):
    project = unit_project(UNITS)

    result = _pytest(project, "-q", "models")

    assert result.returncode == 1
    out = result.stdout
    assert "1 failed, 1 passed" in out
    assert "Failure in unit test test_totals_fail (models/unit.yml:9)" in out
    assert any(
        "expected, missing from actual" in ln and "| actual, not expected" in ln for ln in out.splitlines()
    )
    assert "Traceback" not in out and "def runtest" not in out


def test_plugin_fixture_finds_the_project_from_the_test_file(unit_project):
    project = unit_project("", {"tests/test_models.py": FIXTURE_TEST})

    result = _pytest(project, "-q", "tests")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_plugin_fixture_takes_the_project_dir_option(unit_project, tmp_path):
    project = unit_project("")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "test_models.py").write_text(FIXTURE_TEST)

    result = _pytest(elsewhere, "-q", f"--pyflow-project-dir={project}")

    assert result.returncode == 0, result.stdout + result.stderr


def test_plugin_import_loads_nothing_heavy(tmp_path):
    code = (
        "import json, sys\nimport pytest\nimport pyflow.testing.plugin\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_plugin_is_registered_as_a_pytest11_entry_point():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert project["entry-points"]["pytest11"] == {"pyflow": "pyflow.testing.plugin"}
