"""Alert payloads and triggers (pyflow.runner.alerts), and the report sparkline."""

from __future__ import annotations

import pytest

from pyflow.core.runconfig import AlertConfig
from pyflow.runner.alerts import payload, send_alerts, triggers
from pyflow.runner.events import NodeResult
from pyflow.runner.monitorreport import sparkline

RUN = {
    "invocation_id": "i1",
    "command": "build",
    "project_name": "shop",
    "target_name": "prod",
    "git_commit": "x",
}


def _result(name: str, status: str, message: str = "", kind: str = "model") -> NodeResult:
    return NodeResult(f"{kind}.shop.{name}", name, status, message=message)  # type: ignore[arg-type]


def test_triggers() -> None:
    ok = _result("a", "success")
    assert triggers([ok], set()) == {"success"}
    assert triggers([ok, _result("b", "error")], set()) == {"error"}
    assert triggers([_result("t", "fail", kind="test")], set()) == {"error"}
    assert triggers([_result("t", "warn", kind="test")], set()) == {"warn"}
    assert triggers([_result("m", "fail", kind="test")], {"test.shop.m"}) == {"monitor"}
    assert triggers([_result("m", "pass", kind="test")], {"test.shop.m"}) == {"success"}


def test_payload_names_each_failing_node_with_the_line_holding_the_numbers() -> None:
    failing = _result(
        "volume_orders",
        "fail",
        "Failure in test volume_orders (models/s.yml:3)\n  monitor 'volume' on raw.orders: 5 rows, outside 8 to 12\n"
        "  1 finding(s), configured to fail if != 0",
        kind="test",
    )
    broken = _result("orders", "error", "database error: no such table\n  SQL: ...")
    data = payload([failing, broken, _result("ok", "success")], {"test.shop.volume_orders"}, RUN)
    assert data["text"] == (
        "pyflow build of shop on target prod: 1 error, 1 fail of 3 node(s)\n"
        "• FAIL monitor volume_orders: monitor 'volume' on raw.orders: 5 rows, outside 8 to 12\n"
        "• ERROR model orders: database error: no such table"
    )
    assert (data["status"], data["triggers"]) == ("error", ["error", "monitor"])
    assert data["fields"] == [
        {"title": "volume_orders", "value": "fail: monitor 'volume' on raw.orders: 5 rows, outside 8 to 12"},
        {"title": "orders", "value": "error: database error: no such table"},
    ]
    assert "git_commit" not in data and data["invocation_id"] == "i1"


def test_payload_masks_secret_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFLOW_SECRET_DB", "hunter2-value")
    data = payload([_result("a", "error", "login failed for hunter2-value")], set(), RUN)
    assert "hunter2-value" not in str(data)
    assert "login failed for *****" in data["text"]


def test_alerts_fire_only_on_their_triggers(tmp_path) -> None:
    alerts = (
        AlertConfig(file="errors.jsonl", when=("error",)),
        AlertConfig(file="all.jsonl", when=("error", "warn", "monitor", "success")),
    )
    assert send_alerts(alerts, [_result("a", "success")], set(), RUN, tmp_path) == []
    assert not (tmp_path / "errors.jsonl").exists()
    assert len((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_alert_config_needs_one_destination_and_splits_a_command_string() -> None:
    assert AlertConfig(command="notify --channel 'data team'").command == ("notify", "--channel", "data team")
    with pytest.raises(ValueError, match="exactly one of `webhook`, `command` or `file`"):
        AlertConfig()
    assert AlertConfig(webhook="https://x.invalid/secret-path").label(0) == "webhook #1"


def test_sparkline() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▁▁▁"
    assert sparkline([0, None, 10]) == "▁ █"
    assert sparkline([None]) == ""
