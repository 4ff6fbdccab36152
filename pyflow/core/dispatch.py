"""``adapter.dispatch`` and the ``dbt.`` namespace: which macro implements a name for the target.

dbt's rule: ``adapter.dispatch('name', 'namespace')`` looks, in each package of the
namespace's search order, for ``<adapter type>__name`` and then ``default__name``; the first
found is the macro. The search order is the project's ``dispatch:`` entry for the namespace
(``dispatch: [{macro_namespace: dbt_utils, search_order: [my_project, dbt_utils]}]`` in
dbt_project.yml), else the root project followed by the namespace itself. The ``dbt``
namespace ends with dbt's own cross-database macros (``builtins``: already specific to the
target), so ``{{ dbt.dateadd(...) }}`` uses a project's ``duckdb__dateadd`` when it has one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pyflow.errors import CompileError

DBT_NAMESPACE = "dbt"

DBT_GLOBAL_MACROS: frozenset[str] = frozenset(
    {
        "any_value", "bool_or", "cast", "cast_bool_to_text", "concat", "current_timestamp",
        "date_trunc", "dateadd", "datediff", "escape_single_quotes", "except", "hash", "intersect",
        "last_day", "length", "listagg", "position", "replace", "right", "safe_cast", "split_part",
        "string_literal", "type_bigint", "type_boolean", "type_float", "type_int", "type_numeric",
        "type_string", "type_timestamp",
    }
)  # fmt: skip
"""dbt's own macros, also callable without ``dbt.`` (``{{ current_timestamp() }}``), as in dbt.

The same names as :data:`pyflow.adapters.crossdb.NAMES` (a test keeps them equal: this layer
cannot import adapters)."""


class Dispatcher:
    """Resolves dispatched macro names against one render's macros."""

    def __init__(
        self,
        macros: Mapping[str, Any],
        *,
        adapter_type: str,
        root: str,
        search_orders: Mapping[str, Sequence[str]],
        packages: Mapping[str, Mapping[str, Callable[..., Any]]],
        builtins: Mapping[str, Callable[..., Any]],
    ) -> None:
        self.macros = macros
        """Every macro by name (the render's context: project and package macros)."""
        self.adapter_type = adapter_type
        self.root = root
        self.search_orders = search_orders
        self.packages = packages
        """Package name -> its macros by name (``macros`` are the root project's)."""
        self.builtins = builtins

    def search_order(self, namespace: str | None) -> list[str]:
        """The packages searched for ``namespace``, in order."""
        if namespace is None:
            return [self.root, DBT_NAMESPACE]
        if namespace in self.search_orders:
            return list(self.search_orders[namespace])
        return list(dict.fromkeys([self.root, namespace]))

    def _in_package(self, package: str, name: str) -> bool:
        if package in self.packages:
            return name in self.packages[package]
        if package == self.root:
            return name in self.macros
        return False

    def resolve(self, name: str, namespace: str | None = None) -> Callable[..., Any]:
        """The macro implementing ``name`` for the target; a CompileError naming all that was tried."""
        if not isinstance(name, str) or not name or "." in name:
            raise CompileError(
                f"adapter.dispatch() takes a macro name without a package, not {name!r}",
                hint="write adapter.dispatch('macro_name', 'package_name')",
                code="dispatch-not-found",
            )
        tried: list[str] = []
        for package in self.search_order(namespace):
            for prefix in (self.adapter_type, "default"):
                candidate = f"{prefix}__{name}"
                tried.append(f"{package}.{candidate}")
                if self._in_package(package, candidate):
                    found: Callable[..., Any] = (
                        self.packages[package][candidate]
                        if package in self.packages
                        else self.macros[candidate]
                    )
                    return found
            if package == DBT_NAMESPACE and name in self.builtins:
                return self.builtins[name]
        shown = f"'{name}'" + (f", '{namespace}'" if namespace else "")
        searched = self.search_order(namespace)
        unknown = [p for p in searched if p not in self.packages and p not in (self.root, DBT_NAMESPACE)]
        missing = f"; package(s) not installed: {', '.join(unknown)}" if unknown else ""
        raise CompileError(
            f"adapter.dispatch({shown}) found no macro for adapter '{self.adapter_type}': "
            f"searched {', '.join(tried)}{missing}",
            hint=f"define a macro named {self.adapter_type}__{name} or default__{name} in macros/*.sql, "
            "or fix the search order under dispatch: in dbt_project.yml",
            code="dispatch-not-found",
        )

    def dispatch(self, name: str, namespace: str | None = None, **_: Any) -> Callable[..., Any]:
        """``adapter.dispatch(name, macro_namespace)``: the macro to call."""
        return self.resolve(name, namespace)


def bind_globals(ctx: dict[str, Any], dispatcher: Dispatcher) -> None:
    """Each of dbt's own macros under its bare name, unless the context already has that name."""
    for name in DBT_GLOBAL_MACROS:
        if name not in ctx:
            ctx[name] = functools.partial(_call_dbt, dispatcher, name)


def _call_dbt(dispatcher: Dispatcher, name: str, *args: Any, **kwargs: Any) -> Any:
    return dispatcher.resolve(name, DBT_NAMESPACE)(*args, **kwargs)


class DbtNamespace:
    """``dbt`` in Jinja: ``dbt.dateadd(...)`` dispatches ``dateadd`` in the ``dbt`` namespace."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._dispatcher.resolve(name, DBT_NAMESPACE)
