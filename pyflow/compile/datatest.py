"""Compile a data test to one SELECT returning the failing rows.

Built-in generic tests are standard SQL over the tested relation (with the test's ``where``
applied as dbt does: ``(select * from <relation> where <where>) dbt_subquery``); the one
engine-specific piece, "now minus an interval" for ``recency``, comes from the caller.
Custom generic tests are ``{% test name(model, ...) %}`` macros; singular tests are SQL files
compiled like SQL models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pyflow.compile.model import CompiledModel, Upstream, with_ctes
from pyflow.compile.monitor import monitor_sql
from pyflow.compile.statement import check_one_statement
from pyflow.core.jinja import JinjaProject
from pyflow.core.monitor import is_monitor
from pyflow.core.node import TestNode
from pyflow.core.renderdb import RenderCalls
from pyflow.core.spec import TargetInfo
from pyflow.core.sqlcontext import base_context
from pyflow.core.version import ref_call_key
from pyflow.errors import CompileError

if TYPE_CHECKING:
    from pyflow.compile.sql import RenderServices

Quote = Callable[[str], str]


def _literal(value: Any, quote: bool) -> str:
    if not quote:
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "'" + str(value).replace("'", "''") + "'"


def _cols(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def builtin_sql(
    test: str,
    args: Mapping[str, Any],
    model: str,
    q: Quote,
    refs: Mapping[str, str],
    now_minus: Callable[[int, str], str],
    to_utc: Callable[[str], str] | None = None,
) -> str:
    """SQL of a built-in generic test over ``model`` (a relation or a subquery).

    ``to_utc`` turns a column of the tested relation into a UTC TIMESTAMP (for ``recency``; by
    default a plain CAST, right for TIMESTAMP columns holding UTC times).
    """
    col = q(str(args["column_name"])) if "column_name" in args else None
    if test == "unique":
        return (
            f"SELECT {col} AS unique_field, count(*) AS n_records\nFROM {model}\n"
            f"WHERE {col} IS NOT NULL\nGROUP BY {col}\nHAVING count(*) > 1"
        )
    if test == "not_null":
        return f"SELECT *\nFROM {model}\nWHERE {col} IS NULL"
    if test == "accepted_values":
        quoted = bool(args.get("quote", True))
        values = ", ".join(_literal(v, quoted) for v in args["values"])
        return (
            f"SELECT {col} AS value_field, count(*) AS n_records\nFROM {model}\n"
            f"WHERE {col} IS NOT NULL AND {col} NOT IN ({values})\nGROUP BY {col}"
        )
    if test == "relationships":
        parent = refs[str(args["to"])]
        field = q(str(args["field"]))
        return (
            f"SELECT child.{col} AS from_field\nFROM {model} AS child\n"
            f"LEFT JOIN {parent} AS parent ON child.{col} = parent.{field}\n"
            f"WHERE child.{col} IS NOT NULL AND parent.{field} IS NULL"
        )
    if test == "unique_combination_of_columns":
        cols = ", ".join(q(c) for c in _cols(args["combination_of_columns"]))
        return f"SELECT {cols}, count(*) AS n_records\nFROM {model}\nGROUP BY {cols}\nHAVING count(*) > 1"
    if test == "expression_is_true":
        expression = f"{col} {args['expression']}" if col else str(args["expression"])
        return f"SELECT *\nFROM {model}\nWHERE NOT ({expression})"
    if test == "accepted_range":
        inclusive = bool(args.get("inclusive", True))
        conds = []
        if "min_value" in args:
            conds.append(f"{col} {'>=' if inclusive else '>'} {args['min_value']}")
        if "max_value" in args:
            conds.append(f"{col} {'<=' if inclusive else '<'} {args['max_value']}")
        if not conds:
            raise ValueError("accepted_range needs min_value, max_value or both")
        return f"SELECT *\nFROM {model}\nWHERE NOT ({' AND '.join(conds)})"
    if test == "not_empty":
        return f"SELECT n_records\nFROM (SELECT count(*) AS n_records FROM {model}) AS counted\nWHERE n_records = 0"
    if test == "at_least_one":
        return f"SELECT n_values\nFROM (SELECT count({col}) AS n_values FROM {model}) AS counted\nWHERE n_values = 0"
    if test == "recency":
        field = q(str(args["field"]))
        newest = to_utc(field) if to_utc is not None else f"CAST({field} AS TIMESTAMP)"
        threshold = now_minus(int(args["interval"]), str(args["datepart"]))
        return (
            f"SELECT most_recent\nFROM (SELECT max({newest}) AS most_recent FROM {model}) AS r\n"
            f"WHERE most_recent IS NULL OR most_recent < {threshold}"
        )
    if is_monitor(test):  # measures, rather than returning failing rows
        return monitor_sql(test, args, model, q, to_utc)
    raise ValueError(f"not a built-in test: {test}")


def compile_test(
    node: TestNode,
    jinja: JinjaProject,
    inputs: Mapping[str, Upstream],
    *,
    vars: Mapping[str, Any],
    target: TargetInfo,
    run_started_at: datetime,
    quote: Quote,
    now_minus: Callable[[int, str], str],
    dialect: str,
    to_utc: Callable[[str], str] | None = None,
    services: RenderServices | None = None,
) -> CompiledModel:
    """The failing-rows SELECT of a test, in the target's dialect (exactly one statement)."""
    from pyflow.compile.sql import RenderServices, compile_sql_model

    services = services or RenderServices()
    from pyflow.core.datatest import BUILTIN_TESTS

    if node.kind == "singular":
        return compile_sql_model(
            node,  # type: ignore[arg-type]  # a singular test compiles like a SQL model
            jinja,
            inputs,
            vars=vars,
            target=target,
            run_started_at=run_started_at,
            this="",
            is_incremental=False,
            quote=quote,
            dialect=dialect,
            services=services,
        )
    assert node.attached is not None
    tested = inputs[node.attached]
    model = tested.sql_ref
    if node.config.where:
        model = f"(SELECT * FROM {model} WHERE {node.config.where}) dbt_subquery"
    refs = {text: inputs[key].sql_ref for text, key in _argument_refs(node, inputs).items()}
    try:
        if node.test_name in BUILTIN_TESTS:
            sql = builtin_sql(node.test_name, node.kwargs, model, quote, refs, now_minus, to_utc)
        else:
            sql = _custom_sql(node, jinja, model, vars, target, run_started_at, quote, inputs, services)
    except (KeyError, ValueError, TypeError) as exc:
        raise CompileError(
            f"cannot compile test '{node.test_name}': {exc}",
            model=node.name,
            resource="test",
            path=node.path,
            line=node.line,
            hint="check the test's arguments (see docs/testing.md)",
            code="invalid-test",
        ) from None
    check_one_statement(sql, dialect, model=node.name, path=node.path, line=node.line, resource="test")
    used: Sequence[Upstream] = [tested, *(inputs[k] for k in _argument_refs(node, inputs).values())]
    ctes = [
        (u.cte_name, u.cte_sql) for u in used if u.cte_name and u.cte_sql and u.sql_ref == quote(u.cte_name)
    ]
    return CompiledModel(node.name, with_ctes(sql, ctes, quote))


