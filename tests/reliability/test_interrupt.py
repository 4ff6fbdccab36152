"""Ctrl-C and SIGTERM stop a run whatever its models are doing (issue 10, item 8).

A Python model busy in Python code (a loop that never checks anything, a sleep inside a C call)
used to make the run ignore Ctrl-C until ``kill -9``. Now the interrupted run stops, reports the
busy model cancelled, leaves its table as it was and no working tables behind, and exits 130.

Each test runs the CLI in a subprocess and sends a real signal once the model is inside its busy
code (it writes a marker file first). Nothing here measures time: the process wait has a long
timeout only as a guard against hanging; ``bench/interrupt.py`` measures the stop latency.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

HANG_GUARD_S = 30

BUSY_MODEL = """
    import time
    from pathlib import Path

    import pandas as pd

    from pyflow import Context, model


    @model(materialized="table")
    def busy(ctx: Context) -> pd.DataFrame:
        mode = ctx.var("busy")
        if mode != "no":
            Path(ctx.var("marker")).write_text(mode)
        if mode == "spin":
            while True:  # pure Python: never returns to anything that could check a flag
                pass
        if mode == "sleep":
            time.sleep(1000)  # blocked inside a C call
        if mode == "pandas":  # heavy DataFrame work, mostly inside pandas and numpy
            frame = pd.DataFrame({"x": range(2_000_000)})
            while True:
                frame = frame.assign(x=(frame["x"] * 7919) % 1_000_003).sort_values("x")
        return pd.DataFrame({"n": [1, 2, 3]})
"""

AFTER_BUSY = "{{ config(materialized='table') }}\nselect sum(n) as total from {{ ref('busy') }}\n"


def pyflow_command() -> list[str]:
    """The installed console script, else the module entry point of this interpreter."""
    exe = Path(sys.executable).parent / "pyflow"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("pyflow")
    if found is not None:
        return [found]
    return [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()"]


def run_until(args: list[str], ready: Path | list[Path] | str, *, signum: int | None) -> tuple[int, str]:
    """Run the CLI; once ``ready`` appears (marker files, or a line of output), send ``signum``.

    Returns the exit code and the whole output. ``signum=None`` just waits for the process.
    """
    proc = subprocess.Popen(
        [*pyflow_command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if isinstance(ready, str) and ready in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if signum is not None:
            deadline = time.monotonic() + 60  # a guard against hanging, not a measurement
            markers = [ready] if isinstance(ready, Path) else ready if isinstance(ready, list) else []
            while not (seen.is_set() if isinstance(ready, str) else all(m.exists() for m in markers)):
                assert proc.poll() is None, "the run ended before the signal:\n" + "".join(lines)
                assert time.monotonic() < deadline, "the model never started:\n" + "".join(lines)
                time.sleep(0.02)
            proc.send_signal(signum)
        code = proc.wait(timeout=HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.stdout is not None
    proc.stdout.close()
    return code, "".join(lines)


@pytest.fixture
def busy_project(make_project, pyflow, warehouse):
    """A project whose DataFrame model ``busy`` was built once (rows 1, 2, 3), with a child."""
    project = make_project(
        {"models/busy.py": BUSY_MODEL, "models/after_busy.sql": AFTER_BUSY},
        project_yml="name: proj\nvars:\n  busy: 'no'\n  marker: ''\n",
    )
    pyflow("run", "--project-dir", project)
    assert warehouse(project).rows("SELECT n FROM busy ORDER BY n") == [(1,), (2,), (3,)]
    return project


@pytest.mark.parametrize(
    ("mode", "signum"),
    [
        ("spin", signal.SIGINT),
        ("spin", signal.SIGTERM),
        ("sleep", signal.SIGINT),
        ("sleep", signal.SIGTERM),
        ("pandas", signal.SIGINT),
    ],
    ids=["spin-sigint", "spin-sigterm", "sleep-sigint", "sleep-sigterm", "pandas-sigint"],
)
def test_signal_stops_busy_python_model(mode, signum, busy_project, tmp_path, warehouse, run_results):
    marker = tmp_path / "busy.started"
    code, output = run_until(
        ["run", "--project-dir", str(busy_project), "--threads", "1", "--vars",
         f"{{busy: {mode}, marker: '{marker}'}}"],
        marker,
        signum=signum,
    )  # fmt: skip

    assert code == 130, output
    assert "The run was cancelled" in output
    assert "Traceback" not in output
    results = run_results(busy_project)
    busy = results["busy"]
    assert (busy["status"], busy["error"]["code"]) == ("cancelled", "cancelled"), busy
    assert busy["message"].startswith(
        "model 'busy' (models/busy.py): interrupted: the run was cancelled while this node was "
        "running, and it did not stop within 0.75s (busy in Python code); it was abandoned and its "
        "target left as it was"
    )
    assert (results["after_busy"]["status"], results["after_busy"]["message"]) == (
        "skipped",
        "skipped because 'busy' was cancelled",
    )
    db = warehouse(busy_project)
    assert db.rows("SELECT n FROM busy ORDER BY n") == [(1,), (2,), (3,)]
    assert db.rows("SELECT total FROM after_busy") == [(6,)]
    assert not any("__pyflow" in rel for rel in db.relations())


SLEEPER_MODEL = """
    import time
    from pathlib import Path

    import pandas as pd

    from pyflow import Context, model


    @model(materialized="table")
    def sleeper(ctx: Context, quick: pd.DataFrame) -> pd.DataFrame:
        Path(ctx.var("marker") + ".sleeper").write_text("sleep")
        time.sleep(1000)
        return quick
