"""OpenLineage run events of ``pyflow build``: file and HTTP transports, validated by the client."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.openlineage_models import validate

pytest.importorskip("openlineage.client")

FILES = {
    "seeds/raw_orders.csv": "id,amount,status\n1,100,completed\n2,250,returned\n",
    "models/eph.sql": """
        {{ config(materialized='ephemeral') }}
        select id, amount from {{ ref('raw_orders') }} where status = 'completed'
    """,
    "models/orders.sql": "select id as order_id, amount / 100 as dollars, 'x' as tag from {{ ref('eph') }}\n",
    "models/big.py": """
        import ibis
        from pyflow import model


        @model
        def big(orders: ibis.Table) -> ibis.Table:
            return orders.filter(orders.dollars > 0).select("order_id", twice=orders.dollars * 2)
    """,
}
FILE_CONFIG = """name: shop
openlineage:
  transport: file
  path: target/openlineage.jsonl
  namespace: analytics
"""
BROKEN = {"models/broken.sql": "select nosuch from {{ ref('raw_orders') }}\n"}


def _events(root: Path) -> list[dict[str, Any]]:
    lines = (root / "target" / "openlineage.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _by_job(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in events:
        out.setdefault(e["job"]["name"], []).append(e["eventType"])
    return out


@pytest.fixture(autouse=True)
def _no_openlineage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENLINEAGE_URL", "OPENLINEAGE_API_KEY", "OPENLINEAGE_NAMESPACE", "OPENLINEAGE_DISABLED"):
        monkeypatch.delenv(name, raising=False)


def test_build_writes_valid_events_per_node(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_project(FILES, project_yml=FILE_CONFIG)
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    events = _events(root)
    for event in events:
        validate(event)
    # the invocation first and last; each node START then COMPLETE; the ephemeral model is no job
    assert events[0]["job"]["name"] == events[-1]["job"]["name"] == "shop"
    assert _by_job(events) == {
        "shop": ["START", "COMPLETE"],
        "seed.shop.raw_orders": ["START", "COMPLETE"],
        "model.shop.orders": ["START", "COMPLETE"],
        "model.shop.big": ["START", "COMPLETE"],
    }
    invocation = events[0]["run"]["runId"]
    uuid.UUID(invocation)
    namespace = f"duckdb://{(root / 'pyflow.duckdb').resolve().as_posix()}"
    for e in events[1:-1]:
        assert e["job"]["namespace"] == "analytics"
        assert e["run"]["runId"] == str(uuid.uuid5(uuid.UUID(invocation), e["job"]["name"]))
        assert e["run"]["facets"]["parent"]["run"] == {"runId": invocation}
        assert e["run"]["facets"]["parent"]["job"] == {"namespace": "analytics", "name": "shop"}
        assert [o["namespace"] for o in e["outputs"]] == [namespace]
    orders = next(
        e for e in events if e["job"]["name"] == "model.shop.orders" and e["eventType"] == "COMPLETE"
    )
    # the ephemeral model is looked through: orders reads raw_orders
    assert [(d["namespace"], d["name"]) for d in orders["inputs"]] == [(namespace, "pyflow.main.raw_orders")]
    assert [f["name"] for f in orders["inputs"][0]["facets"]["schema"]["fields"]] == [
        "id",
        "amount",
        "status",
    ]
    out = orders["outputs"][0]
    assert out["name"] == "pyflow.main.orders"
    assert [f["name"] for f in out["facets"]["schema"]["fields"]] == ["order_id", "dollars", "tag"]
    raw = {"namespace": namespace, "name": "pyflow.main.raw_orders"}
    assert out["facets"]["columnLineage"]["fields"] == {
        "order_id": {"inputFields": [{**raw, "field": "id"}]},
        "dollars": {"inputFields": [{**raw, "field": "amount"}]},
    }  # `tag` is a constant: no input fields
    assert "select id as order_id" in orders["job"]["facets"]["sql"]["query"]
    big = next(e for e in events if e["job"]["name"] == "model.shop.big" and e["eventType"] == "COMPLETE")
    assert big["outputs"][0]["facets"]["columnLineage"]["fields"] == {
        "order_id": {
            "inputFields": [{"namespace": namespace, "name": "pyflow.main.orders", "field": "order_id"}]
        },
        "twice": {
            "inputFields": [{"namespace": namespace, "name": "pyflow.main.orders", "field": "dollars"}]
        },
    }


def test_failed_node_sends_fail_with_error_message(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_project({**FILES, **BROKEN}, project_yml=FILE_CONFIG)
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 1
    events = _events(root)
    for event in events:
        validate(event)
    jobs = _by_job(events)
    assert jobs["model.shop.broken"] == ["START", "FAIL"]
    assert jobs["shop"] == ["START", "FAIL"]
    fail = next(e for e in events if e["eventType"] == "FAIL" and e["job"]["name"] == "model.shop.broken")
    error = fail["run"]["facets"]["errorMessage"]
    assert error["programmingLanguage"] == "python"
    assert "nosuch" in error["message"]


def test_no_events_without_configuration(make_project: Callable[..., Path], cli: Callable[..., Any]) -> None:
    root = make_project(FILES)
    assert cli("build", "--project-dir", str(root)).exit_code == 0
    assert not (root / "target" / "openlineage.jsonl").exists()


def test_disabled_by_config(make_project: Callable[..., Path], cli: Callable[..., Any]) -> None:
    root = make_project(FILES, project_yml=FILE_CONFIG + "  enabled: false\n")
    assert cli("build", "--project-dir", str(root)).exit_code == 0
    assert not (root / "target" / "openlineage.jsonl").exists()


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Collector]]]:
    handler = type("Handler", (_Collector,), {"received": [], "status": 200})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_http_transport_from_standard_env_vars(
    make_project: Callable[..., Path],
    cli: Callable[..., Any],
    server: tuple[str, type[_Collector]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = server
    monkeypatch.setenv("OPENLINEAGE_URL", url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "k-123")
    monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "from-env")
    root = make_project(FILES)
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 8  # the invocation and three nodes, two events each
    for path, headers, event in handler.received:
        assert path == "/api/v1/lineage"
        assert headers["Authorization"] == "Bearer k-123"
        assert headers["Content-Type"] == "application/json"
        assert event["job"]["namespace"] == "from-env"
        validate(event)


def test_http_transport_from_project_config_with_env_var_key(
    make_project: Callable[..., Path],
    cli: Callable[..., Any],
    server: tuple[str, type[_Collector]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = server
    monkeypatch.setenv("PYFLOW_SECRET_OL_KEY", "s3cr3t-key")
    config = (
        "name: shop\nopenlineage:\n  transport: http\n"
        f"  url: {url}\n  endpoint: lineage/events\n"
        "  api_key: \"{{ env_var('PYFLOW_SECRET_OL_KEY') }}\"\n"
    )
    root = make_project(FILES, project_yml=config)
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert {p for p, _, _ in handler.received} == {"/lineage/events"}
    assert {h["Authorization"] for _, h, _ in handler.received} == {"Bearer s3cr3t-key"}
    assert {e["job"]["namespace"] for _, _, e in handler.received} == {"default"}
    assert "s3cr3t-key" not in (root / "target" / "manifest.json").read_text(encoding="utf-8")


def test_http_failure_warns_once_and_the_run_succeeds(
    make_project: Callable[..., Path],
    cli: Callable[..., Any],
    server: tuple[str, type[_Collector]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = server
    handler.status = 500
    monkeypatch.setenv("OPENLINEAGE_URL", url)
    root = make_project(FILES)
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert result.output.count("OpenLineage events could not be sent") == 1
    assert "HTTP Error 500" in result.output
    assert len(handler.received) == 1  # not tried again after the failure


def test_missing_env_var_in_config_warns_and_runs(
    make_project: Callable[..., Path], cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYFLOW_NO_SUCH_URL", raising=False)
    config = "name: shop\nopenlineage:\n  transport: http\n  url: \"{{ env_var('PYFLOW_NO_SUCH_URL') }}\"\n"
    root = make_project(FILES, project_yml=config)
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert "OpenLineage events are not sent" in result.output
    assert "PYFLOW_NO_SUCH_URL" in result.output


def test_invalid_config_names_the_file_and_line(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_project(FILES, project_yml="name: shop\nopenlineage:\n  transport: file\n")
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 1
    assert "pyflow.yml:" in result.output
    assert "transport: file needs a `path`" in result.output
    assert "[invalid-config]" in result.output


def test_disabled_by_env_var(
    make_project: Callable[..., Path], cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    root = make_project(FILES, project_yml=FILE_CONFIG)
    assert cli("build", "--project-dir", str(root)).exit_code == 0
    assert not (root / "target" / "openlineage.jsonl").exists()


def test_cancelled_node_sends_abort(make_project: Callable[..., Path]) -> None:
    from pyflow.runner.events import Event, NodeResult
    from pyflow.runner.openlineage import attach
    from pyflow.runner.session import Options, Session

    root = make_project(FILES, project_yml=FILE_CONFIG)
    with Session(Options(project_dir=root)) as session:
        assert attach(session, "test") is None  # `pyflow test` runs no dataset-producing jobs
        assert attach(session, "run") is not None
        session.emit(Event("node_start", unique_id="model.shop.orders"))
        session.emit(Event("node_finish", result=NodeResult("model.shop.orders", "orders", "cancelled")))
        session.emit(Event("node_finish", result=NodeResult("model.shop.big", "big", "skipped")))
        session.emit(Event("run_finish", data={"cancelled": True}))
    events = _events(root)
    for event in events:
        validate(event)
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("model.shop.orders", "START"),
        ("model.shop.orders", "ABORT"),  # a skipped node never ran: no event
        ("shop", "ABORT"),
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e["run"].update(runId="not-a-uuid"),
        lambda e: e.update(eventType="DONE"),
        lambda e: e["run"]["facets"]["parent"].update(_schemaURL="https://example.com/Parent.json"),
        lambda e: e["outputs"][0]["facets"]["schema"]["fields"][0].update(width=3),
        lambda e: e["job"].pop("namespace"),
    ],
    ids=["run-id", "event-type", "schema-url", "unknown-key", "missing-field"],
)
def test_validation_rejects_a_broken_event(
    make_project: Callable[..., Path], cli: Callable[..., Any], change: Callable[[dict[str, Any]], None]
) -> None:
    root = make_project(FILES, project_yml=FILE_CONFIG)
    assert cli("build", "--project-dir", str(root)).exit_code == 0
    event = next(e for e in _events(root) if e["job"]["name"] == "model.shop.orders")
    validate(event)
    change(event)
    with pytest.raises((AssertionError, ValueError, KeyError, TypeError)):
        validate(event)


def test_unwritable_file_warns_and_the_run_succeeds(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_project(FILES, project_yml=FILE_CONFIG)
    (root / "target" / "openlineage.jsonl").mkdir(parents=True)  # a folder where the file should be
    result = cli("build", "--project-dir", str(root))
    assert result.exit_code == 0, result.output
    assert result.output.count("OpenLineage events could not be sent to file") == 1


def test_seed_command_sends_seed_events_only(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_project(FILES, project_yml=FILE_CONFIG)
    assert cli("seed", "--project-dir", str(root)).exit_code == 0
    events = _events(root)
    for event in events:
        validate(event)
    assert _by_job(events) == {"shop": ["START", "COMPLETE"], "seed.shop.raw_orders": ["START", "COMPLETE"]}
    seed = events[2]
    assert seed["inputs"] == []
    assert [f["name"] for f in seed["outputs"][0]["facets"]["schema"]["fields"]] == ["id", "amount", "status"]
    assert "columnLineage" not in seed["outputs"][0]["facets"]  # where lineage starts
