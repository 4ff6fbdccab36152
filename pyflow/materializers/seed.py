"""Seeds: a CSV loaded as a table with inferred types and ``column_types`` overrides.

A first load (or ``--full-refresh``) builds the table with ``adapter.seed_statements`` (one
CREATE TABLE AS over a CSV scan where the engine reads files; CREATE then INSERT ... VALUES
batches elsewhere) and swaps it in like a table model. Where the engine has ``transactions``
and ``csv_scan``, a later load keeps the table and replaces its rows in one transaction; if the
CSV's columns no longer match the table, it fails and asks for ``--full-refresh``. Elsewhere
every load rebuilds and swaps.
"""

from __future__ import annotations

from typing import ClassVar

from pyflow.adapters.base import TableOptions
from pyflow.errors import MaterializationError
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation


class SeedMaterializer(Materializer):
    """Loads seeds from ``job.seed``; ``job.sql`` is the CSV scan where the engine has one."""

    kind: ClassVar[str] = "seed"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        adapter = job.adapter
        existing = self.existing(job)
        caps = adapter.capabilities
        if (
            existing != "table"
            or job.full_refresh
            or not (caps.transactions and caps.csv_scan)
            or job.sql is None
        ):
            TableMaterializer().swap_in(job, fill=self._fill)
            return self._loaded(job)
        new_cols = [(c.name, c.data_type) for c in adapter.describe_query(job.sql)]
        old_cols = [(c.name, c.data_type) for c in adapter.get_columns(job.relation)]
        if new_cols != old_cols:
            raise MaterializationError(
                "the CSV's columns or types differ from the existing seed table "
                f"(table: {', '.join(f'{n} {t}' for n, t in old_cols)}; "
                f"CSV: {', '.join(f'{n} {t}' for n, t in new_cols)})",
                model=job.name,
                hint="rebuild it with `pyflow seed --full-refresh --select " + job.name + "`",
                code="seed-columns-changed",
            )
        rel = adapter.render(job.relation)
        with adapter.transaction():
            job.execute(f"DELETE FROM {rel}")
            job.execute(f"INSERT INTO {rel}\n{job.sql}")
        return self._loaded(job)

    @staticmethod
    def _fill(job: Job, relation: Relation) -> int | None:
        if job.seed is None:  # a job built from the CSV scan alone
            return Materializer.fill(job, relation)
        seed = job.seed
        options = TableOptions.from_config(job.config)
        uploaded = job.adapter.upload_seed(
            relation,
            seed.path,
            dict(seed.column_types),
            seed.delimiter,
            options,
            model=job.name,
            record=job.log,
        )
        if uploaded is not None:
            return uploaded
        for statement in job.adapter.seed_statements(
            relation, seed.path, dict(seed.column_types), seed.delimiter, options
        ):
            job.execute(statement)
        return None

    def _loaded(self, job: Job) -> Outcome:
        rows = self._count(job)
        return Outcome("loaded", rows, f"INSERT {rows}")

    @staticmethod
    def _count(job: Job) -> int:
        rows = job.adapter.fetchall(f"SELECT count(*) FROM {job.adapter.render(job.relation)}")
        return int(rows[0][0])
