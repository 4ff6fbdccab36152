"""A full disk is a clear error, never a traceback, a stale artifact or a leftover (issue 10, item 5).

When the DuckDB file's disk is full, the model being written fails with ``disk-full`` naming the
model, the file and a fix; its previous table stays; the summary is printed and
``run_results.json`` describes this run. When ``target/`` itself is on the full disk the error
names the artifact; a ``run_results.json`` that cannot be written is removed rather than left
describing an earlier run; no ``*.tmp`` file is left anywhere.

Two ways to fill the disk: a real 2 MB tmpfs (needs root; skipped otherwise), and a simulated
ENOSPC (the exact error DuckDB or the OS raises) at each write, which runs everywhere.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import load_json
from tests.reliability.faults import Plan, inject

BIG = "{{ config(materialized='table') }}\nselect range as id, md5(range::varchar) as h from range(%d)\n"
SMALL = "{{ config(materialized='table') }}\nselect 1 as one\n"
PROFILE = """
p:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: '%s'
"""


def no_leftover_files(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.name.endswith(".tmp")]


def previous_invocation(project: Path) -> str:
    return load_json(project / "target" / "run_results.json")["metadata"]["invocation_id"]


# ---- simulated: the DuckDB statement that writes fails with ENOSPC ---------------------------

DUCKDB_ENOSPC = {
    # what DuckDB raises when a write of the database file or of its WAL hits a full disk
    "CREATE TABLE": lambda db: duckdb.IOException(
        f'IO Error: Could not write file "{db}": No space left on device'
    ),
    "DROP TABLE": lambda db: duckdb.IOException(
        f'IO Error: Could not write file "{db}": No space left on device'
    ),
    "ALTER TABLE": lambda db: duckdb.IOException(
        f'IO Error: Could not write file "{db}": No space left on device'
    ),
    "COMMIT": lambda db: duckdb.TransactionException(
        f'TransactionContext Error: Failed to commit: Could not write file "{db}.wal": No space left on device'
    ),
}


@pytest.mark.parametrize("statement", list(DUCKDB_ENOSPC))
def test_enospc_in_each_statement_of_a_table_build_is_a_disk_full_error(
    statement, make_project, pyflow, warehouse, run_results, monkeypatch
):
    project = make_project({"models/big.sql": BIG % 10, "models/small.sql": SMALL})
    pyflow("run", "--project-dir", project)
    before = previous_invocation(project)
    db_file = project / "pyflow.duckdb"
    (project / "models" / "big.sql").write_text(BIG % 20, encoding="utf-8")

    plan = inject(monkeypatch.setattr, Plan(prefix=statement, error=DUCKDB_ENOSPC[statement](db_file)))
    result = pyflow("run", "--project-dir", project, "--threads", "1", expect=1)

    assert plan.fired, plan.seen
    out = result.output
    assert f"model 'big' (models/big.sql): no space left on device while writing {db_file}" in out
    assert "Fix: free space on the disk holding" in out
    assert "[disk-full]" in out
    assert "internal error" not in out and "Traceback" not in out
    assert "Done. PASS=1 WARN=0 ERROR=1 SKIP=0 TOTAL=2" in out  # the summary is printed
    data = load_json(project / "target" / "run_results.json")
    assert data["metadata"]["invocation_id"] != before  # this run's results, not the last run's
    results = run_results(project)
    assert results["big"]["status"] == "error"
    assert results["big"]["error"]["code"] == "disk-full"
    assert results["small"]["status"] == "success"
    db = warehouse(project)
    assert db.rows("SELECT count(*), max(id) FROM big") == [(10, 9)]  # the old table, complete
    assert not any("__pyflow" in rel for rel in db.relations())
    assert no_leftover_files(project) == []


def test_enospc_creating_the_database_file_is_a_disk_full_error(make_project, pyflow, monkeypatch):
    project = make_project({"models/small.sql": SMALL})
    db_file = project / "pyflow.duckdb"
    real = duckdb.connect

    def connect(database=":memory:", *args, **kwargs):
        if str(database) == str(db_file):  # what DuckDB does on a full disk: an empty file, then
            Path(database).touch()
            raise duckdb.IOException(f'IO Error: Could not write file "{db_file}": No space left on device')
        return real(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)
    result = pyflow("run", "--project-dir", project, expect=1)

    out = result.output
    assert f"pyflow: no space left on device while writing {db_file}" in out
    assert f"Fix: free space on the disk holding {project} (or point `path:` of the target" in out
    assert "another process may hold the file" not in out  # not the lock hint
    assert "[disk-full]" in out
    assert not db_file.exists()  # no empty database file left behind


# ---- simulated: an artifact under target/ cannot be written ----------------------------------


def failing_replace(monkeypatch, match: Callable[[Path], bool]) -> list[str]:
    """Make the rename that completes an atomic write of a file ``match`` accepts fail with ENOSPC
    (the temporary file is then complete: it must be removed). Returns the files it failed."""
    real = os.replace
    failed: list[str] = []

    def replace(src, dst, *args, **kwargs):
        if match(Path(dst)):
            failed.append(str(dst))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return failed


def test_run_results_on_a_full_disk_is_an_error_and_the_stale_file_is_removed(
    make_project, pyflow, warehouse, monkeypatch
):
    project = make_project({"models/big.sql": BIG % 10, "models/small.sql": SMALL})
    pyflow("run", "--project-dir", project)
    (project / "models" / "big.sql").write_text(BIG % 20, encoding="utf-8")

    failed = failing_replace(monkeypatch, lambda p: p.name == "run_results.json")
    result = pyflow("run", "--project-dir", project, expect=1)

    path = project / "target" / "run_results.json"
    assert failed == [str(path)]
    out = result.output
    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in out  # both models were built
    assert f"no space left on device while writing {path}" in out
    assert "the run_results.json of an earlier run was removed" in out
    assert "Fix: free space on the disk holding" in out
    assert "internal error" not in out and "Traceback" not in out
    assert not path.exists()  # never a file that says an earlier run's outcome
    assert warehouse(project).rows("SELECT count(*) FROM big") == [(20,)]
    assert no_leftover_files(project) == []


BEFORE_THE_RUN = {
    "manifest": lambda p: p.name == "manifest.json",
    "compiled-sql": lambda p: p.suffix == ".sql" and "compiled" in p.parts,
}


@pytest.mark.parametrize("artifact", list(BEFORE_THE_RUN))
def test_artifact_before_the_run_on_a_full_disk_stops_it_with_an_error(
    artifact, make_project, pyflow, warehouse, monkeypatch
):
    project = make_project({"models/big.sql": BIG % 10, "models/small.sql": SMALL})
    pyflow("run", "--project-dir", project)
    (project / "models" / "big.sql").write_text(BIG % 20, encoding="utf-8")

    failed = failing_replace(monkeypatch, BEFORE_THE_RUN[artifact])
    result = pyflow("run", "--project-dir", project, expect=1)

    assert len(failed) == 1
    out = result.output
    assert f"no space left on device while writing {failed[0]}" in out
    assert "[disk-full]" in out
    assert "internal error" not in out and "Traceback" not in out
    assert not (project / "target" / "run_results.json").exists()
    assert warehouse(project).rows("SELECT count(*) FROM big") == [(10,)]  # nothing ran
    assert no_leftover_files(project) == []


def test_run_sql_on_a_full_disk_is_reported_after_the_summary(make_project, pyflow, monkeypatch):
    project = make_project({"models/big.sql": BIG % 10})

    failed = failing_replace(monkeypatch, lambda p: (project / "target" / "run") in p.parents)
    result = pyflow("run", "--project-dir", project, expect=1)

    assert failed and "/target/run/" in failed[0]
    out = result.output
    assert "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1" in out
    assert out.index("Done. PASS=1") < out.index(f"no space left on device while writing {failed[0]}")
    results = load_json(project / "target" / "run_results.json")["results"]
    assert [(r["name"], r["status"]) for r in results] == [("big", "success")]
    assert no_leftover_files(project) == []


def test_compile_cache_on_a_full_disk_is_skipped(make_project, pyflow, monkeypatch):
    project = make_project({"models/big.sql": BIG % 10})

    failed = failing_replace(monkeypatch, lambda p: p.name == "compile-cache.json")
    pyflow("run", "--project-dir", project)  # the cache only saves time: the run succeeds

    assert failed
    assert not (project / "target" / ".pyflow" / "compile-cache.json").exists()
    assert no_leftover_files(project) == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_compiled_sql_on_a_full_disk_is_an_error_naming_the_file(make_project, pyflow, monkeypatch, workers):
    # with workers, a thread writes the files of the models they compile: its failure is reported too
    models = {
        f"models/m{i:02d}.py": f"from pyflow import model\n\n\n@model\ndef m{i:02d}(base):\n    return base\n"
        for i in range(30)
    }
    project = make_project({"models/base.sql": "select 1 as id\n", **models})
    monkeypatch.setenv("PYFLOW_COMPILE_WORKERS", workers)

    failed = failing_replace(monkeypatch, lambda p: p.name == "m07.sql" and "compiled" in p.parts)
    result = pyflow("compile", "--project-dir", project, expect=1)

    assert len(failed) == 1 and failed[0].endswith("/target/compiled/proj/models/m07.sql")
    assert f"no space left on device while writing {failed[0]}" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert (project / "target" / "compiled" / "proj" / "models" / "m06.sql").is_file()
    assert no_leftover_files(project) == []


def test_sources_json_on_a_full_disk_is_reported_after_the_summary(make_project, pyflow, monkeypatch):
    project = make_project(
        {
            "data/fresh.csv": "id,loaded_at\n1,2999-01-01 00:00:00\n",
            "models/sources.yml": """
                sources:
                  - name: crm
                    loaded_at_field: loaded_at
                    freshness: {warn_after: {count: 1, period: day}}
                    tables:
                      - name: fresh
                        external_location: data/fresh.csv
            """,
        }
    )

    failed = failing_replace(monkeypatch, lambda p: p.name == "sources.json")
    result = pyflow("source", "freshness", "--project-dir", project, expect=1)

    path = project / "target" / "sources.json"
    assert failed == [str(path)]
    out = result.output
    assert out.index("Done. PASS=1") < out.index(f"no space left on device while writing {path}")
    assert "internal error" not in out and "Traceback" not in out
    assert no_leftover_files(project) == []


def test_log_file_on_a_full_disk_stops_with_one_warning(make_project, pyflow, monkeypatch):
    from pyflow.runner.logfile import LogFile as _LogFile

    def flush(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_LogFile, "flush", flush)
    project = make_project({"models/big.sql": BIG % 10, "models/small.sql": SMALL})

    result = pyflow("run", "--project-dir", project)

    log_file = project / "logs" / "pyflow.log"
    warning = f"no space left on device while writing {log_file}: the rest of this run is not logged there"
    assert result.output.count(warning) == 1
    assert "Logging error" not in result.output and "Traceback" not in result.output
    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output


# ---- a real full disk: a 2 MB tmpfs ----------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs mounted at tmp_path/disk (unmounted after the test)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder: Path) -> None:
    """Write a file in ``folder`` until its file system is full."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_database_on_a_full_tmpfs(small_disk, make_project, pyflow, run_results):
    db_file = small_disk / "wh.duckdb"
    project = make_project(
        {"models/big.sql": BIG % 1000, "models/small.sql": SMALL, "profiles.yml": PROFILE % db_file},
        project_yml="name: proj\nprofile: p\n",
    )
    pyflow("run", "--project-dir", project, "--profiles-dir", project)
    before = previous_invocation(project)
    (project / "models" / "big.sql").write_text(BIG % 2_000_000, encoding="utf-8")  # ~70 MB

    result = pyflow("run", "--project-dir", project, "--profiles-dir", project, expect=1)

    out = result.output
    assert "model 'big' (models/big.sql): no space left on device while writing " in out
    assert str(small_disk) in out
    assert "[disk-full]" in out
    assert "internal error" not in out and "Traceback" not in out
    assert "Done. PASS=1 WARN=0 ERROR=1 SKIP=0 TOTAL=2" in out
    assert load_json(project / "target" / "run_results.json")["metadata"]["invocation_id"] != before
    results = run_results(project)
    assert (results["big"]["status"], results["big"]["error"]["code"]) == ("error", "disk-full")
    assert results["small"]["status"] == "success"
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*), max(id) FROM big").fetchall() == [(1000, 999)]
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    finally:
        con.close()
    assert sorted(names) == ["big", "pyflow_run_history", "small"]  # the history is on by default
    assert no_leftover_files(project, small_disk) == []


def test_project_on_a_full_tmpfs(small_disk, pyflow):
    """Everything (models, target/, logs/, the database) on a disk that is then filled up."""
    from tests.conftest import write_project

    project = write_project(small_disk / "proj", {"models/big.sql": BIG % 1000, "models/small.sql": SMALL})
    pyflow("run", "--project-dir", project)
    (project / "models" / "big.sql").write_text(BIG % 2000, encoding="utf-8")
    fill(small_disk)

    result = pyflow("run", "--project-dir", project, expect=1)

    out = result.output
    assert "no space left on device while writing " + str(project / "target") in out
    assert "[disk-full]" in out
    assert "internal error" not in out and "Traceback" not in out and "Logging error" not in out
    # the first write under target/ fails (every new file needs a page), before any model ran:
    # the earlier run's results are gone rather than passing for this run's
    assert not (project / "target" / "run_results.json").exists()
    assert no_leftover_files(small_disk) == []
    (small_disk / "filler").unlink()
    con = duckdb.connect(str(project / "pyflow.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM big").fetchall() == [(1000,)]
    finally:
        con.close()
