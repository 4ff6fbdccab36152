"""``pyflow migrate --to-python MODEL``: a SQL model rewritten as an equivalent Python (Ibis) model.

Owns the translation: the model's Jinja may hold only ``ref()``, ``source()`` and
``config()`` calls (each ``ref``/``source`` becomes a parameter of the function, named as
pyflow names dependencies: ``stg_orders``, ``ecommerce__orders``; ``config`` keyword
arguments become ``@model(...)`` arguments); the SQL is parsed with sqlglot (DuckDB dialect)
and one ``SELECT`` (with non-recursive CTEs, each a variable) is turned into Ibis calls:
``FROM`` with aliases, inner/left/right/full
``JOIN ... ON``, ``WHERE``, ``GROUP BY`` with aggregates (``count``, ``count(distinct)``,
``sum``, ``avg``, ``min``, ``max``), ``HAVING``, ``DISTINCT``, ``ORDER BY``, ``LIMIT``, and in
expressions columns, literals, arithmetic, comparisons, ``AND``/``OR``/``NOT``, ``IS NULL``,
``IN``, ``BETWEEN``, ``LIKE``, searched and simple ``CASE``, ``CAST``, ``coalesce``,
``lower``, ``upper``, ``trim``, ``substr`` with constant bounds, ``abs``, ``round``,
``length``. Anything else (a recursive CTE, a subquery,
a window function, ``UNION``, a macro call, an unaliased expression ...) is refused with a
``cannot-translate`` error naming the construct and its line: the translation is exact or
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2.nodes as jn

from pyflow.core.node import ModelNode
from pyflow.errors import CompileError

if TYPE_CHECKING:
    from pyflow.core.project import Project

_BINARY = {
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Mod": "%",
    "EQ": "==", "NEQ": "!=", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=",
    "And": "&", "Or": "|",
}  # fmt: skip
_AGGREGATES = {"Sum": "sum", "Avg": "mean", "Min": "min", "Max": "max"}
_METHODS = {"Lower": "lower", "Upper": "upper", "Abs": "abs", "Length": "length"}
_JOINS = {"": "inner", "INNER": "inner", "LEFT": "left", "RIGHT": "right", "FULL": "outer"}
_TYPES = {
    "INT": "int32", "BIGINT": "int64", "SMALLINT": "int16", "TINYINT": "int8", "DOUBLE": "float64",
    "FLOAT": "float32", "VARCHAR": "string", "TEXT": "string", "CHAR": "string", "DATE": "date",
    "TIMESTAMP": "timestamp", "BOOLEAN": "boolean",
}  # fmt: skip
_STATEMENTS = {
    "Assign": "{% set %}", "AssignBlock": "{% set %}", "If": "{% if %}", "For": "{% for %}",
    "Macro": "{% macro %}", "CallBlock": "{% call %}", "FilterBlock": "{% filter %}",
}  # fmt: skip
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class _Scope:
    """Table aliases of the FROM clause -> the Python variable holding each table."""

    tables: dict[str, str] = field(default_factory=dict)
    default: str = ""
    grouped: bool = False


class _Refuse(Exception):
    def __init__(self, construct: str, node: Any = None) -> None:
        super().__init__(construct)
        self.construct = construct
        self.node = node


def _refuse(node: Any, what: str | None = None) -> _Refuse:
    sql = node.sql(dialect="duckdb") if hasattr(node, "sql") else str(node)
    return _Refuse(f"{what or type(node).__name__} `{sql[:60]}`", node)


def to_python(project: Project, name: str) -> str:
    """The Python module equivalent to SQL model ``name``.

    Raises:
        CompileError: ``cannot-translate`` naming the construct (and its line) that has no
            exact Ibis translation here, or when ``name`` is not a SQL model.

    """
    node = project.models.get(name)
    if not isinstance(node, ModelNode) or node.language != "sql":
        known = sorted(n for n, m in project.models.items() if m.language == "sql")
        raise CompileError(
            f"'{name}' is not a SQL model of this project",
            model=name,
            hint="name a model defined in a .sql file: " + ", ".join(known[:10]),
            suggestions=[n for n in known if n.startswith(name[:3])][:3],
            code="cannot-translate",
        )
    sql, params, config = _unjinja(project, node)
    try:
        body = _translate(sql, params)
    except _Refuse as exc:
        line = _line_of(sql, exc.node)
        raise CompileError(
            f"cannot be translated to Ibis: {exc.construct} has no exact translation here",
            model=name,
            path=node.path,
            line=line,
            hint="rewrite that part by hand in a Python model, or keep the model in SQL",
            code="cannot-translate",
        ) from None
    return _module(node, list(params.values()), config, body)


def _unjinja(project: Project, node: ModelNode) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The SQL with ``ref``/``source`` replaced by parameter names, the parameters, ``config`` kwargs."""
    tree = project.jinja.env.parse(node.raw_code)
    params: dict[str, str] = {}
    config: dict[str, Any] = {}
    out: list[str] = []
    for item in tree.body:
        if not isinstance(item, jn.Output):
            tag = _STATEMENTS.get(type(item).__name__, type(item).__name__)
            raise _cannot(node, f"the Jinja statement `{tag}`", item.lineno)
        for part in item.nodes:
            if isinstance(part, jn.TemplateData):
                out.append(part.data)
                continue
            call = part
            if not isinstance(call, jn.Call) or not isinstance(call.node, jn.Name):
                raise _cannot(node, "a Jinja expression other than ref(), source() or config()", part.lineno)
            args = [a.value for a in call.args if isinstance(a, jn.Const)]
            func = call.node.name
            if func == "config" and not call.args:
                for kw in call.kwargs:
                    if not isinstance(kw.value, jn.Const):
                        raise _cannot(node, f"config({kw.key}=...) with a computed value", part.lineno)
                    config[kw.key] = kw.value.value
                continue
            if func == "ref" and len(args) == len(call.args) == 1 and not call.kwargs:
                param = str(args[0])
            elif func == "source" and len(args) == len(call.args) == 2 and not call.kwargs:
                param = f"{args[0]}__{args[1]}"
            else:
                raise _cannot(node, f"the Jinja call `{func}(...)`", part.lineno)
            params[param] = param
            out.append(param)
    return "".join(out), params, config


