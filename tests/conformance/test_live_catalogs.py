"""The live catalog plan (tests/conformance/live.py) names tests that exist, and deselects as declared."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from . import live

HERE = Path(__file__).parent


def _test_functions() -> set[str]:
    names: set[str] = set()
    for path in HERE.glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
    return names


@pytest.mark.parametrize("catalog", sorted(live.ON_CATALOG))
def test_every_test_a_catalog_runs_exists(catalog: str) -> None:
    assert sorted(live.ON_CATALOG[catalog] - _test_functions()) == []


def test_iceberg_runs_every_test_and_the_others_their_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYFLOW_TEST_TRINO_FULL", raising=False)
    assert live.runs_on("iceberg", "test_incremental_duplicate_batch_keys_fail_before_writing")
    assert not live.runs_on("memory", "test_incremental_duplicate_batch_keys_fail_before_writing")
    assert live.runs_on("hive", "test_incremental_step_twice_is_idempotent")
    assert not live.runs_on("hive", "test_snapshot_timestamp_strategy_stores_utc")
    assert live.runs_on("another_catalog", "test_snapshot_timestamp_strategy_stores_utc")
    monkeypatch.setenv("PYFLOW_TEST_TRINO_FULL", "true")
    assert live.runs_on("memory", "test_incremental_duplicate_batch_keys_fail_before_writing")
