"""Dialect portability: what a target engine cannot run, found while compiling, before any run.

Two checks, one per model language:

- Python models: Ibis refuses to compile an operation the dialect lacks
  (``OperationNotDefinedError`` / ``UnsupportedOperationError``); :func:`unsupported_operation`
  turns that into an :class:`~pyflow.errors.UnsupportedError` naming the model, the file and
  line, and the operation.
- SQL models: :func:`check_sql` parses the compiled SQL with sqlglot in the target dialect and
  reports a statement that does not parse.
- Operations Ibis compiles without complaint to SQL the engine rejects: an ``asof_join`` becomes
  ``ASOF LEFT JOIN`` in every dialect; :func:`check_no_asof_join` reports it on targets whose
  adapter lacks the ``asof_join`` capability.

DuckDB is the schema oracle's own dialect, and its SQL is checked by DuckDB itself, so
:func:`check_sql` skips it.
"""

from __future__ import annotations

import re
from pathlib import Path

from pyflow.core.node import Node
from pyflow.errors import CompileError, UnsupportedError

ORACLE_DIALECT = "duckdb"
_OPERATION = re.compile(r"'(\w+)' operation")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _line_using(node: Node, method: str, source: str | None) -> int:
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
        line=_line_using(node, _snake(operation), source) if found else node.line,
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


def check_no_asof_join(sql: str, dialect: str, node: Node, root: Path) -> None:
    """Raise UnsupportedError when a model's compiled SQL holds an as-of join (``root``: project folder).

    Called for targets without the ``asof_join`` capability: Ibis compiles ``asof_join`` to
    ``ASOF LEFT JOIN`` whatever the dialect, which such engines reject only when the model runs.
    """
    if "ASOF" not in sql.upper():
        return
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = sqlglot.parse(sql, read=dialect)
    except SqlglotError:
        return  # not parseable: check_sql or the engine reports it
    joins = (j for s in statements if s is not None for j in s.find_all(exp.Join))
    if not any((j.args.get("method") or "").upper() == "ASOF" for j in joins):
        return
    raise UnsupportedError(
        f"{dialect} has no as-of join (ASOF JOIN), which this model uses",
        model=node.name,
        path=node.path,
        line=_line_using(node, "asof_join", str(root / node.path)) if node.is_python else node.line,
        hint="take the latest match with a window instead (join on the key and time <= the row's, "
        "keep row_number() over (partition by the row order by time desc) = 1), or keep this "
        "model on DuckDB",
        code="unsupported-operation",
    )
