"""Incremental models: a first run builds a table, later runs apply only the new batch.

The first run (or ``--full-refresh``) builds the table like a table model, and for ``merge`` and
``delete+insert`` checks that the new table is unique on ``unique_key`` before swapping it in
(the same check a batch gets), so no later merge starts from a table that violates its key;
later runs apply the batch by strategy, in one transaction.

Each later run: stage the batch in a temporary table; reconcile the schema
(``on_schema_change``); for ``merge`` and ``delete+insert`` check that the batch is unique on
``unique_key`` (failing before any write, with the count and examples); apply the strategy;
drop the staging table. With transactions all of it commits or rolls back together, so a
failure leaves the target exactly as it was, and replaying a step is idempotent for ``merge``,
``delete+insert`` and ``insert_overwrite``.

=================  ===============================================================
strategy           what a run does with the batch
=================  ===============================================================
append             INSERT every row
merge              MERGE on ``unique_key`` (NULL-safe): update matched rows
                   (``merge_update_columns`` / ``merge_exclude_columns``), insert new
delete+insert      DELETE target rows whose key is in the batch, then INSERT the batch
insert_overwrite   DELETE the ``partitioned_by`` partitions present in the batch (every
                   row when no partitions are configured), then INSERT the batch
=================  ===============================================================
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pyflow.adapters.base import Adapter, Column, TableOptions
from pyflow.errors import MaterializationError, PyflowError, UnsupportedError
from pyflow.materializers import partitions
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation

log = logging.getLogger(__name__)

STRATEGIES = ("append", "merge", "delete+insert", "insert_overwrite")
KEYED = ("merge", "delete+insert")


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """Normalise ``unique_key``/``partitioned_by`` (one name or several)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def guarded_keys(cfg: Any) -> list[str]:
    """The ``unique_key`` a build must keep unique: that of a keyed strategy, explicit or default.

    ``resolve_strategy`` picks ``merge`` or ``delete+insert`` whenever a key is set and no
    strategy is, so a model with a key and no strategy is keyed too.
    """
    keys = as_list(getattr(cfg, "unique_key", None))
    strategy = getattr(cfg, "incremental_strategy", None)
    return keys if strategy is None or strategy in KEYED else []


def resolve_strategy(cfg: Any, adapter: Adapter) -> str:
    """The strategy a model's config asks for (or the engine's default), checked against the engine.

    Raises a user error naming the strategies the engine supports for this table when it
    cannot apply the chosen one, when a keyed strategy has no ``unique_key``, or when
    ``sync_all_columns`` would need to drop columns the table cannot drop.
    """
    keys = as_list(getattr(cfg, "unique_key", None))
    options = TableOptions.from_config(cfg)
    supported = adapter.incremental_strategies(options)
    strategy = getattr(cfg, "incremental_strategy", None)
    if strategy is None:
        keyed = [s for s in ("merge", "delete+insert") if s in supported]
        strategy = (keyed[0] if keyed else "merge") if keys else "append"
    if strategy in KEYED and not keys:
        raise MaterializationError(
            f"incremental_strategy '{strategy}' needs a unique_key",
            hint="set unique_key (one column or a list), or use append / insert_overwrite",
            code="missing-unique-key",
        )
    if getattr(cfg, "on_schema_change", None) == "sync_all_columns" and not adapter.can_drop_columns(options):
        raise UnsupportedError(
            f"{adapter.type} cannot drop columns of {adapter.storage_name(options)}, "
            "which on_schema_change: sync_all_columns may need",
            hint="use append_new_columns (dropped columns stay, NULL in new rows) or fail"
            + ("" if options.is_iceberg else ", or set table_type: iceberg"),
            code="unsupported-schema-change",
        )
    if strategy not in supported:
        table = adapter.storage_name(options)
        hint = "use " + " or ".join(supported)
        if not keys and any(s in KEYED for s in supported):
            hint += " (merge and delete+insert need a unique_key)"
        iceberg = adapter.incremental_strategies(TableOptions(table_type="iceberg"))
        if not options.is_iceberg and strategy in iceberg and iceberg != supported:
            hint += f", or set table_type: iceberg (which supports {', '.join(iceberg)})"
        raise UnsupportedError(
            f"{adapter.type} cannot apply incremental_strategy '{strategy}' to {table}"
            + ("" if getattr(cfg, "incremental_strategy", None) else " (the default with a unique_key)"),
            detail=f"{adapter.type} supports for {table}: {', '.join(supported)}",
            hint=hint,
            code="unsupported-strategy",
        )
    return strategy


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


