"""Incremental models and SCD2 snapshots: pyflow vs the bare SQL it runs vs dbt-duckdb.

One run of this script measures, side by side, on generated data (DuckDB ``range()`` with
hash-based deterministic values, so every engine starts from byte-identical source tables):

A. An SCD2 snapshot (timestamp strategy, ``hard_deletes='invalidate'``) of a 1,000,000-row
   source, on its *second* run: the one applying 1% updates, 0.1% deletes and 1% inserts.
B. Incremental models adding a 1% batch of new rows to a 5,000,000-row table, for the
   strategies ``merge``, ``delete+insert`` and ``append``, and a ``--full-refresh`` of the same
   model.

Columns, each the median of ``--reps`` repetitions, every repetition starting from a copy of a
prepared DuckDB file (the state just before the measured run):

- pyflow: ``pyflow snapshot`` / ``pyflow run --select M`` as a whole process (wall clock), and
  its SQL time, the node's ``execution_time`` in ``target/run_results.json``.
- floor: the statements pyflow executed (read back from ``target/run/**.sql``), run in one
  transaction with the bare duckdb API on a copy of pyflow's prepared database: as a whole
  process (``python`` + ``import duckdb`` + statements + close), and the statements alone.
- dbt: dbt-duckdb 1.11 on an equivalent dbt project, as a whole process. It is installed into
  a virtualenv under ``~/.cache/pyflow-bench/dbt-venv`` (with the same duckdb version as
  pyflow's); the column is skipped, with the reason, when that fails.

Ratios are against baselines measured in the same run, so they compare across machines; nothing
here asserts timings. Every result is checked (row counts and content fingerprints) against the
expected state and across engines, so a faster wrong answer cannot pass. Everything is written
under a temporary folder, never in the repo.

    python bench/incremental.py            # full run (a few minutes, installs dbt once)
    python bench/incremental.py --quick    # 10x smaller data, 1 repetition, dbt only if installed
    python bench/incremental.py --no-dbt   # without the dbt column
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from measure import CommandFailed, Samples, process_env, pyflow_command, pyflow_origin, timed, workspace

REPO = Path(__file__).resolve().parent.parent
PIP_TIMEOUT_S = 1200

# Sizes and targets (the targets are set for the default sizes).
SNAPSHOT_ROWS = 1_000_000
INCREMENTAL_ROWS = 5_000_000
REPS = 3
QUICK_DIVISOR = 10
PYFLOW_DBT_TARGET = 0.5
SQL_FLOOR_TARGET = 1.5

CACHE = Path.home() / ".cache" / "pyflow-bench"
DBT_VENV = CACHE / "dbt-venv"
# Bytecode of every benchmarked process goes here (see process_env).
# dbt-core >= 1.12 pulls in a parser package whose build downloads a wheel from outside the
# package registry; dbt-duckdb 1.11 works with dbt-core 1.11, so pin both. duckdb is pinned to
# pyflow's version so both engines run the same database engine on the same file format.
DBT_REQUIREMENTS = ("dbt-duckdb~=1.11.0", "dbt-core~=1.11.0")

DB_NAME = "pyflow.duckdb"  # every engine's file has this name: the catalog is `pyflow` for all
STRATEGIES = (("merge", "inc_merge"), ("delete+insert", "inc_delete_insert"), ("append", "inc_append"))

# The floor: pyflow's statements without pyflow, in a fresh `python` process that pays
# interpreter start-up and `import duckdb` like pyflow does. One transaction, as pyflow's
# materializers use. argv: database file, JSON list of statements.
FLOOR_SCRIPT = """\
import json, sys, time
t0 = time.perf_counter()
import duckdb
t1 = time.perf_counter()
with open(sys.argv[2], encoding="utf-8") as f:
    statements = json.load(f)
con = duckdb.connect(sys.argv[1])
t2 = time.perf_counter()
con.execute("BEGIN TRANSACTION")
for sql in statements:
    con.execute(sql)
con.execute("COMMIT")
t3 = time.perf_counter()
con.close()
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "connect": t2 - t1, "statements": t3 - t2, "close": t4 - t3}))
"""

# ---- generated data -----------------------------------------------------------------------------
# Customers (workload A). Updated rows move to 2025, after every original `updated_at` (2024).
CUSTOMERS_SELECT = """\
SELECT
    range AS id,
    'customer_' || range AS name,
    'user' || (hash(range) % 1000000000)::VARCHAR || '@example.com' AS email,
    ['retail', 'smb', 'enterprise', 'partner', 'public'][(hash(range, 1) % 5)::INTEGER + 1] AS segment,
    ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'GB', 'NL'][(hash(range, 2) % 8)::INTEGER + 1] AS country,
    ((hash(range, 3) % 10000000) / 100.0)::DECIMAL(12, 2) AS balance,
    {updated_at} AS updated_at
