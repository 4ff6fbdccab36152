"""Tests for pyflow.runner.frames: which inputs wait for a DataFrame model's columns."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyflow.compile.cache import CompileCache
from pyflow.config.loader import load_project
from pyflow.runner import frames
from pyflow.runner.compilation import ProjectCompiler
from tests.unit.runner.test_compilekey import NOW, SOURCES, TARGET


def _random_project(seed: int, size: int = 30) -> dict[str, str]:
    """Python, SQL and DataFrame models over raw.orders, each reading up to three earlier nodes."""
    rng = random.Random(seed)
    files = {"models/sources.yml": SOURCES}
    names: list[str] = []
    for i in range(size):
        name = f"m{i:02d}"
        parents = sorted(set(rng.sample(names, min(len(names), rng.randint(1, 3))))) if names else []
        kind = rng.choice(["python", "python", "sql", "frame"])
        if kind == "sql":
            refs = " union all ".join(f"select id from {{{{ ref('{p}') }}}}" for p in parents)
            files[f"models/{name}.sql"] = refs or "select id from {{ source('raw', 'orders') }}"
        else:
            params = ", ".join(parents) or "raw__orders"
            first = parents[0] if parents else "raw__orders"
            body = (
                f"import pandas as pd\nfrom pyflow import model\n\n\n@model\n"
                f"def {name}({params}) -> pd.DataFrame:\n    return pd.DataFrame({{'id': [1]}})\n"
                if kind == "frame"
                else f"from pyflow import model\n\n\n@model\ndef {name}({params}):\n    return {first}\n"
            )
            files[f"models/{name}.py"] = body
        names.append(name)
    # and two Python models apart from all of them
    files["models/free.py"] = (
        "from pyflow import model\n\n\n@model\ndef free_a(raw__orders):\n    return raw__orders\n\n\n"
        "@model\ndef free_b(free_a):\n    return free_a\n"
    )
    return files


@pytest.mark.parametrize("seed", range(4))
def test_frames_below_a_dataframe_model_holds_every_node_the_walk_finds_one_from(
    seed: int, make_project: Callable[..., Path], duckdb_adapter: Any
) -> None:
    # the set computed once a project is a pre-filter of the walk up from each input: it must
    # hold every start from which the walk finds a DataFrame model whose columns are unknown
    project = load_project(make_project(_random_project(seed)))
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW, cache=CompileCache(None))
    try:
        below = frames._below_frames(compiler)
        found = {
            uid for uid in project.graph.nodes if frames._unknown_frame(compiler, uid, set()) is not None
        }
    finally:
        compiler.close()
    assert found, "the project should have inputs waiting for a DataFrame model"
    assert found <= below
    frame_models = {uid for uid in project.graph.nodes if frames.is_frame_model(compiler, uid)}
    assert frame_models <= below
    free = {"model.proj.free_a", "model.proj.free_b"}
    assert free <= set(project.graph.nodes) and not free & below  # and it leaves the others out


def test_frames_a_project_without_dataframe_models_walks_nothing(
    make_project: Callable[..., Path], duckdb_adapter: Any
) -> None:
    files = {k: v.replace("-> pd.DataFrame", "") for k, v in _random_project(1).items()}
    project = load_project(make_project(files))
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW, cache=CompileCache(None))
    try:
        assert frames._below_frames(compiler) == frozenset()
    finally:
        compiler.close()