class IncrementalMaterializer(Materializer):
    """``materialized: incremental``."""

    kind: ClassVar[str] = "incremental"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        # job.incremental already folds in --full-refresh and the model's full_refresh config
        if not job.incremental or self.existing(job) != "table":
            rows = TableMaterializer().swap_in(job, fill=self._fill_whole)
            return Outcome("created", rows)
        return self.apply(job)

    def _fill_whole(self, job: Job, relation: Relation) -> int | None:
        """A first build or full refresh: the whole table, held to the key a batch is held to.

        Raising here drops the new table (or rolls it back) before anything is swapped in.
        """
        rows = self.fill(job, relation)
        keys = guarded_keys(job.config)
        if keys:
            self.check_unique(job, relation, keys, whole_table=True)
        return rows

    # ---- the incremental step ------------------------------------------------------------
    def apply(self, job: Job) -> Outcome:
        """Apply the batch in ``job.sql`` to the existing table."""
        adapter = job.adapter
        cfg = job.config
        keys = as_list(getattr(cfg, "unique_key", None))
        try:
            strategy = resolve_strategy(cfg, adapter)
        except PyflowError as exc:
            exc.model = job.name
            raise
        target = job.relation
        staging = adapter.temp_relation(target, "batch")
        with adapter.transaction(), self.working_table(job, staging):
            self.fill(job, staging, TableOptions())
            if strategy in KEYED:  # what guarded_keys() assumes for a first build
                self.check_unique(job, staging, keys)
            mode = getattr(cfg, "on_schema_change", "ignore")
            if adapter.capabilities.transactions:
                columns = self.reconcile(job, staging, mode)
                rows = self.write(job, strategy, staging, keys, columns)
            else:
                rows = self._reconcile_and_write(job, strategy, staging, keys, mode)
        return Outcome(f"applied {strategy}", rows, f"{strategy.upper()} {rows}")

    def check_unique(
        self, job: Job, staging: Relation, keys: Sequence[str], *, whole_table: bool = False
    ) -> None:
        """Fail before writing when the batch (``whole_table``: the new table) repeats a key."""
        rows = job.adapter.fetchall(job.adapter.duplicate_keys_sql(staging, keys), model=job.name)
        if not rows:
            return
        total = rows[0][0]
        examples = "\n".join(
            ", ".join(f"{k}={v!r}" for k, v in zip(keys, r[1:-1], strict=True)) + f"  ({r[-1]} rows)"
            for r in rows
        )
        if whole_table:
            existing = self.existing(job)
            kept = f"the old {existing} was kept" if existing else "no table was created"
            what = (
                f"the model's rows have {total} duplicated value(s) of unique_key ({', '.join(keys)}); {kept}"
            )
        else:
            what = f"the new batch has {total} duplicated value(s) of unique_key ({', '.join(keys)}); nothing was written"
        raise MaterializationError(
            what,
            model=job.name,
            detail="examples:\n" + examples,
            hint="make the model return one row per key (deduplicate, e.g. with row_number()), "
            "or fix unique_key",
            code="duplicate-unique-key",
        )

    def _reconcile_and_write(
        self, job: Job, strategy: str, staging: Relation, keys: Sequence[str], mode: str
    ) -> int | None:
        """Schema changes and the write without a transaction, so that a failure changes nothing.

        New columns are added first and dropped again if the write fails; columns the batch no
        longer has (``sync_all_columns``) are dropped only after the write succeeded. Type
        changes run before the write and stay if it fails (they only widen types: no data lost).
        """
        adapter = job.adapter
        added: list[str] = []
        dropped: list[Column] = []
        try:
            columns = self.reconcile(job, staging, mode, added=added, dropped=dropped)
            rows = self.write(job, strategy, staging, keys, columns)
        except BaseException:
            for name in added:
                try:
                    job.execute(adapter.drop_column_sql(job.relation, name))
                except Exception:
                    log.warning("%s: could not drop the column %s added before the failure", job.name, name)
            raise
        for col in dropped:
            job.execute(adapter.drop_column_sql(job.relation, col.name))
        return rows

    def reconcile(
        self,
        job: Job,
        staging: Relation,
        mode: str,
        *,
        added: list[str] | None = None,
        dropped: list[Column] | None = None,
    ) -> list[str]:
        """Apply ``on_schema_change``; return the columns to write.

        ``added`` receives the names of the columns added; ``dropped``, when given, receives the
        columns ``sync_all_columns`` removes instead of dropping them now (the caller drops them
        after the write).
        """
        adapter = job.adapter
        target_cols = adapter.get_columns(job.relation)
        batch_cols = adapter.get_columns(staging)
        diff = diff_columns(target_cols, batch_cols)
        batch_names = [c.name for c in batch_cols]
        if diff.is_empty:
            return batch_names
        if mode == "fail":
            raise MaterializationError(
                "the model's columns differ from the table's and on_schema_change is 'fail'; "
                "nothing was written",
                model=job.name,
                detail=diff.describe(),
                hint="run with --full-refresh, or set on_schema_change to append_new_columns or "
                "sync_all_columns",
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
            return [n for n in batch_names if n.lower() in known]
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
        return batch_names

    def write(
        self, job: Job, strategy: str, staging: Relation, keys: Sequence[str], columns: Sequence[str]
    ) -> int | None:
        """Run the strategy's statements; return rows in the batch.

        Rows are written in partition batches where the engine limits partitions per statement
        (:func:`~pyflow.materializers.partitions.batches`). Without transactions,
        ``delete+insert`` and ``insert_overwrite`` are one MERGE each (``replace_sql``: delete
        the matched rows, insert the batch), so a failure never leaves rows deleted but not
        re-inserted.
        """
        adapter = job.adapter
        cfg: Any = job.config
        target = job.relation
        options = TableOptions.from_config(cfg)
        predicates = list(getattr(cfg, "incremental_predicates", None) or [])
        plan = partitions.batches(job, staging, options)
        atomic = adapter.capabilities.transactions
        if strategy == "merge":
            update = _update_columns(columns, keys, cfg)
            for where in plan:
                job.execute(
                    adapter.merge_sql(target, staging, keys, update, columns, predicates, where=where)
                )
        elif strategy == "delete+insert" and atomic:
            job.execute(adapter.delete_matching_sql(target, staging, keys, predicates))
            self._insert(job, staging, columns, plan)
        elif strategy == "delete+insert":
            for where in plan:
                job.execute(adapter.replace_sql(target, staging, keys, columns, predicates, where=where))
        elif strategy == "insert_overwrite":
            parts = list(options.partitioned_by)
            if adapter.replace_partitions(
                target, staging, columns, plan, options, model=job.name, record=job.log
            ):
                pass  # replaced through the engine's catalog (Athena Hive tables)
            elif atomic:
                if parts:
                    job.execute(adapter.delete_matching_sql(target, staging, parts, predicates))
                else:
                    job.execute(adapter.delete_all_sql(target, predicates))
                self._insert(job, staging, columns, plan)
            else:
                for where in plan:
                    job.execute(adapter.replace_sql(target, staging, parts, columns, predicates, where=where))
        else:
            self._insert(job, staging, columns, plan)
        rows = adapter.fetchall(f"SELECT count(*) FROM {adapter.render(staging)}", model=job.name)
        return int(rows[0][0])

    @staticmethod
    def _insert(job: Job, staging: Relation, columns: Sequence[str], plan: Sequence[str | None]) -> None:
        for where in plan:
            job.execute(job.adapter.insert_sql(job.relation, staging, columns, where))


def _update_columns(columns: Sequence[str], keys: Sequence[str], cfg: Any) -> list[str]:
    only = as_list(getattr(cfg, "merge_update_columns", None))
    exclude = {c.lower() for c in as_list(getattr(cfg, "merge_exclude_columns", None))}
    keyset = {k.lower() for k in keys}
    chosen = [c for c in columns if c.lower() not in keyset and c.lower() not in exclude]
    if only:
        wanted = {c.lower() for c in only}
        chosen = [c for c in chosen if c.lower() in wanted]
    return chosen
