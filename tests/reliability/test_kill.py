"""Guarantees that hold today, kept true: ``kill -9`` at any step of a build, Ctrl-C / SIGTERM
during a build, and a database held by another process (issue 10, "Also build").

- A table, incremental or snapshot build on DuckDB runs in one transaction: a process killed
  with SIGKILL before any of its statements leaves the previous table complete and unchanged,
  and no ``__pyflow`` working table; the next run builds normally.
- SIGINT and SIGTERM while a statement runs cancel it: exit 130, the node reported cancelled,
  the previous table unchanged.
- A DuckDB file locked by another process is a ``connection-failed`` error naming its PID.

The kills are real: the run's subprocess sends itself SIGKILL just before its k-th statement
(:mod:`tests.reliability.faults`), for every k of the build, plus one SIGKILL sent from outside
while a long statement runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.reliability.faults import KILL_AT, LOG
from tests.reliability.test_interrupt import pyflow_command

REPO = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 60

TABLE = "{{ config(materialized='table') }}\nselect range as id, {{ var('v') }} as v from range(100)\n"
INCREMENTAL = """
{{ config(materialized='incremental', unique_key='id') }}
select range as id, {{ var('v') }} as v from range({{ var('v') }} * 100)
"""
CURRENT = "{{ config(materialized='table') }}\nselect range as id, {{ var('v') }} as v from range(10 * {{ var('v') }})\n"
SNAPSHOT = """
    import ibis

    from pyflow import snapshot


    @snapshot(unique_key="id", strategy="check", check_cols=["v"])
    def snap(current: ibis.Table) -> ibis.Table:
        return current
