"""The walk behind the compile witness: what it sees and what it leaves out."""

from __future__ import annotations

import os
from pathlib import Path

from pyflow.runner import compilewitness
from pyflow.runner.compilewitness import Request


def _digest(root: Path, skip: tuple[str, ...] = ()) -> str | None:
    walked = compilewitness._walk(root, {os.path.normpath(root / s) for s in skip})
    return None if walked is None else walked[0]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "models/a.sql").write_text("select 1\n")
    (root / ".git").mkdir()
    (root / ".git/HEAD").write_text("ref\n")
    (root / "target").mkdir()
    (root / "target/x").write_text("out\n")
    return root


def test_files_under_hidden_or_skipped_folders_do_not_count(tmp_path):
    root = _tree(tmp_path)
    before = _digest(root, ("target",))

    (root / ".git/HEAD").write_text("other ref\n")
    (root / "models/__pycache__").mkdir()
    (root / "models/__pycache__/a.pyc").write_bytes(b"x")
    (root / "target/y").write_text("more\n")

    assert _digest(root, ("target",)) == before
    (root / ".env").write_text("X=1\n")  # a hidden file is a file like any other
    assert _digest(root, ("target",)) != before


def test_folders_behind_symbolic_links_are_walked(tmp_path):
    root = _tree(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "m.sql").write_text("select 2\n")
    (root / "models/shared").symlink_to(shared)
    (root / "models/loop").symlink_to(root / "models")  # a cycle ends
    before = _digest(root)

    (shared / "m.sql").write_text("select 3\n")

    assert _digest(root) != before


def test_too_many_files_means_no_witness(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    monkeypatch.setattr(compilewitness, "MAX_FILES", 1)  # models/a.sql and target/x
    assert _digest(root) is None
    monkeypatch.setattr(compilewitness, "MAX_FILES", 2)
    assert _digest(root) is not None


def test_configured_folders_outside_the_project_are_walked(tmp_path):
    root = _tree(tmp_path)
    (tmp_path / "shared_models").mkdir()
    request = Request(root, None, None, None, (), (), None)

    extra = compilewitness._outside(
        root.resolve(), ["models", "../shared_models", "dbt_packages", ".hidden/models"]
    )

    assert extra == [(root / ".hidden/models").resolve(), (tmp_path / "shared_models").resolve()]
    before = compilewitness._inputs(root.resolve(), extra, [], request)
    (tmp_path / "shared_models/new.sql").write_text("select 1\n")
    assert compilewitness._inputs(root.resolve(), extra, [], request) != before


def test_adapters_say_whether_they_connected():
    from types import SimpleNamespace

    from pyflow.adapters.duckdb import DuckDBAdapter
    from pyflow.adapters.trinoconnection import TrinoConnection

    adapter = DuckDBAdapter.in_memory()
    assert not adapter.connected
    adapter.open()
    adapter.close()
    assert adapter.connected  # what it read stays read
    remote = SimpleNamespace(_online=False, _reached=False)
    assert not TrinoConnection.connected.fget(remote)
    remote._online = True  # open(): from now on catalog questions are asked
    assert TrinoConnection.connected.fget(remote)
    remote._online, remote._reached = False, True  # closed after connecting
    assert TrinoConnection.connected.fget(remote)


def test_written_folders_are_left_out_only_when_they_hold_no_input(tmp_path):
    root = tmp_path.resolve()
    skip = compilewitness._written(root, [root / "target", root / "logs"], ["models", "seeds"])
    assert skip == [str(root / "target"), str(root / "logs")]
    # a log folder that is the project folder, or holds models, is walked: its files count
    assert compilewitness._written(root, [root / "target", root], ["models"]) == [str(root / "target")]
    assert compilewitness._written(root, [root / "target", root / "src"], ["src/models"]) == [
        str(root / "target")
    ]


def test_another_library_version_means_the_full_path(monkeypatch, tmp_path):
    import importlib.util
    from types import SimpleNamespace

    before = compilewitness._runtime()
    reinstalled = tmp_path / "duckdb" / "__init__.py"  # another DuckDB: another file, another time
    reinstalled.parent.mkdir()
    reinstalled.write_text("")
    find = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: SimpleNamespace(origin=str(reinstalled)) if name == "duckdb" else find(name, *a),
    )

    assert compilewitness._runtime() != before
