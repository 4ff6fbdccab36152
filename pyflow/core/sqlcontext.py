"""The dbt-compatible names a SQL model's Jinja sees that do not depend on the graph.

``ref``, ``source``, ``this``, ``is_incremental`` and ``config`` are added by whoever renders
(the parse-time recorder or the compiler); this module supplies ``var``, ``env_var``,
``target``, ``run_started_at``, ``invocation_id``, ``log``, ``adapter`` (``quote``, ``dispatch``,
``get_relation``, ``get_columns_in_relation``), the database reads of
:mod:`pyflow.core.renderdb` (``execute``, ``run_query``, ``statement``, ``load_result``), dbt's
helpers of :mod:`pyflow.core.dbtcontext`, and the quoting helpers ``literal()`` /
``identifier()`` (also the filters ``sql_literal`` / ``sql_identifier``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import logging
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from pyflow.core.dbtcontext import helper_names
from pyflow.core.dispatch import Dispatcher
from pyflow.core.renderdb import RelationApi, RenderCalls
from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError, closest
from pyflow.secret import is_secret_env

log = logging.getLogger("pyflow.sql")

_MISSING: Any = object()


class AdapterProxy:
    """``adapter`` in Jinja: quoting, ``dispatch`` and the catalog reads of :class:`RenderCalls`."""

    def __init__(self, quote: Callable[[str], str], calls: RenderCalls | None = None) -> None:
        self._quote = quote
        self._calls = calls if calls is not None else RenderCalls(None, "")
        self.dispatcher: Dispatcher | None = None
        """Set by :meth:`pyflow.core.jinja.JinjaProject.render` once the macros are known."""

    def quote(self, identifier: str) -> str:
        """Quote an identifier for the target engine."""
        return self._quote(identifier)

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, **_: Any) -> Any:
        """The macro implementing ``macro_name`` for the target (``<adapter>__`` / ``default__``)."""
        if self.dispatcher is None:
            raise CompileError(
                "adapter.dispatch() is not available here (only in SQL models, tests and macros)",
                hint="call the macro by its name",
                code="dispatch-not-found",
            )
        return self.dispatcher.dispatch(macro_name, macro_namespace)

    def get_relation(self, database: str | None, schema: str, identifier: str) -> Any:
        """The relation when it exists in the target (None while parsing, or when absent)."""
        return self._calls.get_relation(database, schema, identifier)

    def get_columns_in_relation(self, relation: Any) -> Any:
        """The columns (``.name``, ``.data_type``) of an existing relation."""
        return self._calls.get_columns_in_relation(relation)

    def load_relation(self, relation: Any) -> Any:
        """The relation when it exists in the target, else None (dbt's ``load_relation(relation)``)."""
        return self.get_relation(
            getattr(relation, "database", None),
            str(getattr(relation, "schema", "") or ""),
            relation.identifier,
        )


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
    *,
    calls: RenderCalls | None = None,
    invocation_id: str = "",
) -> dict[str, Any]:
    """The context names shared by parse-time and compile-time rendering.

    ``env_reads`` (when given) records every ``env_var`` name read and the value seen, so
    cached results can be invalidated when the environment changes. ``calls`` reads the
    database (``run_query``, ``statement`` ...); without it ``execute`` is False and nothing runs.
    """
    calls = calls if calls is not None else RenderCalls(None, model)

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

    def set_sql_header(*args: Any, caller: Any = None) -> str:
        raise CompileError(
            "set_sql_header is not supported: pyflow runs no statement inside a model's build",
            model=model,
            hint='move the statement to a pre_hook: {{ config(pre_hook="set ...") }} runs on the '
            "model's connection just before its build (in its transaction)",
            code="unsupported",
        )

    def log_fn(msg: Any, info: bool = False) -> str:
        log.log(logging.INFO if info else logging.DEBUG, "%s: %s", model, msg)
        return ""

    return {
        **helper_names(model),
        "var": var,
        "env_var": env_var,
        "target": target,
        "run_started_at": run_started_at,
        "invocation_id": invocation_id,
        "log": log_fn,
        "set_sql_header": set_sql_header,
        "execute": calls.execute,
        "run_query": calls.run_query,
        "statement": calls.statement,
        "load_result": calls.load_result,
        "adapter": AdapterProxy(quote, calls),
        "api": RelationApi(quote, calls, target.type),
        "model_name": model,
        "literal": sql_literal,
        "identifier": identifier_quoter(quote),
    }
