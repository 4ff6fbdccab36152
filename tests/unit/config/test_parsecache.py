"""Tests for pyflow.config.parsecache: per-file parse results, valid only for the pyflow that wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.config import parsecache
from pyflow.config.parsecache import ParseCache


def test_parse_cache_survives_a_save_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "parse-cache.json"
    cache = ParseCache(path)
    cache.put("models/a.sql", "sha1", "env1", {"refs": ["b"]})
    cache.save()

    again = ParseCache(path)

    assert again.get("models/a.sql", "sha1", "env1") == {"refs": ["b"]}
    assert again.get("models/a.sql", "sha2", "env1") is None


def test_parse_cache_written_by_another_pyflow_is_discarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another pyflow may parse the same unchanged file differently (a fixed ref extraction, say)
    path = tmp_path / "parse-cache.json"
    cache = ParseCache(path)
    cache.put("models/a.sql", "sha1", "env1", {"refs": ["b"]})
    cache.save()

    monkeypatch.setattr(parsecache, "toolchain", lambda: "another-toolchain")

    assert ParseCache(path).get("models/a.sql", "sha1", "env1") is None
