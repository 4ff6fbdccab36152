"""Trino's code paths on a real engine: a ``TrinoAdapter`` whose connection is DuckDB behind sqlglot.

Every statement the Trino adapter sends is transpiled from Trino SQL to DuckDB and run, with
autocommit and no transactions, as on Trino. So the conformance suite checks the *results* of
the paths only engines without transactions take: batches staged then dropped, ``delete+insert``
as one ``MERGE``, snapshots closed and inserted by one ``MERGE``, ``TIMESTAMP(3)`` meta columns,
tables swapped by renames, frames loaded by ``INSERT ... VALUES``.

This is not Trino: dialect details (function names, type names, connector limits) are tested
offline (``tests/adapters``, recording connection and golden files) and on a live Trino when one
answers at ``PYFLOW_TRINO_URL`` (``scripts/trino.sh start``).
"""

from __future__ import annotations

from typing import Any

import duckdb
import sqlglot

from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget


class TranspilingCursor:
    """A DB-API cursor taking Trino SQL and running it on a DuckDB cursor."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.description: Any = None
        self.query_id: str | None = None

    def execute(self, sql: str, params: Any = None) -> TranspilingCursor:
        # Trino has information_schema per catalog; DuckDB one for all (the only catalog here)
        sql = sql.replace('"memory".information_schema.', "information_schema.")
        for statement in sqlglot.transpile(sql, read="trino", write="duckdb"):
            self._cursor.execute(statement)
        self.description = self._cursor.description
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())

    def cancel(self) -> None:
        self._cursor.interrupt()

    def close(self) -> None:
        self._cursor.close()


class TranspilingConnection:
    """One thread's connection to the shared in-memory database."""

    def __init__(self, db: Any) -> None:
        self._cursor = db.cursor()

    def cursor(self) -> TranspilingCursor:
        return TranspilingCursor(self._cursor)

    def close(self) -> None:
        self._cursor.close()


class HiveLikeTrino(TrinoAdapter):
    """The Trino adapter where tables have no row-level writes (like Athena's Hive tables).

    Snapshots then take the rebuild-and-swap path instead of MERGE.
    """

    def incremental_strategies(self, options: Any) -> tuple[str, ...]:
        return ("append", "insert_overwrite")


def emulated_trino(
    invocation_id: str, beside: TrinoAdapter | None = None, cls: type[TrinoAdapter] = TrinoAdapter
) -> TrinoAdapter:
    """A Trino adapter on a private in-memory DuckDB (catalog ``memory``, schema ``pyflow_conformance``).

    ``beside``: another emulated adapter whose database this one shares (a second run at once).
    """
    if beside is not None:
        db = beside.emulated_db  # type: ignore[attr-defined]
    else:
        db = duckdb.connect(":memory:")
        db.execute("SET threads = 1")
    config = TrinoTarget.model_validate(
        {
            "type": "trino",
            "host": "emulated.invalid",
            "database": "memory",
            "schema": "pyflow_conformance",
            # no system.metadata here; a connector pyflow does not know: every strategy is attempted
            "connector": "duckdb_emulated",
        }
    )
    adapter = cls(config, invocation_id=invocation_id, connect=lambda: TranspilingConnection(db))
    adapter.emulated_db = db  # type: ignore[attr-defined]
    adapter.open()
    return adapter
