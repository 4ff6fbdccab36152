"""Ibis conformance: the Python models users write, compiled for every engine and run on DuckDB.

Each model under ``project/models`` is compiled by pyflow (``Session.compile``, as
``pyflow compile --target <engine>`` does) for duckdb, trino and athena, and its SQL compared
with ``golden/<engine>/<model>.sql``; an operation an engine lacks is instead a clear pyflow
error (``UNSUPPORTED``). Every model then runs on DuckDB through ``pyflow.testing`` and its
rows are compared with the same computation written in pandas (``reference.py``): as a
multiset, and column by column for the kind of type (integer, floating, text, date, ...).
After an intended change of the compiled SQL, regenerate the golden files with::

    PYFLOW_UPDATE_GOLDENS=1 python -m pytest tests/ibisconf

and review the diff. See README.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from pyflow.errors import UnsupportedError
from pyflow.relation import Relation
from pyflow.testing import ProjectHarness, assert_frame_equal

from .reference import EXPECTED, INPUTS
from .suite import (
    ENGINES,
    GOLDEN,
    MODELS,
    PROJECT,
    UNSUPPORTED,
    UPDATE,
    assert_same_kinds,
    compile_all,
    copy_project,
    kind,
)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    project = copy_project(tmp_path_factory.mktemp("ibisconf") / "project")
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


def test_asof_join_error_points_at_the_line_calling_asof_join(compiled) -> None:
    error = compiled["trino"]["join_asof"]
    source = (PROJECT / "models" / "join_asof.py").read_text(encoding="utf-8").splitlines()

    assert ".asof_join(" in source[error.line - 1]


def test_no_golden_file_without_a_model() -> None:
    stale = [p for p in GOLDEN.rglob("*.sql") if p.stem not in MODELS or p.parent.name not in ENGINES]
    assert stale == []


# ---- DuckDB: run through pyflow.testing, compare with pandas ------------------------------------
def _inputs(harness: ProjectHarness, model: str) -> dict[str, Any]:
    uid = harness.project.by_name(model).unique_id
    names = {harness.project.node(p).name for p in harness.project.graph.param_map[uid].values()}
    return {name: INPUTS[name] for name in sorted(names)}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectHarness]:
    found = ProjectHarness(copy_project(tmp_path_factory.mktemp("ibisconf_duckdb") / "project"))
    yield found
    found.close()


@pytest.mark.parametrize("model", MODELS)
def test_duckdb_rows_match_pandas(harness: ProjectHarness, model: str) -> None:
    inputs = _inputs(harness, model)
    with harness.prepared(model, inputs) as run:
        out = Relation("memory", "main", "__ibisconf_out")
        run.create(out)
        actual = run.adapter._cursor().execute(f"SELECT * FROM {run.adapter.render(out)}").to_arrow_table()
    expected = pa.Table.from_pandas(EXPECTED[model](dict(inputs)), preserve_index=False)

    assert_same_kinds("duckdb", model, {f.name: kind(f.type) for f in actual.schema}, expected)
    assert_frame_equal(actual, expected)
