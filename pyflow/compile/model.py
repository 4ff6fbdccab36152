"""The values compile works on: upstream inputs and compiled models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.compile.runtime import Runtime

Columns = tuple[tuple[str, str], ...]
"""Column names with Ibis dtype strings."""


@dataclass(frozen=True)
class Upstream:
    """An input of a model, as it appears in the compiled SQL.

    ``relation`` is set for objects that exist in the warehouse; inline inputs (ephemeral
    models, file sources) instead carry ``cte_name``/``cte_sql`` and are injected as CTEs.
    ``sql_ref`` is what ``ref()``/``source()`` render to in a SQL model.
    """

    name: str
    sql_ref: str
    relation: Relation | None = None
    cte_name: str | None = None
    cte_sql: str | None = None
    columns: Columns | None = None

    @property
    def is_inline(self) -> bool:
        """True when the input is injected as a CTE rather than read from a relation."""
        return self.relation is None


@dataclass(frozen=True)
class CompiledModel:
    """A model's SELECT (None for DataFrame models) and output columns when known."""

    name: str
    sql: str | None
    columns: Columns | None = None
    is_dataframe: bool = False
    from_cache: bool = False
    env: tuple[tuple[str, str | None], ...] = ()
    """Environment variables the compile read, with the values seen (checked on reuse)."""
    volatile: bool = False
    """The SQL depends on the invocation (``run_started_at``): never reused from the cache."""
    vars_read: tuple[str, ...] = ()
    """Names of the project vars the compile looked up (checked on reuse: see compile.cache)."""
    runtime: Runtime | None = None
    """Memtables and Python UDFs the SQL names, to attach to the connection that runs it
    (:mod:`pyflow.compile.runtime`); such a model is never stored in the compile cache."""


def with_ctes(sql: str, ctes: Sequence[tuple[str, str]], quote: Callable[[str], str]) -> str:
    """Prefix ``sql`` with CTEs for inline inputs, keeping the model's own SQL intact.

    The model's SELECT becomes a subquery, so its own ``WITH`` clause (if any) stays valid.
    """
    if not ctes:
        return sql
    defs = ",\n".join(f"{quote(name)} AS (\n{body}\n)" for name, body in ctes)
    return f"WITH {defs}\nSELECT * FROM (\n{sql.rstrip().rstrip(';')}\n) AS {quote('__pyflow_model')}"