FROM range({start}, {stop})
"""
CUSTOMERS_FIRST_TS = "TIMESTAMP '2024-01-01' + to_seconds((hash(range, 4) % 31536000)::BIGINT)"
CUSTOMERS_NEW_TS = "TIMESTAMP '2025-06-02' + to_seconds(range % 86400)"
UPDATE_MOD, UPDATE_REM = 100, 7  # 1% of the keys
DELETE_MOD, DELETE_REM = 1000, 3  # 0.1%, disjoint from the updates (3 % 100 != 7)
CUSTOMERS_CHANGES = """\
UPDATE raw.customers
SET segment = 'changed', balance = balance + 1,
    updated_at = TIMESTAMP '2025-06-01' + to_seconds(id % 86400)
WHERE id % {um} = {ur};
DELETE FROM raw.customers WHERE id % {dm} = {dr};
INSERT INTO raw.customers {insert};
"""

# The hand-written floor of workload A: the SCD2 step as a person would write it for this data
# (pyflow's column names, run on a copy of pyflow's prepared file): one FULL OUTER JOIN of the
# source with the current versions finds new, changed and vanished keys; one UPDATE closes, one
# INSERT adds. No uniqueness check of the source and no care for keys coming back after a
# delete (there are none here), both of which pyflow does.
SNAPSHOT_HAND_SQL = [
    """CREATE TEMPORARY TABLE changes AS
SELECT s.*, cur.id AS cur_id
FROM raw.customers AS s
FULL OUTER JOIN (
    SELECT id, pyflow_updated_at FROM main.customers_snapshot WHERE pyflow_valid_to IS NULL
) AS cur ON s.id = cur.id
WHERE s.id IS NULL OR cur.id IS NULL OR s.updated_at > cur.pyflow_updated_at""",
    """UPDATE main.customers_snapshot AS t
SET pyflow_valid_to = coalesce(c.updated_at, CAST(now() AS TIMESTAMP))
FROM changes AS c
WHERE t.id = c.cur_id AND t.pyflow_valid_to IS NULL""",
    """INSERT INTO main.customers_snapshot
    (id, name, email, segment, country, balance, updated_at,
     pyflow_scd_id, pyflow_updated_at, pyflow_valid_from, pyflow_valid_to)
SELECT id, name, email, segment, country, balance, updated_at,
       md5(CAST(id AS VARCHAR) || '|' || CAST(updated_at AS VARCHAR)), updated_at, updated_at, NULL
FROM changes
WHERE id IS NOT NULL""",
    "DROP TABLE changes",
]

# Events (workload B). `updated_at` grows with `id`; the batch is later than every older row.
EVENTS_SELECT = """\
SELECT
    range AS id,
    (hash(range) % 100000)::BIGINT AS customer_id,
    ((hash(range, 1) % 1000000) / 100.0)::DECIMAL(12, 2) AS amount,
    ['new', 'paid', 'shipped', 'returned'][(hash(range, 2) % 4)::INTEGER + 1] AS status,
    'evt-' || (hash(range, 3) % 1000000000)::VARCHAR AS note,
    {updated_at} AS updated_at
FROM range({start}, {stop})
"""
EVENTS_FIRST_TS = "TIMESTAMP '2024-01-01' + to_seconds(range // 10)"
EVENTS_BATCH_TS = "TIMESTAMP '2025-01-01' + to_seconds(range // 10)"

# ---- projects -----------------------------------------------------------------------------------
PYFLOW_YML = "name: bench\n"
# In the project folder, so a ~/.pyflow/profiles.yml cannot redirect the benchmark.
PYFLOW_PROFILES = """\
bench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {path}
"""
DBT_PROJECT_YML = """\
name: bench
version: "1.0"
config-version: 2
profile: bench
flags:
  send_anonymous_usage_stats: false
"""
DBT_PROFILES = """\
bench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {path}
      threads: 4
