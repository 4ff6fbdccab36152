"""SCD type 2 snapshots: the one implementation of the algorithm, over the adapter API.

Each run stages the source's current state, checks it is unique on ``unique_key`` (failing
before any write), adds new source columns to the table, computes the changes against the
*current* versions, then closes the versions that changed and inserts the new ones — all in one
transaction where the engine has them.

Meta columns (renamable with ``snapshot_meta_column_names``): ``pyflow_scd_id`` (hash of the key
and valid_from), ``pyflow_updated_at``, ``pyflow_valid_from``, ``pyflow_valid_to`` (NULL, or the
``dbt_valid_to_current`` sentinel, while current) and, with ``hard_deletes: new_record``,
``pyflow_is_deleted``. All timestamps are UTC ``TIMESTAMP`` values.

Rules (dbt's semantics, made strict):

- ``timestamp``: a row is a new version only when its ``updated_at`` is later than the current
  version's; its valid_from is that ``updated_at``. ``check``: a row is a new version when any
  ``check_cols`` value differs (NULL-safe, so NULL <-> value counts); valid_from is the run time.
- A closed version's valid_to is its successor's valid_from; a run with no change writes nothing.
- ``hard_deletes``: ``ignore`` leaves vanished keys current; ``invalidate`` closes them at the
  run time; ``new_record`` closes them and adds a current row with is_deleted = true.
- A key that comes back after a delete gets a new current row. Its valid_from never precedes
  the end of its previous window: it is the source ``updated_at`` when that is later, else the
  run time. So windows per key never overlap and there is never more than one current row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pyflow.adapters.base import Adapter, Column, TableOptions
from pyflow.errors import MaterializationError
from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.incremental import IncrementalMaterializer, as_list
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation


@dataclass(frozen=True)
class Meta:
    """Column names and settings of one snapshot."""

    keys: list[str]
    strategy: str
    updated_at: str | None
    check_cols: list[str] | str | None
    deletes: str
    valid_from: str
    valid_to: str
    scd_id: str
    updated: str
    is_deleted: str
    sentinel: str | None

    @classmethod
    def of(cls, cfg: Any) -> Meta:
        """Read the snapshot config."""
        return cls(
            keys=as_list(cfg.unique_key),
            strategy=cfg.strategy,
            updated_at=cfg.updated_at,
            check_cols=cfg.check_cols,
            deletes=cfg.deletes,
            valid_from=cfg.meta_name("dbt_valid_from"),
            valid_to=cfg.meta_name("dbt_valid_to"),
            scd_id=cfg.meta_name("dbt_scd_id"),
            updated=cfg.meta_name("dbt_updated_at"),
            is_deleted=cfg.meta_name("dbt_is_deleted"),
            sentinel=cfg.valid_to_current,
        )

    @property
    def meta_columns(self) -> list[str]:
        """The meta columns this snapshot has."""
        cols = [self.scd_id, self.updated, self.valid_from, self.valid_to]
        return [*cols, self.is_deleted] if self.deletes == "new_record" else cols


class SnapshotMaterializer(Materializer):
    """``pyflow snapshot``: record changes of a source as SCD type 2 versions."""

    kind: ClassVar[str] = "snapshot"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        adapter = job.adapter
        meta = Meta.of(job.config)
        self.ensure_schema(job)
        with adapter.transaction(), self._staged_source(job) as staging:
            source_cols = adapter.get_columns(staging)
            self._check_columns(job, meta, source_cols)
            IncrementalMaterializer().check_unique(job, staging, meta.keys)
            if self.existing(job) is None:
                rows = self._first(job, meta, staging, source_cols)
            else:
                rows = self._update(job, meta, staging, source_cols)
        return Outcome("captured", rows, f"SNAPSHOT {rows}")

    # ---- pieces ----------------------------------------------------------------------------
    @contextmanager
    def _staged_source(self, job: Job) -> Iterator[Relation]:
        """The source's current state as a relation, read several times in one run.

        Within a transaction every read sees the same state, so a SQL source is a view over its
        query (nothing copied). Without one, the source could change between the uniqueness
        check and the write: it is copied into a working table first, as a DataFrame always is.
        """
        adapter = job.adapter
        if job.sql is not None and job.frame is None and adapter.capabilities.transactions:
            view = adapter.temp_relation(job.relation, "snap")
            job.execute(adapter.create_view_sql(view, job.sql))
            yield view  # on a failure the transaction takes the view back with everything else
            job.execute(adapter.drop_relation_sql(view, "view"))
            return
        with self.working_table(job, adapter.scratch_relation(job.relation, "snap")) as staging:
            if job.sql is not None and job.frame is None:
                job.execute(adapter.create_scratch_table_sql(staging, job.sql))
            else:
                self.fill(job, staging, TableOptions())
            yield staging

    def _check_columns(self, job: Job, meta: Meta, cols: Sequence[Column]) -> None:
        names = {c.name.lower() for c in cols}
        clash = [m for m in meta.meta_columns if m.lower() in names]
        missing = [k for k in meta.keys if k.lower() not in names]
        if meta.strategy == "timestamp" and meta.updated_at and meta.updated_at.lower() not in names:
            missing.append(meta.updated_at)
        if isinstance(meta.check_cols, list):
            missing += [c for c in meta.check_cols if c.lower() not in names]
        if clash or missing:
            raise MaterializationError(
                ("the source has columns named like snapshot meta columns: " + ", ".join(clash))
                if clash
                else "the source lacks configured columns: " + ", ".join(missing),
                model=job.name,
                hint="rename the source columns or set snapshot_meta_column_names"
                if clash
                else "correct unique_key / updated_at / check_cols, or select those columns",
                code="snapshot-columns",
            )

    def _now(self, job: Job) -> str:
        when = job.run_started_at
        if isinstance(when, datetime) and when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)  # stored as UTC wall time
        return job.adapter.timestamp_literal(when)

    def _current_value(self, adapter: Adapter, meta: Meta) -> str:
        ts = adapter.timestamp_type
        return f"CAST(({meta.sentinel}) AS {ts})" if meta.sentinel else f"CAST(NULL AS {ts})"

    def _is_current(self, adapter: Adapter, meta: Meta, alias: str) -> str:
        col = f"{alias}.{adapter.quote(meta.valid_to)}"
        return (
            f"{col} = CAST(({meta.sentinel}) AS {adapter.timestamp_type})"
            if meta.sentinel
            else f"{col} IS NULL"
        )

    def _source_time(self, adapter: Adapter, meta: Meta, cols: Sequence[Column], alias: str) -> str:
        if meta.strategy != "timestamp" or not meta.updated_at:
            raise AssertionError("only the timestamp strategy reads updated_at")
        dtype = next(c.data_type for c in cols if c.name.lower() == meta.updated_at.lower())
        return adapter.utc_timestamp_sql(f"{alias}.{adapter.quote(meta.updated_at)}", dtype)

    def _row(
        self,
        adapter: Adapter,
        meta: Meta,
        data_cols: Sequence[str],
        alias: str,
        vf: str,
        ua: str,
        deleted: str = "FALSE",
    ) -> str:
        """SELECT list for a new version: data columns, then meta columns."""
        keys = [f"{alias}.{adapter.quote(k)}" for k in meta.keys]
        items = [f"{alias}.{adapter.quote(c)}" for c in data_cols]
        items += [
            f"{adapter.hash_sql([*keys, vf])} AS {adapter.quote(meta.scd_id)}",
            f"{ua} AS {adapter.quote(meta.updated)}",
            f"{vf} AS {adapter.quote(meta.valid_from)}",
            f"{self._current_value(adapter, meta)} AS {adapter.quote(meta.valid_to)}",
        ]
        if meta.deletes == "new_record":
            items.append(f"{deleted} AS {adapter.quote(meta.is_deleted)}")
        return ", ".join(items)

    def _first(self, job: Job, meta: Meta, staging: Relation, cols: Sequence[Column]) -> int:
        adapter = job.adapter
        names = [c.name for c in cols]
        stamp = (
            self._source_time(adapter, meta, cols, "s") if meta.strategy == "timestamp" else self._now(job)
        )
        select = (
            f"SELECT {self._row(adapter, meta, names, 's', stamp, stamp)} FROM {adapter.render(staging)} AS s"
        )
        job.execute(adapter.create_table_as_sql(job.relation, select, TableOptions.from_config(job.config)))
        rows = adapter.fetchall(f"SELECT count(*) FROM {adapter.render(job.relation)}", model=job.name)
        return int(rows[0][0])

    def _update(self, job: Job, meta: Meta, staging: Relation, cols: Sequence[Column]) -> int:
        adapter = job.adapter
        target = job.relation
        q = adapter.quote
        existing = {c.name.lower(): c for c in adapter.get_columns(target)}
        for col in cols:
            if col.name.lower() not in existing:
                job.execute(adapter.add_column_sql(target, col.name, col.data_type))
        data_cols = [c for c in adapter.get_columns(target) if c.name not in meta.meta_columns]
        data_names = [c.name for c in data_cols]
        source_names = {c.name.lower() for c in cols}
        # the source as the table types it (a source column may arrive with another type)
        target_types = {c.name.lower(): c.data_type for c in data_cols}
        typed = ", ".join(
            f"CAST({q(c.name)} AS {target_types[c.name.lower()]}) AS {q(c.name)}"
            if target_types.get(c.name.lower(), c.data_type) != c.data_type
            else q(c.name)
            for c in cols
        )
        source = f"(SELECT {typed}, TRUE AS __pyflow_src FROM {adapter.render(staging)})"
        now = self._now(job)
        null_keys = " OR ".join(f"{q(k)} IS NULL" for k in meta.keys)
        has_null_key = adapter.fetchall(
            f"SELECT count(*) FROM {adapter.render(staging)} WHERE {null_keys}", model=job.name
        )[0][0]
        # plain equality joins hash well; NULL-safe matching is needed only for NULL keys
        match = adapter.key_match if has_null_key else _equal_keys(adapter)
        deleted_cur = f"cur.{q(meta.is_deleted)}" if meta.deletes == "new_record" else "FALSE"
        if meta.strategy == "timestamp":
            u = self._source_time(adapter, meta, cols, "s")
            changed = f"{u} > cur.{q(meta.updated)}"
            new_vf = f"CASE WHEN {u} > cur.{q(meta.valid_from)} THEN {u} ELSE {now} END"
            new_ua = u
        else:
            check = meta.check_cols
            compare = (
                [c.name for c in cols if c.name.lower() not in {k.lower() for k in meta.keys}]
                if check == "all"
                else list(check or [])
            )
            changed = " OR ".join(f"s.{q(c)} IS DISTINCT FROM cur.{q(c)}" for c in compare) or "FALSE"
            u = new_vf = new_ua = now
        # the current versions, narrowed to the columns read: the keys, what detects a change,
        # the data of vanished keys only where a deletion is recorded as a row, and the scd_id
        # only where versions are closed by it (without transactions: one MERGE, or a rebuild)
        read = {k.lower() for k in meta.keys}
        read |= {c.lower() for c in compare} if meta.strategy == "check" else set()
        cur_data = [c for c in data_names if meta.deletes == "new_record" or c.lower() in read]
        by_scd = not adapter.capabilities.transactions
        cur_meta = [meta.updated, meta.valid_from, *([meta.scd_id] if by_scd else [])]
        cur_meta += [meta.is_deleted] if meta.deletes == "new_record" else []
        current = (
            f"(SELECT {adapter.column_list([*cur_data, *cur_meta], 't')}, TRUE AS __pyflow_cur "
            f"FROM {adapter.render(target)} AS t WHERE {self._is_current(adapter, meta, 't')})"
        )
        is_new, is_gone = "cur.__pyflow_cur IS NULL", "s.__pyflow_src IS NULL"
        # data of the row: the source's (NULL for target columns it no longer has), or for a
        # vanished key the current version's (what of it was read)
        src_vals = ", ".join(
            "CASE WHEN "
            + is_gone
            + (f" THEN cur.{q(c.name)}" if c.name in cur_data else f" THEN CAST(NULL AS {c.data_type})")
            + " ELSE "
            + (f"s.{q(c.name)}" if c.name.lower() in source_names else f"CAST(NULL AS {c.data_type})")
            + f" END AS {q(c.name)}"
            for c in data_cols
        )
        scd = f"cur.{q(meta.scd_id)}" if by_scd else "CAST(NULL AS VARCHAR)"
        # one pass over the source and the current versions: each row out is a change
        # (new key, vanished key, or a changed current key); a new key's valid_from is settled
        # below, against the end of its key's history
        cases = [f"({is_new})", f"(NOT ({is_new}) AND NOT ({is_gone}) AND ({deleted_cur} OR {changed}))"]
        if meta.deletes != "ignore":
            cases.append(f"({is_gone} AND NOT {deleted_cur})")
        changes_of = (
            f"SELECT {src_vals}, "
            f"CASE WHEN {is_new} THEN {u} WHEN {is_gone} THEN {now} ELSE {new_vf} END AS __vf, "
            f"CASE WHEN {is_gone} THEN {now} ELSE {new_ua} END AS __ua, "
            f"CASE WHEN {is_gone} THEN TRUE ELSE FALSE END AS __del, "
            f"CASE WHEN {is_new} THEN FALSE ELSE TRUE END AS __close, "
            f"{scd} AS __scd\n"
            f"FROM {source} AS s\nFULL OUTER JOIN {current} AS cur ON {match(meta.keys, 's', 'cur')}\n"
            f"WHERE {' OR '.join(cases)}"
        )
        if meta.strategy == "timestamp":
            # a key back after a delete: its valid_from never precedes the end of its last
            # closed window (only closed rows are read: a small part of the table)
            history = (
                f"SELECT {adapter.column_list(meta.keys)}, max({q(meta.valid_to)}) AS last_end "
                f"FROM {adapter.render(target)} AS t WHERE NOT ({self._is_current(adapter, meta, 't')}) "
                f"GROUP BY {adapter.column_list(meta.keys)}"
            )
            vf = (
                f"CASE WHEN c.__close OR h.last_end IS NULL OR c.__vf > h.last_end THEN c.__vf ELSE {now} END"
            )
            changes_sql = (
                f"SELECT {adapter.column_list(data_names, 'c')}, {vf} AS __vf, c.__ua, c.__del, c.__close, c.__scd\n"
                f"FROM (\n{changes_of}\n) AS c\nLEFT JOIN ({history}) AS h ON {match(meta.keys, 'c', 'h')}"
            )
        else:
            changes_sql = changes_of
        with self.working_table(job, adapter.scratch_relation(target, "changes")) as changes:
            job.execute(adapter.create_scratch_table_sql(changes, changes_sql))
            count = int(
                adapter.fetchall(f"SELECT count(*) FROM {adapter.render(changes)}", model=job.name)[0][0]
            )
            if count:
                self._apply(job, meta, changes, data_names)
        return count

    def _apply(self, job: Job, meta: Meta, changes: Relation, data_names: Sequence[str]) -> None:
        """Close the versions that changed and insert the new ones, all or nothing.

        With transactions: an UPDATE-only MERGE, then an INSERT. Without, where MERGE works on
        the table (Iceberg): one MERGE that closes (matched on the current version's scd_id) and
        inserts (rows that match nothing). Elsewhere (Hive tables): the whole table is rebuilt
        with the changes applied and swapped in, like a table model.
        """
        adapter = job.adapter
        target = job.relation
        insert_where = "TRUE" if meta.deletes == "new_record" else "NOT c.__del"
        row = self._row(adapter, meta, data_names, "c", "c.__vf", "c.__ua", "c.__del")
        all_cols = [*data_names, *meta.meta_columns]
        if adapter.capabilities.transactions:
            job.execute(
                adapter.close_versions_sql(
                    target,
                    changes,
                    meta.keys,
                    meta.valid_to,
                    "__vf",
                    "__close",
                    self._is_current(adapter, meta, "DBT_INTERNAL_DEST"),
                )
            )
            job.execute(
                f"INSERT INTO {adapter.render(target)} ({adapter.column_list(all_cols)})\n"
                f"SELECT {row} FROM {adapter.render(changes)} AS c WHERE {insert_where}"
            )
            return
        q = adapter.quote
        if adapter.can_merge(TableOptions.from_config(job.config)):
            source = (
                f"SELECT c.__scd AS __pyflow_match, c.__vf AS __pyflow_close_at, FALSE AS __pyflow_insert, {row} "
                f"FROM {adapter.render(changes)} AS c WHERE c.__close\n  UNION ALL\n  "
                f"SELECT CAST(NULL AS VARCHAR), c.__vf, TRUE, {row} "
                f"FROM {adapter.render(changes)} AS c WHERE {insert_where}"
            )
            job.execute(
                f"MERGE INTO {adapter.render(target)} AS DBT_INTERNAL_DEST\n"
                f"USING (\n  {source}\n) AS DBT_INTERNAL_SOURCE\n"
                f"ON DBT_INTERNAL_DEST.{q(meta.scd_id)} = DBT_INTERNAL_SOURCE.__pyflow_match "
                f"AND {self._is_current(adapter, meta, 'DBT_INTERNAL_DEST')}\n"
                f"WHEN MATCHED THEN UPDATE SET {q(meta.valid_to)} = DBT_INTERNAL_SOURCE.__pyflow_close_at\n"
                f"WHEN NOT MATCHED AND DBT_INTERNAL_SOURCE.__pyflow_insert THEN INSERT "
                f"({adapter.column_list(all_cols)}) VALUES ({adapter.column_list(all_cols, 'DBT_INTERNAL_SOURCE')})"
            )
            return
        kept = [
            f"CASE WHEN c.__vf IS NOT NULL THEN c.__vf ELSE t.{q(m)} END AS {q(m)}"
            if m == meta.valid_to
            else f"t.{q(m)}"
            for m in all_cols
        ]
        rebuilt = (
            f"SELECT {', '.join(kept)}\nFROM {adapter.render(target)} AS t\n"
            f"LEFT JOIN (SELECT __scd, __vf FROM {adapter.render(changes)} WHERE __close) AS c "
            f"ON t.{q(meta.scd_id)} = c.__scd AND {self._is_current(adapter, meta, 't')}\n"
            f"UNION ALL\nSELECT {row} FROM {adapter.render(changes)} AS c WHERE {insert_where}"
        )
        # the rebuilt table keeps the stored column order (a new source column stays last, as
        # ALTER TABLE ADD COLUMN put it), like the MERGE path that writes in place
        stored = [c.name for c in adapter.get_columns(target)]
        if sorted(n.lower() for n in stored) == sorted(n.lower() for n in all_cols) and [
            n.lower() for n in stored
        ] != [n.lower() for n in all_cols]:
            rebuilt = f"SELECT {adapter.column_list(stored)} FROM (\n{rebuilt}\n) AS pyflow_rebuilt"

        def fill(job: Job, relation: Relation) -> None:
            adapter.execute(
                adapter.create_table_as_sql(relation, rebuilt, TableOptions.from_config(job.config)),
                model=job.name,
                record=job.log,
            )

        TableMaterializer().swap_in(job, fill=fill)


def _equal_keys(adapter: Adapter) -> Any:
    """A key matcher with plain ``=`` (same signature as ``adapter.key_match``)."""

    def match(keys: Sequence[str], left: str, right: str) -> str:
        return " AND ".join(f"{left}.{adapter.quote(k)} = {right}.{adapter.quote(k)}" for k in keys)

    return match
