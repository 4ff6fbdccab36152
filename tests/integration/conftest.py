"""Fixtures for end-to-end tests: run the CLI, copy projects, read the DuckDB file and artifacts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FIXTURE_PROJECTS = REPO / "tests" / "fixtures" / "projects"
COPY_IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", "__pycache__")


class Warehouse:
    """Read-only access to a project's default DuckDB file (``<project>/pyflow.duckdb``)."""

    def __init__(self, project: Path) -> None:
        self.path = project / "pyflow.duckdb"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """All rows of ``sql``."""
        import duckdb

        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def relations(self, *, history: bool = False) -> dict[str, str]:
        """``schema.name`` -> ``BASE TABLE`` or ``VIEW`` for every relation in the file.

        The run history table ``pyflow_run_history``, which every run appends to (it is on by
        default), is left out unless ``history``: the other relations are what the project built.
        """
        return {
            f"{schema}.{name}": kind
            for schema, name, kind in self.rows(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                "WHERE table_catalog = current_database() ORDER BY ALL"
            )
            if history or name != "pyflow_run_history"
        }

    def contents(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every relation's rows (``SELECT * ... ORDER BY ALL``), keyed like :meth:`relations`."""
        return {rel: self.rows(f"SELECT * FROM {rel} ORDER BY ALL") for rel in self.relations()}

    def checksums(self) -> dict[str, tuple[Any, ...]]:
        """Per relation: its type, column names and types, row count and an order-free row hash."""
        out: dict[str, tuple[Any, ...]] = {}
        for rel, kind in self.relations().items():
            schema, name = rel.split(".")
            columns = self.rows(
                "SELECT column_name, data_type FROM information_schema.columns "
                f"WHERE table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position"
            )
            ((count, digest),) = self.rows(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {rel} AS t")
            out[rel] = (kind, tuple(columns), count, digest)
        return out


@pytest.fixture
def pyflow(cli: Callable[..., Any]) -> Callable[..., Any]:
    """``pyflow("build", "--project-dir", p, expect=1)``: run the CLI in-process, check the exit code."""

    def invoke(*args: str | Path, expect: int = 0) -> Any:
        result = cli(*(str(a) for a in args))
        assert result.exit_code == expect, (
            f"exit code {result.exit_code}, expected {expect}:\n{result.output}"
        )
        return result

    return invoke


@pytest.fixture
def warehouse() -> Callable[[Path], Warehouse]:
    """``warehouse(project_dir)`` -> :class:`Warehouse` on its DuckDB file."""
    return Warehouse


@pytest.fixture
def copy_project(tmp_path: Path) -> Callable[..., Path]:
    """``copy_project("mixed")`` copies tests/fixtures/projects/mixed (or ``examples/shop``) to
    tmp_path; ``copy_project("mixed", "other")`` names the copy."""

    def copy(name: str, as_name: str | None = None) -> Path:
        source = EXAMPLES / name.split("/", 1)[1] if name.startswith("examples/") else FIXTURE_PROJECTS / name
        dest = tmp_path / (as_name or Path(name).name)
        shutil.copytree(source, dest, ignore=COPY_IGNORE)
        return dest

    return copy


def load_json(path: Path) -> Any:
    """Parse a JSON artifact."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def run_results() -> Callable[[Path], dict[str, dict[str, Any]]]:
    """``run_results(project_dir)`` -> target/run_results.json's results keyed by node name."""

    def read(project: Path) -> dict[str, dict[str, Any]]:
        data = load_json(project / "target" / "run_results.json")
        return {r["name"]: r for r in data["results"]}

    return read


@pytest.fixture
def manifest() -> Callable[[Path], dict[str, Any]]:
    """``manifest(project_dir)`` -> target/manifest.json."""

    def read(project: Path) -> dict[str, Any]:
        return load_json(project / "target" / "manifest.json")

    return read
