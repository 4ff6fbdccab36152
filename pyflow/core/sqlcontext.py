"""The dbt-compatible names a SQL model's Jinja sees that do not depend on the graph.

``ref``, ``source``, ``this``, ``is_incremental`` and ``config`` are added by whoever renders
(the parse-time recorder or the compiler); this module supplies ``var``, ``env_var``,
``target``, ``run_started_at``, ``log``, ``modules``, ``adapter.quote`` and the quoting
helpers ``literal()`` / ``identifier()`` (also the filters ``sql_literal`` / ``sql_identifier``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError, closest
from pyflow.secret import is_secret_env

log = logging.getLogger("pyflow.sql")

_MISSING: Any = object()


class AdapterProxy:
    """``adapter`` in Jinja: quoting only (no database calls from templates)."""

    def __init__(self, quote: Callable[[str], str]) -> None:
        self._quote = quote

    def quote(self, identifier: str) -> str:
        """Quote an identifier for the target engine."""
        return self._quote(identifier)


def _double_quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _unquotable(value: Any, why: str) -> CompileError:
    return CompileError(
        f"cannot quote {why} as a SQL literal",
        hint="pass a string, number, boolean, date, None or a list of those "
        "(e.g. --vars '{ids: [1, 2]}' with `in {{ var('ids') | sql_literal }}`)",
        code="jinja-render",
    )


def sql_literal(value: Any) -> str:
    """``value`` as a SQL literal: ``'it''s'``, ``42``, ``TRUE``, ``NULL``, ``DATE '2024-01-01'``.

    A list or tuple becomes ``(a, b)`` for ``IN``. Strings double their single quotes, which
    DuckDB, Trino and Athena all read the same way (none treats a backslash as an escape in a
    plain literal), so a value can never end the literal and add SQL of its own.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | decimal.Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise _unquotable(value, f"the float {value}")
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, _dt.datetime):
        return "TIMESTAMP " + sql_literal(value.isoformat(sep=" "))
    if isinstance(value, _dt.date):
        return "DATE " + sql_literal(value.isoformat())
    if isinstance(value, list | tuple):
        if not value:
            raise _unquotable(value, "an empty list")
        return "(" + ", ".join(sql_literal(v) for v in value) + ")"
    raise _unquotable(value, f"a {type(value).__name__}")


def identifier_quoter(quote: Callable[[str], str]) -> Callable[[Any], str]:
    """``identifier(name)``: ``name`` quoted as a column or table name by ``quote``."""

    def identifier(name: Any) -> str:
        if not isinstance(name, str) or not name:
            raise CompileError(
                f"cannot quote {type(name).__name__} {name!r} as a SQL identifier"
                if isinstance(name, str | int | float)
                else f"cannot quote a {type(name).__name__} as a SQL identifier",
                hint="pass a non-empty string (a column or table name)",
                code="jinja-render",
            )
        return quote(name)

    return identifier


@jinja2.pass_context
def sql_identifier_filter(context: jinja2.runtime.Context, name: Any) -> str:
    """The ``sql_identifier`` filter: quotes with the target's ``adapter.quote``."""
    adapter = context.get("adapter")
    quote = adapter.quote if isinstance(adapter, AdapterProxy) else _double_quote
    return identifier_quoter(quote)(name)


def base_context(
    model: str,
    vars: Mapping[str, Any],
    target: TargetInfo,
    run_started_at: _dt.datetime,
    quote: Callable[[str], str] = _double_quote,
    env_reads: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """The context names shared by parse-time and compile-time rendering.

    ``env_reads`` (when given) records every ``env_var`` name read and the value seen, so
    cached results can be invalidated when the environment changes.
    """

    def var(name: str, default: Any = _MISSING) -> Any:
        if name in vars:
            return vars[name]
        if default is not _MISSING:
            return default
        raise CompileError(
            f"variable '{name}' is not defined",
            model=model,
            suggestions=closest(name, vars),
            hint=f"add '{name}' under vars: in pyflow.yml, pass --vars '{{{name}: ...}}', "
            f"or give a default: var('{name}', 'default')",
            code="undefined-var",
        )

    def env_var(name: str, default: Any = _MISSING) -> Any:
        if is_secret_env(name):  # before recording: the value must reach no cache
            raise CompileError(
                f"env_var('{name}') reads a secret: its value would be written to the compiled "
                "SQL, target/ artifacts and caches",
                model=model,
                hint="read secrets only in profiles.yml (connection settings are never written "
                f"anywhere); if the value is not secret, rename the variable without the "
                f"'{name[: name.upper().index('SECRET_') + 7]}' prefix",
                code="secret-env-var",
            )
        if env_reads is not None:
            env_reads[name] = os.environ.get(name)
        if name in os.environ:
            return os.environ[name]
        if default is not _MISSING:
            return default
        raise CompileError(
            f"environment variable '{name}' is not set",
            model=model,
            hint=f"export {name}=..., or give a default: env_var('{name}', 'default')",
            code="missing-env-var",
        )

    def log_fn(msg: Any, info: bool = False) -> str:
        log.log(logging.INFO if info else logging.DEBUG, "%s: %s", model, msg)
        return ""

    return {
        "var": var,
        "env_var": env_var,
        "target": target,
        "run_started_at": run_started_at,
        "log": log_fn,
        "modules": {"datetime": _dt, "re": re},
        "adapter": AdapterProxy(quote),
        "model_name": model,
        "literal": sql_literal,
        "identifier": identifier_quoter(quote),
    }