"""


def test_signal_abandons_every_busy_model_among_threads(busy_project, tmp_path, warehouse, run_results):
    """Two busy Python models on two of four threads: both are abandoned, the model that had
    finished keeps its new table, the tables of the busy ones are unchanged."""
    (busy_project / "models" / "quick.sql").write_text(
        "{{ config(materialized='table') }}\nselect 7 as q\n", encoding="utf-8"
    )
    (busy_project / "models" / "sleeper.py").write_text(textwrap.dedent(SLEEPER_MODEL), encoding="utf-8")
    marker = tmp_path / "busy.started"
    code, output = run_until(
        ["run", "--project-dir", str(busy_project), "--threads", "4", "--select", "busy",
         "--select", "quick+", "--vars", f"{{busy: spin, marker: '{marker}'}}"],
        [marker, Path(f"{marker}.sleeper")],
        signum=signal.SIGINT,
    )  # fmt: skip

    assert code == 130, output
    results = run_results(busy_project)
    assert results["quick"]["status"] == "success"
    assert results["busy"]["status"] == results["sleeper"]["status"] == "cancelled"
    assert results["busy"]["error"]["code"] == results["sleeper"]["error"]["code"] == "cancelled"
    db = warehouse(busy_project)
    assert db.rows("SELECT q FROM quick") == [(7,)]
    assert db.rows("SELECT n FROM busy ORDER BY n") == [(1,), (2,), (3,)]
    assert "main.sleeper" not in db.relations()
    assert not any("__pyflow" in rel for rel in db.relations())


def test_abandoned_python_loop_stops_in_process(busy_project, tmp_path, pyflow, warehouse, run_results):
    """Run in-process (a notebook, a test): the abandoned model's Python loop is stopped, not left
    spinning in a background thread after the command returned."""
    marker = tmp_path / "busy.started"

    def interrupt_when_busy() -> None:
        while not marker.exists():
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=interrupt_when_busy, daemon=True)
    sender.start()
    result = pyflow(
        "run", "--project-dir", busy_project, "--threads", "2", "--vars", f"{{busy: spin, marker: '{marker}'}}",
        expect=130,
    )  # fmt: skip
    sender.join(HANG_GUARD_S)

    assert run_results(busy_project)["busy"]["status"] == "cancelled", result.output
    workers = [t for t in threading.enumerate() if t.name.startswith("pyflow_")]
    for worker in workers:
        worker.join(HANG_GUARD_S)  # a guard against hanging: they end at once
    assert [t.name for t in workers if t.is_alive()] == []
    assert warehouse(busy_project).rows("SELECT n FROM busy ORDER BY n") == [(1,), (2,), (3,)]
