"""``on-run-end`` alerts: a JSON notification to a webhook, a command or a file after a run.

Each entry of ``on-run-end`` in pyflow.yml (:class:`~pyflow.core.runconfig.AlertConfig`) fires
when the run had something it listens for (``when``: ``error``, ``warn``, ``monitor``,
``success``). The payload is one JSON object whose ``text`` is a readable summary (what chat
tools' incoming webhooks show) and whose other fields carry the same facts for programs.

Values of ``webhook``, ``headers`` and ``command`` may use ``{{ env_var('NAME') }}``, rendered
only when sending: a ``PYFLOW_SECRET_*`` variable is allowed there, as in profiles.yml (the
value is never written anywhere, and is masked in any message). An alert that cannot be sent
never fails the run: :func:`send_alerts` returns a warning per failed alert instead.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyflow.core.runconfig import AlertConfig
from pyflow.runner.events import FAILED, NodeResult
from pyflow.secret import scrub

log = logging.getLogger(__name__)

MAX_ITEMS = 20
"""Nodes listed in ``text`` (``items`` always lists them all)."""


def triggers(results: Sequence[NodeResult], monitors: set[str]) -> set[str]:
    """What happened in a run, as alert triggers (``monitors``: unique ids of monitor tests)."""
    out: set[str] = set()
    for r in results:
        if r.unique_id in monitors and r.status in ("warn", "fail"):
            out.add("monitor")
        elif r.status in FAILED or r.status == "cancelled":
            out.add("error")
        elif r.status == "warn":
            out.add("warn")
    return out or {"success"}


def _kind(r: NodeResult, monitors: set[str]) -> str:
    return "monitor" if r.unique_id in monitors else r.unique_id.split(".", 1)[0]


def payload(
    results: Sequence[NodeResult],
    monitors: set[str],
    run: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON sent: ``text`` (a summary naming each failing node and its numbers) plus fields."""
    notable = [r for r in results if r.status in ("error", "fail", "warn", "cancelled")]
    counts = {
        s: sum(1 for r in results if r.status == s) for s in ("error", "fail", "warn", "cancelled", "skipped")
    }
    fired = triggers(results, monitors)
    status = "error" if "error" in fired or counts["fail"] else "warn" if notable else "success"
    head = (
        f"pyflow {run.get('command')} of {run.get('project_name')} on target {run.get('target_name')}: "
        + (
            ", ".join(f"{n} {s}" for s, n in counts.items() if n) + f" of {len(results)} node(s)"
            if notable
            else f"all {len(results)} node(s) passed"
        )
    )
    lines = [head]
    for r in notable[:MAX_ITEMS]:
        first = _summary(r)
        lines.append(f"• {r.status.upper()} {_kind(r, monitors)} {r.name}: {first}")
    if len(notable) > MAX_ITEMS:
        lines.append(f"… and {len(notable) - MAX_ITEMS} more")
    items = [
        {
            "name": r.name,
            "unique_id": r.unique_id,
            "kind": _kind(r, monitors),
            "status": r.status,
            "message": r.message,
            "failures": r.failures,
            "metrics": r.metrics,
        }
        for r in notable
    ]
    data = {
        "text": "\n".join(lines),
        "status": status,
        "triggers": sorted(fired),
        "counts": {**counts, "total": len(results)},
        **{k: v for k, v in run.items() if k in ("invocation_id", "command", "project_name", "target_name")},
        "fields": [{"title": r.name, "value": f"{r.status}: {_summary(r)}"} for r in notable],
        "items": items,
    }
    masked: dict[str, Any] = json.loads(scrub(json.dumps(data, default=str)))
    return masked


def _summary(r: NodeResult) -> str:
    """The message's line that says what went wrong (a test's second line holds the numbers).

    For an error, its message without the ``model 'x' (path):`` prefix the line already names.
    """
    text = (r.error or {}).get("message") or r.message or ""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith(("Failure in test", "Warning in test")):
        return lines[1]
    return lines[0] if lines else r.status


def _render(value: Any, where: str) -> Any:
    from pyflow.config.profile import render_env

    return render_env(value, where)


def send(alert: AlertConfig, data: Mapping[str, Any], root: Path) -> None:
    """Deliver ``data`` to one destination; raise on any failure (the caller warns)."""
    body = json.dumps(data, default=str).encode("utf-8")
    if alert.webhook is not None:
        import urllib.request

        url = str(_render(alert.webhook, "pyflow.yml on-run-end webhook"))
        headers = {"Content-Type": "application/json", **_render(dict(alert.headers), "pyflow.yml")}
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=alert.timeout) as response:
            response.read()
    elif alert.command is not None:
        argv = [str(_render(a, "pyflow.yml on-run-end command")) for a in alert.command]
        done = subprocess.run(
            argv, input=body, capture_output=True, timeout=alert.timeout, cwd=root, check=False
        )
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"exit code {done.returncode}" + (f": {err[-1]}" if err else ""))
    else:
        assert alert.file is not None
        path = root / alert.file
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(body.decode("utf-8") + "\n")


def send_alerts(
    alerts: Sequence[AlertConfig],
    results: Sequence[NodeResult],
    monitors: set[str],
    run: Mapping[str, Any],
    root: Path,
) -> list[str]:
    """Send every alert whose ``on`` matches this run; a warning text per alert that failed."""
    if not alerts or not results:
        return []
    fired = triggers(results, monitors)
    data: dict[str, Any] | None = None
    warnings: list[str] = []
    for i, alert in enumerate(alerts):
        if not fired & set(alert.when):
            continue
        data = data or payload(results, monitors, run)
        try:
            send(alert, data, root)
            log.info("on-run-end alert %s sent", alert.label(i))
        except Exception as exc:  # never fails the run: a warning names the alert and why
            reason = f"{type(exc).__name__}: {exc}".strip()
            warnings.append(scrub(f"on-run-end alert '{alert.label(i)}' was not sent: {reason}"))
    return warnings
