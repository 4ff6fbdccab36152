"""Shared fixtures: tiny real projects on disk, a DuckDB adapter, and the CLI runner."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
FIXTURE_PROJECTS = Path(__file__).parent / "fixtures" / "projects"

ProjectFactory = Callable[..., Path]


def write_project(
    root: Path,
    files: Mapping[str, str],
    *,
    name: str = "proj",
    project_yml: str | None = None,
) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``root`` plus a pyflow.yml."""
    root.mkdir(parents=True, exist_ok=True)
    if "pyflow.yml" not in files:
        (root / "pyflow.yml").write_text(project_yml or f"name: {name}\n", encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """``make_project({"models/a.py": "...", ...}, name="x")`` -> project folder."""
    counter = iter(range(1000))

    def factory(files: Mapping[str, str], **kwargs: Any) -> Path:
        return write_project(tmp_path / f"project{next(counter)}", files, **kwargs)

    return factory


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Invoke the CLI in-process: ``cli("run", "--project-dir", str(p))`` -> click Result."""
    from pyflow.cli.main import app

    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def duckdb_adapter() -> Any:
    """An adapter on a private in-memory DuckDB."""
    from pyflow.adapters.duckdb import DuckDBAdapter

    adapter = DuckDBAdapter.in_memory()
    yield adapter
    adapter.close()


def query(project_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` against a project's default DuckDB file (read-only)."""
    import duckdb

    con = duckdb.connect(str(project_dir / "pyflow.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
