"""The dbt-compatible names a SQL model's Jinja sees that do not depend on the graph.

``ref``, ``source``, ``this``, ``is_incremental`` and ``config`` are added by whoever renders
(the parse-time recorder or the compiler); this module supplies ``var``, ``env_var``,
``target``, ``run_started_at``, ``log``, ``modules`` and ``adapter.quote``.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError, closest

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
    }
