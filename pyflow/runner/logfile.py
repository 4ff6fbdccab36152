"""Log handlers of a session: ``logs/pyflow.log`` and ``{{ log(..., info=True) }}`` to the console."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pyflow.errors import is_disk_full
from pyflow.runner.events import Emit, Event


class EventHandler(logging.Handler):
    """Forwards ``{{ log(msg, info=True) }}`` records to the console as message events."""

    def __init__(self, emit: Emit) -> None:
        super().__init__(logging.INFO)
        self.emit_event = emit

    def emit(self, record: logging.LogRecord) -> None:
        """Forward one record as a message event."""
        self.emit_event(Event("message", text=record.getMessage()))


class LogFile(logging.FileHandler):
    """``logs/pyflow.log``, which a full disk does not turn into tracebacks.

    When its disk is full, writing to it stops with one warning on the console (not a
    ``--- Logging error ---`` traceback per line).
    """

    def __init__(self, path: Path, emit: Emit) -> None:
        super().__init__(path, encoding="utf-8")
        self.emit_event = emit
        self.full = False

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record unless the disk filled up earlier."""
        if not self.full:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk: stop writing, warn once; anything else as logging does."""
        exc = sys.exc_info()[1]
        if exc is None or not is_disk_full(exc):
            super().handleError(record)
            return
        self.full = True
        text = f"no space left on device while writing {self.baseFilename}: the rest of this run is not logged there"
        self.emit_event(Event("message", level="warn", text=text))

    def close(self) -> None:
        """Close the file; a full disk is not an error here."""
        try:
            super().close()
        except OSError:
            if not self.full:
                raise
