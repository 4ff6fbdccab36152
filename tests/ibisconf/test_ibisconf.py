"""Ibis conformance: the Python models users write, compiled for every engine and run on DuckDB.

Each model under ``project/models`` is compiled by pyflow (``Session.compile``, as
``pyflow compile --target <engine>`` does) for duckdb, trino and athena, and its SQL compared
with ``golden/<engine>/<model>.sql``; an operation an engine lacks is instead a clear pyflow
error (:data:`UNSUPPORTED`). Every model then runs on DuckDB through ``pyflow.testing`` and its
rows are compared with the same computation written in pandas (``reference.py``): as a
multiset, and column by column for the kind of type (integer, floating, text, date, ...). The
``trino``-marked tests run the Trino SQL on a live server the same way. After an intended change
of the compiled SQL, regenerate the golden files with::

    PYFLOW_UPDATE_GOLDENS=1 python -m pytest tests/ibisconf

and review the diff. See README.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pyflow.errors import PyflowError, UnsupportedError
from pyflow.relation import Relation
from pyflow.runner.session import Options, Session
from pyflow.testing import ProjectHarness, assert_frame_equal

from .reference import EXPECTED, INPUTS

HERE = Path(__file__).parent
PROJECT = HERE / "project"
GOLDEN = HERE / "golden"
ENGINES = ("duckdb", "trino", "athena")
UPDATE = os.environ.get("PYFLOW_UPDATE_GOLDENS") == "1"
MODELS = sorted(p.stem for p in (PROJECT / "models").glob("*.py"))
UNSUPPORTED = {
    ("trino", "join_asof"): "trino has no as-of join (ASOF JOIN), which this model uses",
    ("athena", "join_asof"): "athena has no as-of join (ASOF JOIN), which this model uses",
}
"""(engine, model) -> the error pyflow gives at compile time instead of SQL."""
KNOWN_TYPE_DIFFERENCES = {
    ("datetime_ops", "week_before"): ("timestamp", "date"),
}
"""(model, column) -> (kind DuckDB returns, kind pandas and Ibis's schema say), where they differ.

``date - interval`` is a DATE in Ibis's schema but Ibis compiles it to ``CAST(..) - INTERVAL``,
which DuckDB evaluates to a TIMESTAMP. Listed so that a fix (or a regression) shows up here."""


def _copy(folder: Path) -> Path:
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


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    project = _copy(tmp_path_factory.mktemp("ibisconf") / "project")
    return {engine: compile_all(project, engine) for engine in ENGINES}


def test_every_model_has_a_pandas_reference() -> None:
    assert sorted(EXPECTED) == MODELS


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("engine", ENGINES)
def test_compiled_sql_matches_the_golden_file(compiled, engine: str, model: str) -> None:
    result = compiled[engine][model]
    path = GOLDEN / engine / f"{model}.sql"
    if (engine, model) in UNSUPPORTED:
        assert isinstance(result, UnsupportedError), f"{engine} compiled {model}; expected an error"
        text = str(result)
        assert UNSUPPORTED[engine, model] in text
        assert f"model '{model}' (models/{model}.py:" in text  # names the model, file and line
        assert "Fix:" in text and "[unsupported-operation]" in text
        assert not path.exists(), f"{path} is stale: {engine} cannot compile {model}"
        return
    assert isinstance(result, str), f"{engine} cannot compile {model}: {result}"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(result.encode("utf-8"))  # byte for byte: literals may hold \r
    assert path.is_file(), f"no golden file {path} (PYFLOW_UPDATE_GOLDENS=1 writes it)"
    assert result == path.read_bytes().decode("utf-8"), (
        f"{engine}/{model}.sql differs from the golden file (PYFLOW_UPDATE_GOLDENS=1 to regenerate)"
    )


def test_no_golden_file_without_a_model() -> None:
    stale = [p for p in GOLDEN.rglob("*.sql") if p.stem not in MODELS or p.parent.name not in ENGINES]
    assert stale == []


# ---- DuckDB: run through pyflow.testing, compare with pandas ------------------------------------
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


def assert_same_rows(actual: pa.Table, expected: Any, model: str) -> None:
    """Same columns in the same order, same kinds of type, same rows in any order."""
    want = pa.Table.from_pandas(expected, preserve_index=False)
    assert actual.column_names == want.column_names
    kinds = {n: kind(actual.schema.field(n).type) for n in actual.column_names}
    wanted = {n: kind(want.schema.field(n).type) for n in want.column_names}
    differing = {
        n: (kinds[n], wanted[n])
        for n in kinds
        if "null" not in (kinds[n], wanted[n]) and kinds[n] != wanted[n]
    }
    known = {c: kinds for (m, c), kinds in KNOWN_TYPE_DIFFERENCES.items() if m == model}
    assert differing == known, "column types differ (actual, pandas)"
    assert_frame_equal(actual, want)


def _inputs(harness: ProjectHarness, model: str) -> dict[str, Any]:
    uid = harness.project.by_name(model).unique_id
    names = {harness.project.node(p).name for p in harness.project.graph.param_map[uid].values()}
    return {name: INPUTS[name] for name in sorted(names)}


@pytest.fixture(scope="module")
def harness() -> Iterator[ProjectHarness]:
    found = ProjectHarness(PROJECT)
    yield found
    found.close()


@pytest.mark.parametrize("model", MODELS)
def test_duckdb_rows_match_pandas(harness: ProjectHarness, model: str) -> None:
    inputs = _inputs(harness, model)
    with harness.prepared(model, inputs) as run:
        out = Relation("memory", "main", "__ibisconf_out")
        run.create(out)
        actual = run.adapter._cursor().execute(f"SELECT * FROM {run.adapter.render(out)}").fetch_arrow_table()

    assert_same_rows(actual, EXPECTED[model](dict(inputs)), model)