def _cannot(node: ModelNode, construct: str, line: int | None) -> CompileError:
    return CompileError(
        f"cannot be translated to Ibis: {construct} has no translation here",
        model=node.name,
        path=node.path,
        line=line,
        hint="only ref(), source() and config() calls are translated; rewrite the model by hand",
        code="cannot-translate",
    )


def _line_of(sql: str, node: Any) -> int | None:
    """The line of ``node`` in the SQL (its lines are the file's: Jinja calls were replaced in place)."""
    if node is None or not hasattr(node, "walk"):
        return None
    for part in node.walk():
        line = part.meta.get("line") if hasattr(part, "meta") else None
        if isinstance(line, int):
            return line
    return None


def _translate(sql: str, params: dict[str, str]) -> list[str]:
    """Lines of the function body (``return ...`` last)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as exc:
        raise _Refuse(f"SQL sqlglot cannot parse ({str(exc).splitlines()[0]})") from None
    if len(statements) != 1:
        raise _Refuse(f"{len(statements)} statements (one SELECT is translated)")
    select = statements[0]
    if isinstance(select, exp.SetOperation):
        raise _refuse(select, type(select).__name__.upper())  # UNION, INTERSECT, EXCEPT
    if not isinstance(select, exp.Select):
        raise _refuse(select, "a statement other than one SELECT")
    tables = dict(params)  # SQL name -> Python variable: refs, sources, then CTEs
    with_ = select.args.get("with_") or select.args.get("with")
    ctes = list(with_.expressions) if with_ is not None else []
    if with_ is not None and with_.args.get("recursive"):
        raise _refuse(with_, "a recursive CTE")
    select = select.copy()
    select.set("with_" if "with_" in select.args else "with", None)
    lines: list[str] = []
    counter = [0]
    for cte in ctes:
        if not isinstance(cte.this, exp.Select):
            raise _refuse(cte, "a CTE that is not one SELECT")
        _check(cte.this)
        var = f"cte_{cte.alias}" if _NAME.match(cte.alias) else f"cte_{len(tables)}"
        result = _select(cte.this, tables, lines, counter)
        lines.append(f"{var} = {result}")
        tables[cte.alias] = var
    _check(select)
    lines.append(f"return {_select(select, tables, lines, counter)}")
    return lines


def _check(select: Any) -> None:
    """Refuse the constructs that have no exact translation anywhere in ``select``."""
    from sqlglot import exp

    refused = {
        exp.CTE: "a CTE inside a CTE",
        exp.Subquery: "a subquery",
        exp.Window: "a window function",
        exp.Union: "UNION",
        exp.Qualify: "QUALIFY",
        exp.Lateral: "LATERAL",
        exp.Pivot: "PIVOT",
    }
    for kind, what in refused.items():
        found = select.find(kind)
        if found is not None:
            raise _refuse(found, what)


def _select(select: Any, tables: dict[str, str], lines: list[str], counter: list[int]) -> str:
    """Append the lines computing ``select``; return the expression holding its result."""
    from sqlglot import exp

    scope = _Scope()
    source = select.args.get("from") or select.args.get("from_")
    if source is None:
        raise _refuse(select, "a SELECT without FROM")
    rel = _table(source.this, tables, scope, lines, counter)
    for join in select.args.get("joins") or []:
        right = _table(join.this, tables, scope, lines, counter)
        side = (join.side or join.kind or "").upper()
        if side not in _JOINS or join.args.get("using") or join.args.get("on") is None:
            raise _refuse(join, "a JOIN other than INNER/LEFT/RIGHT/FULL ... ON")
        lines.append(f"rel = {rel}.join({right}, {_expr(join.args['on'], scope)}, how={_JOINS[side]!r})")
        rel = "rel"
    if select.args.get("where") is not None:
        lines.append(f"rel = {rel}.filter({_expr(select.args['where'].this, scope)})")
        rel = "rel"
    names = [_output_name(e) for e in select.expressions]
    if len(select.expressions) == 1 and isinstance(select.expressions[0], exp.Star):
        result = rel
        names = []
    else:
        scope.grouped = bool(select.args.get("group")) or any(
            e.find(exp.AggFunc) is not None for e in select.expressions
        )
        items = [_expr(e.this if isinstance(e, exp.Alias) else e, scope) for e in select.expressions]
        if scope.grouped:
            keys = [
                _key(k, select, scope)
                for k in (select.args["group"].expressions if select.args.get("group") else [])
            ]
            by = [f"{code}.name({key!r})" for key, code in keys]
            key_names = {key for key, _ in keys}
            metrics = [
                f"{code}.name({n!r})" for n, code in zip(names, items, strict=True) if n not in key_names
            ]
            call = f"{rel}.group_by({', '.join(by)})" if by else rel
            lines.append(f"rel = {call}.aggregate({', '.join(metrics)})")
            if select.args.get("having") is not None:
                lines.append(f"rel = rel.filter({_having(select.args['having'].this, select, names, scope)})")
            lines.append(f"rel = rel.select({', '.join(repr(n) for n in names)})")
        else:
            cols = ", ".join(f"{code}.name({n!r})" for n, code in zip(names, items, strict=True))
            lines.append(f"rel = {rel}.select({cols})")
        result = "rel"
    if select.args.get("distinct"):
        lines.append(f"rel = {result}.distinct()")
        result = "rel"
    order = select.args.get("order")
    if order is not None:
        order_keys = [_order_key(o, names) for o in order.expressions]
        lines.append(f"rel = {result}.order_by({', '.join(order_keys)})")
        result = "rel"
    limit = select.args.get("limit")
    if limit is not None:
        count = limit.expression if limit.expression is not None else limit.this
        if not isinstance(count, exp.Literal) or count.is_string:
            raise _refuse(limit, "a LIMIT that is not a number")
        lines.append(f"rel = {result}.limit({int(count.this)})")
        result = "rel"
    return result


def _table(node: Any, tables: dict[str, str], scope: _Scope, lines: list[str], counter: list[int]) -> str:
    from sqlglot import exp

    if not isinstance(node, exp.Table) or node.args.get("db") or node.name not in tables:
        raise _refuse(node, "a FROM item other than a ref(), a source() or a CTE")
    alias = node.alias or node.name
    var = f"t{counter[0]}"
    counter[0] += 1
    scope.tables[alias] = var
    scope.default = scope.default or var
    lines.append(f"{var} = {tables[node.name]}")
    return var


def _output_name(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Alias):
        name = node.alias
    elif isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
        name = node.name
    elif isinstance(node, exp.Star):
        return "*"
    else:
        raise _refuse(node, "an unaliased expression (write `AS name`)")
    if not _NAME.match(name):
        raise _refuse(node, f"the column name {name!r}")
    return name


def _key(node: Any, select: Any, scope: _Scope) -> tuple[str, str]:
    """A GROUP BY key: (output name, Ibis code); it may name a select alias or be an ordinal."""
    from sqlglot import exp

    items = select.expressions
    if isinstance(node, exp.Literal) and not node.is_string:
        node = items[int(node.this) - 1]
    if isinstance(node, exp.Column) and not node.table:
        for item in items:
            if isinstance(item, exp.Alias) and item.alias == node.name:
                node = item
    inner = node.this if isinstance(node, exp.Alias) else node
    name = node.alias if isinstance(node, exp.Alias) else None
    for item in items:
        target = item.this if isinstance(item, exp.Alias) else item
        if target == inner:
            name = _output_name(item)
    if name is None:
        raise _refuse(node, "a GROUP BY expression that is not selected")
    scope.grouped = False
    try:
        return name, _expr(inner, scope)
    finally:
        scope.grouped = True


def _having(node: Any, select: Any, names: list[str], scope: _Scope) -> str:
    """HAVING over the aggregated relation: aggregates must be selected (by their alias)."""
    from sqlglot import exp

    def sub(n: Any) -> Any:
        if isinstance(n, exp.AggFunc | exp.Count):
            for item, name in zip(select.expressions, names, strict=True):
                if (item.this if isinstance(item, exp.Alias) else item) == n:
                    return exp.column(name, table="__agg__")
            raise _refuse(n, "a HAVING aggregate that is not selected")
        return n

    rewritten = node.copy().transform(sub)
    having = _Scope({"__agg__": "rel"}, "rel")
    return _expr(rewritten, having)


def _order_key(node: Any, names: list[str]) -> str:
    from sqlglot import exp

    target = node.this
    if isinstance(target, exp.Literal) and not target.is_string:
        name = names[int(target.this) - 1]
    elif isinstance(target, exp.Column) and (target.name in names or not names):
        name = target.name
    else:
        raise _refuse(node, "an ORDER BY term that is not a selected column")
    return f"ibis.desc({name!r})" if node.args.get("desc") else f"ibis.asc({name!r})"


def _expr(node: Any, scope: _Scope) -> str:
    from sqlglot import exp

    kind = type(node).__name__
    if isinstance(node, exp.Paren):
        return _expr(node.this, scope)
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Star):
            raise _refuse(node, "`*` among other columns")
        var = scope.tables.get(node.table) if node.table else scope.default
        if var is None or (not node.table and len(scope.tables) > 1):
            raise _refuse(node, "a column without its table's alias in a join")
        return f"{var}.{node.name}" if _NAME.match(node.name) else f"{var}[{node.name!r}]"
    if isinstance(node, exp.Literal):
        return repr(node.this) if node.is_string else node.this
    if isinstance(node, exp.Boolean):
        return f"ibis.literal({node.this!r})"
    if isinstance(node, exp.Null):
        return "ibis.null()"
    if kind in _BINARY:
        return f"({_expr(node.this, scope)} {_BINARY[kind]} {_expr(node.expression, scope)})"
    if isinstance(node, exp.Neg):
        return f"(-{_expr(node.this, scope)})"
    if isinstance(node, exp.Not):
        if isinstance(node.this, exp.Is):
            return f"{_expr(node.this.this, scope)}.notnull()"
        return f"(~{_expr(node.this, scope)})"
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return f"{_expr(node.this, scope)}.isnull()"
    if isinstance(node, exp.In) and node.expressions and not node.args.get("query"):
        return f"{_expr(node.this, scope)}.isin([{', '.join(_expr(e, scope) for e in node.expressions)}])"
    if isinstance(node, exp.Between):
        low, high = _expr(node.args["low"], scope), _expr(node.args["high"], scope)
        return f"{_expr(node.this, scope)}.between({low}, {high})"
    if isinstance(node, exp.Like) and isinstance(node.expression, exp.Literal):
        return f"{_expr(node.this, scope)}.like({node.expression.this!r})"
    if isinstance(node, exp.DPipe):
        return f"({_expr(node.this, scope)}.cast('string') + {_expr(node.expression, scope)}.cast('string'))"
    if isinstance(node, exp.Case):
        return _case(node, scope)
    if isinstance(node, exp.Cast | exp.TryCast) and not isinstance(node, exp.TryCast):
        return f"{_expr(node.this, scope)}.cast({_dtype(node.to)!r})"
    if isinstance(node, exp.Coalesce):
        args = [node.this, *node.expressions]
        return f"ibis.coalesce({', '.join(_expr(a, scope) for a in args)})"
    if kind in _METHODS:
        return f"{_expr(node.this, scope)}.{_METHODS[kind]}()"
    if isinstance(node, exp.Trim) and not node.args.get("expression") and not node.args.get("position"):
        return f"{_expr(node.this, scope)}.strip()"
    if isinstance(node, exp.Substring) and _is_int(node.args.get("start")):
        start = int(node.args["start"].this) - 1  # SQL counts from 1, Ibis from 0
        length = node.args.get("length")
        if start < 0 or (length is not None and not _is_int(length)):
            raise _refuse(node, "a SUBSTRING with a start before 1 or a computed length")
        tail = f", {int(length.this)}" if length is not None else ""
        return f"{_expr(node.this, scope)}.substr({start}{tail})"
    if isinstance(node, exp.Round):
        digits = node.args.get("decimals")
        return f"{_expr(node.this, scope)}.round({_expr(digits, scope) if digits is not None else ''})"
    if isinstance(node, exp.Count) and scope.grouped:
        arg = node.this
        if arg is None or isinstance(arg, exp.Star):
            return "rel.count()" if len(scope.tables) > 1 else f"{scope.default}.count()"
        if isinstance(arg, exp.Distinct):
            return f"{_expr(arg.expressions[0], scope)}.nunique()"
        return f"{_expr(arg, scope)}.count()"
    if kind in _AGGREGATES and scope.grouped and not isinstance(node.this, exp.Distinct):
        return f"{_expr(node.this, scope)}.{_AGGREGATES[kind]}()"
    raise _refuse(node)


def _is_int(node: Any) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit()


def _case(node: Any, scope: _Scope) -> str:
    subject = node.this
    pairs = []
    for when in node.args.get("ifs") or []:
        cond = when.this
        test = (
            f"({_expr(subject, scope)} == {_expr(cond, scope)})"
            if subject is not None
            else _expr(cond, scope)
        )
        pairs.append(f"({test}, {_expr(when.args['true'], scope)})")
    default = node.args.get("default")
    tail = f", else_={_expr(default, scope)}" if default is not None else ""
    return f"ibis.cases({', '.join(pairs)}{tail})"


def _dtype(node: Any) -> str:
    from sqlglot import exp

    name = node.this.name if isinstance(node.this, exp.DataType.Type) else str(node.this)
    if name == "DECIMAL":
        params = [p.this.this if hasattr(p.this, "this") else p.this for p in node.expressions]
        precision, scale = (params + ["18", "3"][len(params) :])[:2]
        return f"decimal({precision}, {scale})"
    if name not in _TYPES:
        raise _refuse(node, f"a cast to {name}")
    return _TYPES[name]


def _module(node: ModelNode, params: list[str], config: dict[str, Any], body: list[str]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in config.items())
    signature = ", ".join(f"{p}: ibis.Table" for p in params)
    code = "\n".join(f"    {line}" for line in body)
    return (
        f'"""{node.name}: translated from {node.path} by `pyflow migrate --to-python {node.name}`."""\n\n'
        "import ibis\n\n"
        "from pyflow import model\n\n\n"
        f"@model({args})\n"
        f"def {node.name}({signature}) -> ibis.Table:\n"
        f"{code}\n"
    )
