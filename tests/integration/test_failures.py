"""A failing model leaves the warehouse as it was, skips its descendants and is reported;
--fail-fast stops the run; Ctrl-C and SIGTERM cancel it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

GRANDCHILD = """
    import ibis

    from pyflow import model


    @model(materialized="table")
    def grandchild(child: ibis.Table) -> ibis.Table:
        return child.mutate(c=child.b * 10)
"""

# A model that builds fine, and a version of it that the database rejects while building it.
# DuckDB binds a view's query when creating it but evaluates casts only when reading it, so the
# broken view refers to a column that does not exist.
GOOD = "{{ config(materialized='%s') }}\nselect 1 as a, 'good' as version\n"
BROKEN = {
    "table": (
        "{{ config(materialized='table') }}\nselect cast('x' as integer) as a, 'bad' as version\n",
        "Could not convert string 'x' to INT32",
    ),
    "view": (
        "{{ config(materialized='view') }}\nselect a, no_such_column as version from (select 1 as a)\n",
        "no_such_column",
    ),
}


@pytest.mark.parametrize("materialized", ["table", "view"])
def test_run_failing_model_keeps_old_relation_and_skips_descendants(
    materialized, make_project, pyflow, warehouse, run_results
):
    project = make_project(
        {
            "models/target_model.sql": GOOD % materialized,
            "models/child.sql": "select a + 1 as b from {{ ref('target_model') }}",
            "models/grandchild.py": GRANDCHILD,
            "models/independent.sql": "{{ config(materialized='table') }}\nselect 42 as answer",
        }
    )
    pyflow("run", "--project-dir", project)
    db = warehouse(project)
    kinds = db.relations()
    assert kinds["main.target_model"] == ("BASE TABLE" if materialized == "table" else "VIEW")
    before = db.contents()
    assert before["main.target_model"] == [(1, "good")]
    assert before["main.grandchild"] == [(2, 20)]

    broken_sql, error_text = BROKEN[materialized]
    (project / "models" / "target_model.sql").write_text(broken_sql)
    (project / "models" / "independent.sql").write_text(
        "{{ config(materialized='table') }}\nselect 43 as answer"
    )
    result = pyflow("run", "--project-dir", project, expect=1)

    assert "Done. PASS=1 WARN=0 ERROR=1 SKIP=2 TOTAL=4" in result.output
    assert error_text in result.output
    after = warehouse(project)
    assert after.relations() == kinds  # no temporary object left, nothing dropped
    assert not any("__pyflow" in rel for rel in after.relations())
    assert after.rows("SELECT * FROM target_model") == [(1, "good")]
    assert after.rows("SELECT * FROM child") == [(2,)]
    assert after.rows("SELECT * FROM grandchild") == [(2, 20)]
    assert after.rows("SELECT * FROM independent") == [(43,)]

    results = run_results(project)
    assert {name: r["status"] for name, r in results.items()} == {
        "target_model": "error",
        "child": "skipped",
        "grandchild": "skipped",
        "independent": "success",
    }
    assert error_text in results["target_model"]["message"]
    assert results["target_model"]["error"]["code"] == "database-error"
    assert results["target_model"]["error"]["model"] == "target_model"
    assert results["child"]["message"] == "skipped because 'target_model' failed"
    assert results["grandchild"]["message"] == "skipped because 'target_model' failed"


def test_run_fail_fast_cancels_remaining_nodes(make_project, pyflow, warehouse, run_results):
    project = make_project(
        {
            "models/a_broken.sql": "select * from no_such_table",
            "models/b.sql": "select 1 as x",
            "models/c.sql": "select 2 as x",
            "models/d.sql": "select x from {{ ref('b') }}",
        }
    )

    result = pyflow("run", "--project-dir", project, "--fail-fast", "--threads", "1", expect=1)

    assert "Done. PASS=0 WARN=0 ERROR=1 SKIP=1 CANCELLED=2 TOTAL=4" in result.output
    results = run_results(project)
    assert {name: r["status"] for name, r in results.items()} == {
        "a_broken": "error",
        "b": "cancelled",  # not started: no failed ancestor, so cancelled rather than skipped
        "c": "cancelled",
        "d": "skipped",  # below the cancelled b
    }
    assert "no_such_table" in results["a_broken"]["message"]
    assert all("--fail-fast" in results[n]["message"] for n in "bc")
    assert results["d"]["message"] == "skipped because 'b' was cancelled"
    assert warehouse(project).relations() == {}


def test_run_without_fail_fast_runs_independent_nodes(make_project, pyflow, warehouse):
    project = make_project(
        {
            "models/a_broken.sql": "select * from no_such_table",
            "models/b.sql": "select 1 as x",
            "models/c.sql": "select x + 1 as x from {{ ref('b') }}",
        }
    )

    result = pyflow("run", "--project-dir", project, "--threads", "1", expect=1)

    assert "Done. PASS=2 WARN=0 ERROR=1 SKIP=0 TOTAL=3" in result.output
    assert warehouse(project).rows("SELECT x FROM c") == [(2,)]


def test_run_python_model_error_names_file_and_line(make_project, pyflow, run_results):
    project = make_project(
        {
            "models/base.sql": "select 1 as x",
            "models/broken_py.py": """
                import ibis

                from pyflow import model


                @model
                def broken_py(base: ibis.Table) -> ibis.Table:
                    return base.mutate(y=base.no_such_column + 1)
            """,
            "models/after_broken.sql": "select * from {{ ref('broken_py') }}",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "Done. PASS=1 WARN=0 ERROR=1 SKIP=1 TOTAL=3" in result.output
    results = run_results(project)
    assert results["broken_py"]["status"] == "error"
    assert results["broken_py"]["error"]["path"] == "models/broken_py.py"
    assert results["broken_py"]["error"]["line"] == 8
    assert "no_such_column" in results["broken_py"]["message"]
    assert "models/broken_py.py:8" in result.output
    assert results["after_broken"]["status"] == "skipped"


# ---- Ctrl-C / SIGTERM -----------------------------------------------------------------------

SLOW_SQL = """
{{ config(materialized='table') }}
{% if var('slow') %}
select count(*) as n from range(200000) as a, range(200000) as b where (a.range * b.range) % 7 = 3
{% else %}
select 1 as n
{% endif %}
"""


def _pyflow_command() -> list[str]:
    exe = shutil.which("pyflow")
    if exe is not None:
        return [exe]
    return [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()"]


@pytest.mark.parametrize(
    ("signum", "delay"),
    [
        (signal.SIGTERM, 0.0),  # as the node starts, before its statement runs
        (signal.SIGTERM, 2.0),  # while the slow statement runs
        (signal.SIGINT, 1.0),  # Ctrl-C
    ],
    ids=["sigterm-at-start", "sigterm-mid-query", "sigint"],
)
def test_run_signal_cancels_cleanly(signum, delay, make_project, pyflow, warehouse, run_results):
    project = make_project(
        {
            "models/slow.sql": SLOW_SQL,
            "models/after_1.sql": "select n + 1 as n from {{ ref('slow') }}",
            "models/after_2.sql": "{{ config(materialized='table') }}\nselect n + 2 as n from {{ ref('after_1') }}",
            "models/after_3.py": """
                import ibis

                from pyflow import model


                @model(materialized="table")
                def after_3(slow: ibis.Table) -> ibis.Table:
                    return slow.mutate(n=slow.n + 3)
            """,
        },
        project_yml="name: proj\nvars:\n  slow: false\n",
    )
    pyflow("run", "--project-dir", project)
    assert warehouse(project).rows("SELECT n FROM slow") == [(1,)]

    proc = subprocess.Popen(
        [
            *_pyflow_command(),
            "run",
            "--project-dir",
            str(project),
            "--threads",
            "1",
            "--vars",
            "{slow: true}",
        ],
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
            if "START sql table model main.slow" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(60), "the slow model never started:\n" + "".join(lines)
        time.sleep(delay)
        assert proc.poll() is None, "the slow model finished before it could be cancelled"
        proc.send_signal(signum)
        # a hang guard, not a measure (bench/ times the stop): uninterrupted, the slow
        # statement (4e10 rows) runs for many minutes, so stopping at all proves the interrupt
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.stdout is not None
    proc.stdout.close()
    output = "".join(lines)

    assert code == 130, output
    assert "The run was cancelled" in output
    results = run_results(project)
    assert results["slow"]["status"] == "cancelled"
    assert "interrupt" in results["slow"]["message"].lower()
    assert {results[n]["status"] for n in ("after_1", "after_2", "after_3")} == {"skipped"}
    db = warehouse(project)
    assert db.rows("SELECT n FROM slow") == [(1,)]
    assert not any("__pyflow" in rel for rel in db.relations())
