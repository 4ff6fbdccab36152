"""Statuses say what happened: ``cancelled`` is not a database error, ``--fail-fast`` counts
only real failures as errors, a macro file's syntax error is reported as such, and JSON log
events carry the invocation id, an event code and name, the node's id and timestamps (an
internal error too)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
from datetime import datetime

import pytest

from tests.integration.conftest import load_json

# a statement that runs for minutes on DuckDB unless it is interrupted
ENDLESS = (
    "select count(*) as n from range(3000000) as a, range(3000000) as b where (a.range * b.range) % 7 = 3"
)

EVENT_NAMES = {
    "message": ("M001", "LogMessage"),
    "run_start": ("R001", "RunStarted"),
    "node_start": ("N001", "NodeStarted"),
    "node_finish": ("N002", "NodeFinished"),
    "run_finish": ("R002", "RunFinished"),
}


def test_a_cancelled_duckdb_query_raises_cancelled_not_a_database_error():
    from pyflow.adapters.duckdb import DuckDBAdapter
    from pyflow.errors import AdapterError, CancelledError

    adapter = DuckDBAdapter.in_memory()
    adapter.open()
    raised: list[BaseException] = []
    running = threading.Event()

    def query() -> None:
        running.set()
        try:
            adapter.fetchall(ENDLESS, model="slow")
        except BaseException as exc:  # the test inspects what was raised
            raised.append(exc)

    worker = threading.Thread(target=query, daemon=True)
    worker.start()
    running.wait(10)
    for _ in range(1000):  # the worker's cursor exists once its statement is being sent
        if adapter._cursors:
            break
        threading.Event().wait(0.01)
    threading.Event().wait(0.3)
    adapter.cancel()
    worker.join(30)
    adapter.close()

    assert not worker.is_alive()
    assert len(raised) == 1
    assert isinstance(raised[0], CancelledError)
    assert not isinstance(raised[0], AdapterError)
    assert raised[0].code == "cancelled"
    assert raised[0].model == "slow"
    assert raised[0].message == "interrupted: the run was cancelled while this statement ran"


def test_fail_fast_reports_interrupted_and_unstarted_nodes_as_cancelled(make_project, pyflow, run_results):
    project = make_project(
        {
            "models/a_broken.sql": "select * from no_such_table",
            "models/b_slow.sql": "{{ config(materialized='table') }}\n" + ENDLESS,
            "models/c.sql": "select 1 as x",
            "models/d.sql": "select n from {{ ref('b_slow') }}",
        }
    )

    result = pyflow("run", "--project-dir", project, "--fail-fast", "--threads", "2", expect=1)

    results = run_results(project)
    assert {n: r["status"] for n, r in results.items()} == {
        "a_broken": "error",
        "b_slow": "cancelled",  # running when a_broken failed: interrupted, not an error
        "c": "cancelled",  # never started: no failed ancestor, so not "skipped"
        "d": "skipped",  # its parent b_slow was cancelled
    }, results["b_slow"]["message"]
    assert results["b_slow"]["error"]["code"] == "cancelled"
    assert results["b_slow"]["cause"] == "model.proj.a_broken"
    assert results["b_slow"]["message"].startswith("cancelled by --fail-fast after 'a_broken' failed: ")
    assert results["c"]["message"] == "cancelled before it started: --fail-fast after 'a_broken' failed"
    assert results["c"]["cause"] == "model.proj.a_broken"
    assert results["d"]["message"] == "skipped because 'b_slow' was cancelled"
    assert results["d"]["cause"] == "model.proj.b_slow"
    out = result.output
    assert "Done. PASS=0 WARN=0 ERROR=1 SKIP=1 CANCELLED=2 TOTAL=4" in out
    assert "Completed with 1 error(s):" in out
    assert re.search(r"CANCELLED sql table model main\.b_slow \.+ \[CANCELLED in \d+\.\d\ds\]", out)
    assert re.search(r"CANCELLED sql view model main\.c \.+ \[CANCELLED\]", out)
    assert re.search(r"SKIP sql view model main\.d because 'b_slow' was cancelled \.+ \[SKIP\]", out)
    assert "ERROR creating sql table model main.b_slow" not in out


def _pyflow_command() -> list[str]:
    exe = shutil.which("pyflow")
    if exe is not None:
        return [exe]
    return [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupted_query_is_cancelled_in_run_results_and_json_events(signum, make_project):
    project = make_project(
        {
            "models/slow.sql": "{{ config(materialized='table') }}\n" + ENDLESS,
            "models/after.sql": "select n from {{ ref('slow') }}",
            "models/other.sql": "select 1 as x from {{ ref('slow') }}",
        }
    )
    proc = subprocess.Popen(
        [*_pyflow_command(), "run", "--project-dir", str(project), "--threads", "1", "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if '"node_start"' in line and "main.slow" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(60), "the slow model never started:\n" + "".join(lines)
        threading.Event().wait(1.0)
        proc.send_signal(signum)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()

    assert code == 130, "".join(lines)
    events = [json.loads(line) for line in lines]
    data = load_json(project / "target" / "run_results.json")
    results = {r["name"]: r for r in data["results"]}
    assert {n: r["status"] for n, r in results.items()} == {
        "slow": "cancelled",
        "after": "skipped",
        "other": "skipped",
    }
    assert results["slow"]["error"]["code"] == "cancelled"
    assert "database" not in results["slow"]["message"]
    assert results["after"]["message"] == "skipped because 'slow' was cancelled"
    assert results["after"]["cause"] == "model.proj.slow"

    finishes = {e["unique_id"]: e for e in events if e["kind"] == "node_finish"}
    assert finishes["model.proj.slow"]["result"]["status"] == "cancelled"
    assert finishes["model.proj.after"]["result"]["status"] == "skipped"
    assert finishes["model.proj.after"]["result"]["cause"] == "model.proj.slow"
    texts = [e["text"] for e in events if e["kind"] == "message"]
    assert "Done. PASS=0 WARN=0 ERROR=0 SKIP=2 CANCELLED=1 TOTAL=3" in texts
    assert {e["invocation_id"] for e in events} == {data["metadata"]["invocation_id"]}


def test_syntax_error_in_a_macro_file_is_reported_with_file_and_line_not_as_undefined_siblings(
    make_project, pyflow
):
    project = make_project(
        {
            "macros/m.sql": """
                {% macro good() %}1{% endmacro %}

                {% macro bad() %}
                {% if x %}2
                {% endmacro %}
            """,
            "models/a.sql": "select {{ good() }} as id",
            "models/b.sql": "select {{ good() }} + 1 as id",
        }
    )

    result = pyflow("build", "--project-dir", project, expect=1)

    out = result.output
    assert "pyflow: macros/m.sql:5: Jinja syntax error: Encountered unknown tag 'endmacro'." in out
    assert ">    5 | {% endmacro %}" in out
    assert "[jinja-syntax]" in out
    assert "undefined" not in out
    assert "error(s) found" not in out  # one error: the syntax error, once


def test_a_model_using_a_macro_of_a_broken_file_names_that_file_and_line():
    from pyflow.core.jinja import JinjaProject
    from pyflow.errors import CompileError

    jinja = JinjaProject({"macros/m.sql": "{% macro good() %}1{% endmacro %}\n{% macro bad() %}{% if x %}\n"})
    jinja.add_template("models/a.sql", "select\n{{ good() }} as id")

    with pytest.raises(CompileError) as info:
        jinja.render("models/a.sql", {}, model="a")

    err = info.value
    assert err.code == "jinja-syntax"
    assert (err.model, err.path, err.line) == ("a", "macros/m.sql", 2)
    assert err.message.startswith(
        "macro 'good' cannot be used: its file macros/m.sql has a Jinja syntax error at line 2: "
    )
    assert "undefined" not in str(err)


def _iso(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def test_json_events_carry_invocation_id_event_code_name_unique_id_and_timestamps(make_project, pyflow):
    project = make_project(
        {
            "models/a.sql": "select 1 as id",
            "models/broken.sql": "select * from no_such_table",
            "models/after_broken.sql": "select * from {{ ref('broken') }}",
        }
    )

    result = pyflow("run", "--project-dir", project, "--threads", "1", "--log-format", "json", expect=1)

    events = [json.loads(line) for line in result.stdout.splitlines()]
    invocation = load_json(project / "target" / "run_results.json")["metadata"]["invocation_id"]
    assert {e["invocation_id"] for e in events} == {invocation}
    assert {e["kind"] for e in events} == set(EVENT_NAMES)
    for e in events:
        assert (e["event_code"], e["event_name"]) == EVENT_NAMES[e["kind"]]
        assert _iso(e["timestamp"]).timestamp() == pytest.approx(e["ts"], abs=1e-3)
    assert events[0]["text"].startswith("Running with pyflow=")
    nodes = [e for e in events if e["kind"] in ("node_start", "node_finish")]
    assert {(e["kind"], e["unique_id"]) for e in nodes} == {
        ("node_start", "model.proj.a"),
        ("node_finish", "model.proj.a"),
        ("node_start", "model.proj.broken"),
        ("node_finish", "model.proj.broken"),
        ("node_finish", "model.proj.after_broken"),
    }
    for e in nodes:
        if e["kind"] == "node_finish":
            assert e["result"]["unique_id"] == e["unique_id"]
    assert all(e["unique_id"] is None for e in events if e["kind"] not in ("node_start", "node_finish"))
    a_done = next(e for e in nodes if e["kind"] == "node_finish" and e["unique_id"] == "model.proj.a")
    assert 0 < a_done["result"]["started_at"] <= a_done["result"]["completed_at"] <= a_done["ts"]


def test_internal_error_exits_3_and_emits_a_json_error_event(make_project, pyflow, monkeypatch):
    import pyflow.runner.session as session

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(session, "load_project", broken)
    project = make_project({"models/a.sql": "select 1 as id"})

    result = pyflow("run", "--project-dir", project, "--log-format", "json", expect=3)

    events = [json.loads(line) for line in result.stdout.splitlines()]
    error = events[-1]
    assert error["kind"] == "error"
    assert (error["event_code"], error["event_name"]) == ("E002", "InternalError")
    assert error["code"] == "internal"
    assert error["message"] == "RuntimeError: boom"
    assert "Traceback (most recent call last)" in error["traceback"]
    assert error["invocation_id"] == events[0]["invocation_id"]
    _iso(error["timestamp"])

    text = pyflow("run", "--project-dir", project, expect=3)
    assert "RuntimeError: boom" in text.output
    assert "pyflow: internal error (a bug in pyflow)" in text.output


def test_user_error_json_event_carries_event_code_and_invocation_id(make_project, pyflow):
    project = make_project({"models/a.sql": "select 1 as id"})

    result = pyflow("run", "--project-dir", project, "--select", "nosuch:x", "--log-format", "json", expect=1)

    events = [json.loads(line) for line in result.stdout.splitlines()]
    error = events[-1]
    assert (error["kind"], error["event_code"], error["event_name"]) == ("error", "E001", "UserError")
    assert error["code"] == "bad-selector"
    assert error["invocation_id"] == events[0]["invocation_id"]
