"""SQL text builders for incremental and snapshot steps: insert, merge, delete, replace, SCD2 updates.

:class:`DMLBuilders` is mixed into :class:`pyflow.adapters.base.Adapter`; each method returns
standard SQL text and runs nothing, and a dialect overrides only what differs (e.g. Trino's
timestamp literals). Split out of ``base.py``, which keeps the engine interface. No driver and
no ``core`` import here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pyflow.errors import UnsupportedError
from pyflow.relation import Relation


class DMLBuilders:
    """Standard-SQL builders for incremental and snapshot steps (overridable per dialect).

    Mixed into :class:`Adapter`; every method returns SQL text and runs nothing.
    """

    timestamp_type: ClassVar[str] = "TIMESTAMP"
    """The UTC timestamp type of snapshot meta columns (its precision is the engine's)."""

    def quote(self, identifier: str) -> str:
        """Quote an identifier (double quotes: standard SQL)."""
        return '"' + identifier.replace('"', '""') + '"'

    def render(self, relation: Relation) -> str:
        """The fully qualified, quoted name."""
        return relation.render(self.quote)

    def column_list(self, columns: Sequence[str], prefix: str | None = None) -> str:
        """``"a", "b"`` or ``p."a", p."b"``."""
        pre = f"{prefix}." if prefix else ""
        return ", ".join(pre + self.quote(c) for c in columns)

    def key_match(self, keys: Sequence[str], left: str, right: str) -> str:
        """NULL-safe equality of key columns between two aliases."""
        return " AND ".join(
            f"{left}.{self.quote(k)} IS NOT DISTINCT FROM {right}.{self.quote(k)}" for k in keys
        )

    def insert_sql(
        self, target: Relation, source: Relation, columns: Sequence[str], where: str | None = None
    ) -> str:
        """INSERT INTO target (cols) SELECT cols FROM source [WHERE where]."""
        cols = self.column_list(columns)
        tail = f"\nWHERE {where}" if where else ""
        return f"INSERT INTO {self.render(target)} ({cols})\nSELECT {cols} FROM {self.render(source)}{tail}"

    def source_sql(self, source: Relation, where: str | None = None) -> str:
        """``source`` as a MERGE/USING operand: the table, or a filtered subquery of it."""
        if where is None:
            return self.render(source)
        return f"(SELECT * FROM {self.render(source)} WHERE {where})"

    def literal_sql(self, value: Any) -> str:
        """A SQL literal of a value a query returned (partition values)."""
        import datetime as dt
        from decimal import Decimal

        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float) and value != value:  # NaN equals nothing: no filter can select it
            raise UnsupportedError(
                "a partition value is NaN, which no SQL filter can select",
                hint="partition by a column without NaN values (or map NaN to NULL in the model)",
                code="unsupported",
            )
        if isinstance(value, int | float | Decimal):
            return repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, dt.datetime):  # every digit: a filter must match the stored value exactly
            if value.tzinfo is not None:
                utc = value.astimezone(dt.UTC).replace(tzinfo=None)
                return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC'"
            return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
        if isinstance(value, dt.date):
            return f"DATE '{value.isoformat()}'"
        return "'" + str(value).replace("'", "''") + "'"

    def in_partitions_sql(self, columns: Sequence[str], values: Sequence[Sequence[Any]]) -> str:
        """Rows whose partition columns equal one of ``values`` (NULL-safe)."""
        terms = [
            "("
            + " AND ".join(
                f"{self.quote(c)} IS NULL" if v is None else f"{self.quote(c)} = {self.literal_sql(v)}"
                for c, v in zip(columns, row, strict=True)
            )
            + ")"
            for row in values
        ]
        return "(" + " OR ".join(terms) + ")"

    def delete_matching_sql(
        self, target: Relation, source: Relation, keys: Sequence[str], predicates: Sequence[str] = ()
    ) -> str:
        """DELETE target rows whose key (NULL-safe) appears in source."""
        extra = "".join(f"\n  AND ({p})" for p in predicates)
        return (
            f"DELETE FROM {self.render(target)} AS DBT_INTERNAL_DEST\n"
            f"WHERE EXISTS (\n  SELECT 1 FROM {self.render(source)} AS DBT_INTERNAL_SOURCE\n"
            f"  WHERE {self.key_match(keys, 'DBT_INTERNAL_SOURCE', 'DBT_INTERNAL_DEST')}\n){extra}"
        )

    def delete_all_sql(self, target: Relation, predicates: Sequence[str] = ()) -> str:
        """DELETE every row (optionally restricted by predicates)."""
        where = " AND ".join(f"({p})" for p in predicates)
        return f"DELETE FROM {self.render(target)} AS DBT_INTERNAL_DEST" + (
            f"\nWHERE {where}" if where else ""
        )

    def merge_sql(
        self,
        target: Relation,
        source: Relation,
        keys: Sequence[str],
        update_columns: Sequence[str],
        insert_columns: Sequence[str],
        predicates: Sequence[str] = (),
        *,
        where: str | None = None,
    ) -> str:
        """MERGE INTO target USING source ON keys (NULL-safe).

        ``where`` restricts the source rows (one batch of partitions).
        """
        on = self.key_match(keys, "DBT_INTERNAL_SOURCE", "DBT_INTERNAL_DEST")
        on += "".join(f" AND ({p})" for p in predicates)
        parts = [
            f"MERGE INTO {self.render(target)} AS DBT_INTERNAL_DEST",
            f"USING {self.source_sql(source, where)} AS DBT_INTERNAL_SOURCE",
            f"ON {on}",
        ]
        sets = [f"{self.quote(c)} = DBT_INTERNAL_SOURCE.{self.quote(c)}" for c in update_columns]
        if sets:
            parts.append(f"WHEN MATCHED THEN UPDATE SET {', '.join(sets)}")
        parts.append(
            f"WHEN NOT MATCHED THEN INSERT ({self.column_list(insert_columns)}) "
            f"VALUES ({self.column_list(insert_columns, 'DBT_INTERNAL_SOURCE')})"
        )
        return "\n".join(parts)

    def replace_sql(
        self,
        target: Relation,
        source: Relation,
        match: Sequence[str],
        columns: Sequence[str],
        predicates: Sequence[str] = (),
        *,
        where: str | None = None,
    ) -> str:
        """One MERGE that deletes the target rows matching the batch and inserts the batch.

        ``delete+insert`` (``match``: the unique key) and ``insert_overwrite`` (``match``: the
        partition columns; empty: every row) in one statement, so one commit, for engines
        without multi-statement transactions. The source holds one *marker* row per distinct
        ``match`` value, which every target row with that value (NULL-safe) matches and is
        deleted by, then the batch rows, which match nothing and are inserted.
        """
        src = self.render(source) + (f" WHERE {where}" if where else "")
        keys = [f"__pyflow_match_{i}" for i in range(len(match))]
        nulls = [f"NULL AS {self.quote(c)}" for c in columns]
        if match:
            marked = [f"{self.quote(m)} AS {k}" for m, k in zip(match, keys, strict=True)]
            markers = f"SELECT DISTINCT TRUE AS __pyflow_delete, {', '.join([*marked, *nulls])} FROM {src}"
        else:  # the whole table is replaced, even by an empty batch
            markers = f"SELECT TRUE AS __pyflow_delete, {', '.join(nulls)}"
        rows = f"SELECT FALSE, {', '.join([*('NULL' for _ in keys), self.column_list(columns)])} FROM {src}"
        on = ["DBT_INTERNAL_SOURCE.__pyflow_delete"]
        on += [
            f"DBT_INTERNAL_DEST.{self.quote(m)} IS NOT DISTINCT FROM DBT_INTERNAL_SOURCE.{k}"
            for m, k in zip(match, keys, strict=True)
        ]
        on += [f"({p})" for p in predicates]
        return (
            f"MERGE INTO {self.render(target)} AS DBT_INTERNAL_DEST\n"
            f"USING (\n  {markers}\n  UNION ALL\n  {rows}\n) AS DBT_INTERNAL_SOURCE\n"
            f"ON {' AND '.join(on)}\n"
            "WHEN MATCHED THEN DELETE\n"
            f"WHEN NOT MATCHED AND NOT DBT_INTERNAL_SOURCE.__pyflow_delete THEN INSERT ({self.column_list(columns)}) "
            f"VALUES ({self.column_list(columns, 'DBT_INTERNAL_SOURCE')})"
        )

    def close_versions_sql(
        self,
        target: Relation,
        changes: Relation,
        keys: Sequence[str],
        valid_to: str,
        new_valid_to: str,
        flag: str,
        is_current: str,
    ) -> str:
        """Set ``valid_to`` of current target rows whose key has a closing change."""
        on = self.key_match(keys, "DBT_INTERNAL_SOURCE", "DBT_INTERNAL_DEST")
        return (
            f"MERGE INTO {self.render(target)} AS DBT_INTERNAL_DEST\n"
            f"USING (SELECT * FROM {self.render(changes)} WHERE {flag}) AS DBT_INTERNAL_SOURCE\n"
            f"ON {on} AND {is_current}\n"
            f"WHEN MATCHED THEN UPDATE SET {self.quote(valid_to)} = DBT_INTERNAL_SOURCE.{new_valid_to}"
        )

    def duplicate_keys_sql(self, source: Relation, keys: Sequence[str], limit: int = 5) -> str:
        """Rows: (number of duplicated keys, then up to ``limit`` example keys with counts)."""
        cols = self.column_list(keys)
        return (
            f"WITH d AS (SELECT {cols}, count(*) AS n FROM {self.render(source)} "
            f"GROUP BY {cols} HAVING count(*) > 1)\n"
            f"SELECT (SELECT count(*) FROM d) AS total, * FROM (SELECT * FROM d ORDER BY n DESC, {cols} LIMIT {limit})"
        )

    def add_column_sql(self, target: Relation, column: str, data_type: str) -> str:
        """ALTER TABLE ... ADD COLUMN."""
        return f"ALTER TABLE {self.render(target)} ADD COLUMN {self.quote(column)} {data_type}"

    def drop_column_sql(self, target: Relation, column: str) -> str:
        """ALTER TABLE ... DROP COLUMN."""
        return f"ALTER TABLE {self.render(target)} DROP COLUMN {self.quote(column)}"

    def alter_column_type_sql(self, target: Relation, column: str, data_type: str) -> str:
        """ALTER TABLE ... ALTER COLUMN ... TYPE."""
        return f"ALTER TABLE {self.render(target)} ALTER COLUMN {self.quote(column)} TYPE {data_type}"

    def timestamp_literal(self, value: Any) -> str:
        """A TIMESTAMP literal (UTC, microseconds)."""
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"CAST('{text}' AS TIMESTAMP)"

    def utc_timestamp_sql(self, expr: str, data_type: str) -> str:
        """``expr`` of ``data_type`` as a UTC TIMESTAMP (without time zone)."""
        if "WITH TIME ZONE" in data_type.upper() or data_type.upper() == "TIMESTAMPTZ":
            return f"CAST(timezone('UTC', {expr}) AS TIMESTAMP)"
        return f"CAST({expr} AS TIMESTAMP)"

    def now_minus_sql(self, amount: int, datepart: str) -> str:
        """The current UTC time minus ``amount`` ``datepart`` units, as a TIMESTAMP."""
        return f"CAST(CURRENT_TIMESTAMP AS TIMESTAMP) - INTERVAL '{int(amount)}' {datepart.upper()}"

    def hash_sql(self, exprs: Sequence[str]) -> str:
        """md5 of the values joined with '|' (NULL as empty), as text."""
        parts = " || '|' || ".join(f"coalesce(CAST({e} AS VARCHAR), '')" for e in exprs)
        return f"md5({parts})"
