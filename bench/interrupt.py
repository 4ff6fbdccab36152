"""How long ``pyflow run`` takes to stop after Ctrl-C / SIGTERM, by what the running model is doing.

For each case a one-model project is built once, then run again with the model busy; once the
model is inside its busy code (it writes a marker file) the signal is sent and the script times
until the process exits, and until the ``run_finish`` event (``--log-format json``). The promise
(docs/guarantees.md) is a stop within 2 s; tests check the behaviour, this script the time.

    python bench/interrupt.py               # 3 reps of each case
    python bench/interrupt.py --reps 10
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import time
from pathlib import Path

from measure import TIMEOUT_S, process_env, pyflow_command, workspace

MODELS = {
    "python-spin": """
import pandas as pd
from pathlib import Path
from pyflow import Context, model


@model(materialized="table")
def busy(ctx: Context) -> pd.DataFrame:
    if ctx.var("busy"):
        Path(ctx.var("marker")).write_text("x")
        while True:
            pass
    return pd.DataFrame({"n": [1]})
""",
    "python-sleep": """
import time
import pandas as pd
from pathlib import Path
from pyflow import Context, model


@model(materialized="table")
def busy(ctx: Context) -> pd.DataFrame:
    if ctx.var("busy"):
        Path(ctx.var("marker")).write_text("x")
        time.sleep(1000)
    return pd.DataFrame({"n": [1]})
""",
}
MODELS["python-pandas"] = MODELS["python-spin"].replace(
    "        while True:\n            pass\n",
    "        frame = pd.DataFrame({'x': range(2_000_000)})\n"
    "        while True:\n"
    "            frame = frame.assign(x=(frame['x'] * 7919) % 1_000_003).sort_values('x')\n",
)
SQL_MODEL = """
{{ config(materialized='table') }}
{% if var('busy') %}
select count(*) as n from range(200000) as a, range(200000) as b where (a.range * b.range) % 7 = 3
{% else %}
select 1 as n
{% endif %}
"""


def one_stop(project: Path, signum: int, marker: Path, sql: bool) -> tuple[float, float]:
    """Seconds from the signal to the run_finish event, and to the process exit."""
    marker.unlink(missing_ok=True)
    cmd = [*pyflow_command(), "run", "--project-dir", str(project), "--log-format", "json", "--vars",
           f"{{busy: true, marker: '{marker}'}}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=process_env())
    assert proc.stdout is not None
    if sql:  # no marker from SQL: wait for the node to start, then give the query a moment
        for line in proc.stdout:
            if '"node_start"' in line:
                break
        time.sleep(0.5)
    else:
        while not marker.exists():
            time.sleep(0.005)
    sent = time.time()
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=TIMEOUT_S)
    exited = time.time()
    finish = next((json.loads(ln)["ts"] for ln in out.splitlines() if '"run_finish"' in ln), float("nan"))
    return finish - sent, exited - sent


def main() -> None:
    """Measure every case and print median / max stop latencies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(f"{'case':<24} {'run_finish median/max':>22} {'exit median/max':>18}")
    with workspace("pyflow-bench-interrupt-", None, args.keep) as workdir:
        cases = {**{k: (v, False) for k, v in MODELS.items()}, "sql-query": (SQL_MODEL, True)}
        for name, (text, sql) in cases.items():
            project = workdir / name
            (project / "models").mkdir(parents=True)
            (project / "pyflow.yml").write_text("name: bench\nvars:\n  busy: false\n  marker: ''\n")
            (project / "models" / ("busy.sql" if sql else "busy.py")).write_text(text)
            subprocess.run(
                [*pyflow_command(), "run", "--project-dir", str(project)],
                check=True, capture_output=True, env=process_env(), timeout=TIMEOUT_S,
            )  # fmt: skip
            for signum in (signal.SIGINT, signal.SIGTERM):
                finish, exit_ = zip(
                    *(one_stop(project, signum, workdir / "marker", sql) for _ in range(args.reps)),
                    strict=True,
                )
                label = f"{name} {signal.Signals(signum).name}"
                print(
                    f"{label:<24} {statistics.median(finish):>10.2f}s /{max(finish):>6.2f}s"
                    f" {statistics.median(exit_):>8.2f}s /{max(exit_):>6.2f}s"
                )


if __name__ == "__main__":
    main()
