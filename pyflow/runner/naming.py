"""Where a model, seed, snapshot or test lands: dbt's ``generate_*_name`` rules and overrides.

Without overrides, dbt's defaults apply: a custom ``schema`` is appended to the target's
(``<target_schema>_<custom>``), ``database`` replaces the target's, ``alias`` replaces the
node's name. When the project's macros define ``generate_schema_name``,
``generate_alias_name`` or ``generate_database_name``, those are called as dbt calls them
(``custom_<x>_name``, ``node``) and their rendered, stripped result is the name. The macros
are instantiated once per invocation; each node's names are decided once by the caller
(:class:`pyflow.runner.compilation.ProjectCompiler` memoizes them).

dbt's built-in ``default__generate_*_name`` and ``generate_schema_name_for_env`` are
available to those macros.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from pyflow.core.jinja import JinjaProject, snippet
from pyflow.core.node import Node, TestNode
from pyflow.core.spec import TargetInfo
from pyflow.core.sqlcontext import base_context
from pyflow.errors import CompileError, PyflowError
from pyflow.relation import Relation

NAMING_MACROS = ("generate_database_name", "generate_schema_name", "generate_alias_name")
"""The macros a project may override to decide where its relations land (dbt's names)."""

TEST_AUDIT_SCHEMA = "test__audit"
"""The custom schema of the tables ``store_failures`` writes, unless the test sets one."""


def schema_name(target_schema: str, custom: str | None) -> str:
    """Dbt's rule: a custom schema is appended to the target schema (``<target>_<custom>``)."""
    return f"{target_schema}_{custom.strip()}" if custom else target_schema


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else getattr(node, key, None)


def _builtins(target: TargetInfo, fallback_database: str | None) -> dict[str, Callable[..., Any]]:
    """The default naming macros of dbt, callable from the project's overrides."""

    def default_schema(custom_schema_name: str | None = None, node: Any = None) -> str:
        if custom_schema_name is None:
            return target.schema
        return f"{target.schema}_{str(custom_schema_name).strip()}"

    def schema_for_env(custom_schema_name: str | None = None, node: Any = None) -> str:
        if target.name == "prod" and custom_schema_name is not None:
            return str(custom_schema_name).strip()
        return target.schema

    def default_alias(custom_alias_name: str | None = None, node: Any = None) -> str:
        if custom_alias_name:
            return str(custom_alias_name).strip()
        version = _get(node, "version")
        name = str(_get(node, "name"))
        return f"{name}_v{version}" if version not in (None, "") else name

    def default_database(custom_database_name: str | None = None, node: Any = None) -> str:
        if custom_database_name is None:
            return str(target.database or fallback_database or "")
        return str(custom_database_name).strip()

    return {
        "default__generate_schema_name": default_schema,
        "generate_schema_name": default_schema,
        "generate_schema_name_for_env": schema_for_env,
        "default__generate_alias_name": default_alias,
        "generate_alias_name": default_alias,
        "default__generate_database_name": default_database,
        "generate_database_name": default_database,
    }


class RelationNamer:
    """Decides the database, schema and identifier of the nodes a project builds."""

    def __init__(
        self,
        jinja: JinjaProject,
        target: TargetInfo,
        vars: dict[str, Any],
        run_started_at: datetime,
        *,
        database: str,
        schema: str,
        quote: Callable[[str], str],
        resource_paths: tuple[str, ...] = (),
    ) -> None:
        self.jinja = jinja
        self.target = target
        self.database = database
        self.schema = schema
        self.resource_paths = resource_paths
        self._vars = vars
        self._run_started_at = run_started_at
        self._quote = quote
        self.overridden = tuple(n for n in NAMING_MACROS if n in jinja.macro_paths)
        """The naming macros the project defines (dbt's order: database, schema, alias)."""
        self._macros: dict[str, Any] | None = None

    def _bound(self) -> dict[str, Any]:
        if self._macros is None:
            ctx = base_context(
                "generate_schema_name", self._vars, self.target, self._run_started_at, self._quote
            )
            ctx.update(_builtins(self.target, self.database))
            self._macros = self.jinja.macros(ctx, self.overridden)
        return self._macros

    def relation(self, node: Node) -> Relation:
        """Where ``node`` (a model, seed, snapshot or test) lives."""
        cfg: Any = node.config  # type: ignore[attr-defined]
        custom_schema = cfg.schema_
        if isinstance(node, TestNode) and custom_schema is None:
            custom_schema = TEST_AUDIT_SCHEMA
        fixed_schema = getattr(cfg, "target_schema", None)  # legacy snapshot config: used as is
        fixed_database = getattr(cfg, "target_database", None)
        if not self.overridden:
            return Relation(
                fixed_database or cfg.database or self.database,
                fixed_schema or schema_name(self.schema, custom_schema),
                cfg.alias or node.name,
            )
        macro_node = self._node(node, cfg)
        database = fixed_database or self._call("generate_database_name", cfg.database, macro_node, node)
        schema = fixed_schema or self._call("generate_schema_name", custom_schema, macro_node, node)
        alias = self._call("generate_alias_name", cfg.alias, macro_node, node)
        return Relation(
            database if database is not None else (cfg.database or self.database),
            schema if schema is not None else schema_name(self.schema, custom_schema),
            alias if alias is not None else (cfg.alias or node.name),
        )

    def _node(self, node: Node, cfg: Any) -> dict[str, Any]:
        """What a naming macro sees as ``node`` (the fields of dbt's parsed node it reads)."""
        path = PurePosixPath(node.path)
        relative = path
        for root in self.resource_paths:
            if path.is_relative_to(root):
                relative = path.relative_to(root)
                break
        fqn = getattr(node, "fqn", ()) or (node.package, node.name)
        return {
            "name": node.name,
            "alias": node.name,
            "schema": self.schema,
            "database": self.database,
            "config": cfg.model_dump(mode="json", by_alias=True),
            "fqn": list(fqn),
            "resource_type": node.resource_type,
            "unique_id": node.unique_id,
            "package_name": node.package,
            "path": str(relative),
            "original_file_path": node.path,
            "tags": list(cfg.tags),
            "version": None,
        }

    def _line(self, exc: BaseException, path: str) -> int | None:
        """The line of macro file ``path`` where ``exc`` was raised (Jinja maps its code lines)."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
        if not frames or frames[-1].lineno is None:
            return None
        return self.jinja.env.get_template(path).get_corresponding_lineno(frames[-1].lineno)

    def _call(self, macro: str, custom: str | None, macro_node: dict[str, Any], node: Node) -> str | None:
        """The stripped result of the project's ``macro`` for ``node``; None when not overridden."""
        fn = self._bound().get(macro)
        if fn is None:
            return None
        path = self.jinja.macro_paths[macro]
        kind = node.resource_type
        try:
            value = fn(custom, macro_node)
        except Exception as exc:  # any failure of user Jinja is reported the same way
            why = exc.message if isinstance(exc, PyflowError) else f"{type(exc).__name__}: {exc}"
            line = self._line(exc, path)
            raise CompileError(
                f"macro '{macro}' failed for {kind} '{node.name}': {why}",
                model=node.name,
                path=path,
                line=line,
                detail=snippet(self.jinja.sources.get(path, ""), line),
                hint=f"fix the macro in {path}; it is called as {macro}(custom_name, node) for "
                "every model, seed, snapshot and test",
                code="naming-macro",
            ) from exc
        text = "" if value is None else str(value).strip()
        if not text:
            raise CompileError(
                f"macro '{macro}' rendered an empty name for {kind} '{node.name}' (called with {custom!r})",
                model=node.name,
                path=path,
                hint=f"make {macro} in {path} render a name for every node (for example "
                "fall back to target.schema / node.name when the custom name is none)",
                code="naming-macro",
            )
        return text
