"""pyflow is typed: ``py.typed``, typed ``@model``/``@snapshot`` config, ``mypy --strict`` clean.

The TypedDicts of :mod:`pyflow.core.configtypes` must name exactly the config keys pyflow
accepts, with the same ``Literal`` values as the pydantic config models, so the editor's
completion and mypy's checks cannot drift from what ``pyflow build`` accepts. mypy runs in a
subprocess with a fresh cache under ``tmp_path`` (about 10 s for pyflow and examples together).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import pytest

from pyflow.config.loader import load_project
from pyflow.core import nodeconfig
from pyflow.core.configtypes import (
    IN_FILE_ONLY_KEYS,
    DataTestConfigDict,
    ModelConfigDict,
    SnapshotConfigDict,
)
from pyflow.core.nodeconfig import ModelConfig, SnapshotConfig, config_keys, literal_choices
from pyflow.errors import ErrorGroup, PyflowError

REPO = Path(__file__).resolve().parents[2]
PAIRS = [
    (ModelConfigDict, ModelConfig),
    (SnapshotConfigDict, SnapshotConfig),
    (DataTestConfigDict, nodeconfig.TestConfig),
]
IDS = ["model", "snapshot", "data_test"]


def _literals(annotation: Any) -> set[str]:
    if get_origin(annotation) is Literal:
        return {str(v) for v in get_args(annotation)}
    return {v for arg in get_args(annotation) for v in _literals(arg)}


@pytest.mark.parametrize(("typed", "config"), PAIRS, ids=IDS)
def test_typing_config_dict_names_exactly_the_accepted_keys(typed: type, config: type) -> None:
    in_file_only = set() if config is nodeconfig.TestConfig else set(IN_FILE_ONLY_KEYS)
    assert set(get_type_hints(typed)) == set(config_keys(config)) | in_file_only


@pytest.mark.parametrize(("typed", "config"), PAIRS, ids=IDS)
def test_typing_config_dict_literals_equal_the_accepted_values(typed: type, config: type) -> None:
    hints = get_type_hints(typed)
    typed_literals = {key: _literals(hint) for key, hint in hints.items() if _literals(hint)}
    accepted = {key: set(literal_choices(config, key)) for key in hints if literal_choices(config, key)}

    assert typed_literals == accepted
    assert {"incremental_strategy", "strategy", "severity"} & set(typed_literals)


def test_typing_package_ships_py_typed() -> None:
    assert (REPO / "pyflow" / "py.typed").is_file()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["pyflow"]


def _mypy(tmp_path: Path, *targets: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy-cache"), *targets],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_typing_mypy_flags_an_unknown_config_key_and_a_wrong_value(tmp_path: Path) -> None:
    snippet = tmp_path / "models.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from pyflow import data_test, model, snapshot


            @model(materialized="incremental", unique_key=["id"], incremental_strategy="merge")
            def good(orders: int) -> int:
                return orders


            @model(materialzed="table")
            def bad_key(orders: int) -> int:
                return orders


            @model(incremental_strategy="merg")
            def bad_value(orders: int) -> int:
                return orders


            @snapshot(strategy="timestamp", updated_at="ts", hard_deletes="invalidat")
            def bad_snapshot(orders: int) -> int:
                return orders


            @data_test(severity="warn", warn_if="> 10")
            def good_test(orders: int) -> int:
                return orders


            @data_test(severty="warn")
            def bad_test(orders: int) -> int:
                return orders
            """
        ).lstrip(),
        encoding="utf-8",
    )

    result = _mypy(tmp_path, str(snippet), cwd=tmp_path)

    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert {line.split(":")[1] for line in errors} == {"9", "14", "19", "29"}, result.stdout
    assert any(
        ':9: error: Unexpected keyword argument "materialzed"' in e and 'did you mean "materialized"' in e
        for e in errors
    ), result.stdout
    assert "Literal['append', 'merge', 'delete+insert', 'insert_overwrite', 'microbatch']" in result.stdout


def test_typing_mypy_strict_passes_on_pyflow_and_examples(tmp_path: Path) -> None:
    result = _mypy(tmp_path, "pyflow", "examples")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")


def _load_errors(make_project: Any, code: str) -> list[PyflowError]:
    root = make_project({"models/m.py": code})
    with pytest.raises(PyflowError) as info:
        load_project(root)
    err = info.value
    return list(err.errors) if isinstance(err, ErrorGroup) else [err]


def test_typing_load_reports_a_wrong_config_value_with_did_you_mean(make_project: Any) -> None:
    errors = _load_errors(
        make_project,
        """
        from pyflow import model


        @model(materialized="incremental", unique_key="id", incremental_strategy="merg")
        def m():
            ...
        """,
    )

    assert len(errors) == 1
    text = str(errors[0])
    assert errors[0].code == "invalid-config"
    assert text.startswith("model 'm' (models/m.py:5): invalid config 'incremental_strategy' = 'merg'")
    assert "Did you mean 'merge'?" in text
    assert "Fix: set incremental_strategy to one of: append, merge, delete+insert, insert_overwrite" in text


def test_typing_load_reports_a_wrong_snapshot_value_with_did_you_mean(make_project: Any) -> None:
    root = make_project(
        {
            "snapshots/s.py": """
                from pyflow import snapshot


                @snapshot(unique_key="id", strategy="timestamp", updated_at="ts", hard_deletes="invalidat")
                def s():
                    ...
            """
        }
    )
    with pytest.raises(PyflowError) as info:
        load_project(root)

    text = str(info.value)
    assert "snapshot 's' (snapshots/s.py:5): invalid config 'hard_deletes' = 'invalidat'" in text
    assert "Did you mean 'invalidate'?" in text
