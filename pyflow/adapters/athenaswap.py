"""Athena's Hive tables replaced through Glue: table swaps, partition overwrites, discards.

``ALTER TABLE ... RENAME TO`` works on Athena only for Iceberg tables, and ``DROP TABLE`` of a
Hive table keeps its files. :class:`AthenaSwap`, a base of
:class:`~pyflow.adapters.athena.AthenaAdapter`, therefore swaps a Hive table in by repointing the
target's Glue entry at the new table's definition (:meth:`AthenaSwap.swap_table`), replaces
partitions (``insert_overwrite``) by repointing Glue partitions at new prefixes
(:meth:`AthenaSwap.replace_partitions`), and discards a temporary table with its S3 data
(:meth:`AthenaSwap.discard_table`). A swap interrupted after the target changed is finished by
the next run (:mod:`pyflow.adapters.gluerecovery`, through
``AthenaAdapter.recover_swap``). Iceberg tables take the Trino paths.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from pyflow.adapters.athenaglue import AthenaGlue
from pyflow.adapters.base import RelationType, StatementLog, TableOptions
from pyflow.adapters.s3location import glue_location as _location
from pyflow.adapters.s3location import overlaps as _overlaps
from pyflow.errors import MaterializationError, PyflowError
from pyflow.relation import Relation

log = logging.getLogger(__name__)

_TABLE_INPUT_KEYS = ("StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
"""What a swap copies from the temporary table's Glue definition to the target's."""


def is_hive(options: TableOptions) -> bool:
    """True for a Hive table (Athena's default ``table_type``), False for an Iceberg table."""
    return not options.is_iceberg


class AthenaSwap(AthenaGlue):
    """Swaps, partition overwrites and discards of Hive tables through the Glue Data Catalog."""

    def swap_table(  # noqa: D102
        self,
        tmp: Relation,
        target: Relation,
        existing: RelationType | None,
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> bool:
        if not is_hive(options):
            return False  # Iceberg tables rename
        database = target.schema or self.schema
        started = [False]
        try:
            glue = self.aws_client("glue")
            tmp_table = self.glue_table(glue, tmp)
            if tmp_table is None:
                raise RuntimeError(f"the new table {database}.{tmp.identifier} is not in the Glue catalog")
            table_input: dict[str, Any] = {"Name": target.identifier}
            table_input.update({k: tmp_table[k] for k in _TABLE_INPUT_KEYS if k in tmp_table})
            new_location = _location(tmp_table)
            new_parts = self.glue_partitions(glue, tmp) if tmp_table.get("PartitionKeys") else []
            old_table = self.glue_table(glue, target) if existing else None
            old_parts = (
                self.glue_partitions(glue, target) if old_table and old_table.get("PartitionKeys") else []
            )
            if old_table is None:
                glue.create_table(DatabaseName=database, TableInput=table_input)
            else:
                # VersionId: a concurrent rebuild of the same table fails here instead of being lost
                version = {"VersionId": old_table["VersionId"]} if old_table.get("VersionId") else {}
                glue.update_table(DatabaseName=database, TableInput=table_input, **version)
            started[:] = [True]
            if new_parts or old_parts:
                self.repoint_partitions(glue, target, new_parts, current=old_parts)
        except BaseException as exc:
            if not started[0]:
                self.discard_table(tmp, options, beside=target, model=model, record=record)
            else:  # the target already reads the new data: keep it, and the temporary entry, which
                # tells the next run to finish this swap (pyflow.adapters.gluerecovery)
                log.warning("%s: %s is kept: the next run finishes the swap", model or "-", tmp.identifier)
            if isinstance(exc, Exception) and not isinstance(exc, PyflowError):
                raise self.aws_error(
                    exc, f"swapping {database}.{tmp.identifier} in as {target.identifier}", model
                ) from exc
            raise
        # the target now reads the new data; what follows only cleans up, so it warns, never fails.
        # The temporary Glue entry goes last: while it exists, the next run finishes this swap
        old = [loc for loc in [_location(old_table), *(_location(p) for p in old_parts)] if loc]
        self._delete_unused(
            old, [loc for loc in [new_location, *(_location(p) for p in new_parts)] if loc], model
        )
        self._drop_glue_entry(glue, tmp, model)
        return True

    def _check_partitioning(self, target: Relation, options: TableOptions, model: str | None) -> None:
        """Fail before writing when the table in Glue is not partitioned as ``partitioned_by`` says."""
        try:
            found = self.glue_table(self.aws_client("glue"), target)
        except PyflowError:
            raise
        except Exception as exc:
            raise self.aws_error(exc, f"reading the Glue entry of {target.identifier}", model) from exc
        keys = [k["Name"] for k in (found or {}).get("PartitionKeys", [])]
        if [k.lower() for k in keys] != [p.lower() for p in options.partitioned_by]:
            raise MaterializationError(
                f"insert_overwrite replaces partitions by {', '.join(options.partitioned_by)}, but the table "
                f"{target.schema or self.schema}.{target.identifier} is partitioned by "
                f"{', '.join(keys) if keys else 'nothing'} in Glue; nothing was written",
                model=model,
                hint="rebuild it with the new partitioning: pyflow run --full-refresh --select "
                + (model or "<model>"),
                code="partitioning-changed",
            )

    def replace_partitions(  # noqa: D102
        self,
        target: Relation,
        staging: Relation,
        columns: Sequence[str],
        batches: Sequence[str | None],
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> bool:
        # Hive: the batch goes to a new table at a fresh prefix (CTAS, then INSERTs within the
        # partition limit), whose partitions then replace the target's in Glue; old prefixes go last
        if not is_hive(options):
            return False
        if options.partitioned_by:
            self._check_partitioning(target, options, model)
        q = self.quote
        given = {c.lower() for c in columns}
        target_columns = self.get_columns(target)  # partition columns last, as Hive stores them
        items = [
            q(c.name) if c.name.lower() in given else f"CAST(NULL AS {c.data_type}) AS {q(c.name)}"
            for c in target_columns
        ]
        names = [c.name for c in target_columns]
        select = f"SELECT {', '.join(items)} FROM {self.render(staging)}"
        tmp = self.temp_relation(target, "overwrite")
        tmp_options = dataclasses.replace(options, external_location=None)  # never the target's own prefix
        try:
            for statement in self.create_in_batches_sql(tmp, select, names, batches, tmp_options):
                self.execute(statement, model=model, record=record)
        except BaseException:
            self.discard_table(tmp, tmp_options, beside=target, model=model, record=record)
            raise
        if not options.partitioned_by:  # the batch replaces every row: a rebuild
            return self.swap_table(tmp, target, "table", tmp_options, model=model, record=record)
        started = [False]
        try:
            glue = self.aws_client("glue")
            new_parts = self.glue_partitions(glue, tmp)
            old = self.repoint_partitions(glue, target, new_parts, started=started)
        except BaseException as exc:
            if started[0]:  # some partitions already read the new data: keep it, and the temporary
                # entry, which tells the next run to finish repointing (pyflow.adapters.gluerecovery)
                log.warning("%s: %s is kept: the next run finishes the swap", model or "-", tmp.identifier)
            else:
                self.discard_table(tmp, tmp_options, beside=target, model=model, record=record)
            if isinstance(exc, Exception) and not isinstance(exc, PyflowError):
                raise self.aws_error(exc, f"replacing partitions of {target.identifier}", model) from exc
            raise
        self._drop_glue_entry(glue, tmp, model)
        self._delete_unused(old, [loc for p in new_parts if (loc := _location(p))], model)
        return True

    def discard_table(  # noqa: D102
        self,
        relation: Relation,
        options: TableOptions,
        *,
        beside: Relation | None = None,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> None:
        if not is_hive(options):  # DROP TABLE of an Iceberg table deletes its data too
            super().discard_table(relation, options, beside=beside, model=model, record=record)
            return
        # DROP TABLE of a Hive table keeps its files: find them, delete them, then drop the Glue
        # entry (last: while it exists, a run killed in between is recovered by the next one).
        # Cleanup problems are logged, not raised, so they never hide the error that caused the discard.
        location = kept = None
        try:
            glue = self.aws_client("glue")
            location = _location(self.glue_table(glue, relation))
            if location is None and not options.external_location:
                location = self.data_location(relation, options)  # where a failed CTAS may have written
            kept = _location(self.glue_table(glue, beside)) if beside is not None else None
        except Exception as exc:
            self._cleanup_failed(model, f"look up {relation} in Glue", exc)
            location = None
        try:
            if location is not None and _overlaps(location, kept):
                log.warning("%s: not deleting %s: %s uses it", model or "-", location, beside)
            elif location is not None:
                self.delete_s3_prefix(self.aws_client("s3"), location)
        except Exception as exc:
            self._cleanup_failed(model, f"delete the temporary data at {location}", exc)
        super().discard_table(relation, options, beside=beside, model=model, record=record)
