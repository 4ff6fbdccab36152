"""Tests for pyflow.compile.cache: compiled SQL stored by content key."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pyflow import version as version_module
from pyflow.compile import cache as cache_module
from pyflow.compile.cache import VERSION, CompileCache, digest, environ_reads
from pyflow.compile.model import CompiledModel
from pyflow.version import toolchain

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


def test_cache_written_by_another_pyflow_or_ibis_is_discarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an upgrade (or an edited checkout) may compile the same model to other SQL: stale SQL
    # from the old toolchain must never be reused
    path = tmp_path / "cache.json"
    cache = CompileCache(path)
    cache.put("k", COMPILED)
    cache.save()
    assert CompileCache(path).get("m", "k") is not None

    monkeypatch.setattr(cache_module, "toolchain", lambda: "another-toolchain")

    assert CompileCache(path).get("m", "k") is None


def test_toolchain_covers_pyflow_version_and_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    compute = toolchain.__wrapped__
    before = compute()
    assert compute() == before == toolchain()

    monkeypatch.setattr(version_module, "__version__", "999.0")
    assert compute() != before
    monkeypatch.undo()

    # pyflow's own files count: stand in a copy of the package for the real one
    import shutil

    package = Path(version_module.__file__).resolve().parent
    copy = tmp_path / "pyflow"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(version_module, "__file__", str(copy / "version.py"))
    baseline = compute()
    (copy / "compile" / "model.py").write_text("# edited\n", encoding="utf-8")
    assert compute() != baseline


def test_digest_tells_a_date_from_the_same_date_as_text() -> None:
    # a YAML `vars: {since: 2024-01-01}` is a date, `--vars '{since: "2024-01-01"}'` a string; a
    # Python model compiles them to different SQL, but both were hashed as the same text
    import datetime

    as_date = digest({"since": datetime.date(2024, 1, 1)})
    as_text = digest({"since": "2024-01-01"})

    assert as_date != as_text
    assert as_date == digest({"since": datetime.date(2024, 1, 1)})
    assert digest({"since": datetime.datetime(2024, 1, 1)}) not in {as_date, as_text}


def test_environ_reads_records_what_a_model_function_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFLOW_T_SET", "a")
    monkeypatch.delenv("PYFLOW_T_UNSET", raising=False)
    real = os.environ

    with environ_reads() as reads:
        assert os.getenv("PYFLOW_T_SET") == "a"
        assert os.environ.get("PYFLOW_T_UNSET", "d") == "d"
        assert "PYFLOW_T_OTHER" not in os.environ
        os.environ["PYFLOW_T_WRITTEN"] = "w"  # a write reaches the real environment

    assert os.environ is real and real["PYFLOW_T_WRITTEN"] == "w"
    monkeypatch.delenv("PYFLOW_T_WRITTEN")
    assert reads.seen == {"PYFLOW_T_SET": "a", "PYFLOW_T_UNSET": None, "PYFLOW_T_OTHER": None}
    assert not reads.listed


@pytest.mark.parametrize("listing", [dict, len, lambda env: env.copy()], ids=["iterate", "len", "copy"])
def test_environ_reads_marks_a_compile_that_lists_the_environment(listing: Any) -> None:
    with environ_reads() as reads:
        listing(os.environ)

    assert reads.listed


def test_environ_reads_in_several_threads_leave_the_real_environment() -> None:
    # compiles in two threads swapping os.environ unguarded could restore one another's proxy
    real = os.environ
    seen: list[dict[str, str | None]] = []

    def compile_one(name: str) -> None:
        for _ in range(50):
            with environ_reads() as reads:
                os.getenv(name)
                time.sleep(0)
            seen.append(reads.seen)

    threads = [threading.Thread(target=compile_one, args=(f"PYFLOW_T_{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert os.environ is real
    assert all(len(reads) == 1 for reads in seen)  # each block saw only its own read


def test_environ_reads_watches_names_bound_to_os_environ_in_a_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYFLOW_T_BOUND", "b")
    namespace: dict[str, Any] = {"environ": os.environ, "other": {}}

    with environ_reads(namespace) as reads:
        assert namespace["environ"].get("PYFLOW_T_BOUND") == "b"

    assert namespace["environ"] is os.environ and namespace["other"] == {}
    assert reads.seen == {"PYFLOW_T_BOUND": "b"}
