"""Seeds: a CSV loaded as a table with inferred types and ``column_types`` overrides.

A first load (or ``--full-refresh``) builds the table with ``adapter.seed_statements`` (one
CREATE TABLE AS over a CSV scan where the engine reads files; CREATE then INSERT ... VALUES
batches elsewhere) and swaps it in like a table model. Where the engine has ``transactions``
and ``csv_scan``, a later load keeps the table and replaces its rows in one transaction; if the
CSV's columns no longer match the table (an INTEGER column still loads into a BIGINT one), it
fails and asks for ``--full-refresh``. Elsewhere
every load rebuilds and swaps.

Before anything is replaced the loaded rows are counted: a table with other than
``job.seed.records`` rows (the records a strict read of the CSV found) fails the load, the new
table is dropped (or the transaction rolled back) and the old one stays as it was.
"""

from __future__ import annotations

from typing import ClassVar

from pyflow.adapters.base import TableOptions
from pyflow.errors import MaterializationError
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation

_WIDENINGS = frozenset({("INTEGER", "BIGINT")})
"""(CSV type, table type) pairs a reload keeps: a seed table built when integer seeds loaded
as BIGINT takes the same CSV typed INTEGER (as dbt's reload keeps the table's types)."""


def _loads_into(new: list[tuple[str, str]], old: list[tuple[str, str]]) -> bool:
    """True when the CSV's columns ``new`` can replace the rows of a table with columns ``old``."""
    return len(new) == len(old) and all(
        n == o and (t == u or (t.upper(), u.upper()) in _WIDENINGS)
        for (n, t), (o, u) in zip(new, old, strict=True)
    )


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
            rows = TableMaterializer().swap_in(job, fill=self._fill)
            return self._loaded(job, rows)
        new_cols = [(c.name, c.data_type) for c in adapter.describe_query(job.sql)]
        old_cols = [(c.name, c.data_type) for c in adapter.get_columns(job.relation)]
        if not _loads_into(new_cols, old_cols):
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
            rows = self._checked_count(job, job.relation)
        return self._loaded(job, rows)

    def _fill(self, job: Job, relation: Relation) -> int:
        """Load the CSV into ``relation`` and return its checked row count."""
        self._load(job, relation)
        return self._checked_count(job, relation)

    @staticmethod
    def _load(job: Job, relation: Relation) -> None:
        if job.seed is None:  # a job built from the CSV scan alone
            Materializer.fill(job, relation)
            return
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
            return
        for statement in job.adapter.seed_statements(
            relation, seed.path, dict(seed.column_types), seed.delimiter, options
        ):
            job.execute(statement)

    @staticmethod
    def _loaded(job: Job, rows: int | None) -> Outcome:
        return Outcome("loaded", rows, f"INSERT {rows}")

    @staticmethod
    def _checked_count(job: Job, relation: Relation) -> int:
        """The rows of ``relation``; an error when they are not the CSV's records."""
        found = job.adapter.fetchall(f"SELECT count(*) FROM {job.adapter.render(relation)}", model=job.name)
        rows = int(found[0][0])
        seed = job.seed
        if seed is not None and seed.records is not None and rows != seed.records:
            raise MaterializationError(
                f"the loaded table has {rows} row(s), but {seed.path.name} has {seed.records} "
                "record(s); nothing was replaced",
                model=job.name,
                path=str(seed.path),
                resource="seed",
                hint="check the CSV's delimiter and quoting (each record one line, or quoted where "
                "a value spans lines); if the CSV is right, report this as a bug",
                code="seed-row-count",
            )
        return rows
