"""How an engine stores tables: swaps without renames, interrupted swaps, what a table supports.

:class:`StorageHooks` is mixed into :class:`pyflow.adapters.base.Adapter`. Its defaults describe
an engine with row-level writes and SQL renames (DuckDB, Trino's Iceberg and memory tables);
engines over object storage (Athena's Hive tables through Glue) override the hooks. Split out
of ``base.py``, which keeps the connection and catalog interface. No driver and no ``core``
import here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pyflow.adapters.kinds import Capabilities, Leftover, RelationType, TableOptions, leftover_types
from pyflow.adapters.querystats import StatementLog
from pyflow.relation import Relation


class StorageHooks:
    """Table storage hooks with the defaults of a plain SQL engine (overridable per engine)."""

    if TYPE_CHECKING:  # provided by Adapter
        capabilities: ClassVar[Capabilities]

        def execute(
            self, sql: str, *, model: str | None = None, record: StatementLog | None = None
        ) -> int | None:
            """:meth:`Adapter.execute`."""

        def fetchall(self, sql: str, *, model: str | None = None) -> list[tuple[Any, ...]]:
            """:meth:`Adapter.fetchall`."""

        def drop_relation_sql(self, relation: Relation, kind: RelationType) -> str:
            """:meth:`Adapter.drop_relation_sql`."""

    # ---- table swap (materializer hooks) ----------------------------------------------------
    def swap_table(
        self,
        tmp: Relation,
        target: Relation,
        existing: RelationType | None,
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> bool:
        """Put the freshly built ``tmp`` in place of ``target`` without SQL renames.

        Return False (the default) to let the table materializer swap by renaming (old aside,
        new in, old dropped). An adapter whose engine cannot rename this kind of table swaps
        here, through its catalog, and returns True; on a failure before ``target`` changed it
        discards ``tmp`` itself and re-raises.
        """
        return False

    def discard_table(
        self,
        relation: Relation,
        options: TableOptions,
        *,
        beside: Relation | None = None,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> None:
        """Drop a temporary table that will not be swapped in (and, where needed, its data).

        ``beside`` is the table it was built to replace: data that table uses is never deleted.
        """
        self.execute(self.drop_relation_sql(relation, "table"), model=model, record=record)

    # ---- interrupted swaps (see pyflow.adapters.recovery) ------------------------------------
    def leftover_relations(self, database: str | None, schema: str) -> dict[str, RelationType]:
        """Relations of ``schema`` whose name holds ``__pyflow_`` (temporaries), name -> type.

        One catalog query; engines qualify ``information_schema`` as they need.
        """
        rows = self.fetchall(
            "SELECT table_name, table_type FROM information_schema.tables "
            f"WHERE table_schema = '{schema.replace(chr(39), chr(39) * 2)}' AND table_name LIKE '%pyflow%'"
        )
        return leftover_types(rows)

    def recover_swap(
        self,
        target: Relation,
        leftovers: Sequence[Leftover],
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> tuple[list[str], list[Leftover]]:
        """Finish or undo what an interrupted swap of ``target`` through a catalog left.

        ``leftovers`` are ``target``'s temporaries. Returns what was done (one sentence each)
        and the leftovers still to recover by renames (:mod:`pyflow.adapters.recovery`). The
        default: nothing done, all of them; engines that swap without renames (Athena's Hive
        tables through Glue) override it.
        """
        return [], list(leftovers)

    # ---- what a table stored with given options supports -------------------------------------
    def incremental_strategies(self, options: TableOptions) -> tuple[str, ...]:
        """The incremental strategies this engine can apply to a table stored with ``options``."""
        plain = ("append", "delete+insert", "insert_overwrite")
        return ("append", "merge", "delete+insert", "insert_overwrite") if self.capabilities.merge else plain

    def can_drop_columns(self, options: TableOptions) -> bool:
        """Whether ``ALTER TABLE ... DROP COLUMN`` works on such a table (``sync_all_columns``)."""
        return True

    def can_change_type(self, options: TableOptions, old: str, new: str) -> bool:
        """Whether a column of such a table can be altered from type ``old`` to ``new`` (:mod:`~pyflow.adapters.typechange`)."""
        return True

    def storage_name(self, options: TableOptions) -> str:
        """What tables stored with ``options`` are called in messages (``tables``, ``Hive tables``)."""
        return "tables"

    def can_merge(self, options: TableOptions) -> bool:
        """Whether MERGE INTO works on a table stored with ``options``."""
        return "merge" in self.incremental_strategies(options)

    def partition_limit(self, options: TableOptions) -> int | None:
        """The most partitions one statement may write to such a table (None: no limit).

        Writers then find the partition values first and write in batches of at most this many.
        """
        return options.partition_batch_size if options.partitioned_by else None

    def partitions_last(self, options: TableOptions) -> bool:
        """Whether partition columns must come last in a new table's SELECT (Hive tables)."""
        return False

    def replace_partitions(
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
        """Replace the partitions of ``target`` that ``staging`` has with its rows, atomically per partition.

        ``batches`` are row filters of ``staging`` (None: all rows), each within
        :meth:`partition_limit`. Return False (the default) to let the incremental materializer
        replace them in SQL (DELETE + INSERT in one transaction, or one MERGE per batch:
        :meth:`replace_sql`); an adapter whose tables have no row-level writes (Athena Hive)
        writes the rows elsewhere, repoints its catalog's partitions and returns True.
        """
        return False
