"""AWS for Athena: credentials, boto3 clients, Glue Data Catalog entries and S3 objects.

:class:`AthenaGlue`, a base of :class:`~pyflow.adapters.athena.AthenaAdapter`, owns what Athena's
SQL cannot do: the AWS credentials of the target (shared with the ``pyathena`` connection), the
S3 location of a new table's files (``external_location``, else ``s3_data_dir`` +
``s3_data_naming``), reading a table's Glue entry and partitions, repointing partitions in Glue
batches, deleting S3 prefixes that no new table reads, and the errors and warnings of those calls
(credentials scrubbed). ``boto3`` is imported only in :meth:`AthenaGlue.aws_client`. The table
swaps built on these calls are in :mod:`~pyflow.adapters.athenaswap`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from pyflow.adapters.base import TableOptions
from pyflow.adapters.s3location import glue_location as _location
from pyflow.adapters.s3location import overlaps as _overlaps
from pyflow.adapters.s3location import split_s3 as _split_s3
from pyflow.adapters.trino import TrinoAdapter
from pyflow.errors import AdapterError
from pyflow.relation import Relation

log = logging.getLogger(__name__)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _partition_input(partition: dict[str, Any]) -> dict[str, Any]:
    """The PartitionInput that recreates a Glue ``Partition`` (values, storage, parameters)."""
    return {k: partition[k] for k in ("Values", "StorageDescriptor", "Parameters") if k in partition}


def _check_batch(response: dict[str, Any], action: str) -> None:
    """Raise on the per-item errors a Glue batch call reports instead of failing."""
    errors = response.get("Errors") or []
    if errors:
        first = errors[0]
        detail = first.get("ErrorDetail", {})
        raise RuntimeError(
            f"{action} failed for {len(errors)} partition(s), e.g. {first.get('PartitionValues') or first.get('PartitionValueList')}: "
            f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
        )


class AthenaGlue(TrinoAdapter):
    """Glue and S3 calls of the Athena adapter, and where its tables' files go."""

    # ---- AWS (Glue / S3) -----------------------------------------------------------------
    def aws_client(self, service: str) -> Any:
        """A boto3 client for ``service`` in the profile's region, credentials as ``connect``."""
        try:
            import boto3
        except ImportError:
            raise self.missing_driver("boto3") from None
        session = boto3.session.Session(region_name=self.config.region_name, **self._aws_credentials())
        return session.client(service)

    def _aws_credentials(self) -> dict[str, Any]:
        """Profile and keys from the target (none: the standard AWS credential chain)."""
        cfg = self.config
        out: dict[str, Any] = {}
        if cfg.aws_profile_name:
            out["profile_name"] = cfg.aws_profile_name
        if cfg.aws_access_key_id:
            out["aws_access_key_id"] = cfg.aws_access_key_id
        if cfg.aws_secret_access_key is not None:
            out["aws_secret_access_key"] = cfg.aws_secret_access_key.get_secret_value()
        if cfg.aws_session_token is not None:
            out["aws_session_token"] = cfg.aws_session_token.get_secret_value()
        return out

    def glue_table(self, glue: Any, relation: Relation) -> dict[str, Any] | None:
        """The Glue ``Table`` of ``relation``, None when there is none."""
        try:
            table: dict[str, Any] = glue.get_table(
                DatabaseName=relation.schema or self.schema, Name=relation.identifier
            )["Table"]
        except glue.exceptions.EntityNotFoundException:
            return None
        return table

    def delete_s3_prefix(self, s3: Any, location: str) -> int:
        """Delete every object under ``location`` (a prefix, never a bucket root); the count."""
        bucket, prefix = _split_s3(location)
        if not prefix:
            raise ValueError(f"refusing to delete a whole bucket: {location!r}")
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                response = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                if response.get("Errors"):
                    first = response["Errors"][0]
                    raise RuntimeError(
                        f"could not delete s3://{bucket}/{first.get('Key')}: {first.get('Message')}"
                    )
                deleted += len(chunk)
        return deleted

    def glue_partitions(self, glue: Any, relation: Relation) -> list[dict[str, Any]]:
        """Every Glue ``Partition`` of ``relation``."""
        found: list[dict[str, Any]] = []
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName=relation.schema or self.schema, TableName=relation.identifier
        )
        for page in pages:
            found.extend(page.get("Partitions", []))
        return found

    def repoint_partitions(
        self,
        glue: Any,
        target: Relation,
        new: Sequence[dict[str, Any]],
        *,
        current: Sequence[dict[str, Any]] | None = None,
        started: list[bool] | None = None,
    ) -> list[str]:
        """Point ``target``'s partitions at the data of the ``new`` Glue partitions.

        A partition that exists is updated (now reading its new prefix), a missing one is
        created. Given ``current`` (all of the target's partitions), those that ``new`` lacks
        are deleted: the partitions become exactly ``new``'s; else only the values in ``new``
        are looked up and touched. Each partition switches at once, so readers see its old or
        its new rows, never a mix or nothing. Returns the locations the replaced partitions
        had (for cleanup). ``started`` gets True once the first change was made.
        """
        database = target.schema or self.schema
        table = target.identifier
        replace_all = current is not None
        if current is not None:
            existing = list(current)
        else:
            existing = []
            wanted = [{"Values": p["Values"]} for p in new]
            for chunk in _chunks(wanted, 1000):
                response = glue.batch_get_partition(
                    DatabaseName=database, TableName=table, PartitionsToGet=chunk
                )
                if response.get("UnprocessedKeys"):
                    raise RuntimeError(
                        f"Glue could not read {len(response['UnprocessedKeys'])} partition(s) of {table}"
                    )
                existing.extend(response.get("Partitions", []))
        old = {tuple(p["Values"]): p for p in existing}
        fresh = {tuple(p["Values"]) for p in new}
        updates = [
            {"PartitionValueList": p["Values"], "PartitionInput": _partition_input(p)}
            for p in new
            if tuple(p["Values"]) in old
        ]
        creates = [_partition_input(p) for p in new if tuple(p["Values"]) not in old]
        gone = [{"Values": list(v)} for v in old if v not in fresh] if replace_all else []
        calls = [  # Glue's batch limits: 100 updates or creates, 25 deletes per call
            (glue.batch_update_partition, "Entries", updates, 100, "updating partitions"),
            (glue.batch_create_partition, "PartitionInputList", creates, 100, "creating partitions"),
            (glue.batch_delete_partition, "PartitionsToDelete", gone, 25, "deleting partitions"),
        ]
        for call, key, items, size, action in calls:
            for chunk in _chunks(items, size):
                _check_batch(call(DatabaseName=database, TableName=table, **{key: chunk}), action)
                if started is not None:
                    started[:] = [True]
        return [loc for p in old.values() if (loc := _location(p)) is not None]

    def _drop_glue_entry(self, glue: Any, relation: Relation, model: str | None) -> None:
        """Delete a temporary table's Glue entry (a Hive table's data stays; warns on failure)."""
        database = relation.schema or self.schema
        try:
            glue.delete_table(DatabaseName=database, Name=relation.identifier)
        except Exception as exc:  # a stale entry pointing at live data: DROP TABLE keeps Hive data
            self._cleanup_failed(model, f"delete the Glue entry {database}.{relation.identifier}", exc)

    def _cleanup_failed(self, model: str | None, action: str, exc: BaseException) -> None:
        """Warn that a cleanup step failed (cleanup never fails a build; credentials scrubbed)."""
        log.warning("%s: could not %s: %s", model or "-", action, self.scrub(str(exc)))

    def _delete_unused(self, old: Sequence[str], new: Sequence[str], model: str | None) -> None:
        """Delete the objects under each ``old`` location that no ``new`` location overlaps (warns on failure)."""
        s3 = None
        done: list[str] = []
        for location in sorted(dict.fromkeys(old), key=len):  # a table's prefix before its partitions'
            if any(_overlaps(location, d) for d in done):
                continue  # inside a prefix already deleted
            try:
                inside = [n for n in new if _overlaps(location, n)]
                if inside:
                    log.warning(
                        "%s: not deleting the old data at %s: the new table uses %s",
                        model or "-",
                        location,
                        inside[0],
                    )
                    continue
                s3 = s3 or self.aws_client("s3")
                self.delete_s3_prefix(s3, location)
                done.append(location)
            except Exception as exc:
                self._cleanup_failed(model, f"delete the old data at {location}", exc)

    def aws_error(self, exc: Exception, action: str, model: str | None) -> AdapterError:
        """An AdapterError for a failed Glue / S3 call (credentials scrubbed)."""
        return AdapterError(
            f"athena error while {action}: {self.scrub(str(exc)) or type(exc).__name__}",
            model=model,
            hint="check the IAM permissions listed in docs/deploying-athena.md (Glue and S3)",
            code="database-error",
        )

    # ---- S3 locations ------------------------------------------------------------------
    def data_location(self, relation: Relation, options: TableOptions | None) -> str | None:
        """Where a new table's files go: ``external_location``, else ``s3_data_dir`` + naming."""
        if options is not None and options.external_location:
            return options.external_location
        base = self.config.s3_data_dir
        if not base:
            return None  # Athena then uses the workgroup's / staging dir's default location
        schema = relation.schema or self.schema
        unique = self.unique_suffix(relation)
        parts = {
            "unique": [unique],
            "table": [relation.identifier],
            "table_unique": [relation.identifier, unique],
            "schema_table": [schema, relation.identifier],
            "schema_table_unique": [schema, relation.identifier, unique],
        }[self.config.s3_data_naming]
        return "/".join([base.rstrip("/"), *parts]) + "/"
