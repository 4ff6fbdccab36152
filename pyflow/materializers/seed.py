"""Seeds: a CSV loaded as a table with inferred types and ``column_types`` overrides.

A first load (or ``--full-refresh``) builds the table and swaps it in like a table model. A
later load keeps the table and replaces its rows in one transaction; if the CSV's columns no
longer match the table, it fails and asks for ``--full-refresh``.
"""

from __future__ import annotations

from typing import ClassVar

from pyflow.errors import MaterializationError
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.table import TableMaterializer


class SeedMaterializer(Materializer):
    """Loads seeds; ``job.sql`` is the CSV scan."""

    kind: ClassVar[str] = "seed"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        adapter = job.adapter
        assert job.sql is not None
        existing = self.existing(job)
        if existing != "table" or job.full_refresh or not adapter.capabilities.transactions:
            TableMaterializer().swap_in(job)
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

    def _loaded(self, job: Job) -> Outcome:
        rows = self._count(job)
        return Outcome("loaded", rows, f"INSERT {rows}")

    @staticmethod
    def _count(job: Job) -> int:
        rows = job.adapter.fetchall(f"SELECT count(*) FROM {job.adapter.render(job.relation)}")
        return int(rows[0][0])
