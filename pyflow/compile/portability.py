"""Dialect portability: what a target engine cannot run, found while compiling, before any run.

Three checks:

- Python models: Ibis refuses to compile an operation the dialect lacks
  (``OperationNotDefinedError`` / ``UnsupportedOperationError``); :func:`unsupported_operation`
  turns that into an :class:`~pyflow.errors.UnsupportedError` naming the model, the file and
  line, and the operation.
- SQL models: :func:`check_sql` parses the compiled SQL with sqlglot in the target dialect and
  reports a statement that does not parse.
- Operations Ibis compiles without complaint to SQL the engine rejects (an ``asof_join`` becomes
  ``ASOF LEFT JOIN`` in every dialect): :func:`check_ibis_support` finds them in a Python model's
  expression, for targets whose adapter lacks the capability (:class:`IbisSupport`).

DuckDB is the schema oracle's own dialect, and its SQL is checked by DuckDB itself, so
:func:`check_sql` skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyflow.core.node import Node
from pyflow.errors import CompileError, UnsupportedError

ORACLE_DIALECT = "duckdb"
_OPERATION = re.compile(r"'(\w+)' operation")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def line_using(node: Node, method: str, source: str | None) -> int:
    """The first line of the model's file at/after its ``def`` calling ``.<method>(`` (else the def)."""
    if source is None:
        return node.line
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except OSError:
        return node.line
    for number, text in enumerate(lines[node.line - 1 :], start=node.line):
        if f".{method}(" in text:
            return number
    return node.line


def unsupported_operation(
    exc: BaseException, node: Node, dialect: str, source: str | None = None
) -> UnsupportedError:
    """An Ibis "operation not defined/unsupported" error as a user error naming the operation."""
    found = _OPERATION.search(str(exc))
    operation = found[1] if found else type(exc).__name__
    first = str(exc).strip().splitlines()
    return UnsupportedError(
        f"{dialect} cannot run the Ibis operation '{operation}' used by this model",
        model=node.name,
        path=node.path,
        line=line_using(node, _snake(operation), source) if found else node.line,
        detail=first[0] if first else None,
        hint=f"express it with operations {dialect} supports (or in SQL), or keep this model on DuckDB",
        code="unsupported-operation",
    )


def check_sql(sql: str, dialect: str, node: Node) -> None:
    """Raise a CompileError when ``sql`` does not parse as ``dialect`` (no-op for the oracle's)."""
    if dialect == ORACLE_DIALECT:
        return
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    try:
        sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        first = _ANSI.sub("", str(exc)).strip().splitlines()
        raise CompileError(
            f"the compiled SQL is not valid {dialect} SQL: {first[0] if first else type(exc).__name__}",
            model=node.name,
            path=node.path,
            line=node.line,
            detail="\n".join(first[1:6]) or None,
            hint=f"rewrite the model in SQL that {dialect} accepts (see target/compiled/)",
            code="unsupported-operation",
        ) from None


@dataclass(frozen=True)
class IbisSupport:
    """Ibis operations whose SQL the target runs, though Ibis compiles them for every dialect."""

    asof_join: bool = True
    """``asof_join`` (Ibis emits ``ASOF LEFT JOIN`` whatever the dialect)."""
    unnest_struct_arrays: bool = True
    """Unnesting an array of structs, as ``pivot_longer`` does (on Trino Ibis's alias list does
    not match the columns ``UNNEST`` makes of a row: ibis-project/ibis#9998)."""


def check_ibis_support(expr: Any, node: Node, dialect: str, support: IbisSupport, source: str | None) -> None:
    """Raise UnsupportedError when ``expr`` uses an operation whose SQL ``dialect`` rejects at run time."""
    import ibis.expr.datatypes as dt
    import ibis.expr.operations as ops

    op = expr.op()
    if not support.asof_join and any(link.how == "asof" for link in op.find(ops.JoinLink)):
        raise _unsupported(
            f"{dialect} has no as-of join (ASOF JOIN), which this model uses",
            node,
            line_using(node, "asof_join", source),
            "take the latest match with a window instead (join on the key and time <= the row's, "
            "keep row_number() over (partition by the row order by time desc) = 1), or keep this "
            "model on DuckDB",
        )
    if not support.unnest_struct_arrays:
        arrays = [n.arg.dtype for n in op.find(ops.Unnest)] + [
            n.column.dtype for n in op.find(ops.TableUnnest)
        ]
        if any(isinstance(a, dt.Array) and a.value_type.is_struct() for a in arrays):
            line = line_using(node, "unnest", source)
            raise _unsupported(
                f"{dialect} cannot run the SQL Ibis makes to unnest an array of structs (as "
                "pivot_longer and unnest of a struct array do; ibis-project/ibis#9998)",
                node,
                line if line != node.line else line_using(node, "pivot_longer", source),
                "unnest arrays of plain values (one per field) or union one SELECT per column "
                "instead of pivot_longer, or keep this model on DuckDB",
            )


def _unsupported(message: str, node: Node, line: int, hint: str) -> UnsupportedError:
    return UnsupportedError(
        message, model=node.name, path=node.path, line=line, hint=hint, code="unsupported-operation"
    )
