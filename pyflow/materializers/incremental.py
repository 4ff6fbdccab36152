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
from typing import Any, ClassVar

from pyflow.adapters.base import Adapter, Column, TableOptions
from pyflow.errors import MaterializationError, PyflowError, UnsupportedError
from pyflow.materializers import partitions
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.schemachange import Reconciled, reconcile, typed_select
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
    if strategy == "microbatch":  # each batch's window is deleted, then inserted
        if "delete+insert" not in supported:
            raise UnsupportedError(
                f"{adapter.type} cannot apply incremental_strategy 'microbatch' to "
                f"{adapter.storage_name(options)}: it deletes each batch's rows first",
                hint="use a table that supports DELETE (table_type: iceberg), or another strategy",
                code="unsupported-strategy",
            )
        return str(strategy)
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
                rows = self.write_reconciled(job, strategy, staging, keys, reconcile(job, staging, mode))
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
        changes run before the write and stay if it fails (only changes the table's storage can
        make run at all, :func:`~pyflow.materializers.schemachange.reconcile`; no data lost).
        """
        adapter = job.adapter
        added: list[str] = []
        dropped: list[Column] = []
        try:
            reconciled = reconcile(job, staging, mode, added=added, dropped=dropped)
            rows = self.write_reconciled(job, strategy, staging, keys, reconciled)
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

    def write_reconciled(
        self, job: Job, strategy: str, staging: Relation, keys: Sequence[str], reconciled: Reconciled
    ) -> int | None:
        """:meth:`write` the batch; from a typed copy of it when the table kept a changed column's type."""
        if not reconciled.casts:
            return self.write(job, strategy, staging, keys, reconciled.columns)
        adapter = job.adapter
        typed = adapter.temp_relation(job.relation, "typed")
        with self.working_table(job, typed):
            job.execute(
                adapter.create_table_as_sql(typed, typed_select(adapter, staging, reconciled), TableOptions())
            )
            return self.write(job, strategy, typed, keys, reconciled.columns)

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
