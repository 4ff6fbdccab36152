"""Materializer steps as functions: given the current target and a new batch, the new target.

``incremental_step`` and ``snapshot_step`` run the real incremental and SCD2 materializers
(the same code ``pyflow run`` uses) on an adapter — a private in-memory DuckDB unless one is
passed — so strategies can be tested with DataFrames and no warehouse. ``model_incremental_step``
does the same for a project's incremental model: it compiles the model's incremental branch
(``is_incremental`` true, ``this`` = the given current table) against DataFrame inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.core.nodeconfig import ModelConfig, SnapshotConfig
from pyflow.deprecations import upstream_deprecations_silenced
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import IncrementalMaterializer
from pyflow.materializers.snapshot import SnapshotMaterializer
from pyflow.relation import Relation

TARGET = "target"
COLUMN_TYPES = "pyflow_column_types"
"""``DataFrame.attrs`` key holding the column types of the table a step returned, so that frame
passed back as ``current`` rebuilds the same table (pandas cannot tell an all-NULL text column
from an integer one, and turns integers with NULLs into floats)."""


def _relation(adapter: Adapter, name: str) -> Relation:
    return Relation(adapter.database, adapter.schema, name)


def _frame(adapter: Adapter, relation: Relation, order_by: str | None = "ALL") -> Any:
    columns = adapter.get_columns(relation)
    if isinstance(adapter, DuckDBAdapter):
        sql = f"SELECT * FROM {adapter.render(relation)}" + (f" ORDER BY {order_by}" if order_by else "")
        cur = adapter._cursor()
        with upstream_deprecations_silenced():  # duckdb's df(): DataFrame.drop(inplace=True)
            frame = cur.execute(sql).df()
    else:  # any other engine: plain rows through the adapter, ordered by every column
        import pyarrow as pa

        order = {"ALL": ", ".join(str(i) for i in range(1, len(columns) + 1))}.get(order_by or "", order_by)
        sql = f"SELECT * FROM {adapter.render(relation)}" + (f" ORDER BY {order}" if order else "")
        rows = adapter.fetchall(sql)
        names = [c.name for c in columns]
        frame = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}).to_pandas()
    frame.attrs[COLUMN_TYPES] = {c.name: c.data_type for c in columns}
    return frame


def _typed(adapter: Adapter, frame: Any, types: dict[str, str]) -> Any:
    """``frame`` as Arrow with its columns cast to the Arrow type of ``types`` where they differ.

    All-NULL columns have no type of their own, and integers with NULLs came back from pandas as
    floats: cast before the table is created, so engines that cannot change a column's type
    (Trino's memory and Hive connectors; Iceberg from double to bigint) get the right one.
    A column that cannot be cast exactly keeps its type.
    """
    import ibis
    import pyarrow as pa

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    for i, name in enumerate(table.column_names):
        wanted = types.get(name)
        if not wanted:
            continue
        try:
            arrow = ibis.dtype(adapter.type_to_ibis(wanted)).to_pyarrow()
        except Exception:  # a type Ibis cannot read: the engine's default stays
            continue
        if table.schema.field(i).type == arrow:
            continue
        try:
            table = table.set_column(i, name, table.column(i).cast(arrow, safe=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return table


def _load(adapter: Adapter, relation: Relation, frame: Any, like: Relation | None = None) -> None:
    """Create ``relation`` holding ``frame``, typed as its attrs say.

    Without attrs, its columns holding only NULLs take the types of the same columns of ``like``.
    """
    if adapter.relation_type(relation):
        adapter.execute(adapter.drop_relation_sql(relation, "table"))
    types = dict(getattr(frame, "attrs", {}).get(COLUMN_TYPES) or {})
    if like is not None and not types and hasattr(frame, "columns"):
        empty = [str(c) for c in frame.columns if frame[c].isna().all()]
        found = {c.name.lower(): c.data_type for c in adapter.get_columns(like)} if empty else {}
        types = {c: found[c.lower()] for c in empty if c.lower() in found}
    adapter.create_table_from_dataframe(relation, _typed(adapter, frame, types) if types else frame)
    for col in adapter.get_columns(relation) if types else []:
        wanted = types.get(col.name)
        if wanted and wanted != col.data_type:
            adapter.execute(adapter.alter_column_type_sql(relation, col.name, wanted))


def _run(adapter: Adapter | None, fn: Any) -> Any:
    own = adapter is None
    used = DuckDBAdapter.in_memory() if adapter is None else adapter
    try:
        return fn(used)
    finally:
        if own:
            used.close()


def incremental_step(
    batch: Any,
    current: Any = None,
    *,
    adapter: Adapter | None = None,
    full_refresh: bool = False,
    **config: Any,
) -> Any:
    """Apply ``batch`` to ``current`` with an incremental config; return the new table.

    Args:
        batch: the rows the model produced this run (pandas/pyarrow).
        current: the target table before the run, or None for a first run.
        adapter: where to run (default: a private in-memory DuckDB).
        full_refresh: rebuild instead of applying the batch.
        **config: incremental config: ``unique_key``, ``incremental_strategy``,
            ``on_schema_change``, ``partitioned_by``, ``merge_update_columns`` ...

    Returns:
        The target table after the step, as a pandas DataFrame ordered by all columns.

    """
    cfg = ModelConfig.model_validate({"materialized": "incremental", **config})

    def step(a: Adapter) -> Any:
        target = _relation(a, TARGET)
        source = _relation(a, "batch")
        if current is not None:
            _load(a, target, current)
        _load(a, source, batch, like=target if current is not None else None)
        job = Job(
            name=TARGET,
            relation=target,
            adapter=a,
            sql=f"SELECT * FROM {a.render(source)}",
            config=cfg,
            full_refresh=full_refresh,
            incremental=current is not None and not full_refresh,
        )
        IncrementalMaterializer().build(job)
        return _frame(a, target)

    return _run(adapter, step)


def snapshot_step(
    source: Any,
    current: Any = None,
    *,
    run_at: datetime | None = None,
    adapter: Adapter | None = None,
    **config: Any,
) -> Any:
    """Take one snapshot of ``source`` over ``current``; return the new snapshot table.

    Args:
        source: the source's rows at this run (pandas/pyarrow).
        current: the snapshot table before the run (as a previous call returned it), or None.
        run_at: the run's time (UTC; default now) — valid_from of ``check`` changes and of
            deletions.
        adapter: where to run (default: a private in-memory DuckDB).
        **config: snapshot config: ``unique_key``, ``strategy``, ``updated_at``,
            ``check_cols``, ``hard_deletes``, ``snapshot_meta_column_names`` ...

    Returns:
        The snapshot table after the run, as a pandas DataFrame ordered by all columns.

    """
    cfg = SnapshotConfig.model_validate(config)
    when = run_at or datetime.now(UTC)

    def step(a: Adapter) -> Any:
        target = _relation(a, TARGET)
        staged = _relation(a, "source_state")
        if current is not None:
            _load(a, target, current)
        elif a.relation_type(target):  # a first run: not over a table an earlier step left
            a.execute(a.drop_relation_sql(target, "table"))
        _load(a, staged, source)
        job = Job(
            name=TARGET,
            relation=target,
            adapter=a,
            sql=f"SELECT * FROM {a.render(staged)}",
            config=cfg,
            run_started_at=when,
        )
        SnapshotMaterializer().build(job)
        return _frame(a, target)

    return _run(adapter, step)


def model_incremental_step(
    project_dir: str | Path,
    model_name: str,
    current: Any,
    inputs: Mapping[str, Any],
    *,
    vars: Mapping[str, Any] | None = None,
) -> Any:
    """Run a project's incremental model as a later run would; return the new table.

    The model compiles with ``is_incremental`` true and ``this`` bound to ``current``; its
    batch is applied with the model's own strategy and config.
    """
    from pyflow.testing.model import harness_for

    return harness_for(project_dir, vars).run_incremental(model_name, current, inputs)
