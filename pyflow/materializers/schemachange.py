"""``on_schema_change``: how an incremental batch's columns are reconciled with its table's.

====================  ==========================  ==========================  =========================
on_schema_change      batch has a new column      batch lacks a table column  a column changed type
====================  ==========================  ==========================  =========================
ignore                not added; values dropped   error                       table type kept; values
                                                                              cast on write
fail                  error                       error                       error
append_new_columns    added; old rows NULL        kept; new rows NULL there   table type kept; values
                                                                              cast on write
sync_all_columns      added; old rows NULL        dropped                     altered to the batch type
                                                                              (refused first where the
                                                                              table cannot change it)
====================  ==========================  ==========================  =========================

"Cast on write": engines such as Trino convert no types implicitly in INSERT or MERGE (a
``bigint`` batch column into a ``varchar`` table column is a type mismatch), so the batch is
then written from a typed copy of the staging table (:func:`typed_select`), whose changed
columns are CAST to the table's types. The copy is made only when a type differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyflow.adapters.base import Adapter, Column, TableOptions
from pyflow.errors import MaterializationError, UnsupportedError
from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.materializers.base import Job


@dataclass(frozen=True)
class SchemaDiff:
    """How the batch's columns differ from the target's."""

    added: list[Column]
    removed: list[Column]
    changed: list[tuple[Column, Column]]

    @property
    def is_empty(self) -> bool:
        """True when the columns are the same."""
        return not (self.added or self.removed or self.changed)

    def describe(self) -> str:
        """One line per difference."""
        rows = [f"new column {c.name} {c.data_type}" for c in self.added]
        rows += [f"column {c.name} is no longer produced" for c in self.removed]
        rows += [f"column {o.name} changed type {o.data_type} -> {n.data_type}" for o, n in self.changed]
        return "\n".join(rows)


def diff_columns(target: Sequence[Column], batch: Sequence[Column]) -> SchemaDiff:
    """Compare target and batch columns by name (case-insensitive, like the engines)."""
    old = {c.name.lower(): c for c in target}
    new = {c.name.lower(): c for c in batch}
    return SchemaDiff(
        added=[c for k, c in new.items() if k not in old],
        removed=[c for k, c in old.items() if k not in new],
        changed=[(old[k], c) for k, c in new.items() if k in old and old[k].data_type != c.data_type],
    )


@dataclass(frozen=True)
class Reconciled:
    """What to write after ``on_schema_change`` was applied."""

    columns: list[str]
    """The batch columns to write, in the batch's order."""
    batch_columns: list[str]
    """Every column of the staging table, in its order."""
    casts: dict[str, str] = field(default_factory=dict)
    """Column (lower case) -> the table's type, for written columns whose table type was kept."""


def reconcile(
    job: Job,
    staging: Relation,
    mode: str,
    *,
    added: list[str] | None = None,
    dropped: list[Column] | None = None,
) -> Reconciled:
    """Apply ``on_schema_change`` to the job's table; return what to write from ``staging``.

    ``added`` receives the names of the columns added; ``dropped``, when given, receives the
    columns ``sync_all_columns`` removes instead of dropping them now (the caller drops them
    after the write). Every refusal is raised before the first ALTER.
    """
    adapter = job.adapter
    target_cols = adapter.get_columns(job.relation)
    batch_cols = adapter.get_columns(staging)
    diff = diff_columns(target_cols, batch_cols)
    batch_names = [c.name for c in batch_cols]
    kept = {o.name.lower(): o.data_type for o, _ in diff.changed}
    if diff.is_empty:
        return Reconciled(batch_names, batch_names)
    if mode == "fail":
        raise MaterializationError(
            "the model's columns differ from the table's and on_schema_change is 'fail'; nothing was written",
            model=job.name,
            detail=diff.describe(),
            hint="run with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns",
            code="schema-change",
        )
    if mode == "ignore":
        if diff.removed:
            raise MaterializationError(
                "the model no longer produces columns the table has (on_schema_change: ignore)",
                model=job.name,
                detail=diff.describe(),
                hint="run with --full-refresh, or set on_schema_change to "
                "append_new_columns (keeps them, NULL for new rows) or sync_all_columns",
                code="schema-change",
            )
        known = {c.name.lower() for c in target_cols}
        return Reconciled([n for n in batch_names if n.lower() in known], batch_names, kept)
    if mode == "sync_all_columns":
        _check_type_changes(job, adapter, diff)
        kept = {}
    for col in diff.added:
        job.execute(adapter.add_column_sql(job.relation, col.name, col.data_type))
        if added is not None:
            added.append(col.name)
    if mode == "sync_all_columns":
        for col in diff.removed:
            if dropped is not None:
                dropped.append(col)
            else:
                job.execute(adapter.drop_column_sql(job.relation, col.name))
        for _, new in diff.changed:
            job.execute(adapter.alter_column_type_sql(job.relation, new.name, new.data_type))
    return Reconciled(batch_names, batch_names, kept)


def _check_type_changes(job: Job, adapter: Adapter, diff: SchemaDiff) -> None:
    """Refuse ``sync_all_columns`` when the table cannot take a changed column's new type."""
    options = TableOptions.from_config(job.config)
    refused = [
        (old, new)
        for old, new in diff.changed
        if not adapter.can_change_type(options, old.data_type, new.data_type)
    ]
    if not refused:
        return
    changes = ", ".join(f"{o.name} from {o.data_type} to {n.data_type}" for o, n in refused)
    raise UnsupportedError(
        f"{adapter.type} cannot change column{'s' if len(refused) > 1 else ''} {changes} in "
        f"{adapter.storage_name(options)}, as on_schema_change: sync_all_columns asks; nothing was written",
        model=job.name,
        detail=diff.describe(),
        hint="rebuild the table with the new types (pyflow run --full-refresh --select "
        f"{job.name}), or set on_schema_change: append_new_columns (the table keeps its types "
        "and new values are cast to them)",
        code="unsupported-schema-change",
    )


def typed_select(adapter: Adapter, staging: Relation, reconciled: Reconciled) -> str:
    """SELECT every staging column, the kept ones CAST to the table's types."""
    q = adapter.quote
    items = [
        f"CAST({q(c)} AS {reconciled.casts[c.lower()]}) AS {q(c)}" if c.lower() in reconciled.casts else q(c)
        for c in reconciled.batch_columns
    ]
    return f"SELECT {', '.join(items)} FROM {adapter.render(staging)}"
