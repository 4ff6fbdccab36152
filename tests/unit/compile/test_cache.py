"""Tests for pyflow.compile.cache: compiled SQL stored by content key."""

from __future__ import annotations

import json
from pathlib import Path

from pyflow.compile.cache import VERSION, CompileCache, digest
from pyflow.compile.model import CompiledModel

COMPILED = CompiledModel("m", "select 1 as x", (("x", "int32"),))


def test_cache_hit_only_for_the_same_key(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path / "cache.json")
    cache.put("k1", COMPILED)

    hit = cache.get("m", "k1")

    assert hit is not None
    assert (hit.sql, hit.columns, hit.from_cache) == ("select 1 as x", (("x", "int32"),), True)
    assert cache.get("m", "k2") is None
    assert cache.get("other", "k1") is None


def test_cache_survives_a_save_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.json"
    cache = CompileCache(path)
    cache.put("k1", COMPILED)
    cache.put("k2", CompiledModel("frame", None, None, is_dataframe=True))
    cache.save()

    again = CompileCache(path)

    assert again.get("m", "k1") == CompiledModel("m", "select 1 as x", (("x", "int32"),), from_cache=True)
    assert again.get("frame", "k2") == CompiledModel("frame", None, None, is_dataframe=True, from_cache=True)
    assert [p.name for p in path.parent.iterdir()] == ["cache.json"]


def test_cache_put_replaces_the_entry_of_a_model(tmp_path: Path) -> None:
    cache = CompileCache(None)
    cache.put("old", COMPILED)
    cache.put("new", CompiledModel("m", "select 2 as x"))

    assert cache.get("m", "old") is None
    assert cache.get("m", "new") == CompiledModel("m", "select 2 as x", from_cache=True)
    assert list(cache.entries) == ["m"]  # one entry per model, the newest


def test_cache_save_writes_nothing_when_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    CompileCache(path).save()

    assert not path.exists()


def test_cache_ignores_a_corrupt_or_old_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    path.write_text("{not json", encoding="utf-8")
    assert CompileCache(path).entries == {}

    path.write_text(json.dumps({"version": VERSION + 1, "entries": {"m": {"key": "k"}}}), encoding="utf-8")
    assert CompileCache(path).get("m", "k") is None


def test_cache_digest_is_stable_and_order_independent_for_mappings() -> None:
    assert digest({"a": 1, "b": 2}, [1, 2]) == digest({"b": 2, "a": 1}, [1, 2])
    assert digest({"a": 1}) != digest({"a": 2})
    assert digest([1, 2]) != digest([2, 1])
    assert len(digest("x")) == 32
