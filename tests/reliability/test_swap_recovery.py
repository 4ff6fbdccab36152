"""A table swap killed at any step is recovered by the next run of that model (issue 10, item 6).

Trino has no transactions: a rebuild creates ``<t>__pyflow_tmp_<run>``, renames the target to
``<t>__pyflow_old_<run>``, renames the new table in and drops the old one. These tests run the
CLI on the Trino adapter whose connection is DuckDB behind sqlglot (``trino-on-duckdb``, see
tests/conformance/emulated.py), so what a kill leaves and what the next run restores are real
tables with real rows. A kill is simulated at statement k of the swap: that statement and every
later one raise (the process is gone: no error handler of pyflow gets to run any SQL either).

DuckDB swaps in one transaction: a kill (``os._exit`` at any statement, in a subprocess) leaves
the old table and nothing else; the same recovery runs there and finds nothing to do, and
recovers leftovers an interrupted non-transactional swap would have left.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pyflow.adapters.trino import TrinoAdapter
from tests.conformance.emulated import TranspilingConnection

SCHEMA = "analytics"
PROFILES = f"""
swap:
  target: trino
  outputs:
    trino:
      type: trino
      host: emulated.invalid
      database: memory
      schema: {SCHEMA}
"""
T = f'"memory"."{SCHEMA}"'
SWAP_STEPS = [  # the statements of a table rebuild on Trino, in order (run invocation id: <run>)
    f'CREATE TABLE {T}."orders__pyflow_tmp_<run>" AS',
    f'ALTER TABLE {T}."orders" RENAME TO {T}."orders__pyflow_old_<run>"',
    f'ALTER TABLE {T}."orders__pyflow_tmp_<run>" RENAME TO {T}."orders"',
    f'DROP TABLE IF EXISTS {T}."orders__pyflow_old_<run>"',
]


class Killed(Exception):
    """What every statement raises once the simulated process is dead."""


class Lake:
    """The emulated Trino's database, and a kill switch on every connection pyflow opens to it.

    ``kill(when)``: the first statement for which ``when(sql)`` holds, and every statement after
    it, raise :class:`Killed` without running. ``writes`` lists the statements that ran
    (catalog queries excluded), with the run's invocation id prefix replaced by ``<run>``.
    """

    def __init__(self) -> None:
        self.db = duckdb.connect(":memory:")
        self.db.execute("SET threads = 1")
        self.db.execute(f"CREATE SCHEMA {SCHEMA}")
        self.when: Callable[[str], bool] = lambda sql: False
        self.dead = False
        self.writes: list[str] = []

    def kill(self, when: Callable[[str], bool] = lambda sql: False) -> None:
        self.when, self.dead, self.writes = when, False, []

    def connect(self, adapter: TrinoAdapter) -> Any:
        lake = self
        inner = TranspilingConnection(self.db)
        run = adapter.invocation_id[:8]

        class Cursor:
            def __init__(self) -> None:
                self.cur = inner.cursor()
                self.description: Any = None

            def execute(self, sql: str, params: Any = None) -> Any:
                if not lake.dead and lake.when(sql):
                    lake.dead = True
                if lake.dead:
                    raise Killed(f"killed before: {sql.splitlines()[0]}")
                self.cur.execute(sql)
                self.description = self.cur.description
                if "information_schema" not in sql and "LIMIT 0" not in sql:
                    lake.writes.append(sql.replace(run, "<run>"))
                return self

            def fetchall(self) -> list[tuple[Any, ...]]:
                return self.cur.fetchall()

            def close(self) -> None:
                pass

        class Connection:
            def cursor(self) -> Cursor:
                return Cursor()

            def close(self) -> None:
                pass

        return Connection()

    def rows(self, table: str) -> list[tuple[Any, ...]] | None:
        """The rows of ``analytics.<table>``, None when it does not exist."""
        if not self.db.execute(
            f"SELECT 1 FROM information_schema.tables WHERE table_schema = '{SCHEMA}' AND table_name = '{table}'"
        ).fetchall():
            return None
        return self.db.execute(f"SELECT * FROM {SCHEMA}.{table} ORDER BY ALL").fetchall()

    def leftovers(self) -> list[str]:
        """Names holding ``__pyflow_`` in the schema, with each run's id part as ``<run>``."""
        names = self.db.execute(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{SCHEMA}' "
            "AND table_name LIKE '%pyflow%' ORDER BY 1"
        ).fetchall()
        return [n.rsplit("_", 1)[0] + "_<run>" if "__pyflow_" in n else n for (n,) in names]


