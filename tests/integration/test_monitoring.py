"""Run history, monitor tests, on-run-end alerts and `pyflow monitor`, end to end on DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_project

HISTORY = "SELECT {cols} FROM main__pyflow.pyflow_run_history ORDER BY run_started_at, node_name"
SOURCES = """
sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
        data_tests:
{tests}
"""
ORDERS_MODEL = "{{ config(materialized='table') }}\nselect * from {{ source('raw', 'orders') }}\n"


def sql(project: Path, *statements: str) -> None:
    """Run statements on the project's DuckDB file (between pyflow runs, as a loader would)."""
    import duckdb

    con = duckdb.connect(str(project / "pyflow.duckdb"))
    try:
        for s in statements:
            con.execute(s)
    finally:
        con.close()


def load_orders(project: Path, rows: int, start: int = 0) -> None:
    """Append ``rows`` orders to raw.orders (created when missing)."""
    sql(
        project,
        "CREATE SCHEMA IF NOT EXISTS raw",
        "CREATE TABLE IF NOT EXISTS raw.orders (id BIGINT, amount DOUBLE, customer VARCHAR, ordered_at TIMESTAMP)",
        f"INSERT INTO raw.orders SELECT range + {start}, CASE WHEN range % 10 = 0 THEN NULL ELSE range END, "
        f"'c' || (range % 7), now()::TIMESTAMP - INTERVAL 1 HOUR FROM range({rows})",
    )


def monitored_project(
    tmp_path: Path, tests: str, *, history: str = "run-history: true\n", extra: str = "", name: str = "shop"
) -> Path:
    """A project whose source raw.orders carries ``tests`` (YAML list items under data_tests)."""
    indented = "\n".join("          " + line for line in tests.strip("\n").splitlines())
    return write_project(
        tmp_path / name,
        {
            "models/sources.yml": SOURCES.format(tests=indented),
            "models/orders.sql": ORDERS_MODEL,
        },
        project_yml=f"name: {name}\n{history}{extra}",
    )


def results_by_name(project: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))
    return {r["name"].split("_source_")[0]: r for r in data["results"]}


# ---- run history ------------------------------------------------------------------------------


def test_run_history_records_every_node_of_every_invocation(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(tmp_path, "- volume")
    load_orders(project, 100)
    pyflow("build", "--project-dir", project)
    load_orders(project, 10, start=100)
    pyflow("run", "--project-dir", project)

    rows = warehouse(project).rows(
        HISTORY.format(
            cols="invocation_id, command, target_name, project_name, node_name, resource_type, status, "
            "row_count, failures, metric, metric_value, relation_name, git_commit, "
            "execution_time >= 0, started_at <= completed_at, run_started_at <= started_at"
        )
    )
    invocations = [r[0] for r in rows]
    assert len(set(invocations)) == 2
    assert [r[1:12] for r in rows] == [
        (
            "build",
            "dev",
            "shop",
            "orders",
            "model",
            "success",
            100,
            None,
            None,
            None,
            '"pyflow"."main"."orders"',
        ),
        (
            "build",
            "dev",
            "shop",
            "volume_source_raw_orders",
            "test",
            "pass",
            None,
            0,
            "row_count",
            100.0,
            None,
        ),
        (
            "run",
            "dev",
            "shop",
            "orders",
            "model",
            "success",
            110,
            None,
            None,
            None,
            '"pyflow"."main"."orders"',
        ),
    ]
    assert all(r[12] is None for r in rows)  # the project is not in a git work tree
    assert all(r[13] and r[14] and r[15] for r in rows)
    run_results = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))
    assert invocations[-1] == run_results["metadata"]["invocation_id"]


def test_run_history_records_the_git_commit(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(tmp_path, "- volume")
    load_orders(project, 5)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "models", "pyflow.yml"], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT DISTINCT git_commit FROM main__pyflow.pyflow_run_history") == [
        (head,)
    ]


