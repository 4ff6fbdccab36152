"""Writes that stay within an engine's per-statement partition limit (Athena: 100 partitions).

The limit is planned for, never discovered by failing: the partition values of the new rows are
read first (``SELECT DISTINCT`` on a staging table), then the rows are written in batches of at
most :meth:`~pyflow.adapters.base.Adapter.partition_limit` partitions, each batch a row filter
of the staging table. The same staging step puts partition columns last where the engine's
tables need that (:meth:`~pyflow.adapters.base.Adapter.partitions_last`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyflow.adapters.base import Adapter, TableOptions
from pyflow.relation import Relation

if TYPE_CHECKING:  # base imports this module to fill tables: no import back at run time
    from pyflow.materializers.base import Job


def needs_staging(adapter: Adapter, options: TableOptions) -> bool:
    """Whether building a table with ``options`` must stage its rows first."""
    return bool(options.partitioned_by) and (
        adapter.partition_limit(options) is not None or adapter.partitions_last(options)
    )


def batches(job: Job, source: Relation, options: TableOptions) -> list[str | None]:
    """Row filters of ``source``, each covering at most the engine's partition limit.

    ``[None]`` (one statement, no filter) when there is no limit or the rows fit in one batch.
    """
    adapter = job.adapter
    limit = adapter.partition_limit(options)
    parts = list(options.partitioned_by)
    if not limit or not parts:
        return [None]
    cols = adapter.column_list(parts)
    values = adapter.fetchall(
        f"SELECT DISTINCT {cols} FROM {adapter.render(source)} ORDER BY {cols}", model=job.name
    )
    if len(values) <= limit:
        return [None]
    return [adapter.in_partitions_sql(parts, values[i : i + limit]) for i in range(0, len(values), limit)]


def ordered(adapter: Adapter, columns: Sequence[str], options: TableOptions) -> list[str]:
    """``columns`` with the partition columns moved last (in ``partitioned_by`` order) where needed."""
    if not adapter.partitions_last(options) or not options.partitioned_by:
        return list(columns)
    by_name = {c.lower(): c for c in columns}
    last = [by_name[p.lower()] for p in options.partitioned_by if p.lower() in by_name]
    lowered = {c.lower() for c in last}
    return [c for c in columns if c.lower() not in lowered] + last


def create_from(
    job: Job, relation: Relation, source: Relation, columns: Sequence[str], options: TableOptions
) -> None:
    """CREATE ``relation`` (stored as ``options``) holding ``source``'s rows, batch by batch."""
    adapter = job.adapter
    cols = ordered(adapter, columns, options)
    select = f"SELECT {adapter.column_list(cols)} FROM {adapter.render(source)}"
    for statement in adapter.create_in_batches_sql(
        relation, select, cols, batches(job, source, options), options
    ):
        job.execute(statement)
