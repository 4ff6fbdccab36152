"""The table swap, its recovery and failing builds, on a live Trino 476 (issue 13, item 2).

The emulated proofs of ``test_swap_recovery.py`` run here on the real server: a table model is
rebuilt on ``iceberg`` and ``hive`` while the swap is killed at each of its statements
(:mod:`.trinolive`), and a reader on its own connection looks at the target. A kill during the
recovery itself is recovered by the run after it. The target is
never half-written: it holds the old rows or all the new ones, and is missing only when the kill
fell between the two renames. The next run puts it back (or keeps the swapped-in table) and
drops every ``__pyflow_`` leftover before it builds anything; a healthy run then rebuilds it.
A model failing at build time (a division by zero partway through its rows) leaves the previous
table as it was and no temporary table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .trinolive import KillSwitch, LiveSchema, live_schema

pytestmark = pytest.mark.trino

OLD = "{{ config(materialized='table') }}\nselect 1 as id, 'old' as v"
NEW = "{{ config(materialized='table') }}\nselect 2 as id, 'new' as v union all select 3, 'new'"
FAILING = (  # fails while rows are computed: 10 / 0 at id = 3
    "{{ config(materialized='table') }}\n"
    "select id, cast(10 / (id - 3) as varchar) as v from unnest(sequence(1, 5)) as t(id)"
)
OLD_ROWS = [(1, "old")]
NEW_ROWS = [(2, "new"), (3, "new")]


def statement(pattern: str) -> Callable[[str], bool]:
    """The first statement of the run matching ``pattern`` (a regular expression)."""
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda sql: compiled.search(sql) is not None


STEPS = {  # the statements of a rebuild on Trino, in order; after a kill at each: the target, the leftovers
    "create-tmp": (r'^CREATE TABLE \S*"orders__pyflow_tmp_', OLD_ROWS, []),
    "rename-target-aside": (
        r'^ALTER TABLE \S*"orders" RENAME TO',
        OLD_ROWS,
        ["orders__pyflow_tmp_<run>"],
    ),
    "rename-tmp-in": (
        r'^ALTER TABLE \S*"orders__pyflow_tmp_\w+" RENAME TO',
        None,
        ["orders__pyflow_old_<run>", "orders__pyflow_tmp_<run>"],
    ),
    "drop-old": (r'^DROP TABLE IF EXISTS \S*"orders__pyflow_old_', NEW_ROWS, ["orders__pyflow_old_<run>"]),
}
CASES = [
    pytest.param(catalog, step, id=f"{catalog}-{step}") for catalog in ("iceberg", "hive") for step in STEPS
]


@pytest.fixture
def orders(
    request: pytest.FixtureRequest, trino_server: Any, make_project: Callable[..., Path]
) -> Iterator[LiveSchema]:
    """A project whose one model ``orders`` builds on the live catalog given by the test's ``catalog``."""
    yield from live_schema(
        trino_server, request.node.callspec.params["catalog"], make_project, {"models/orders.sql": OLD}
    )


def build(pyflow: Callable[..., Any], side: LiveSchema, *, expect: int = 0) -> str:
    result = pyflow("run", "--project-dir", side.project, "--profiles-dir", side.project, expect=expect)
    return str(result.output)


def set_model(side: LiveSchema, sql: str) -> None:
    (side.project / "models" / "orders.sql").write_text(sql, encoding="utf-8")


@pytest.mark.parametrize(("catalog", "step"), CASES)
def test_trino_live_swap_killed_at_each_step_is_recovered_by_the_next_run(
    orders: LiveSchema, switch: KillSwitch, pyflow: Callable[..., Any], catalog: str, step: str
) -> None:
    side = orders
    build(pyflow, side)
    assert side.rows("orders") == OLD_ROWS
    set_model(side, NEW)

    pattern, target_after_kill, left_after_kill = STEPS[step]
    switch.kill(statement(pattern))
    build(pyflow, side, expect=1)
    assert switch.dead, f"the run never sent a statement matching {pattern!r}: {switch.sent}"
    # a reader sees the old table, or the whole new one, or (between the renames) none
    assert side.rows("orders") == target_after_kill
    assert side.leftovers() == left_after_kill

    # the next run recovers before it builds: killed at its first CREATE TABLE, what stands is
    # the table the interrupted swap left (the old one unless the swap completed), and nothing else
    switch.kill(statement(r"^CREATE TABLE"))
    output = build(pyflow, side, expect=1)
    assert side.rows("orders") == (target_after_kill or OLD_ROWS)
    assert side.leftovers() == []
    recovered = [line for line in output.splitlines() if "[WARNING] orders: recovered" in line]
    if not left_after_kill:
        assert recovered == [], output
    else:
        assert len(recovered) == 1, output
        restored = f"restored {side.schema}.orders from {side.schema}.orders__pyflow_old_"
        assert (restored in recovered[0]) == (target_after_kill is None), recovered[0]

    # a healthy run rebuilds it, leaving nothing behind
    switch.kill()
    output = build(pyflow, side)
    assert side.rows("orders") == NEW_ROWS
    assert side.leftovers() == []
    assert "recovered" not in output


@pytest.mark.parametrize("catalog", ["iceberg", "hive", "memory"])
def test_trino_live_model_failing_at_build_keeps_the_previous_table(
    orders: LiveSchema, pyflow: Callable[..., Any], catalog: str
) -> None:
    side = orders
    build(pyflow, side)
    set_model(side, FAILING)

    output = build(pyflow, side, expect=1)
    assert "Division by zero" in output, output
    assert side.rows("orders") == OLD_ROWS
    assert side.leftovers() == []


RECOVERY_STEPS = {
    "restore": (r'^ALTER TABLE \S*"orders__pyflow_old_\w+" RENAME TO', None),
    "drop-tmp": (r'^DROP TABLE (IF EXISTS )?\S*"orders__pyflow_tmp_', OLD_ROWS),
}


@pytest.mark.parametrize("catalog", ["iceberg"])
@pytest.mark.parametrize("killed_at", list(RECOVERY_STEPS))
def test_trino_live_a_kill_during_the_recovery_is_recovered_too(
    orders: LiveSchema, switch: KillSwitch, pyflow: Callable[..., Any], catalog: str, killed_at: str
) -> None:
    side = orders
    build(pyflow, side)
    set_model(side, NEW)
    switch.kill(statement(STEPS["rename-tmp-in"][0]))  # between the renames: no target
    build(pyflow, side, expect=1)
    assert side.rows("orders") is None

    pattern, target_after_kill = RECOVERY_STEPS[killed_at]
    switch.kill(statement(pattern))
    build(pyflow, side, expect=1)
    assert switch.dead, f"the recovery never sent a statement matching {pattern!r}: {switch.sent}"
    assert side.rows("orders") == target_after_kill

    switch.kill()
    build(pyflow, side)
    assert side.rows("orders") == NEW_ROWS
    assert side.leftovers() == []
