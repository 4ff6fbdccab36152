"""Fixtures of the compatibility suite: each test module names its project in ``PROJECT``.

The project is built once per module with pyflow (``pyflow build --project-dir DIR``, day by
day) and compared with what dbt-duckdb built: the committed ``expected/`` files, or, when
``PYFLOW_COMPAT_DBT`` names a dbt executable (the ``compat`` nox session), a live dbt build.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.compat.harness import Captured, build_days, dbt_builder, read_expected


def pyflow_build(project_dir: Path, extra: list[str]) -> None:
    """``pyflow build --project-dir DIR`` in-process; exit 1 (a failing data test) is expected too."""
    from typer.testing import CliRunner

    from pyflow.cli.main import app

    result = CliRunner().invoke(
        app, ["build", "--project-dir", str(project_dir), *extra], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert (project_dir / "target" / "run_results.json").is_file(), result.output


def live_dbt() -> Path | None:
    """The dbt executable of the ``compat`` session, None in the default suite."""
    value = os.environ.get("PYFLOW_COMPAT_DBT")
    return Path(value) if value else None


@pytest.fixture(scope="module")
def project(request: pytest.FixtureRequest) -> str:
    """The module's project (its ``PROJECT``)."""
    return str(request.module.PROJECT)


@pytest.fixture(scope="module")
def by_pyflow(project: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Captured]:
    """Day -> what ``pyflow build`` left behind."""
    return build_days(project, tmp_path_factory.mktemp(f"pyflow-{project}"), pyflow_build)


@pytest.fixture(scope="module")
def by_dbt(project: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Captured]:
    """Day -> what dbt built: live in the ``compat`` session, else the committed files."""
    dbt = live_dbt()
    if dbt is None:
        return read_expected(project)
    return build_days(project, tmp_path_factory.mktemp(f"dbt-{project}"), dbt_builder(dbt))
