"""The live progress line (pyflow.cli.progress) and how the renderer uses it.

Unit tests drive the line with a fake clock and width and a ticker that never fires; the
pseudo-terminal test runs ``pyflow build`` under ``pty`` and replays what the terminal received
on a small screen model (carriage return, erase line, newline) to check the control sequences,
that no log line was cut by the progress line, and that nothing of it is left at the end.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyflow.cli.progress import ERASE, ProgressLine, format_elapsed, render_progress
from pyflow.cli.render import Renderer
from pyflow.runner.events import Event, NodeResult


# ---- render_progress ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3599, "59:59"), (3600, "1:00:00"), (-3, "00:00")],
)
def test_format_elapsed(seconds, text):
    assert format_elapsed(seconds) == text


def test_render_names_the_running_nodes_in_start_order():
    line = render_progress(3, 10, ["stg_orders", "stg_items"], 42.5, 80)

    assert line == "[3/10] 00:42 running: stg_orders, stg_items"


def test_render_without_running_nodes_is_the_count_and_time():
    assert render_progress(10, 10, [], 3725, 80) == "[10/10] 1:02:05"


def test_render_counts_the_names_that_do_not_fit():
    names = ["stg_orders", "stg_customers", "stg_items", "stg_payments"]

    line = render_progress(0, 40, names, 5, 50)

    assert line == "[0/40] 00:05 running: stg_orders +3 more"
    assert len(line) <= 49


def test_render_when_not_even_one_name_fits():
    line = render_progress(1, 2, ["a_very_long_model_name_indeed"], 1, 31)

    assert line == "[1/2] 00:01 running: 1 node(s)"


@pytest.mark.parametrize("width", [1, 5, 12, 20, 33, 80, 200])
def test_render_never_reaches_the_last_column(width):
    names = [f"model_{i}" for i in range(12)]

    line = render_progress(123, 456, names, 7384, width)

    assert 0 < len(line) <= max(1, width - 1)
    assert "\n" not in line and "\r" not in line


# ---- ProgressLine ---------------------------------------------------------------------------
class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _line(out: io.StringIO, total: int = 3) -> tuple[ProgressLine, _Clock]:
    clock = _Clock()
    return ProgressLine(out, total, clock=clock, width=lambda: 60, interval=3600), clock


def test_progress_line_is_redrawn_in_place_and_erased_before_log_lines():
    out = io.StringIO()
    progress, clock = _line(out)

    progress.start()
    progress.node_started("model.a", "a")
    clock.now += 2
    progress.print_above("1 of 3 START a")
    progress.node_finished("model.a")
    progress.stop()

    assert out.getvalue() == (
        f"{ERASE}[0/3] 00:00"
        f"{ERASE}[0/3] 00:00 running: a"
        f"{ERASE}1 of 3 START a\n{ERASE}[0/3] 00:02 running: a"
        f"{ERASE}[1/3] 00:02"
        f"{ERASE}"
    )


def test_progress_line_stop_is_idempotent_and_prints_plainly_after():
    out = io.StringIO()
    progress, _ = _line(out, total=1)
    progress.start()
    progress.stop()
    progress.stop()
    progress.print_above("Done.")

    assert out.getvalue() == f"{ERASE}[0/1] 00:00{ERASE}{ERASE}Done.\n"


# ---- the renderer ---------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _events(total: int = 2) -> list[Event]:
    out = [Event("run_start", total=total, data={"threads": 2, "target": "dev"})]
    for i in range(1, total + 1):
        uid = f"model.shop.m{i}"
        out.append(
            Event("node_start", index=i, total=total, description=f"sql view model main.m{i}", unique_id=uid)
        )
    for i in range(1, total + 1):
        result = NodeResult(f"model.shop.m{i}", f"m{i}", "success", message="created", response="OK")
        out.append(
            Event("node_finish", index=i, total=total, description=f"sql view model main.m{i}", result=result)
        )
    out.append(Event("run_finish", total=total, data={"elapsed": 1.0, "cancelled": False}))
    return out


def test_renderer_on_a_terminal_draws_the_line_with_running_nodes():
    out = _Terminal()
    render = Renderer("text", out=out)
    for event in _events():
        render(event)

    text = out.getvalue()
    assert "running: main.m1, main.m2" in text
    assert "[1/2]" in text and "[2/2]" in text
    assert text.endswith(ERASE)  # nothing of the line is left
    assert render.progress is None


@pytest.mark.parametrize(("out", "fmt"), [(io.StringIO(), "text"), (_Terminal(), "json")])
def test_renderer_writes_plain_lines_without_control_characters(out, fmt):
    render = Renderer(fmt, out=out)
    for event in _events():
        render(event)

    text = out.getvalue()
    assert "1 of 2 START sql view model main.m1" in text or '"kind": "node_start"' in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)  # only newlines


# ---- a real pseudo-terminal -----------------------------------------------------------------
def _screen(raw: str) -> list[str]:
    """The lines a terminal shows after ``raw``: ``\\r`` returns, ``ESC[K`` erases to the end."""
    lines, current, col = [], [], 0
    i = 0
    while i < len(raw):
        if raw.startswith("\x1b[K", i):
            del current[col:]
            i += 3
            continue
        ch = raw[i]
        if ch == "\r":
            col = 0
        elif ch == "\n":
            lines.append("".join(current))
            current, col = [], 0
        else:
            if col < len(current):
                current[col] = ch
            else:
                current.append(ch)
            col += 1
        i += 1
    if current:
        lines.append("".join(current))
    return lines


PROJECT = {
    "pyflow.yml": "name: shop\n",
    "models/a.sql": "select 1 as id\n",
    "models/b.sql": "select id from {{ ref('a') }}\n",
    "models/c.sql": "select id from {{ ref('b') }}\n",
}


def _run_in_pty(project: Path, *args: str) -> str:
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()", *args,
         "--project-dir", str(project)],
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX only")
def test_build_on_a_pseudo_terminal_shows_the_live_line_and_leaves_clean_log_lines(make_project):
    project = make_project(PROJECT)

    raw = _run_in_pty(project, "build", "--threads", "1")

    assert f"{ERASE}[0/3] " in raw  # drawn at the start, in place
    assert re.search(r"\x1b\[K\[\d/3\] \d\d:\d\d running: main\.a", raw)
    assert re.search(r"\x1b\[K\[3/3\] \d\d:\d\d", raw)  # every node counted
    screen = _screen(raw)
    starts = [line for line in screen if " START " in line]
    assert len(starts) == 3 and all(line.endswith("[RUN]") for line in starts)  # no line cut
    assert not any(re.match(r"\[\d/3\]", line) for line in screen)  # nothing of it is left
    assert screen[-1].endswith("Done. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3")


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX only")
def test_json_log_format_on_a_pseudo_terminal_has_no_control_characters(make_project):
    project = make_project(PROJECT)

    raw = _run_in_pty(project, "build", "--log-format", "json")

    assert "\x1b" not in raw and "\r" not in raw
    assert '"kind": "node_finish"' in raw
