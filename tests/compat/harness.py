"""Build a compat project with dbt or pyflow, day by day, and capture what it left behind.

A project under ``tests/compat/projects/<name>/`` is an ordinary dbt project (with its own
``profiles.yml`` writing ``compat.duckdb``) plus:

- ``compat.json`` (optional): ``{"build_args": [...], "days": ["day2"], "skip": "why"}``;
  ``days`` are folders whose files are copied over the project before the next build (day 2's
  seeds), ``build_args`` are added to ``build`` for both tools.
- ``expected/<day>/``: what dbt-duckdb built, written by :func:`write_expected` (``python -m
  tests.compat.generate`` or the ``compat`` nox session): one CSV per relation
  (``<schema>.<name>.csv``, rows sorted, ``\\N`` for NULL), ``relations.json`` (relation ->
  ``[[column, type], ...]``) and ``tests.json`` (unique id -> ``{name, status}`` of every data
  and unit test).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECTS = Path(__file__).parent / "projects"
DAY1 = "day1"
NULL = "\\N"
SKIPPED = {"target", "logs", "expected", "compat.duckdb", "compat.duckdb.wal", ".pyflow"}


def settings(project: str) -> dict[str, Any]:
    """The project's ``compat.json`` (empty when it has none)."""
    path = PROJECTS / project / "compat.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def days(project: str) -> list[str]:
    """``day1`` and then every overlay folder of ``compat.json``."""
    return [DAY1, *settings(project).get("days", [])]


def copy_project(project: str, dest: Path) -> Path:
    """The project's files (without expected results, day overlays or build output) in ``dest``."""
    overlays = set(settings(project).get("days", []))
    shutil.copytree(
        PROJECTS / project,
        dest,
        ignore=lambda _d, names: [n for n in names if n in SKIPPED or n in overlays or n == "compat.json"],
    )
    return dest


def build_days(project: str, workdir: Path, build: Callable[[Path, list[str]], None]) -> dict[str, Captured]:
    """Build the project once per day with ``build(project_dir, extra_args)``; capture after each."""
    project_dir = copy_project(project, workdir / project)
    out: dict[str, Captured] = {}
    for day in days(project):
        if day != DAY1:
            shutil.copytree(PROJECTS / project / day, project_dir, dirs_exist_ok=True)
        build(project_dir, list(settings(project).get("build_args", [])))
        out[day] = capture(project_dir)
    return out


class Captured:
    """The relations of a project's DuckDB file and the outcome of its tests."""

    def __init__(
        self,
        relations: dict[str, list[list[str]]],
        rows: dict[str, list[list[str]]],
        tests: dict[str, dict[str, str]],
        target: Path | None = None,
    ):
        self.relations = relations
        self.rows = rows
        self.tests = tests
        self.target = target
        """A copy of the build's target/ folder (its artifacts), when kept."""


def capture(project_dir: Path) -> Captured:
    """Read every relation outside the system schemas, and the tests of ``target/run_results.json``."""
    import duckdb

    con = duckdb.connect(str(project_dir / "compat.duckdb"), read_only=True)
    try:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            # pyflow's own run history lives in <schema>__pyflow, not among the built models
            "where table_catalog = current_database() and table_schema not like '%\\_\\_pyflow' escape '\\' "
            "order by all"
        ).fetchall()
        relations: dict[str, list[list[str]]] = {}
        rows: dict[str, list[list[str]]] = {}
        for schema, name in names:
            key = f"{schema}.{name}"
            cols = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [schema, name],
            ).fetchall()
            relations[key] = [[c, t] for c, t in cols]
            data = con.execute(f'select * from "{schema}"."{name}"').fetchall()
            rows[key] = sorted([[_text(v) for v in row] for row in data])
    finally:
        con.close()
    kept = (
        project_dir.parent / f"{project_dir.name}-target-{len(list(project_dir.parent.glob('*-target-*')))}"
    )
    shutil.copytree(project_dir / "target", kept, ignore=shutil.ignore_patterns("compiled", "run"))
    return Captured(relations, rows, _tests(project_dir / "target"), kept)


def _text(value: Any) -> str:
    return NULL if value is None else str(value)


def _tests(target: Path) -> dict[str, dict[str, str]]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    return {
        r["unique_id"]: {"name": nodes.get(r["unique_id"], {}).get("name", "?"), "status": r["status"]}
        for r in results
        if r["unique_id"].split(".")[0] in ("test", "unit_test")
    }


def write_expected(project: str, captured: dict[str, Captured]) -> None:
    """Replace ``expected/`` of the project with what was captured."""
    base = PROJECTS / project / "expected"
    shutil.rmtree(base, ignore_errors=True)
    for day, cap in captured.items():
        folder = base / day
        folder.mkdir(parents=True)
        for key, header in cap.relations.items():
            with (folder / f"{key}.csv").open("w", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow([c for c, _ in header])
                writer.writerows(cap.rows[key])
        lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(cap.relations.items())]
        (folder / "relations.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
        (folder / "tests.json").write_text(json.dumps(cap.tests, indent=1, sort_keys=True) + "\n")


def read_expected(project: str) -> dict[str, Captured]:
    """The committed expected files of the project, day by day."""
    out: dict[str, Captured] = {}
    for day in days(project):
        folder = PROJECTS / project / "expected" / day
        relations = json.loads((folder / "relations.json").read_text())
        rows = {}
        for key in relations:
            with (folder / f"{key}.csv").open(newline="") as f:
                rows[key] = list(csv.reader(f))[1:]
        out[day] = Captured(relations, rows, json.loads((folder / "tests.json").read_text()))
    return out


def dbt_builder(dbt: Path) -> Callable[[Path, list[str]], None]:
    """``dbt build`` in the project folder (a failing test is expected: the exit code is ignored)."""

    def build(project_dir: Path, extra: list[str]) -> None:
        proc = subprocess.run(
            [str(dbt), "build", "--profiles-dir", ".", "--project-dir", ".", *extra],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if not (project_dir / "target" / "run_results.json").is_file():
            raise RuntimeError(f"dbt build wrote no run_results.json:\n{proc.stdout}\n{proc.stderr}")

    return build