"""
SOURCES_YML = """\
version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: {table}
"""
# The same text is valid for pyflow and dbt.
SNAPSHOT_SQL = """\
{% snapshot customers_snapshot %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidate') }}
select * from {{ source('raw', 'customers') }}
{% endsnapshot %}
"""
INCREMENTAL_SQL = """\
{{{{ config(materialized='incremental', unique_key='id', incremental_strategy='{strategy}') }}}}
select id, customer_id, amount, status, note, updated_at
from {{{{ source('raw', 'events') }}}}
{{% if is_incremental() %}}
where id > (select max(id) from {{{{ this }}}})
   or updated_at > (select max(updated_at) from {{{{ this }}}})
{{% endif %}}
"""


# ---- processes ----------------------------------------------------------------------------------
# ---- DuckDB files -------------------------------------------------------------------------------
def sql(database: Path, script: str, *, read_only: bool = False) -> list[tuple[object, ...]]:
    """Run a script on a database file in this process (closed, so checkpointed, on return)."""
    import duckdb

    con = duckdb.connect(str(database), read_only=read_only)
    try:
        rows: list[tuple[object, ...]] = []
        for statement in (s for s in script.split(";\n") if s.strip()):
            rows = con.execute(statement).fetchall()
        if not read_only:
            con.execute("CHECKPOINT")
        return rows
    finally:
        con.close()


def restore(prepared: Path, database: Path) -> None:
    """Put the prepared state in place (and no stale WAL beside it)."""
    Path(f"{database}.wal").unlink(missing_ok=True)
    shutil.copyfile(prepared, database)
    if hasattr(os, "sync"):
        os.sync()  # no write-back of the copy during the measured run


def fingerprint(database: Path, query: str) -> tuple[object, ...]:
    """One row describing a result (counts and content hashes)."""
    return sql(database, query, read_only=True)[0]


# ---- dbt ----------------------------------------------------------------------------------------
@dataclass
class Dbt:
    """The dbt executable, or why there is none."""

    exe: Path | None
    note: str

    @property
    def env(self) -> dict[str, str]:
        """No usage tracking (no network here), no colour codes in captured output."""
        return {
            **process_env(),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DO_NOT_TRACK": "1",
            "DBT_USE_COLORS": "False",
        }


def venv_versions(python: Path) -> dict[str, str] | None:
    """Versions of dbt-core, dbt-duckdb and duckdb in a virtualenv, None when absent."""
    if not python.exists():
        return None
    code = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps({n: m.version(n) for n in ('dbt-core', 'dbt-duckdb', 'duckdb')}))"
    )
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        return None
    return dict(json.loads(proc.stdout))


def ensure_dbt(venv: Path, *, install: bool) -> Dbt:
    """dbt-duckdb 1.11 in ``venv`` (installed there when missing and ``install``)."""
    python, exe = venv / "bin" / "python", venv / "bin" / "dbt"
    duckdb_version = importlib.metadata.version("duckdb")

    def usable(v: dict[str, str] | None) -> bool:
        return (
            bool(v) and exe.exists() and v["dbt-duckdb"].startswith("1.11.") and v["duckdb"] == duckdb_version
        )

    found = venv_versions(python)
    if not usable(found):
        if not install:
            why = (
                "not installed"
                if found is None
                else f"has {found}, not dbt-duckdb 1.11 with duckdb {duckdb_version}"
            )
            return Dbt(None, f"skipped: {venv} {why} (--quick installs nothing; a full run installs it)")
        log = venv.parent / "pip-install.log"
        print(f"[dbt] installing dbt-duckdb 1.11 into {venv} (log: {log}) ...", flush=True)
        started = time.perf_counter()
        venv.parent.mkdir(parents=True, exist_ok=True)
        try:
            if not python.exists():
                subprocess.run(
                    [sys.executable, "-m", "venv", str(venv)],
                    check=True,
                    timeout=PIP_TIMEOUT_S,
                    capture_output=True,
                )
            with log.open("w", encoding="utf-8") as out:
                proc = subprocess.run(
                    [
                        str(python),
                        "-m",
                        "pip",
                        "install",
                        "--disable-pip-version-check",
                        *DBT_REQUIREMENTS,
                        f"duckdb=={duckdb_version}",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=PIP_TIMEOUT_S,
                    check=False,
                )
        except (OSError, subprocess.SubprocessError) as exc:
            return Dbt(None, f"skipped: creating the virtualenv {venv} failed: {exc}")
        if proc.returncode != 0:
            lines = [
                ln
                for ln in log.read_text(encoding="utf-8", errors="replace").splitlines()
                if ln.strip() and not ln.startswith("WARNING: Location")
            ]
            tail = "\n    ".join(lines[-8:])
            return Dbt(
                None,
                f"skipped: `pip install dbt-duckdb~=1.11.0` failed (exit {proc.returncode}); "
                f"see {log}:\n    {tail}",
            )
        found = venv_versions(python)
        if not usable(found):
            return Dbt(None, f"skipped: after installing, {venv} has {found}")
        print(f"[dbt] installed in {time.perf_counter() - started:.0f} s", flush=True)
    assert found is not None
    return Dbt(
        exe,
        f"dbt-core {found['dbt-core']}, dbt-duckdb {found['dbt-duckdb']}, duckdb {found['duckdb']} ({venv})",
    )


# ---- engines ------------------------------------------------------------------------------------
@dataclass
class Engine:
    """One engine's project: how to run it and where its database is."""

    name: str
    project: Path
    base_cmd: list[str]
    env: dict[str, str] | None
    valid_to: str
    prepared: Path | None = None

    @property
    def database(self) -> Path:
        """The project's DuckDB file."""
        return self.project / DB_NAME

    def command(self, verb: str, *args: str) -> list[str]:
        """``<engine> <verb> --project-dir P [--profiles-dir P] args``."""
        extra = ["--profiles-dir", str(self.project)] if self.name == "dbt" else []
        return [*self.base_cmd, verb, "--project-dir", str(self.project), *extra, *args]

    def run(self, verb: str, *args: str, nodes: int = 1) -> tuple[float, float]:
        """Run once; return (wall seconds, the nodes' execution_time summed, from run_results.json)."""
        shutil.rmtree(self.project / "target" / "run", ignore_errors=True)
        results = self.project / "target" / "run_results.json"
        results.unlink(missing_ok=True)
        elapsed, _ = timed(self.command(verb, *args), cwd=self.project, env=self.env)
        done = json.loads(results.read_text(encoding="utf-8"))["results"]
        if len(done) != nodes or any(r["status"] != "success" for r in done):
            summary = [(r["name"], r["status"], r.get("message")) for r in done]
            raise CommandFailed(
                f"{self.name} {verb} {' '.join(args)}: expected {nodes} successful node(s), got {summary}"
            )
        return elapsed, sum(float(r["execution_time"]) for r in done)


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write ``{relative path: text}`` under ``folder``."""
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def make_engines(
    workdir: Path, workload: str, models: dict[str, str], cmd: list[str], dbt: Dbt
) -> list[Engine]:
    """pyflow's and (when available) dbt's project for one workload, with the same model files."""
    pyflow = Engine("pyflow", workdir / workload / "pyflow", cmd, None, "pyflow_valid_to")
    write_files(
        pyflow.project,
        {"pyflow.yml": PYFLOW_YML, "profiles.yml": PYFLOW_PROFILES.format(path=DB_NAME), **models},
    )
    engines = [pyflow]
    if dbt.exe is not None:
        eng = Engine("dbt", workdir / workload / "dbt", [str(dbt.exe)], dbt.env, "dbt_valid_to")
        write_files(
            eng.project,
            {
                "dbt_project.yml": DBT_PROJECT_YML,
                "profiles.yml": DBT_PROFILES.format(path=json.dumps(str(eng.database))),
                **models,
            },
        )
        engines.append(eng)
    return engines


def prepare(
    engine: Engine, base: Path, first: Sequence[str], nodes: int, changes: str, prepared_dir: Path
) -> None:
    """Base data -> the engine's first run -> the same source changes -> a prepared copy."""
    restore(base, engine.database)
    elapsed, _ = engine.run(*first, nodes=nodes)
    sql(engine.database, changes)
    engine.prepared = prepared_dir / f"{engine.name}.duckdb"
    engine.prepared.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(engine.database, engine.prepared)
    print(f"[prepare] {engine.name} {' '.join(first)} (first run): {elapsed:.2f} s", flush=True)


# ---- settings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """What every workload shares."""

    reps: int
    warmup: tuple[str, ...]
    """Engines given one untimed run before each measurement."""
    cmd: list[str]
    dbt: Dbt
    phases: bool
    """One extra ``pyflow --log-format json`` run per measurement, split into phases."""


# ---- measuring ----------------------------------------------------------------------------------
@dataclass
class Row:
    """Figures of one measured command."""

    label: str
    pyflow: Samples = field(default_factory=Samples)
    pyflow_sql: Samples = field(default_factory=Samples)
    floor: Samples = field(default_factory=Samples)
    floor_sql: Samples = field(default_factory=Samples)
    floor_parts: list[dict[str, float]] = field(default_factory=list)
    hand: Samples | None = None
    """The hand-written floor's whole process (workloads that have one)."""
    hand_sql: Samples | None = None
    dbt: Samples | None = None
    dbt_sql: Samples | None = None
    dbt_note: str = ""
    statements: int = 0
    phases: list[tuple[str, float]] = field(default_factory=list)

    @property
    def dbt_ratio(self) -> float | None:
        """pyflow / dbt, whole processes."""
        return self.pyflow.median / self.dbt.median if self.dbt and self.dbt.values else None

    @property
    def sql_ratio(self) -> float:
        """pyflow's node execution_time / the floor's statement time."""
        return self.pyflow_sql.median / self.floor_sql.median

    @property
    def hand_ratio(self) -> float | None:
        """pyflow's node execution_time / the hand-written floor's statement time."""
        return (
            self.pyflow_sql.median / self.hand_sql.median if self.hand_sql and self.hand_sql.values else None
        )


def executed_statements(project: Path, name: str) -> list[str]:
    """Statements pyflow ran for node ``name`` (``target/run/**/<name>.sql``, split on ``;\\n\\n``)."""
    files = list((project / "target" / "run").rglob(f"{name}.sql"))
    if len(files) != 1:
        raise SystemExit(f"expected one target/run/**/{name}.sql in {project}, found {files}")
    text = files[0].read_text(encoding="utf-8").rstrip().removesuffix(";")
    return [s for s in text.split(";\n\n") if s.strip()]


def pyflow_phases(pyflow: Engine, args: Sequence[str]) -> list[tuple[str, float]]:
    """One more pyflow run with ``--log-format json``, its wall time split at the events.

    A phase whose closing event is missing (the CLI changed) is merged into the next one.
    """
    assert pyflow.prepared is not None
    restore(pyflow.prepared, pyflow.database)
    spawned = time.time()
    _, out = timed([*pyflow.command(*args), "--log-format", "json"], cwd=pyflow.project)
    ended = time.time()
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def first(kind: str, text: str = "") -> float | None:
        found = (e["ts"] for e in events if e["kind"] == kind and str(e.get("text", "")).startswith(text))
        return next(found, None)

    ends: list[tuple[str, float | None]] = [
        ("start-up (interpreter, imports, CLI)", first("message", "Running with")),
        ("load project", first("message", "Found")),
        ("open database, compile, manifest", first("run_start")),
        (
            "node (materializer, SQL)",
            max((e["ts"] for e in events if e["kind"] == "node_finish"), default=None),
        ),
        ("run artifacts", first("run_finish")),
        ("close, summary, exit", ended),
    ]
    phases: list[tuple[str, float]] = []
    previous, pending = spawned, []
    for label, ts in ends:
        pending.append(label)
        if ts is not None:
            phases.append((" + ".join(pending), ts - previous))
            previous, pending = ts, []
    return phases


def measure(
    label: str,
    engines: list[Engine],
    args: Sequence[str],
    node: str,
    settings: Settings,
    check: Callable[[Engine, Path], None],
    workdir: Path,
    hand: Sequence[str] = (),
) -> Row:
    """Interleaved repetitions of pyflow, the floor and dbt, each from the prepared state.

    The engines in ``settings.warmup`` first run once untimed, so they start as a scheduled
    job finds them: pyflow's compile cache holds this command's compiled SQL (the prepare run
    compiled the first-run SQL, not the incremental one) and the OS caches are warm.
    """
    row = Row(label, dbt_note=settings.dbt.note)
    if hand:
        row.hand, row.hand_sql = Samples(), Samples()
        hand_file = workdir / "floor" / f"{label}_hand.json"
        hand_file.parent.mkdir(parents=True, exist_ok=True)
        hand_file.write_text(json.dumps(list(hand)), encoding="utf-8")
    pyflow = engines[0]
    dbt = engines[1] if len(engines) > 1 else None
    if dbt is not None:
        row.dbt, row.dbt_sql = Samples(), Samples()
    floor_db = workdir / "floor" / DB_NAME
    floor_db.parent.mkdir(parents=True, exist_ok=True)
    statements_file = workdir / "floor" / f"{label.replace(' ', '_').replace('+', '_')}.json"
    for rep in range(-1 if settings.warmup else 0, settings.reps):
        timed_rep = rep >= 0
        assert pyflow.prepared is not None
        if timed_rep or "pyflow" in settings.warmup:
            restore(pyflow.prepared, pyflow.database)
            wall, node_time = pyflow.run(*args)
            check(pyflow, pyflow.database)
        if timed_rep:
            row.pyflow.values.append(wall)
            row.pyflow_sql.values.append(node_time)
        if not row.statements:
            statements = executed_statements(pyflow.project, node)
            row.statements = len(statements)
            statements_file.write_text(json.dumps(statements), encoding="utf-8")

        if timed_rep:
            restore(pyflow.prepared, floor_db)
            wall, out = timed([sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), str(statements_file)])
            parts = json.loads(out.strip().splitlines()[-1])  # after any DuckDB progress bar
            check(pyflow, floor_db)
            row.floor.values.append(wall)
            row.floor_sql.values.append(parts["statements"])
            row.floor_parts.append(parts)
            if row.hand is not None and row.hand_sql is not None:  # same prepared file, same check
                restore(pyflow.prepared, floor_db)
                wall, out = timed([sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), str(hand_file)])
                check(pyflow, floor_db)
                row.hand.values.append(wall)
                row.hand_sql.values.append(json.loads(out.strip().splitlines()[-1])["statements"])

        if dbt is not None and row.dbt is not None and row.dbt_sql is not None:
            assert dbt.prepared is not None
            if not timed_rep and "dbt" not in settings.warmup:
                continue
            restore(dbt.prepared, dbt.database)
            try:
                wall, node_time = dbt.run(*args)
                check(dbt, dbt.database)
            except (CommandFailed, AssertionError) as exc:
                print(f"[{label}] dbt failed, its column is dropped: {exc}", flush=True)
                row.dbt = row.dbt_sql = None
                row.dbt_note = f"dbt failed: {str(exc).splitlines()[0]}"
                dbt = None
                continue
            if timed_rep:
                row.dbt.values.append(wall)
                row.dbt_sql.values.append(node_time)
    if settings.phases:
        row.phases = pyflow_phases(pyflow, args)
    dbt_part = f", dbt {row.dbt.median:.3f} s" if row.dbt else ""
    if row.hand_sql:
        dbt_part += f", hand-written SQL {row.hand_sql.median:.3f} s"
    print(
        f"[{label}] pyflow {row.pyflow.median:.3f} s (SQL {row.pyflow_sql.median:.3f} s), floor "
        f"{row.floor.median:.3f} s (SQL {row.floor_sql.median:.3f} s){dbt_part}",
        flush=True,
    )
    return row