@pytest.fixture
def lake(monkeypatch: pytest.MonkeyPatch) -> Lake:
    """The emulated Trino every ``type: trino`` target of the test connects to."""
    found = Lake()
    monkeypatch.setattr(TrinoAdapter, "connect", lambda adapter: found.connect(adapter))
    return found


@pytest.fixture
def trino_project(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """``trino_project({"models/orders.sql": ...})``: a project whose only target is the emulated Trino."""

    def make(files: dict[str, str]) -> Path:
        return make_project({"profiles.yml": PROFILES, **files}, project_yml=NO_HISTORY)

    return make


def build(pyflow: Callable[..., Any], project: Path, *args: str, expect: int = 0) -> str:
    result = pyflow("run", "--project-dir", project, "--profiles-dir", project, *args, expect=expect)
    return str(result.output)


def set_model(project: Path, sql: str, name: str = "orders") -> None:
    (project / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")


OLD = "{{ config(materialized='table') }}\nselect 1 as id, 'old' as v"
NEW = "{{ config(materialized='table') }}\nselect 2 as id, 'new' as v union all select 3, 'new'"


@pytest.mark.parametrize(
    ("step", "target_after_kill", "left_after_kill"),
    [
        (0, [(1, "old")], []),
        (1, [(1, "old")], ["orders__pyflow_tmp_<run>"]),
        (2, None, ["orders__pyflow_old_<run>", "orders__pyflow_tmp_<run>"]),
        (3, [(2, "new"), (3, "new")], ["orders__pyflow_old_<run>"]),
    ],
    ids=["create-tmp", "rename-target-aside", "rename-tmp-in", "drop-old"],
)
def test_swap_recovery_trino_kill_at_each_step_of_a_table_rebuild(
    lake: Lake,
    trino_project: Callable[..., Path],
    pyflow: Callable[..., Any],
    step: int,
    target_after_kill: list[tuple[Any, ...]] | None,
    left_after_kill: list[str],
) -> None:
    project = trino_project({"models/orders.sql": OLD})
    build(pyflow, project)
    assert lake.rows("orders") == [(1, "old")]
    set_model(project, NEW)

    # killed at statement `step` of the swap (the steps before it ran)
    lake.kill(lambda sql: len(lake.writes) == step)
    build(pyflow, project, expect=1)
    assert [w.split("\n")[0] for w in lake.writes] == [s.split("\n")[0] for s in SWAP_STEPS[:step]]
    assert lake.rows("orders") == target_after_kill
    assert lake.leftovers() == left_after_kill

    # the next run recovers before building anything: killed at its first CREATE TABLE, the
    # target is the table the interrupted swap left standing (the old one unless it completed)
    lake.kill(lambda sql: sql.startswith("CREATE TABLE"))
    output = build(pyflow, project, expect=1)
    assert lake.rows("orders") == (target_after_kill or [(1, "old")])
    assert lake.leftovers() == []
    recovered = [line for line in output.splitlines() if "[WARNING] orders: recovered" in line]
    if left_after_kill:
        assert len(recovered) == 1, output
        restored = "restored analytics.orders from analytics.orders__pyflow_old_"
        assert (restored in recovered[0]) == (target_after_kill is None)
        for name in left_after_kill:
            if not (name.endswith("old_<run>") and target_after_kill is None):
                assert "dropped analytics." + name.replace("<run>", "") in recovered[0]
    else:
        assert recovered == []

    # and a healthy run rebuilds it with the new rows, leaving nothing behind
    lake.kill()
    output = build(pyflow, project)
    assert lake.rows("orders") == [(2, "new"), (3, "new")]
    assert lake.leftovers() == []
    assert "recovered" not in output
    assert [w.split("\n")[0] for w in lake.writes] == [s.split("\n")[0] for s in SWAP_STEPS]


@pytest.mark.parametrize("killed_at", [0, 1], ids=["restore", "drop-tmp"])
def test_swap_recovery_trino_a_kill_during_the_recovery_is_recovered_too(
    lake: Lake, trino_project: Callable[..., Path], pyflow: Callable[..., Any], killed_at: int
) -> None:
    project = trino_project({"models/orders.sql": OLD})
    build(pyflow, project)
    set_model(project, NEW)
    lake.kill(lambda sql: len(lake.writes) == 2)  # between the renames: no target
    build(pyflow, project, expect=1)

    lake.kill(lambda sql: len(lake.writes) == killed_at)  # the recovery's rename, or its drop
    build(pyflow, project, expect=1)
    assert lake.rows("orders") == (None if killed_at == 0 else [(1, "old")])

    lake.kill()
    build(pyflow, project)
    assert lake.rows("orders") == [(2, "new"), (3, "new")]
    assert lake.leftovers() == []


def test_swap_recovery_names_only_the_relations_own_temporaries() -> None:
    from pyflow.adapters.recovery import own_leftovers
    from pyflow.relation import Relation

    found = {
        "Orders__PYFLOW_OLD_1A2B3C4D": "table",  # engines fold case
        "orders__pyflow_tmp_local": "table",
        "orders__pyflow_batch_aaaaaaaa": "table",
        "orders__pyflow_old_1a2b3c4d5": "table",  # 9 characters: not a run id
        "orders_daily__pyflow_old_1a2b3c4d": "table",
        "my_orders__pyflow_tmp_1a2b3c4d": "table",
        "orders__pyflow_tmp_1a2b3c4d_x": "table",
        "orders__pyflow__1a2b3c4d": "table",
        "orders": "table",
    }

    mine = own_leftovers(Relation("db", "s", "orders"), found)  # type: ignore[arg-type]

    assert [(m.relation.identifier, m.role) for m in mine] == [
        ("Orders__PYFLOW_OLD_1A2B3C4D", "old"),
        ("orders__pyflow_batch_aaaaaaaa", "batch"),
        ("orders__pyflow_tmp_local", "tmp"),
    ]


INCREMENTAL = "{{ config(materialized='incremental') }}\nselect {{ var('n') }} as id"


def test_swap_recovery_trino_keeps_an_incremental_models_history(
    lake: Lake, trino_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    # a --full-refresh killed between its renames must not turn the next run into a full
    # rebuild: the old table is restored before the model compiles, so the run is incremental
    project = trino_project({"models/orders.sql": INCREMENTAL})
    build(pyflow, project, "--vars", "n: 1")
    build(pyflow, project, "--vars", "n: 2")
    assert lake.rows("orders") == [(1,), (2,)]
    lake.kill(lambda sql: len(lake.writes) == 2)  # CTAS ran, the target was renamed aside
    build(pyflow, project, "--full-refresh", "--vars", "n: 9", expect=1)
    assert lake.rows("orders") is None

    lake.kill()
    output = build(pyflow, project, "--vars", "n: 3")

    assert lake.rows("orders") == [(1,), (2,), (3,)]
    assert lake.leftovers() == []
    assert (
        "[WARNING] orders: recovered from an interrupted earlier build: restored analytics.orders" in output
    )
    assert lake.writes[0].startswith(f'ALTER TABLE {T}."orders__pyflow_old_')


def test_swap_recovery_trino_touches_only_the_selected_models_own_leftovers(
    lake: Lake, trino_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    sources = f"""
        sources:
          - name: raw
            schema: {SCHEMA}
            tables:
              - name: orders__pyflow_tmp_12345678
    """
    project = trino_project(
        {
            "models/orders.sql": OLD,
            "models/orders_daily.sql": "{{ config(materialized='table') }}\nselect 1 as n",
            "models/sources.yml": sources,
        }
    )
    build(pyflow, project)
    for name in ("orders_daily__pyflow_old_aaaaaaaa", "orders_daily__pyflow_tmp_aaaaaaaa", "orders_backup"):
        lake.db.execute(f"CREATE TABLE {SCHEMA}.{name} AS SELECT 7 AS n")
    lake.db.execute(
        f"CREATE TABLE {SCHEMA}.orders__pyflow_tmp_12345678 AS SELECT 8 AS n"
    )  # a declared source
    lake.db.execute(f"DROP TABLE {SCHEMA}.orders_daily")  # as if its swap had been killed too
    set_model(project, NEW)
    lake.kill(lambda sql: len(lake.writes) == 2)
    build(pyflow, project, "--select", "orders", expect=1)

    lake.kill()
    output = build(pyflow, project, "--select", "orders")

    assert lake.rows("orders") == [(2, "new"), (3, "new")]
    assert lake.rows("orders_daily") is None  # not selected: not restored
    for name in ("orders_daily__pyflow_old_aaaaaaaa", "orders_daily__pyflow_tmp_aaaaaaaa", "orders_backup"):
        assert lake.rows(name) == [(7,)]
    assert lake.rows("orders__pyflow_tmp_12345678") == [(8,)]
    assert output.count("recovered") == 1


def test_swap_recovery_trino_refuses_to_guess_between_two_old_tables(
    lake: Lake, trino_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    project = trino_project(
        {"models/orders.sql": OLD, "models/after.sql": "select * from {{ ref('orders') }}"}
    )
    lake.db.execute(f"CREATE TABLE {SCHEMA}.orders__pyflow_old_aaaaaaaa AS SELECT 1 AS id")
    lake.db.execute(f"CREATE TABLE {SCHEMA}.orders__pyflow_old_bbbbbbbb AS SELECT 2 AS id")

    output = build(pyflow, project, expect=1)

    assert "analytics.orders is missing and 2 tables swapped out of it remain" in output
    assert "analytics.orders__pyflow_old_aaaaaaaa, analytics.orders__pyflow_old_bbbbbbbb" in output
    assert "Fix: rename the one to keep to orders and drop the others, then run again" in output
    assert "[swap-leftovers-ambiguous]" in output
    assert "model 'orders' (models/orders.sql): analytics.orders is missing" in output
    assert "2 of 2 SKIP sql view model analytics.after" in output
    assert "ERROR=1 SKIP=1 TOTAL=2" in output
    assert lake.rows("orders") is None
    assert lake.rows("orders__pyflow_old_aaaaaaaa") == [(1,)]
    assert lake.rows("orders__pyflow_old_bbbbbbbb") == [(2,)]
    assert lake.rows("after") is None


# ---- DuckDB: one transaction, so a kill leaves the old table and nothing else ------------------
NO_HISTORY = "name: proj\nrun-history: false\n"
"""These tests count and list the swap's own statements and relations: the run history stays off."""

KILL_AT = """
import os, sys
from pyflow.adapters.duckdb import DuckDBAdapter

k, seen, real = int(sys.argv[2]), [], DuckDBAdapter._thread_cursor  # every statement runs on it


class Cursor:
    def __init__(self, cur):
        self.cur = cur

    def execute(self, sql, *args):
        if ("orders" in sql and "information_schema" not in sql) or sql == "COMMIT":
            if len(seen) == k:
                os._exit(137)  # like kill -9: no rollback, no close, no handler runs
            seen.append(sql.split(" AS")[0])
        return self.cur.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.cur, name)


DuckDBAdapter._thread_cursor = lambda self: Cursor(real(self))
from pyflow.cli.main import app

try:
    app(["run", "--project-dir", sys.argv[1]])
finally:
    print("steps:", seen, file=sys.stderr)
"""
DUCKDB_SWAP = [  # the statements of a table rebuild on DuckDB, inside BEGIN ... COMMIT
    'CREATE TABLE "pyflow"."main"."orders__pyflow_tmp_<run>"',
    'DROP TABLE IF EXISTS "pyflow"."main"."orders"',
    'ALTER TABLE "pyflow"."main"."orders__pyflow_tmp_<run>" RENAME TO "orders"',
    "COMMIT",
]


@pytest.mark.parametrize("step", range(len(DUCKDB_SWAP)))
def test_swap_recovery_duckdb_kill_at_each_step_leaves_the_old_table_only(
    make_project: Callable[..., Path], pyflow: Callable[..., Any], warehouse: Callable[[Path], Any], step: int
) -> None:
    project = make_project({"models/orders.sql": OLD}, project_yml=NO_HISTORY)
    pyflow("run", "--project-dir", project)
    set_model(project, NEW)

    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT, str(project), str(step)], capture_output=True, text=True, check=False
    )

    assert killed.returncode == 137, killed.stdout + killed.stderr
    assert warehouse(project).relations() == {"main.orders": "BASE TABLE"}
    assert warehouse(project).rows("SELECT * FROM main.orders") == [(1, "old")]
    output = pyflow("run", "--project-dir", project).output
    assert "recovered" not in output
    assert warehouse(project).relations() == {"main.orders": "BASE TABLE"}
    assert warehouse(project).rows("SELECT * FROM main.orders ORDER BY id") == [(2, "new"), (3, "new")]


def test_swap_recovery_duckdb_kill_steps_are_the_whole_swap(make_project: Callable[..., Path]) -> None:
    # the test above kills at every step: a run that is not killed takes exactly these
    project = make_project({"models/orders.sql": OLD}, project_yml=NO_HISTORY)
    subprocess.run([sys.executable, "-c", KILL_AT, str(project), "99"], check=True, capture_output=True)
    set_model(project, NEW)

    done = subprocess.run(
        [sys.executable, "-c", KILL_AT, str(project), "99"], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    steps = re.sub(r"__pyflow_tmp_[0-9a-f]{8}", "__pyflow_tmp_<run>", done.stderr.split("steps: ", 1)[1])
    assert steps.strip() == str(DUCKDB_SWAP)


def test_swap_recovery_duckdb_recovers_leftovers_the_same_way(
    make_project: Callable[..., Path], pyflow: Callable[..., Any], warehouse: Callable[[Path], Any]
) -> None:
    # what an interrupted non-transactional swap leaves, in a DuckDB file: the same code path
    project = make_project({"models/orders.sql": OLD}, project_yml=NO_HISTORY)
    pyflow("run", "--project-dir", project)
    con = duckdb.connect(str(project / "pyflow.duckdb"))
    con.execute("ALTER TABLE main.orders RENAME TO orders__pyflow_old_deadbeef")
    con.execute("CREATE TABLE main.orders__pyflow_tmp_deadbeef AS SELECT 5 AS id, 'partial' AS v")
    con.close()

    set_model(project, "{{ config(materialized='table') }}\nselect * from no_such_table")

    output = pyflow("run", "--project-dir", project, expect=1).output

    assert (
        "[WARNING] orders: recovered from an interrupted earlier build: restored main.orders from "
        "main.orders__pyflow_old_deadbeef (a swap was interrupted); dropped main.orders__pyflow_tmp_deadbeef"
    ) in output
    assert warehouse(project).relations() == {"main.orders": "BASE TABLE"}
    assert warehouse(project).rows("SELECT * FROM main.orders") == [(1, "old")]
