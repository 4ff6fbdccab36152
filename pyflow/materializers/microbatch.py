"""Microbatch incremental models (dbt's ``incremental_strategy: microbatch``): one statement pair per batch.

The runner cuts the model's time range into batches (:mod:`pyflow.runner.microbatch`) and
compiles the model once per batch, its inputs with an ``event_time`` reading only the batch's
rows. Here each batch replaces its window of the table: ``DELETE`` the rows whose
``event_time`` falls in ``[start, end)``, then ``INSERT`` the batch's rows, in one
transaction where the engine has them (DuckDB), so a failed batch leaves its window as it was.
Without transactions (Trino, Athena Iceberg) a failed insert leaves the window empty until
the batch runs again. When the table does not exist yet (or on ``--full-refresh``) the first
batch builds it and is swapped in like a table model.

A failed batch does not stop the next ones (as in dbt); the model then fails, naming every
failed batch, and ``pyflow retry`` runs the model again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from pyflow.errors import MaterializationError, PyflowError
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.table import TableMaterializer

log = logging.getLogger("pyflow.sql")  # one line per batch on the console


@dataclass(frozen=True)
class Batch:
    """One batch: its window ``[start, end)`` and the model's SQL compiled for it."""

    start: datetime
    end: datetime
    sql: str

    @property
    def label(self) -> str:
        """``[2024-01-01 00:00, 2024-01-02 00:00)``."""
        return f"[{self.start:%Y-%m-%d %H:%M}, {self.end:%Y-%m-%d %H:%M})"


class MicrobatchMaterializer(Materializer):
    """``incremental_strategy: microbatch``: ``job.batches`` applied one by one."""

    kind: ClassVar[str] = "microbatch"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        batches = list(job.batches or ())
        event_time = str(getattr(job.config, "event_time", ""))
        self.ensure_schema(job)
        fresh = job.full_refresh or not job.incremental or self.existing(job) is None
        failed: list[tuple[Batch, PyflowError]] = []
        created = not fresh
        for i, batch in enumerate(batches, start=1):
            where = f"batch {i} of {len(batches)} {batch.label}"
            try:
                if created:
                    self._replace_window(job, batch, event_time)
                elif i == 1:  # the first batch builds the table, swapped in like a table model
                    TableMaterializer().swap_in(replace(job, sql=batch.sql, create=None))
                    created = True
                else:
                    raise MaterializationError(
                        "not run: the first batch, which creates the table, failed", code="microbatch-failed"
                    )
            except PyflowError as exc:
                failed.append((batch, exc))
                log.info("model '%s': %s failed", job.name, where)
                continue
            log.info("model '%s': %s done", job.name, where)
        if failed:
            first = (failed[0][1].message.strip().splitlines() or ["failed"])[0]
            raise MaterializationError(
                f"{len(failed)} of {len(batches)} batches failed: "
                + ", ".join(b.label for b, _ in failed)
                + f"; first error: {first}",
                model=job.name,
                hint="fix the cause, then run `pyflow retry` (or run the model with "
                "--event-time-start/--event-time-end set to the failed batches)",
                code="microbatch-failed",
            ) from failed[0][1]
        return Outcome(f"{len(batches)} batches", response=f"MICROBATCH {len(batches)}")

    @staticmethod
    def _replace_window(job: Job, batch: Batch, event_time: str) -> None:
        """DELETE the batch's window, then INSERT its rows (atomically where the engine can)."""
        adapter = job.adapter
        column = adapter.quote(event_time)
        window = (
            f"{column} >= {adapter.timestamp_literal(batch.start)} "
            f"AND {column} < {adapter.timestamp_literal(batch.end)}"
        )
        columns = [c.name for c in adapter.get_columns(job.relation)]
        names = adapter.column_list(columns)
        with adapter.transaction():
            job.execute(adapter.delete_all_sql(job.relation, [window]))
            job.execute(
                f"INSERT INTO {adapter.render(job.relation)} ({names})\n"
                f"SELECT {names} FROM (\n{batch.sql}\n) AS pyflow_batch"
            )