def _argument_refs(node: TestNode, inputs: Mapping[str, Upstream]) -> dict[str, str]:
    """``to: ref('x')`` argument text -> the input key it resolved to."""
    return {str(node.kwargs[arg]): key for arg, key in node.ref_args.items() if key in inputs}


def _custom_sql(
    node: TestNode,
    jinja: JinjaProject,
    model: str,
    vars: Mapping[str, Any],
    target: TargetInfo,
    run_started_at: datetime,
    quote: Quote,
    inputs: Mapping[str, Upstream],
    services: RenderServices,
) -> str:
    path = f"<test {node.name}>"
    in_test_config: dict[str, Any] = {}
    macro = jinja.test_macro(node.test_name) or f"test_{node.test_name}"
    jinja.add_template(path, "{{ " + macro + "(model=__model, **__args) }}")

    def ref(*args: str, **kwargs: Any) -> str:
        key = ref_call_key(args, kwargs)
        if key not in inputs:
            raise CompileError(
                f"ref('{key}') is not a dependency of this test", model=node.name, code="dynamic-ref"
            )
        return inputs[key].sql_ref

    calls = RenderCalls(services.database, node.name)
    ctx = base_context(
        node.name, vars, target, run_started_at, quote, calls=calls, invocation_id=services.invocation_id
    )
    ctx.update(
        graph=services.graph,
        ref=ref,
        source=lambda s, t: inputs[f"{s}.{t}"].sql_ref,
        config=lambda *a, **k: in_test_config.update(*a, **k) or "",
        this=model,
        is_incremental=lambda: False,
        should_store_failures=lambda: bool(node.config.store_failures),
        __model=model,
        __args={
            k: inputs[node.ref_args[k]].sql_ref if k in node.ref_args else v for k, v in node.kwargs.items()
        },
    )
    sql = jinja.render(path, ctx, model=node.name, builtins=services.builtins).strip().rstrip(";")
    fail_calc = in_test_config.get("fail_calc")
    if isinstance(fail_calc, str) and fail_calc.strip().lower() not in ("count(*)", ""):
        # the test's rows are measured by its own fail_calc (dbt_utils' equal_rowcount): one
        # failing row when that measure is not 0, none when it is
        sql = (
            f"SELECT 1 AS failures FROM (SELECT {fail_calc} AS n FROM ({sql}) dbt_test_rows) m WHERE m.n <> 0"
        )
    return sql
