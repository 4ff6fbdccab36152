"""Run SQL models written for another engine on DuckDB: transpile with sqlglot, then check binding.

A SQL model declares the dialect it is written in with ``sql_dialect`` (sqlglot's names:
``athena``, ``trino`` ...), or inherits the target's. Its compiled SQL is transpiled to DuckDB;
what sqlglot knows it cannot express raises, and functions it passes through unchanged (an
anonymous call DuckDB lacks) are caught by DuckDB's binder (``DESCRIBE``) before anything runs.
Both end in a :class:`~pyflow.errors.CompileError` naming the function, the model and its file.
"""

from __future__ import annotations

import re
from typing import Any

from pyflow.core.node import ModelNode
from pyflow.errors import CompileError

DUCKDB = "duckdb"
_MISSING_FUNCTION = re.compile(r"(Scalar|Aggregate|Table|Pragma) Function with name (\S+?) does not exist")


def source_dialect(model: ModelNode, default: str | None) -> str | None:
    """The dialect a SQL model is written in when it is not DuckDB's; None for DuckDB."""
    if model.language != "sql":
        return None
    dialect = model.config.sql_dialect or default
    return None if dialect in (None, DUCKDB) else dialect


def _error(model: ModelNode, dialect: str, message: str, hint: str, sql: str) -> CompileError:
    head = "\n".join(sql.strip().splitlines()[:8])
    return CompileError(
        message,
        model=model.name,
        path=model.path,
        line=model.line,
        detail=f"SQL ({dialect}, compiled):\n{head}",
        hint=hint,
        code="untranspilable-sql",
    )


def to_duckdb(sql: str, dialect: str, model: ModelNode) -> str:
    """``sql`` (in ``dialect``) as DuckDB SQL; CompileError when sqlglot cannot express it."""
    import sqlglot
    from sqlglot.errors import ParseError, UnsupportedError

    try:
        out = sqlglot.transpile(sql, read=dialect, write=DUCKDB, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise _error(
            model,
            dialect,
            f"cannot run the model on DuckDB for its unit test: {dialect} SQL that sqlglot cannot "
            f"translate to DuckDB: {exc}",
            "rewrite that expression with functions both engines share, or test this model in "
            "the warehouse instead of with a unit test",
            sql,
        ) from None
    except ParseError as exc:
        raise _error(
            model,
            dialect,
            f"cannot parse the compiled SQL as {dialect} SQL: {str(exc).splitlines()[0]}",
            f"check the model's SQL, or its sql_dialect ('{dialect}')",
            sql,
        ) from None
    if len(out) != 1:
        raise _error(
            model,
            dialect,
            f"the compiled SQL holds {len(out)} statements, not one SELECT",
            "keep one SELECT",
            sql,
        )
    return out[0]


def check_binds(cursor: Any, sql: str, original: str, dialect: str, model: ModelNode) -> None:
    """Bind ``sql`` on DuckDB (``DESCRIBE``); a function DuckDB lacks becomes a CompileError."""
    try:
        cursor.execute(f"DESCRIBE {sql}")
    except Exception as exc:  # only a missing function is ours to explain
        found = _MISSING_FUNCTION.search(str(exc))
        if found is None:
            return  # any other problem surfaces, with the SQL, when the model runs
        kind, name = found.group(1).lower(), found.group(2)
        raise _error(
            model,
            dialect,
            f"cannot run the model on DuckDB for its unit test: {kind} function '{name}' "
            f"does not exist in DuckDB, and sqlglot has no translation for it (from {dialect})",
            f"use an equivalent function both engines have instead of '{name}', or test this "
            "model in the warehouse instead of with a unit test",
            original,
        ) from None
