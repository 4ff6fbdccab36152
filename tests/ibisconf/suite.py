"""What the conformance tests share: the project, its models, the expected errors and type kinds.

See README.md. Nothing here runs a model; :mod:`.test_ibisconf` (offline, DuckDB) and
:mod:`.test_ibisconf_trino` (a live Trino) do.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

from pyflow.errors import PyflowError
from pyflow.runner.session import Options, Session

HERE = Path(__file__).parent
PROJECT = HERE / "project"
GOLDEN = HERE / "golden"
ENGINES = ("duckdb", "trino", "athena")
UPDATE = os.environ.get("PYFLOW_UPDATE_GOLDENS") == "1"
"""``PYFLOW_UPDATE_GOLDENS=1`` rewrites the golden files from what pyflow compiles now."""
MODELS = sorted(p.stem for p in (PROJECT / "models").glob("*.py"))
UNSUPPORTED = {
    ("trino", "join_asof"): "trino has no as-of join (ASOF JOIN), which this model uses",
    ("athena", "join_asof"): "athena has no as-of join (ASOF JOIN), which this model uses",
    ("trino", "pivot_longer"): "trino cannot run the SQL Ibis makes to unnest an array of structs",
    ("athena", "pivot_longer"): "athena cannot run the SQL Ibis makes to unnest an array of structs",
}
"""(engine, model) -> the error pyflow gives at compile time instead of SQL."""
KNOWN_TYPE_DIFFERENCES = {
    ("duckdb", "datetime_ops", "week_before"): ("timestamp", "date"),
}
"""(engine, model, column) -> (kind the engine returns, kind pandas and Ibis's schema say).

``date - interval`` is a DATE in Ibis's schema, but Ibis compiles it to ``CAST(..) - INTERVAL``,
which DuckDB evaluates to a TIMESTAMP. Listed so that a fix (or a regression) shows up here."""


def copy_project(folder: Path) -> Path:
    """A copy of the conformance project at ``folder`` (compiling writes target/ and logs/)."""
    shutil.copytree(PROJECT, folder, ignore=shutil.ignore_patterns("target", "logs", "__pycache__"))
    return folder


def compile_all(project: Path, target: str, profiles_dir: Path | None = None) -> dict[str, Any]:
    """Each model's compiled SQL (or the PyflowError compiling it gave), keyed by model name."""
    with Session(Options(project_dir=project, target=target, profiles_dir=profiles_dir)) as session:
        compiled = session.compile()
        return {
            session.project.node(uid).name: (item if isinstance(item, PyflowError) else item.sql)
            for uid, item in compiled.items()
        }


def kind(dtype: pa.DataType) -> str:
    """The kind of an Arrow type compared between a model's output and the pandas reference."""
    checks = [
        ("null", pa.types.is_null),
        ("boolean", pa.types.is_boolean),
        ("integer", pa.types.is_integer),
        ("floating", pa.types.is_floating),
        ("decimal", pa.types.is_decimal),
        ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("timestamp", pa.types.is_timestamp),
        ("date", pa.types.is_date),
        ("list", lambda t: pa.types.is_list(t) or pa.types.is_large_list(t)),
        ("struct", pa.types.is_struct),
    ]
    return next((name for name, check in checks if check(dtype)), str(dtype))


def assert_same_kinds(engine: str, model: str, actual: dict[str, str], expected: pa.Table) -> None:
    """Column names in order and kinds of type as pandas computed them (NULL-only columns aside)."""
    assert list(actual) == expected.column_names
    wanted = {n: kind(expected.schema.field(n).type) for n in expected.column_names}
    differing = {
        n: (actual[n], wanted[n])
        for n in actual
        if "null" not in (actual[n], wanted[n]) and actual[n] != wanted[n]
    }
    known = {c: kinds for (e, m, c), kinds in KNOWN_TYPE_DIFFERENCES.items() if (e, m) == (engine, model)}
    assert differing == known, f"column types on {engine} differ (engine's kind, pandas's kind)"