# ---- A. snapshot --------------------------------------------------------------------------------
@dataclass
class Workload:
    """One benchmarked workload: a title, its rows and notes."""

    title: str
    rows: list[Row]
    notes: list[str]


def bench_snapshot(workdir: Path, n: int, settings: Settings) -> Workload:
    """A. Second run of an SCD2 snapshot over ``n`` source rows."""
    updates = len(range(UPDATE_REM, n, UPDATE_MOD))
    deletes = len(range(DELETE_REM, n, DELETE_MOD))
    inserts = n // 100
    print(f"[snapshot] generating {n:,} customers ...", flush=True)
    base = workdir / "snapshot" / "base.duckdb"
    base.parent.mkdir(parents=True, exist_ok=True)
    sql(
        base,
        "CREATE SCHEMA raw;\nCREATE TABLE raw.customers AS "
        + CUSTOMERS_SELECT.format(updated_at=CUSTOMERS_FIRST_TS, start=0, stop=n),
    )
    changes = CUSTOMERS_CHANGES.format(
        um=UPDATE_MOD,
        ur=UPDATE_REM,
        dm=DELETE_MOD,
        dr=DELETE_REM,
        insert=CUSTOMERS_SELECT.format(updated_at=CUSTOMERS_NEW_TS, start=n, stop=n + inserts),
    )
    models = {
        "models/sources.yml": SOURCES_YML.format(table="customers"),
        "snapshots/customers_snapshot.sql": SNAPSHOT_SQL,
    }
    engines = make_engines(workdir, "snapshot", models, settings.cmd, settings.dbt)
    for eng in engines:
        prepare(eng, base, ["snapshot"], 1, changes, workdir / "snapshot" / "prepared")

    expected_total, expected_current = n + updates + inserts, n - deletes + inserts
    reference: dict[str, tuple[object, ...]] = {}

    def check(engine: Engine, database: Path) -> None:
        vt = engine.valid_to
        got = fingerprint(
            database,
            f"""
            SELECT count(*), count(*) FILTER (WHERE {vt} IS NULL),
                   bit_xor(hash(id, updated_at, segment, balance)) FILTER (WHERE {vt} IS NULL),
                   bit_xor(hash(id, updated_at))
            FROM main.customers_snapshot""",
        )
        if got[:2] != (expected_total, expected_current):
            raise AssertionError(
                f"{engine.name} snapshot at {database}: {got[0]} rows, {got[1]} current; "
                f"expected {expected_total} and {expected_current}"
            )
        if reference.setdefault("snapshot", got) != got:
            raise AssertionError(
                f"{engine.name} snapshot at {database} differs in content: {got} vs {reference}"
            )

    row = measure(
        "snapshot",
        engines,
        ["snapshot"],
        "customers_snapshot",
        settings,
        check,
        workdir / "snapshot",
        hand=SNAPSHOT_HAND_SQL,
    )
    title = (
        f"A. SCD2 snapshot, timestamp strategy, hard_deletes=invalidate: second run over {n:,} source rows "
        f"({updates:,} updated, {deletes:,} deleted, {inserts:,} inserted)"
    )
    notes = [
        f"result checked each run: {expected_total:,} rows, {expected_current:,} current, same content "
        "across engines and the hand-written SQL",
        "hand-written floor: SNAPSHOT_HAND_SQL (FULL OUTER JOIN, UPDATE, INSERT; no uniqueness check)",
    ]
    return Workload(title, [row], notes)