"""

# kind -> (files, command of the build that is killed, relation it builds)
KINDS = {
    "table": ({"models/built.sql": TABLE}, "run", "main.built"),
    "incremental": ({"models/built.sql": INCREMENTAL}, "run", "main.built"),
    "snapshot": ({"models/current.sql": CURRENT, "snapshots/snap.py": SNAPSHOT}, "snapshot", "main.snap"),
}


def run_faulty(project: Path, *args: str, kill_at: int | None = None, log: Path | None = None):
    """Run the CLI in a subprocess that kills itself before its ``kill_at``-th worker statement."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop(KILL_AT, None)
    if kill_at is not None:
        env[KILL_AT] = str(kill_at)
    if log is not None:
        env[LOG] = str(log)
    code = "import tests.reliability.faults as f; f.install_from_env(); from pyflow.cli.main import entrypoint; entrypoint()"
    return subprocess.run(
        [sys.executable, "-c", code, *args, "--project-dir", str(project)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_kill_before_every_statement_leaves_the_previous_table(
    kind, tmp_path, make_project, pyflow, warehouse
):
    files, command, relation = KINDS[kind]
    base = make_project(files, project_yml="name: proj\nvars:\n  v: 1\n")
    if kind == "snapshot":
        pyflow("run", "--project-dir", base)
        pyflow("snapshot", "--project-dir", base)
        pyflow("run", "--project-dir", base, "--vars", "{v: 2}")  # the snapshot's input changed
    else:
        pyflow("run", "--project-dir", base)
        if kind == "incremental":  # the table exists: the killed run is an incremental merge
            pyflow("run", "--project-dir", base)
    before = warehouse(base).checksums()
    assert relation in before
    args = (command, "--vars", "{v: 2}")

    # how many statements the build sends (a run that is not killed, on a copy)
    recorded = tmp_path / "statements.log"
    probe = tmp_path / "probe"
    shutil.copytree(base, probe)
    done = run_faulty(probe, *args, log=recorded)
    assert done.returncode == 0, done.stdout + done.stderr
    statements = recorded.read_text(encoding="utf-8").splitlines()
    assert warehouse(probe).checksums()[relation] != before[relation]  # the build changes the table

    # a kill before a read is the same as a kill after the write before it: kill before each
    # write, and before the commit (the last statement)
    writes = [(k, sql) for k, sql in enumerate(statements) if not sql.upper().startswith(READS)]
    assert writes[-1][1].startswith("COMMIT"), statements
    for k, statement in writes:
        project = tmp_path / f"kill_{k}"
        shutil.copytree(base, project)
        killed = run_faulty(project, *args, kill_at=k)
        assert killed.returncode == -signal.SIGKILL, (k, statement, killed.stdout + killed.stderr)
        db = warehouse(project)
        assert db.checksums() == before, f"killed before statement {k}: {statement}"
        assert not any("__pyflow" in rel for rel in db.relations())
    # the next run after a kill builds as if nothing had happened
    again = run_faulty(project, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert contents(warehouse(project), relation) == contents(warehouse(probe), relation)


READS = ("SELECT", "WITH", "DESCRIBE", "SHOW", "PRAGMA")


def contents(db, relation: str) -> list[tuple]:
    """The rows that do not depend on when the build ran (a snapshot's times do)."""
    current = ", pyflow_valid_to IS NULL" if relation == "main.snap" else ""
    return db.rows(f"SELECT id, v{current} FROM {relation} ORDER BY ALL")


SLOW = """
{{ config(materialized='%s'%s) }}
{%% if var('slow') %%}
select count(*) as id, 2 as v from range(200000) as a, range(200000) as b where (a.range * b.range) %% 7 = 3
{%% else %%}
select 1 as id, 1 as v
{%% endif %%}
"""


class Running:
    """The CLI in a subprocess, its output read by a thread."""

    def __init__(self, proc: subprocess.Popen[str], lines: list[str], reader: threading.Thread) -> None:
        self.proc = proc
        self.lines = lines
        self.reader = reader

    def wait(self) -> int:
        """The exit code (after a long guard against hanging); the output pipe closed."""
        try:
            code = self.proc.wait(HANG_GUARD_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.reader.join(10)
            assert self.proc.stdout is not None
            self.proc.stdout.close()
        return code


def start_and_wait(project: Path, *args: str) -> Running:
    """Start the CLI; return once the model's slow statement is running."""
    proc = subprocess.Popen(
        [*pyflow_command(), *args, "--project-dir", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "START sql" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    running = Running(proc, lines, reader)
    if not started.wait(HANG_GUARD_S):
        proc.kill()
        running.wait()
        pytest.fail("the model never started:\n" + "".join(lines))
    time.sleep(1.0)  # let the slow statement start (not a measurement)
    assert proc.poll() is None, "the slow model finished first:\n" + "".join(lines)
    return running


@pytest.mark.parametrize("kind", ["table", "incremental"])
def test_kill_from_outside_during_a_long_statement(kind, make_project, pyflow, warehouse, run_results):
    config = ", unique_key='id'" if kind == "incremental" else ""
    project = make_project(
        {"models/built.sql": SLOW % (kind, config)}, project_yml="name: proj\nvars:\n  slow: false\n"
    )
    pyflow("run", "--project-dir", project)
    before = warehouse(project).checksums()

    running = start_and_wait(project, "run", "--vars", "{slow: true}")
    running.proc.kill()
    assert running.wait() == -signal.SIGKILL

    db = warehouse(project)
    assert db.checksums() == before
    assert not any("__pyflow" in rel for rel in db.relations())
    pyflow("run", "--project-dir", project)  # and the next run works
    assert run_results(project)["built"]["status"] == "success"


@pytest.mark.parametrize("kind", ["table", "incremental"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signal_during_a_long_statement_cancels_it(
    kind, signum, make_project, pyflow, warehouse, run_results
):
    config = ", unique_key='id'" if kind == "incremental" else ""
    project = make_project(
        {"models/built.sql": SLOW % (kind, config)}, project_yml="name: proj\nvars:\n  slow: false\n"
    )
    pyflow("run", "--project-dir", project)
    before = warehouse(project).checksums()

    running = start_and_wait(project, "run", "--vars", "{slow: true}")
    running.proc.send_signal(signum)
    code = running.wait()

    output = "".join(running.lines)
    assert code == 130, output
    result = run_results(project)["built"]
    assert (result["status"], result["error"]["code"]) == ("cancelled", "cancelled"), result
    db = warehouse(project)
    assert db.checksums() == before
    assert not any("__pyflow" in rel for rel in db.relations())


def test_database_held_by_another_process_names_its_pid(make_project, pyflow):
    project = make_project({"models/a.sql": "select 1 as a"})
    pyflow("run", "--project-dir", project)
    db_file = project / "pyflow.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(db_file)!r}); print('ready', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        result = pyflow("run", "--project-dir", project, expect=1)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()

    out = result.output
    assert f"cannot open DuckDB database {db_file}" in out
    assert f"(PID {holder.pid})" in out
    assert "Fix: check the path in profiles.yml; another process may hold the file" in out
    assert "[connection-failed]" in out
    assert "Traceback" not in out