def test_run_history_is_on_by_default(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(tmp_path, "- not_empty", history="")
    load_orders(project, 5)
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows(
        "SELECT node_name, status FROM main__pyflow.pyflow_run_history ORDER BY node_name"
    ) == [("orders", "success"), ("source_not_empty_raw_orders_", "pass")]


def test_run_history_false_turns_it_off(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(tmp_path, "- not_empty", history="run-history: false\n")
    load_orders(project, 5)
    pyflow("build", "--project-dir", project)
    assert "main__pyflow.pyflow_run_history" not in warehouse(project).relations(history=True)


def test_commands_that_build_nothing_write_no_history(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(tmp_path, "- not_empty", history="")
    load_orders(project, 5)
    pyflow("compile", "--project-dir", project)
    pyflow("ls", "--project-dir", project)
    pyflow("show", "--project-dir", project, "--inline", "select 1 as one")
    assert "main__pyflow.pyflow_run_history" not in warehouse(project).relations(history=True)
    pyflow("seed", "--project-dir", project)  # no seeds: nothing ran, nothing to record
    pyflow("run", "--project-dir", project)
    assert warehouse(project).rows("SELECT DISTINCT command FROM main__pyflow.pyflow_run_history") == [
        ("run",)
    ]


def test_run_history_in_a_configured_schema(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(
        tmp_path, "- not_empty", history="run-history: {enabled: true, schema: ops}\n"
    )
    load_orders(project, 5)
    pyflow("build", "--project-dir", project)
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows(
        "SELECT count(DISTINCT invocation_id), count(*) FROM ops.pyflow_run_history"
    ) == [(2, 4)]


def test_a_failure_writing_history_is_a_warning_not_a_failure(tmp_path, pyflow, warehouse) -> None:
    """Fault injected: the configured database does not exist, so every history statement fails."""
    project = monitored_project(
        tmp_path, "- not_empty", history="run-history: {enabled: true, database: nowhere}\n"
    )
    load_orders(project, 5)
    result = pyflow("build", "--project-dir", project)  # exit 0
    assert "the run history could not be written to" in result.output
    assert '"nowhere"."main__pyflow"."pyflow_run_history"' in result.output
    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
    log = (project / "logs" / "pyflow.log").read_text(encoding="utf-8")
    assert "[WARNING]" in log and "the run history could not be written" in log
    assert warehouse(project).rows("SELECT count(*) FROM main.orders") == [(5,)]


def test_an_unexpected_error_writing_history_is_a_warning(tmp_path, pyflow, monkeypatch) -> None:
    """Fault injected: not a database error but a bug (RuntimeError) inside the writer."""
    from pyflow.runner.history import RunHistory

    def broken(self: Any, rows: Any) -> list[str]:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(RunHistory, "append", broken)
    project = monitored_project(tmp_path, "- not_empty")
    load_orders(project, 5)
    result = pyflow("build", "--project-dir", project)
    assert "the run history could not be written" in result.output and "injected fault" in result.output


def test_a_model_reads_the_history_as_a_source(tmp_path, pyflow, warehouse) -> None:
    project = monitored_project(tmp_path, "- not_empty")
    load_orders(project, 5)
    pyflow("build", "--project-dir", project)
    (project / "models" / "pyflow_sources.yml").write_text(
        "sources:\n  - name: pyflow\n    schema: main__pyflow\n    tables:\n      - name: pyflow_run_history\n",
        encoding="utf-8",
    )
    (project / "models" / "model_durations.py").write_text(
        "import ibis\nfrom pyflow import model\n\n\n"
        "@model(materialized='table')\n"
        "def model_durations(pyflow__pyflow_run_history: ibis.Table) -> ibis.Table:\n"
        "    h = pyflow__pyflow_run_history\n"
        "    h = h.filter(h.resource_type == 'model')\n"
        "    return h.group_by('node_name').aggregate(runs=h.count(), seconds=h.execution_time.sum())\n",
        encoding="utf-8",
    )
    pyflow("build", "--project-dir", project)
    # the model ran before this build was recorded: it sees the first build
    assert warehouse(project).rows("SELECT node_name, runs FROM main.model_durations") == [("orders", 1)]


# ---- monitors ---------------------------------------------------------------------------------


def test_volume_monitor_fails_when_a_source_loses_half_its_rows(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume")
    load_orders(project, 100)
    for added in (5, 5, 6):  # normal growth: passes (learning for the first 3 runs)
        pyflow("build", "--project-dir", project)
        assert results_by_name(project)["volume"]["status"] == "pass"
        load_orders(project, added, start=1000 + added)
    pyflow("build", "--project-dir", project)  # 116 rows after 100, 105, 110
    volume = results_by_name(project)["volume"]
    assert volume["status"] == "pass"
    assert (
        "116 rows, within the range 80 to 132 learned from the last 3 run(s) (100, 105, 110"
        in volume["message"]
    )

    sql(project, "DELETE FROM raw.orders WHERE id < 58")  # half the rows are gone: 58 of 116 left
    result = pyflow("build", "--project-dir", project, expect=1)

    volume = results_by_name(project)["volume"]
    assert volume["status"] == "fail"
    assert volume["failures"] == 1
    assert volume["metrics"]["value"] == 58.0
    assert volume["metrics"]["details"]["expected"] == [80.0, 139.2]
    assert (
        "monitor 'volume' on raw.orders: 58 rows, outside the range 80 to 139.20 learned from the last "
        "4 run(s) (100, 105, 110, 116; tolerance 20.0%)" in result.output
    )
    assert results_by_name(project)["orders"]["status"] == "skipped"  # build: a failing test stops dependents


def test_volume_monitor_judges_after_two_runs_with_min_history_one(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume: {min_history: 1}")
    load_orders(project, 40)
    first = pyflow("test", "--project-dir", project)
    assert "learning: 0 of the 1 earlier run(s) needed" in results_by_name(project)["volume"]["message"]
    assert "PASS" in first.output
    sql(project, "DELETE FROM raw.orders WHERE id >= 20")
    pyflow("test", "--project-dir", project, expect=1)
    assert "20 rows, outside the range 32 to 48" in results_by_name(project)["volume"]["message"]


def test_volume_monitor_on_rows_added(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume: {measure: rows_added, min_history: 2, tolerance: 0.5}")
    load_orders(project, 100)
    for n in (10, 12, 11):
        pyflow("test", "--project-dir", project)
        load_orders(project, n, start=1000 * n)
    pyflow("test", "--project-dir", project)  # added 10, 12, then 11: fine
    assert "11 rows added, within the range 5 to 18" in results_by_name(project)["volume"]["message"]
    pyflow("test", "--project-dir", project, expect=1)  # nothing added since
    assert "0 rows added, outside the range 5 to 18" in results_by_name(project)["volume"]["message"]


def test_volume_monitor_with_warn_severity_warns(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume: {min_history: 1, config: {severity: warn}}")
    load_orders(project, 40)
    pyflow("test", "--project-dir", project)
    sql(project, "DELETE FROM raw.orders")
    result = pyflow("test", "--project-dir", project)  # exit 0
    assert results_by_name(project)["volume"]["status"] == "warn"
    assert "Warning in test volume_source_raw_orders" in result.output
    assert "0 rows, outside the range 32 to 48" in result.output


def test_schema_change_monitor_reports_added_dropped_and_retyped_columns(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- schema_change")
    load_orders(project, 3)
    pyflow("test", "--project-dir", project)
    assert "4 column(s) recorded as the baseline" in results_by_name(project)["schema_change"]["message"]
    pyflow("test", "--project-dir", project)
    assert "4 column(s), unchanged" in results_by_name(project)["schema_change"]["message"]
    sql(
        project,
        "ALTER TABLE raw.orders ADD COLUMN channel VARCHAR",
        "ALTER TABLE raw.orders DROP COLUMN customer",
        "ALTER TABLE raw.orders ALTER COLUMN id TYPE VARCHAR",
    )
    result = pyflow("test", "--project-dir", project, expect=1)
    assert (
        "since the last run: added channel (VARCHAR); dropped customer (VARCHAR); "
        "retyped id from BIGINT to VARCHAR" in result.output
    )
    assert results_by_name(project)["schema_change"]["failures"] == 3


def test_freshness_monitor(tmp_path, pyflow) -> None:
    project = monitored_project(
        tmp_path,
        "- freshness: {column_name: ordered_at, max_age: {count: 2, period: hour}}\n"
        "- freshness: {name: orders_fresh_30m, column_name: ordered_at, max_age: {count: 30, period: minute}}",
        history="",
    )
    load_orders(project, 3)  # an hour old
    result = pyflow("test", "--project-dir", project, expect=1)
    results = results_by_name(project)
    assert results["freshness"]["status"] == "pass"
    assert results["orders_fresh_30m"]["status"] == "fail"
    assert "is 1h old, more than the 30m allowed" in result.output
    assert 3599 < results["orders_fresh_30m"]["metrics"]["value"] < 3700


def test_null_and_distinct_rate_monitors(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- not_empty", history="")
    (project / "models" / "sources.yml").write_text(
        (project / "models" / "sources.yml").read_text(encoding="utf-8") + "        columns:\n"
        "          - name: amount\n"
        "            data_tests:\n"
        "              - null_rate: {max_rate: 0.05}\n"
        "          - name: customer\n"
        "            data_tests:\n"
        "              - distinct_rate: {min_rate: 0.01, max_rate: 0.5}\n",
        encoding="utf-8",
    )
    load_orders(project, 100)  # 10% null amounts, 7 customers
    result = pyflow("test", "--project-dir", project, expect=1)
    results = results_by_name(project)
    assert results["null_rate"]["status"] == "fail"
    assert "10.0% null (10 of 100 rows), expected at most 5.0%" in result.output
    assert results["distinct_rate"]["status"] == "pass"
    assert "7.0% distinct (7 of 100 rows)" in results["distinct_rate"]["message"]


def test_a_history_monitor_without_history_is_an_error_naming_the_fix(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume", history="run-history: false\n")
    load_orders(project, 3)
    result = pyflow("test", "--project-dir", project, expect=1)
    assert "monitor 'volume' compares with earlier runs, but the run history is off" in result.output
    assert "models/sources.yml" in result.output
    assert "remove `run-history: false` from pyflow.yml" in result.output
    assert "[monitor-needs-history]" in result.output


def test_bad_monitor_arguments_are_reported_at_load_with_file_and_line(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume: {tolerance: -1}")
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "models/sources.yml:7" in result.output
    assert "monitor 'volume': 'tolerance' must be 0 or more" in result.output
    assert "[invalid-test]" in result.output


# ---- alerts -----------------------------------------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    status: int

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"body": json.loads(body), "headers": dict(self.headers), "path": self.path})
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[Callable[[int], tuple[str, list[dict[str, Any]]]]]:
    """``webhook(status)`` -> (url, received): a local HTTP server answering every POST with ``status``."""
    servers: list[HTTPServer] = []

    def start(status: int = 200) -> tuple[str, list[dict[str, Any]]]:
        received: list[dict[str, Any]] = []
        handler = type("Hook", (_Hook,), {"received": received, "status": status})
        server = HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/hooks/T000/B000", received

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_alert_reaches_a_webhook_with_the_failing_model_and_numbers(
    tmp_path, pyflow, webhook, monkeypatch
) -> None:
    url, received = webhook(200)
    monkeypatch.setenv("PYFLOW_SECRET_HOOK_URL", url)
    monkeypatch.setenv("PYFLOW_SECRET_HOOK_TOKEN", "tok-123-secret")
    project = monitored_project(
        tmp_path,
        "- volume: {min_history: 1}",
        extra="on-run-end:\n"
        "  - name: team-chat\n"
        "    webhook: \"{{ env_var('PYFLOW_SECRET_HOOK_URL') }}\"\n"
        "    headers: {Authorization: \"Bearer {{ env_var('PYFLOW_SECRET_HOOK_TOKEN') }}\"}\n"
        "    when: [error, monitor]\n",
    )
    (project / "models" / "totals.sql").write_text(
        "select sum(amount) as total from raw.orders\n", encoding="utf-8"
    )
    load_orders(project, 100)
    pyflow("build", "--project-dir", project)
    assert received == []  # nothing to report: the alert listens for errors and monitor breaches
    sql(project, "DELETE FROM raw.orders WHERE id >= 50", "ALTER TABLE raw.orders DROP COLUMN amount")
    result = pyflow("build", "--project-dir", project, expect=1)

    assert len(received) == 1
    call = received[0]
    assert call["path"] == "/hooks/T000/B000"
    assert call["headers"]["Authorization"] == "Bearer tok-123-secret"
    assert call["headers"]["Content-Type"] == "application/json"
    body = call["body"]
    lines = body["text"].splitlines()
    assert lines[0] == "pyflow build of shop on target dev: 1 error, 1 fail, 1 skipped of 3 node(s)"
    assert lines[1].startswith(
        '• ERROR model totals: duckdb error: Binder Error: Referenced column "amount" not found'
    )
    assert lines[2].startswith("• FAIL monitor volume_source_raw_orders_") and lines[2].endswith(
        ": monitor 'volume' on raw.orders: 50 rows, outside the range 80 to 120 learned from the last 1 run(s) "
        "(100; tolerance 20.0%)"
    )
    assert (body["status"], body["triggers"], body["counts"]) == (
        "error",
        ["error", "monitor"],
        {"error": 1, "fail": 1, "warn": 0, "cancelled": 0, "skipped": 1, "total": 3},
    )
    model, monitor = body["items"]
    assert (model["name"], model["kind"], model["status"]) == ("totals", "model", "error")
    assert (monitor["kind"], monitor["status"], monitor["failures"]) == ("monitor", "fail", 1)
    assert (monitor["metrics"]["monitored"], monitor["metrics"]["value"]) == ("raw.orders", 50.0)
    assert monitor["metrics"]["details"]["expected"] == [80.0, 120.0]
    assert [f["title"] for f in body["fields"]] == ["totals", monitor["name"]]
    assert "alert" not in result.output  # sent: no warning


def test_an_alert_that_cannot_be_sent_is_a_warning_and_never_shows_the_secret_url(
    tmp_path, pyflow, webhook, monkeypatch
) -> None:
    url, received = webhook(500)
    monkeypatch.setenv("PYFLOW_SECRET_HOOK_URL", url)
    project = monitored_project(
        tmp_path,
        "- not_empty",
        history="",
        extra="on-run-end:\n  - webhook: \"{{ env_var('PYFLOW_SECRET_HOOK_URL') }}\"\n    when: [success]\n",
    )
    load_orders(project, 3)
    result = pyflow("build", "--project-dir", project)  # exit 0: the run itself passed
    assert len(received) == 1
    assert "on-run-end alert 'webhook #1' was not sent: HTTPError: HTTP Error 500" in result.output
    log = (project / "logs" / "pyflow.log").read_text(encoding="utf-8")
    assert url not in result.output and url not in log
    assert "on-run-end alert 'webhook #1' was not sent" in log


def test_command_and_file_alerts_on_a_failing_model(tmp_path, pyflow) -> None:
    script = tmp_path / "notify.py"
    script.write_text(
        "import json, sys\nd = json.load(sys.stdin)\n"
        "open(sys.argv[1], 'w').write(d['items'][0]['name'] + ' ' + d['items'][0]['status'])\n",
        encoding="utf-8",
    )
    out = tmp_path / "notified.txt"
    project = write_project(
        tmp_path / "p",
        {"models/broken.sql": "select * from no_such_table\n", "models/fine.sql": "select 1 as x\n"},
        project_yml=(
            "name: p\non-run-end:\n"
            f"  - command: [{json.dumps(sys.executable)}, {json.dumps(str(script))}, {json.dumps(str(out))}]\n"
            "  - file: logs/alerts.jsonl\n    when: [error, success]\n"
            "  - command: sh -c 'echo no route to the pager >&2; exit 3'\n    name: always-fails\n"
        ),
    )
    result = pyflow("run", "--project-dir", project, expect=1)
    assert out.read_text(encoding="utf-8") == "broken error"
    (line,) = (project / "logs" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    data = json.loads(line)
    assert data["items"][0]["name"] == "broken" and "no_such_table" in data["items"][0]["message"]
    assert (
        "on-run-end alert 'always-fails' was not sent: RuntimeError: exit code 3: no route to the pager"
        in result.output
    )


def test_an_on_run_end_entry_needs_exactly_one_destination(tmp_path, pyflow) -> None:
    project = write_project(
        tmp_path / "p",
        {"models/a.sql": "select 1 as x\n"},
        project_yml="name: p\non-run-end:\n  - webhook: http://example.invalid\n    file: a.jsonl\n",
    )
    result = pyflow("run", "--project-dir", project, expect=1)
    assert "pyflow.yml:3" in result.output
    assert "exactly one of `webhook`, `command` or `file` (this one has webhook, file)" in result.output


# ---- pyflow monitor -------------------------------------------------------------------------


def test_pyflow_monitor_after_several_runs(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- volume: {min_history: 2}")
    load_orders(project, 100)
    for n in (10, 20, 40):
        pyflow("build", "--project-dir", project)
        load_orders(project, n, start=1000 * n)
    sql(project, "DELETE FROM raw.orders WHERE id < 100")  # 70 rows left
    pyflow("build", "--project-dir", project, expect=1)

    text = pyflow("monitor", "--project-dir", project, "--runs", "3").output
    lines = text.splitlines()
    assert (
        lines[0]
        == 'Run history of target \'dev\' in "pyflow"."main__pyflow"."pyflow_run_history": last 3 run(s)'
    )
    assert [ln.split()[2] for ln in lines[1:4]] == ["build", "build", "build"]
    orders = next(ln for ln in lines if ln.strip().startswith("orders "))
    # rows 110, 130 then skipped (no rows): the rows sparkline rises, then a gap
    assert orders.split()[:3] == ["orders", "skipped", "3"] and "▁█ " in orders
    assert "Failing monitors (latest run of each):" in lines
    failing = lines[lines.index("Failing monitors (latest run of each):") + 1]
    assert failing.startswith("  FAIL volume_source_raw_orders_")
    assert "outside the range" in failing

    report = json.loads(pyflow("monitor", "--project-dir", project, "--output", "json").output)
    assert len(report["runs"]) == 4
    (orders_model,) = report["models"]
    assert orders_model["rows"] == [100, 110, 130, None]
    assert orders_model["rows_trend"] == "▁▃█ "
    assert orders_model["last_status"] == "skipped"
    assert orders_model["durations"][-1] is None and all(d is not None for d in orders_model["durations"][:3])
    assert orders_model["duration_trend"].endswith(" ")  # skipped: a gap, not a zero
    assert [m["name"] for m in report["slowest"]] == ["orders"]
    assert report["costliest"] == []  # DuckDB reports no bytes scanned
    assert lines[lines.index("Costliest (mean bytes scanned per run):") + 1].startswith("  none reported")
    (monitor,) = report["failing_monitors"]
    assert (monitor["test_name"], monitor["monitored"], monitor["status"]) == ("volume", "raw.orders", "fail")
    assert report["stale"] == []
    stale = json.loads(
        pyflow("monitor", "--project-dir", project, "--output", "json", "--stale-after", "0").output
    )["stale"]
    assert [(s["name"], s["resource_type"]) for s in stale] == [("orders", "model")]


def test_pyflow_monitor_ranks_the_costliest_models_by_bytes_scanned(tmp_path, pyflow) -> None:
    project = write_project(
        tmp_path / "costs",
        {
            "models/small.sql": "{{ config(materialized='table') }}\nselect 1 as id\n",
            "models/large.sql": "{{ config(materialized='table') }}\nselect 2 as id\n",
            "models/free.sql": "{{ config(materialized='view') }}\nselect 3 as id\n",
        },
        name="costs",
    )
    for _ in range(3):
        pyflow("run", "--project-dir", project)
    # what Athena or Trino would have recorded (DuckDB reports no bytes): large grows each run
    sql(
        project,
        "UPDATE main__pyflow.pyflow_run_history SET bytes_scanned = CASE node_name "
        "WHEN 'small' THEN 1000 "
        "WHEN 'large' THEN (SELECT 1000000000 * count(DISTINCT h.invocation_id) FROM main__pyflow.pyflow_run_history h "
        "WHERE h.run_started_at <= pyflow_run_history.run_started_at) END",
    )

    report = json.loads(pyflow("monitor", "--project-dir", project, "--output", "json").output)
    assert [(c["name"], c["mean_bytes"], c["last_bytes"], c["total_bytes"]) for c in report["costliest"]] == [
        ("large", 2_000_000_000, 3_000_000_000, 6_000_000_000),
        ("small", 1000, 1000, 3000),
    ]
    assert report["costliest"][0]["bytes_trend"] == "▁▅█"
    lines = pyflow("monitor", "--project-dir", project).output.splitlines()
    at = lines.index("Costliest (mean bytes scanned per run):")
    assert lines[at + 1 : at + 3] == [
        "  1. large  2.0 GB (last 3.0 GB, total 6.0 GB)  ▁▅█",
        "  2. small  1.0 KB (last 1.0 KB, total 3.0 KB)  ▁▁▁",
    ]


def test_pyflow_monitor_without_history_says_how_to_turn_it_on(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- not_empty", history="run-history: false\n")
    result = pyflow("monitor", "--project-dir", project, expect=1)
    assert "pyflow monitor reads the run history, which is off" in result.output
    assert "[run-history-off]" in result.output


def test_pyflow_monitor_before_any_run(tmp_path, pyflow) -> None:
    project = monitored_project(tmp_path, "- not_empty")
    result = pyflow("monitor", "--project-dir", project)
    assert "no runs recorded yet" in result.output