# ---- B. incremental -----------------------------------------------------------------------------
def bench_incremental(workdir: Path, n: int, settings: Settings) -> Workload:
    """B. A 1% batch of new rows into an ``n``-row table, per strategy, and a full refresh."""
    batch = n // 100
    print(f"[incremental] generating {n:,} events ...", flush=True)
    base = workdir / "incremental" / "base.duckdb"
    base.parent.mkdir(parents=True, exist_ok=True)
    sql(
        base,
        "CREATE SCHEMA raw;\nCREATE TABLE raw.events AS "
        + EVENTS_SELECT.format(updated_at=EVENTS_FIRST_TS, start=0, stop=n),
    )
    changes = "INSERT INTO raw.events " + EVENTS_SELECT.format(
        updated_at=EVENTS_BATCH_TS, start=n, stop=n + batch
    )
    models = {"models/sources.yml": SOURCES_YML.format(table="events")}
    for strategy, name in STRATEGIES:
        models[f"models/{name}.sql"] = INCREMENTAL_SQL.format(strategy=strategy)
    engines = make_engines(workdir, "incremental", models, settings.cmd, settings.dbt)
    for eng in engines:
        prepare(eng, base, ["run"], len(STRATEGIES), changes, workdir / "incremental" / "prepared")
    assert engines[0].prepared is not None
    source = fingerprint(
        engines[0].prepared, "SELECT count(*), bit_xor(hash(id, updated_at, amount, note)) FROM raw.events"
    )
    if source[0] != n + batch:
        raise SystemExit(f"the prepared source has {source[0]} rows, expected {n + batch}")

    rows: list[Row] = []
    runs = [(strategy, name, ["run", "--select", name]) for strategy, name in STRATEGIES]
    runs.append(("full refresh", "inc_merge", ["run", "--select", "inc_merge", "--full-refresh"]))
    for label, name, args in runs:

        def check(engine: Engine, database: Path, name: str = name, label: str = label) -> None:
            got = fingerprint(
                database, f"SELECT count(*), bit_xor(hash(id, updated_at, amount, note)) FROM main.{name}"
            )
            if got != source:
                raise AssertionError(
                    f"{engine.name} {label} at {database}: {got} (rows, hash), expected the source's {source}"
                )

        rows.append(measure(label, engines, args, name, settings, check, workdir / "incremental"))
    title = (
        f"B. Incremental: {batch:,} new rows (1%) into a {n:,}-row table; full refresh rebuilds {n + batch:,}"
    )
    notes = [
        "result checked each run: the table equals the source (row count and content hash)",
        "full refresh: `run --select inc_merge --full-refresh` on the same prepared state",
    ]
    return Workload(title, rows, notes)


