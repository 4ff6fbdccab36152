"""Render runner events: dbt-style log lines, a live progress line on a terminal, or JSON lines.

Every line and JSON event is written with secret values masked (:mod:`pyflow.secret`). Every
JSON event starts with the same envelope (:func:`pyflow.runner.events.envelope`): ``kind``,
``event_code``, ``event_name``, ``invocation_id``, ``ts``, ``timestamp`` and ``unique_id``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from pyflow.cli.progress import ProgressLine
from pyflow.runner.events import envelope
from pyflow.runner.nodecost import format_bytes
from pyflow.secret import scrub, scrub_data

WIDTH = 80


def stamp(ts: float | None = None) -> str:
    """``HH:MM:SS`` local time."""
    return time.strftime("%H:%M:%S", time.localtime(ts or time.time()))


class Renderer:
    """Turns events into output lines."""

    def __init__(
        self, fmt: str = "text", out: TextIO | None = None, quiet: bool = False, invocation_id: str = ""
    ) -> None:
        self.fmt = fmt
        self.invocation_id = invocation_id
        self.out = out or sys.stdout
        self.quiet = quiet
        self.progress: ProgressLine | None = None
        self.is_tty = self.out.isatty() and fmt == "text"

    # ---- plain lines ---------------------------------------------------------------------
    def line(self, text: str = "", level: str = "info") -> None:
        """One log line (or a JSON message event)."""
        text = scrub(text)
        if self.fmt == "json":
            self._json({**envelope("message", time.time(), self.invocation_id), "level": level, "text": text})
            return
        if self.quiet and level == "info":
            return
        for row in text.splitlines() or [""]:
            self._print(f"{stamp()}  {row}")

    def error(self, fields: dict[str, Any], *, internal: bool = False) -> None:
        """The JSON event of an error that stopped the command (``fields``: the error's)."""
        kind = "internal_error" if internal else "user_error"
        self._json({**envelope(kind, time.time(), self.invocation_id), **fields})

    def _json(self, data: dict[str, Any]) -> None:
        self.out.write(json.dumps(scrub_data(data), default=str) + "\n")
        self.out.flush()

    def _print(self, text: str) -> None:
        if self.progress is not None:
            self.progress.print_above(text)
        else:
            self.out.write(text + "\n")
            self.out.flush()

    # ---- events --------------------------------------------------------------------------
    def __call__(self, event: Any) -> None:
        """Render one runner event."""
        if self.fmt == "json":
            data = event.to_dict()
            data["invocation_id"] = data["invocation_id"] or self.invocation_id
            self._json(data)
            return
        handler = getattr(self, f"on_{event.kind}", None)
        if handler is not None:
            handler(event)

    def on_message(self, event: Any) -> None:  # noqa: D102
        self.line(("[WARNING] " if event.level == "warn" else "") + event.text, event.level)

    def on_run_start(self, event: Any) -> None:  # noqa: D102
        self.line(f"Concurrency: {event.data.get('threads')} threads (target='{event.data.get('target')}')")
        self.line("")
        if self.is_tty and event.total and not self.quiet:
            self.close()
            self.progress = ProgressLine(self.out, event.total)
            self.progress.start()

    def on_node_start(self, event: Any) -> None:  # noqa: D102
        self._dots(f"{event.index} of {event.total} START {event.description}", "[RUN]")
        if self.progress is not None:
            words = event.description.split()
            self.progress.node_started(_key(event), words[-1] if words else str(event.index))

    def on_node_finish(self, event: Any) -> None:  # noqa: D102
        r = event.result
        secs = f"{r.execution_time:.2f}s"
        head = f"{event.index} of {event.total}"
        if r.status == "success":
            scanned = f", scanned {format_bytes(r.bytes_scanned)}" if r.bytes_scanned is not None else ""
            self._dots(
                f"{head} OK {r.message} {event.description}", f"[{r.response or 'OK'} in {secs}{scanned}]"
            )
        elif r.status in ("pass", "warn", "fail"):
            label = r.status.upper()
            right = f"[{label} in {secs}]" if r.status == "pass" else f"[{label} {r.failures} in {secs}]"
            self._dots(f"{head} {label} {event.description}", right)
        elif r.status == "error":
            self._dots(
                f"{head} ERROR {'in' if event.description.startswith('test') else 'creating'} {event.description}",
                f"[ERROR in {secs}]",
            )
        elif r.status == "cancelled":
            right = f"[CANCELLED in {secs}]" if r.started_at else "[CANCELLED]"
            self._dots(f"{head} CANCELLED {event.description}", right)
        else:  # skipped: say which ancestor failed or was cancelled
            why = r.message.removeprefix("skipped ") if r.message.startswith("skipped ") else ""
            self._dots(f"{head} SKIP {event.description} {why}".rstrip(), "[SKIP]")
        if self.progress is not None:
            self.progress.node_finished(_key(event))

    def on_run_finish(self, event: Any) -> None:  # noqa: D102
        self.close()

    def close(self) -> None:
        """Stop and erase the progress line, if one is drawn (before an error message)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _dots(self, left: str, right: str) -> None:
        fill = max(3, WIDTH - len(left) - len(right) - 2)
        self.line(f"{left} {'.' * fill} {right}")


def _key(event: Any) -> str:
    """What pairs a node's start and finish events: its unique id, else its index."""
    result = getattr(event, "result", None)
    return str(event.unique_id or getattr(result, "unique_id", None) or event.index)


class FreshnessRenderer(Renderer):
    """``pyflow source freshness`` lines: ``PASS``, ``WARN``, ``ERROR STALE`` or ``ERROR``."""

    def on_node_finish(self, event: Any) -> None:  # noqa: D102
        r = event.result
        if r.status == "skipped":
            super().on_node_finish(event)
            return
        label = r.response or r.status.upper()
        self._dots(
            f"{event.index} of {event.total} {label} {event.description}",
            f"[{label} in {r.execution_time:.2f}s]",
        )
        if self.progress is not None:
            self.progress.node_finished(_key(event))
