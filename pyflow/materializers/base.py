"""The materializer interface, the job it receives, and the kind -> class table."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pyflow.adapters.base import Adapter, RelationType, StatementLog, TableOptions
from pyflow.errors import MaterializationError
from pyflow.relation import Relation


@dataclass(frozen=True)
class SeedFile:
    """A seed's CSV file and how to read it."""

    path: Path
    column_types: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    records: int | None = None
    """The CSV's data records, counted by a strict read: the loaded table must hold exactly as
    many rows (None: not counted, nothing to check)."""


@dataclass
class Job:
    """Everything a materializer needs to build one node."""

    name: str
    relation: Relation
    adapter: Adapter
    sql: str | None = None
    frame: Callable[[], Any] | None = None
    """Produces a pandas/pyarrow frame (DataFrame models and seeds loaded from frames)."""
    seed: SeedFile | None = None
    """The CSV of a seed (loaded by ``adapter.seed_statements``)."""
    full_refresh: bool = False
    incremental: bool = False
    """The model was compiled as an incremental batch (its table existed)."""
    config: Any = None
    run_started_at: Any = None
    batches: Sequence[Any] | None = None
    """A microbatch model's batches (:class:`pyflow.materializers.microbatch.Batch`), in order."""
    create: Callable[[Relation], list[str]] | None = None
    """Statements that create the job's table under a given name and fill it from ``sql`` (an
    enforced contract with constraints: CREATE TABLE with them, then INSERT ... SELECT); else
    the table is made by CREATE TABLE AS."""
    log: StatementLog = field(default_factory=StatementLog)

    def execute(self, sql: str) -> int | None:
        """Run a statement, recording it for ``target/run/``."""
        return self.adapter.execute(sql, model=self.name, record=self.log)


@dataclass(frozen=True)
class Outcome:
    """What a materializer reports: the verb for the log line and rows when known."""

    message: str
    rows: int | None = None
    response: str | None = None
    """Short label for the log line, e.g. ``INSERT 15`` or ``MERGE 120``."""


class Materializer(abc.ABC):
    """Builds one kind of relation."""

    kind: ClassVar[str]

    @abc.abstractmethod
    def build(self, job: Job) -> Outcome:
        """Create or replace ``job.relation``."""

    # shared steps ------------------------------------------------------------------------
    @staticmethod
    def ensure_schema(job: Job) -> None:
        """CREATE SCHEMA IF NOT EXISTS for the job's relation."""
        rel = job.relation
        if rel.schema and not job.adapter.schema_exists(rel.database, rel.schema):
            job.execute(job.adapter.create_schema_sql(rel.database, rel.schema))

    @staticmethod
    def existing(job: Job) -> RelationType | None:
        """Type of the relation already there, if any."""
        return job.adapter.relation_type(job.relation)

    @staticmethod
    def fill(job: Job, relation: Relation, options: TableOptions | None = None) -> int | None:
        """CREATE TABLE ``relation`` from the job's SQL or frame.

        ``options`` default to the job's config; then ``job.create``, when set, makes the table
        (with the contract's constraints). A partitioned table on an engine with a
        per-statement partition limit is written from a staging table, batch by batch
        (:mod:`pyflow.materializers.partitions`).
        """
        from pyflow.materializers import partitions

        adapter = job.adapter
        if options is None and job.create is not None and job.frame is None:
            for sql in job.create(relation):
                job.execute(sql)
            return None
        if options is None:
            options = TableOptions.from_config(job.config)
        if job.frame is not None:
            return adapter.create_table_from_dataframe(relation, job.frame(), record=job.log, options=options)
        if job.sql is None:
            raise MaterializationError(
                "nothing to build: the model compiled to no SQL",
                model=job.name,
                hint="report this as a bug",
                code="internal",
            )
        if not partitions.needs_staging(adapter, options):
            job.execute(adapter.create_table_as_sql(relation, job.sql, options))
            return None
        staging = adapter.temp_relation(job.relation, "stage")
        plain = TableOptions()
        try:
            job.execute(adapter.create_table_as_sql(staging, job.sql, plain))
            columns = [c.name for c in adapter.get_columns(staging)]
            partitions.create_from(job, relation, staging, columns, options)
        finally:
            adapter.discard_table(staging, plain, beside=job.relation, model=job.name, record=job.log)
        return None

    @contextmanager
    def working_table(self, job: Job, relation: Relation) -> Iterator[Relation]:
        """A working table of one step: any stale one of that name is dropped first, this one after.

        On a failure it is dropped too, unless a transaction rolls it back (a DROP inside the
        failed transaction would hide the error).
        """
        if job.adapter.relation_type(relation):
            self.discard(job, relation)
        try:
            yield relation
        except BaseException:
            if not job.adapter.capabilities.transactions:
                self.discard(job, relation)
            raise
        self.discard(job, relation)

    @staticmethod
    def discard(job: Job, relation: Relation) -> None:
        """Drop a working table of the job (and, where the engine keeps them, its files)."""
        job.adapter.discard_table(
            relation, TableOptions(), beside=job.relation, model=job.name, record=job.log
        )