# ---- report -------------------------------------------------------------------------------------
def verdict(value: float | None, target: float, applies: bool) -> str:
    """PASS/FAIL against ``<= target``; ``info`` when the run's size is not the default one."""
    if value is None:
        return "-"
    if not applies:
        return "info"
    return "PASS" if value <= target else "FAIL"


def provenance(cmd: Sequence[str], dbt: Dbt) -> list[str]:
    """What is measured: pyflow's command, location and commit, the engines' versions, the machine."""
    return [
        f"pyflow command: {' '.join(cmd)}; package {pyflow_origin()}",
        f"duckdb {importlib.metadata.version('duckdb')} (pyflow and floor); dbt: {dbt.note}",
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs",
    ]


def print_workload(w: Workload, applies: bool) -> None:
    """The table of one workload, then each column's samples."""
    print()
    print(f"== {w.title}")
    header = (
        "",
        "pyflow s",
        "pyflow SQL s",
        "floor s (proc / stmts)",
        "dbt s",
        "dbt SQL s",
        f"pyflow/dbt (<= {PYFLOW_DBT_TARGET})",
        f"pyflow-SQL/floor (<= {SQL_FLOOR_TARGET})",
    )
    table = [header]
    for r in w.rows:
        dbt_ratio = r.dbt_ratio
        table.append(
            (
                r.label,
                f"{r.pyflow.median:.3f}",
                f"{r.pyflow_sql.median:.3f}",
                f"{r.floor.median:.3f} / {r.floor_sql.median:.3f}",
                f"{r.dbt.median:.3f}" if r.dbt else "skipped",
                f"{r.dbt_sql.median:.3f}" if r.dbt_sql else "-",
                f"{dbt_ratio:.2f}x {verdict(dbt_ratio, PYFLOW_DBT_TARGET, applies)}"
                if dbt_ratio
                else "- (no dbt)",
                f"{r.sql_ratio:.2f}x {verdict(r.sql_ratio, SQL_FLOOR_TARGET, applies)}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print(
            "  "
            + "  ".join(
                c.rjust(wd) if j else c.ljust(wd) for j, (c, wd) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            print("  " + "  ".join("-" * wd for wd in widths))
    for r in w.rows:
        if r.hand and r.hand_sql and r.hand_ratio:
            print(
                f"  {r.label}: hand-written SQL floor {r.hand.median:.3f} s (statements {r.hand_sql.median:.3f} s); "
                f"pyflow-SQL/hand-written {r.hand_ratio:.2f}x "
                f"{verdict(r.hand_ratio, SQL_FLOOR_TARGET, applies)} (<= {SQL_FLOOR_TARGET})"
            )
    for note in w.notes:
        print(f"  note: {note}")
    if w.rows and not w.rows[0].dbt:
        print(f"  note: dbt column {w.rows[0].dbt_note}")
    print("  samples (wall clock unless said):")
    for r in w.rows:
        parts = {k: statistics.median(p[k] for p in r.floor_parts) for k in r.floor_parts[0]}
        print(f"    {r.label}: {r.statements} statements pyflow executed (replayed by the floor)")
        print(f"      {'pyflow whole process':<34}{r.pyflow.describe()}")
        print(f"      {'pyflow node execution_time':<34}{r.pyflow_sql.describe()}")
        print(
            f"      {'pyflow outside the node':<34}{r.pyflow.median - r.pyflow_sql.median:7.3f} s  "
            "(start-up, imports, parse, compile, artifacts, exit)"
        )
        print(f"      {'floor whole process':<34}{r.floor.describe()}")
        print(f"      {'floor statements (in-process)':<34}{r.floor_sql.describe()}")
        other = r.floor.median - sum(parts.values())
        print(
            f"      {'floor split (medians)':<34}interpreter {other:.3f}, import duckdb {parts['import']:.3f}, "
            f"connect {parts['connect']:.3f}, statements {parts['statements']:.3f}, close {parts['close']:.3f}"
        )
        if r.phases:
            split = ", ".join(f"{label} {value:.3f}" for label, value in r.phases)
            print(f"      {'pyflow split (one extra run)':<34}{split}")
        if r.hand and r.hand_sql:
            print(f"      {'hand-written floor whole process':<34}{r.hand.describe()}")
            print(f"      {'hand-written floor statements':<34}{r.hand_sql.describe()}")
        if r.dbt and r.dbt_sql:
            print(f"      {'dbt whole process':<34}{r.dbt.describe()}")
            print(f"      {'dbt node execution_time':<34}{r.dbt_sql.describe()}")


# ---- command line -------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags; ``--quick`` changes the defaults of the flags not given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 10x smaller data, 1 repetition, dbt only if already installed (< 60 s)",
    )
    parser.add_argument("--no-dbt", action="store_true", help="leave out the dbt-duckdb column")
    parser.add_argument("--reps", type=int, help=f"timed repetitions (default {REPS}, --quick 1)")
    parser.add_argument(
        "--dbt-venv", type=Path, default=DBT_VENV, help=f"dbt's virtualenv (default {DBT_VENV})"
    )
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help="no untimed warm-up run before each measurement (default: pyflow and dbt; --quick: pyflow)",
    )
    parser.add_argument("--only", choices=("snapshot", "incremental"), help="run one workload only")
    parser.add_argument("--workdir", type=Path, help="parent of the temporary folder (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects and print where")
    args = parser.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else REPS)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    scale = QUICK_DIVISOR if args.quick else 1
    args.snapshot_rows, args.incremental_rows = SNAPSHOT_ROWS // scale, INCREMENTAL_ROWS // scale
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workloads and print the report."""
    args = parse_args(argv)
    started = time.perf_counter()
    with workspace("pyflow-bench-incremental-", args.workdir, args.keep) as workdir:
        if workdir.is_relative_to(REPO):
            raise SystemExit(f"--workdir must be outside the repository ({REPO})")
        cmd = pyflow_command()
        dbt = (
            Dbt(None, "skipped (--no-dbt)")
            if args.no_dbt
            else ensure_dbt(args.dbt_venv, install=not args.quick)
        )
        if dbt.exe is None:
            print(f"[dbt] {dbt.note}", flush=True)
        # --quick warms up pyflow only: dbt keeps no compile cache (its partial parse is warm from
        # the prepare run), and its runs are what would take --quick past a minute
        warmup = () if args.no_warmup else ("pyflow",) if args.quick else ("pyflow", "dbt")
        settings = Settings(args.reps, warmup, cmd, dbt, phases=not args.quick)
        load_before = os.getloadavg()
        # the floor's interpreter and duckdb bytecode, like the first runs do for pyflow and dbt
        timed([sys.executable, "-c", "import json, duckdb"])
        workloads: list[Workload] = []
        if args.only in (None, "snapshot"):
            workloads.append(bench_snapshot(workdir, args.snapshot_rows, settings))
        if args.only in (None, "incremental"):
            workloads.append(bench_incremental(workdir, args.incremental_rows, settings))
        print()
        for line in provenance(cmd, dbt):
            print(line)
        load_after = os.getloadavg()
        print(f"load average (1 min) at start {load_before[0]:.2f}, at end {load_after[0]:.2f}")
        print(
            f"repetitions: {args.reps} (median reported), "
            + (f"after one untimed warm-up run of {' and '.join(warmup)}" if warmup else "no warm-up run")
            + "; each starts from a copy of the prepared database"
            + ("; --quick: 10x smaller data, verdicts are info only" if args.quick else "")
        )
        for w in workloads:
            print_workload(w, applies=not args.quick)
    print(f"\nbenchmark took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
