"""Tables: build under a temporary name, then swap in, so a failure changes nothing.

With transactions (DuckDB) the whole swap is one transaction: CREATE the temporary table,
DROP the old relation, RENAME the new one, COMMIT; any failure rolls back and leaves the old
table and no temporary object. Without transactions the old table is renamed aside first and
dropped only once the new one is in place; if renaming the new one in fails, the old one is
renamed back. Where the engine cannot rename the table (Athena Hive tables) the adapter swaps
it through its catalog instead (:meth:`~pyflow.adapters.base.Adapter.swap_table`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pyflow.adapters.base import TableOptions
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.relation import Relation

Fill = Callable[[Job, Relation], "int | None"]
"""Creates the new table under the given (temporary) name."""


class TableMaterializer(Materializer):
    """``materialized: table``."""

    kind: ClassVar[str] = "table"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        rows = self.swap_in(job)
        return Outcome("created", rows)

    def swap_in(self, job: Job, fill: Fill | None = None) -> int | None:
        """Build the job's relation beside the target (by ``fill``, default :meth:`fill`) and swap it in."""
        fill = fill or self.fill
        adapter = job.adapter
        rel = job.relation
        tmp = adapter.temp_relation(rel)
        self.ensure_schema(job)
        if adapter.capabilities.transactions:
            with adapter.transaction():
                existing = self.existing(job)
                if adapter.relation_type(tmp):
                    job.execute(adapter.drop_relation_sql(tmp, "table"))
                rows = fill(job, tmp)
                if existing:
                    job.execute(adapter.drop_relation_sql(rel, existing))
                job.execute(adapter.rename_relation_sql(tmp, rel.identifier, "table"))
            return rows
        backup = adapter.temp_relation(rel, "old")
        existing = self.existing(job)
        options = TableOptions.from_config(job.config)
        try:
            rows = fill(job, tmp)
        except BaseException:
            adapter.discard_table(tmp, options, beside=rel, model=job.name, record=job.log)
            raise
        if adapter.swap_table(tmp, rel, existing, options, model=job.name, record=job.log):
            return rows  # the adapter swapped through its catalog (e.g. Athena Hive tables)
        if existing:
            job.execute(adapter.rename_relation_sql(rel, backup.identifier, existing))
        try:
            job.execute(adapter.rename_relation_sql(tmp, rel.identifier, "table"))
        except BaseException:
            if existing:  # put the old relation back before reporting the failure
                job.execute(adapter.rename_relation_sql(backup, rel.identifier, existing))
            job.execute(adapter.drop_relation_sql(tmp, "table"))
            raise
        if existing:
            job.execute(adapter.drop_relation_sql(backup, existing))
        return rows
