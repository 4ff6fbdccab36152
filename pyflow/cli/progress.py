r"""The live progress line of a run on a terminal: nodes done of total, elapsed time, running nodes.

One line under the log, redrawn in place: a carriage return and "erase to the end of the line"
(``\r\x1b[K``) then the text, never a newline. Before every log line it is erased, the log line
is written, and it is drawn again below it, under one lock, so log lines and the progress line
never interleave (workers finish nodes from several threads). A ticker thread redraws it once a
second so the elapsed time moves while a long node runs; it stops, and the line is erased, when
the run finishes. The renderer uses it only for ``--log-format text`` on a TTY: elsewhere
output is plain lines with no control characters.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

ERASE = "\r\x1b[K"
"""Back to the start of the line and erase it (ANSI ``EL``)."""


def format_elapsed(seconds: float) -> str:
    """``MM:SS``, or ``H:MM:SS`` from an hour on."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def render_progress(done: int, total: int, running: Sequence[str], elapsed: float, width: int) -> str:
    """The progress line: ``[3/10] 00:42 running: stg_orders, stg_items +2 more``.

    Running nodes are named in the order they started while they fit in ``width - 1``
    columns (the last column stays empty so a terminal never wraps the line); the others are
    counted. The line never exceeds ``width - 1`` characters.
    """
    limit = max(1, width - 1)
    head = f"[{done}/{total}] {format_elapsed(elapsed)}"
    if not running:
        return head[:limit]
    shown: list[str] = []
    for i, name in enumerate(running):
        rest = len(running) - i - 1
        more = f" +{rest} more" if rest else ""
        candidate = f"{head} running: {', '.join([*shown, name])}{more}"
        if len(candidate) > limit:
            break
        shown.append(name)
    if not shown:
        line = f"{head} running: {len(running)} node(s)"
    else:
        hidden = len(running) - len(shown)
        line = f"{head} running: {', '.join(shown)}" + (f" +{hidden} more" if hidden else "")
    return line[:limit]


class ProgressLine:
    """The live line of one run, written to ``out`` (a terminal)."""

    def __init__(
        self,
        out: TextIO,
        total: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] = lambda: shutil.get_terminal_size().columns,
        interval: float = 1.0,
    ) -> None:
        """Track ``total`` nodes; ``clock``, ``width`` and ``interval`` are the ticker's."""
        self.out = out
        self.total = total
        self.done = 0
        self.running: dict[str, str] = {}
        self._clock = clock
        self._width = width
        self._interval = interval
        self._started = clock()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.active = False

    def text(self) -> str:
        """The line as it would be drawn now."""
        return render_progress(
            self.done, self.total, list(self.running.values()), self._clock() - self._started, self._width()
        )

    def start(self) -> None:
        """Draw the line and start redrawing it every ``interval`` seconds."""
        with self._lock:
            self.active = True
            self._draw()
        self._ticker = threading.Thread(target=self._tick, name="pyflow-progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                if self.active:
                    self._draw()

    def _draw(self) -> None:
        self.out.write(ERASE + self.text())
        self.out.flush()

    def print_above(self, text: str) -> None:
        """Write the log line ``text``: erase the progress line, write it, draw the line again."""
        with self._lock:
            self.out.write(ERASE + text + "\n")
            if self.active:
                self._draw()
            else:
                self.out.flush()

    def node_started(self, key: str, name: str) -> None:
        """A node started running: name it on the line."""
        with self._lock:
            self.running[key] = name
            if self.active:
                self._draw()

    def node_finished(self, key: str) -> None:
        """A node ended (any status): count it done."""
        with self._lock:
            self.running.pop(key, None)
            self.done += 1
            if self.active:
                self._draw()

    def stop(self) -> None:
        """Stop redrawing and erase the line (idempotent)."""
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        with self._lock:
            if self.active:
                self.active = False
                self.out.write(ERASE)
                self.out.flush()
