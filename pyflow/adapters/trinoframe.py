"""Frames into Trino tables, and the Trino types of Ibis types.

:class:`TrinoFrames`, a mixin of :class:`~pyflow.adapters.trino.TrinoAdapter`, loads a pandas
DataFrame or Arrow table (DataFrame models, test fixtures) as ``CREATE TABLE AS`` its first rows
then ``INSERT ... VALUES`` batches, each under the engine's query length limit, with column types
from the frame's Arrow schema (through Ibis) capped at the timestamp precision the catalog
stores; and maps type names between Trino and Ibis. ``ibis`` and ``pyarrow`` are imported inside
the methods.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pyflow.adapters.base import Adapter, StatementLog, TableOptions
from pyflow.adapters.seedbatch import batches
from pyflow.errors import AdapterError
from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.adapters.trinocatalog import ConnectorSupport

_TIMESTAMP = re.compile(r"TIMESTAMP\((\d+)\)", re.IGNORECASE)


class TrinoFrames(Adapter):
    """Frames as SQL VALUES batches, and type names between Trino and Ibis."""

    max_query_bytes: ClassVar[int]

    if TYPE_CHECKING:  # from TrinoCatalog, mixed into the adapter beside this class

        def connector_support(self) -> ConnectorSupport: ...  # noqa: D102

    def create_table_from_dataframe(
        self,
        relation: Relation,
        frame: Any,
        *,
        record: StatementLog | None = None,
        options: TableOptions | None = None,
    ) -> int:
        """CREATE TABLE AS the frame's first rows, then INSERT ... VALUES batches under ``max_query_bytes``.

        Column types come from the frame's Arrow schema (through Ibis); values travel as typed
        literals. Meant for small frames (DataFrame models, test fixtures): every row is SQL text.
        """
        import ibis
        import pyarrow as pa
        from ibis.backends.sql.datatypes import TrinoType

        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        schema = ibis.Schema.from_pyarrow(table.schema)
        # a column of NULLs only has no type: VARCHAR, as Trino types an untyped NULL column
        types = [
            "VARCHAR" if dtype.is_null() else self._stored_type(TrinoType.to_string(dtype))
            for dtype in schema.types
        ]
        names = [str(n) for n in schema.names]
        q = self.quote
        cols = self.column_list(names)
        casts = ", ".join(f"CAST({q(c)} AS {t}) AS {q(c)}" for c, t in zip(names, types, strict=True))
        options = TableOptions()
        if table.num_rows == 0:
            nulls = ", ".join(f"CAST(NULL AS {t}) AS {q(c)}" for c, t in zip(names, types, strict=True))
            self.execute(
                self.create_table_as_sql(relation, f"SELECT {nulls}\nWHERE false", options), record=record
            )
            return 0
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        rows = [
            "(" + ", ".join(self._value_sql(col[i]) for col in columns) + ")" for i in range(table.num_rows)
        ]

        def select(values: str) -> str:
            return f"SELECT {casts}\nFROM (VALUES\n{values}\n) AS pyflow_frame ({cols})"

        try:
            statements = batches(
                rows,
                lambda values: self.create_table_as_sql(relation, select(values), options),
                lambda values: f"INSERT INTO {self.render(relation)} ({cols})\n{select(values)}",
                self.max_query_bytes,
                path=Path(f"{relation.identifier}.frame"),
            )
        except AdapterError as exc:  # one row longer than the query limit
            raise AdapterError(
                f"a row of the frame for {relation.identifier} makes a statement longer than the "
                f"engine's {self.max_query_bytes:,}-byte query limit",
                hint="keep large values out of frames loaded into this engine",
                code="unsupported",
            ) from exc
        for statement in statements:
            self.execute(statement, record=record)
        return int(table.num_rows)

    def _stored_type(self, data_type: str) -> str:
        """``data_type`` with a TIMESTAMP's precision capped at what the catalog stores."""
        found = _TIMESTAMP.match(data_type)
        if found is None or int(found[1]) <= 3:  # every connector stores milliseconds
            return data_type
        limit = self.connector_support().max_timestamp_precision
        if limit is None or int(found[1]) <= limit:
            return data_type
        return f"TIMESTAMP({limit}){data_type[found.end() :]}"

    def _value_sql(self, value: Any) -> str:
        """A literal of a frame value (timestamps keep their microseconds: see ``literal_sql``)."""
        import datetime as dt
        import math

        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return "NULL" if math.isnan(value) else ("infinity()" if value > 0 else "-infinity()")
        if isinstance(value, dt.time):
            return f"TIME '{value.isoformat()}'"
        if isinstance(value, list):
            return "ARRAY[" + ", ".join(self._value_sql(v) for v in value) + "]"
        if isinstance(value, dict):  # a struct: the column's CAST names its fields
            return "ROW(" + ", ".join(self._value_sql(v) for v in value.values()) + ")"
        if isinstance(value, bytes):
            return f"X'{value.hex()}'"
        return self.literal_sql(value)

    def type_to_ibis(self, data_type: str) -> str:  # noqa: D102
        from ibis.backends.sql.datatypes import TrinoType

        return str(TrinoType.from_string(data_type))

    def ibis_to_type(self, ibis_type: str) -> str:  # noqa: D102
        import ibis
        from ibis.backends.sql.datatypes import TrinoType

        return str(TrinoType.to_string(ibis.dtype(ibis_type)))
