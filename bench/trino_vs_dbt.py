"""pyflow vs dbt-core 1.11 + dbt-trino on the same running Trino: one generated project, both tools.

The project is N Jinja SQL models in layers (a model reads ``ref()`` of one model of the layer
above, or the source for the first layer; the last layer aggregates), identical files for both
tools: ``pyflow.yml`` + ``profiles.yml`` for pyflow, ``dbt_project.yml`` + ``profiles.yml`` for dbt.
The source ``raw.events`` (``--rows`` rows) is made once on the server. Each tool then runs the
whole project ``--reps`` times as a process (``pyflow run`` / ``dbt run``, 2 threads, same catalog
and a schema of its own), wall clock; the script prints the medians and their ratio. It asserts
nothing: read the ratio, not the seconds.

dbt is installed into a virtualenv of its own (``--dbt-venv``, default ``/tmp/pyflow-dbt-trino``;
never into pyflow's environment): ``dbt-core~=1.11.0`` and ``dbt-trino~=1.11.0``.

    scripts/trino.sh start
    python bench/trino_vs_dbt.py                      # 30 models, memory catalog, 3 reps
    python bench/trino_vs_dbt.py --models 60 --catalog iceberg --reps 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

DBT_REQUIREMENTS = ("dbt-core~=1.11.0", "dbt-trino~=1.11.0")
LAYERS = 5


def model_sql(index: int, per_layer: int) -> tuple[str, str]:
    """(name, SQL) of model ``index``: layer 0 reads the source, the last layer aggregates."""
    layer = min(index // per_layer, LAYERS - 1)
    name = f"m{index:03d}"
    if layer == 0:
        upstream = "{{ source('raw', 'events') }}"
    else:
        upstream = f"{{{{ ref('m{(layer - 1) * per_layer + index % per_layer:03d}') }}}}"
    if layer == LAYERS - 1:
        body = f"select category, count(*) as n, sum(amount) as amount\nfrom {upstream}\ngroup by category"
    else:
        body = (
            f"select id, category, amount * {1 + index % 3} as amount, note\nfrom {upstream}\n"
            f"where id % {index % 5 + 2} <> 0 or amount > 10"
        )
    return name, "{{ config(materialized='table') }}\n" + body + "\n"


def write_project(folder: Path, models: int, host: str, port: int, catalog: str, schema: str) -> None:
    (folder / "models").mkdir(parents=True)
    per_layer = max(1, models // LAYERS)
    for i in range(models):
        name, sql = model_sql(i, per_layer)
        (folder / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    (folder / "models" / "sources.yml").write_text(
        f"version: 2\nsources:\n  - name: raw\n    database: {catalog}\n    schema: {schema}_raw\n"
        "    tables:\n      - name: events\n",
        encoding="utf-8",
    )
    (folder / "pyflow.yml").write_text("name: bench\n", encoding="utf-8")
    (folder / "dbt_project.yml").write_text(
        "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\nmodel-paths: [models]\n",
        encoding="utf-8",
    )
    for tool in ("pyflow", "dbt"):
        extra = "      method: none\n" if tool == "dbt" else ""
        (folder / f"profiles_{tool}").mkdir()
        (folder / f"profiles_{tool}" / "profiles.yml").write_text(
            f"bench:\n  target: live\n  outputs:\n    live:\n      type: trino\n{extra}"
            f"      host: {host}\n      port: {port}\n      user: pyflow\n      database: {catalog}\n"
            f"      schema: {schema}_{tool}\n      threads: 2\n",
            encoding="utf-8",
        )


def trino_run(host: str, port: int, sql: str) -> list[tuple[object, ...]]:
    import trino

    con = trino.dbapi.connect(host=host, port=port, user="pyflow")
    try:
        cur = con.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()


def ensure_dbt(venv: Path) -> Path:
    """The ``dbt`` executable of ``venv`` (dbt-core 1.11 + dbt-trino 1.11 installed there if missing)."""
    exe = venv / "bin" / "dbt"
    if not exe.exists():
        print(f"[dbt] installing {', '.join(DBT_REQUIREMENTS)} into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *DBT_REQUIREMENTS], check=True
        )
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout
    print("[dbt] " + " ".join(line.strip() for line in version.splitlines() if line.strip()), flush=True)
    return exe


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(
            f"{command[0]} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--catalog", default="memory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--dbt-venv", type=Path, default=Path("/tmp/pyflow-dbt-trino"))
    args = parser.parse_args()

    dbt = ensure_dbt(args.dbt_venv)
    pyflow = shutil.which("pyflow", path=str(Path(sys.executable).parent)) or "pyflow"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix="pyflow-trino-bench-"))
    write_project(folder, args.models, args.host, args.port, args.catalog, schema)
    raw = f"{args.catalog}.{schema}_raw"
    times: dict[str, list[float]] = {"pyflow": [], "dbt": []}
    try:
        trino_run(args.host, args.port, f"CREATE SCHEMA {raw}")
        trino_run(
            args.host,
            args.port,
            f"CREATE TABLE {raw}.events AS SELECT id, 'c' || CAST(id % 7 AS varchar) AS category, "
            f"CAST(id % 1000 AS double) / 10 AS amount, 'note ' || CAST(id AS varchar) AS note "
            f"FROM (SELECT (b - 1) * 1000 + a AS id FROM UNNEST(sequence(1, 1000)) AS x (a) "
            f"CROSS JOIN UNNEST(sequence(1, {max(1, args.rows // 1000)})) AS y (b))",
        )
        for rep in range(args.reps):
            times["pyflow"].append(
                timed([pyflow, "run", "--project-dir", ".", "--profiles-dir", "profiles_pyflow"], folder)
            )
            times["dbt"].append(timed([str(dbt), "run", "--profiles-dir", "profiles_dbt"], folder))
            print(
                f"rep {rep + 1}: pyflow {times['pyflow'][-1]:.1f} s, dbt {times['dbt'][-1]:.1f} s", flush=True
            )
    finally:
        for suffix in ("pyflow", "dbt", "raw"):
            where = f"{args.catalog}.{schema}_{suffix}"
            tables = trino_run(
                args.host,
                args.port,
                f"SELECT table_name, table_type FROM {args.catalog}.information_schema.tables "
                f"WHERE table_schema = '{schema}_{suffix}'",
            )
            for name, kind in tables:
                trino_run(
                    args.host, args.port, f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} {where}."{name}"'
                )
            trino_run(args.host, args.port, f"DROP SCHEMA IF EXISTS {where}")
        shutil.rmtree(folder, ignore_errors=True)
    p, d = statistics.median(times["pyflow"]), statistics.median(times["dbt"])
    print(
        f"{args.models} table models, {args.rows} source rows, catalog {args.catalog}, 2 threads, "
        f"median of {args.reps}:\n  pyflow run  {p:6.1f} s\n  dbt run     {d:6.1f} s\n"
        f"  ratio pyflow/dbt = {p / d:.2f}"
    )


if __name__ == "__main__":
    main()
