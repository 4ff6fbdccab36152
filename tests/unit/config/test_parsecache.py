"""Tests for pyflow.config.parsecache: per-file parse results, valid only for the pyflow that wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.config import parsecache
from pyflow.config.parsecache import ParseCache, shard_of


def test_parse_cache_survives_a_save_and_reload(tmp_path: Path) -> None:
    folder = tmp_path / "parse"
    cache = ParseCache(folder)
    cache.put("models/a.sql", "sha1", "env1", {"refs": ["b"]})
    cache.save(complete=True)

    again = ParseCache(folder)

    assert again.get("models/a.sql", "sha1", "env1") == {"refs": ["b"]}
    assert again.get("models/a.sql", "sha2", "env1") is None


def test_parse_cache_written_by_another_pyflow_is_discarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another pyflow may parse the same unchanged file differently (a fixed ref extraction, say)
    folder = tmp_path / "parse"
    cache = ParseCache(folder)
    cache.put("models/a.sql", "sha1", "env1", {"refs": ["b"]})
    cache.save(complete=True)

    monkeypatch.setattr(parsecache, "toolchain", lambda: "another-toolchain")

    assert ParseCache(folder).get("models/a.sql", "sha1", "env1") is None


def _files_in_other_shards(count: int) -> list[str]:
    names, shards = [], set()
    for i in range(10_000):
        name = f"models/m{i}.sql"
        if shard_of(name) not in shards:
            shards.add(shard_of(name))
            names.append(name)
        if len(names) == count:
            return names
    raise AssertionError("not enough shards")


def test_a_load_reads_only_the_shards_of_the_files_it_asks_for(tmp_path: Path) -> None:
    folder = tmp_path / "parse"
    a, b = _files_in_other_shards(2)
    cache = ParseCache(folder)
    cache.put(a, "sha", "env", ["a"])
    cache.put(b, "sha", "env", ["b"])
    cache.save(complete=True)
    (folder / f"{shard_of(b)}.json").write_text("not json")  # unread unless b is asked for

    again = ParseCache(folder)

    assert again.get(a, "sha", "env") == ["a"]
    assert again.get(b, "sha", "env") is None


def test_a_partial_save_keeps_entries_a_complete_save_drops_the_files_gone(tmp_path: Path) -> None:
    folder = tmp_path / "parse"
    a, b = _files_in_other_shards(2)
    cache = ParseCache(folder)
    cache.put(a, "sha", "env", ["a"])
    cache.put(b, "sha", "env", ["b"])
    cache.save(complete=True)

    partial = ParseCache(folder)  # a load of a only
    partial.get(a, "sha", "env")
    partial.put(a, "sha2", "env", ["a2"])
    partial.save(complete=False)
    assert ParseCache(folder).get(b, "sha", "env") == ["b"]

    complete = ParseCache(folder)  # b was deleted: a complete load asks for a only
    complete.get(a, "sha2", "env")
    complete.save(complete=True)

    assert ParseCache(folder).get(a, "sha2", "env") == ["a2"]
    assert ParseCache(folder).get(b, "sha", "env") is None
    assert not (folder / f"{shard_of(b)}.json").exists()
