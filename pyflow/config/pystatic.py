"""A Python model module's definitions read from its syntax tree, without importing it.

Importing a model module runs it, and most modules import Ibis (about 0.3 s the first time):
a command that only lists nodes (``pyflow ls -s one+``) needs no function, only what ``@model``
would record. :func:`static_definitions` returns exactly the entries
:meth:`~pyflow.config.pythonloader.PythonLoading.load_python` stores in the parse cache after an
import (name, parameters and their lines, literal config, docstring, source, ...), or None when
the tree cannot tell for certain what the import would record. It is sure only of a plain module:

- top-level statements are a docstring, imports, literal constants (``X = 3``) and functions;
- every top-level name is bound once;
- each model function has exactly one decorator, ``@model``/``@snapshot`` (bare or called with
  literal keyword arguments), imported from ``pyflow`` (or ``@pyflow.model`` after
  ``import pyflow``), and no ``*args``/``**kwargs``;
- its return annotation is absent, a string (postponed annotations), or a spelling whose meaning
  is known (``ibis.Table``, ``pd.DataFrame``, ...).

Anything else (another decorator, a computed config value, a class, a loop at module level, an
unknown annotation) returns None and the module is imported as usual. Functions are imported
lazily the first time something calls them; an import error then names the file and line.
"""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

from pyflow.config.pydeps import add_dependencies
from pyflow.core.spec import DATAFRAME_HINTS

_KINDS = {"model": "model", "snapshot": "snapshot"}
_TABLE = frozenset({"ibis.Table", "ibis.expr.types.Table", "ibis.expr.types.relations.Table", "ir.Table"})
"""Return annotations that evaluate to Ibis's table class (not a DataFrame)."""
_FRAMES = frozenset({"pd.DataFrame", "pandas.DataFrame", "pa.Table", "pyarrow.Table"})
"""Return annotations that evaluate to a pandas or pyarrow frame."""
_ROOTS = {
    "ibis": "ibis",
    "ir": "ibis.expr.types",
    "pd": "pandas",
    "pandas": "pandas",
    "pa": "pyarrow",
    "pyarrow": "pyarrow",
}
"""The module each annotation root must be bound to for the spelling's meaning to hold."""


class _Unsure(Exception):
    """The tree alone cannot tell what importing the module would record."""


def static_definitions(text: str) -> list[dict[str, Any]] | None:
    """The parse-cache entries importing ``text`` as a module would produce; None when unsure."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None  # the import reports it
    try:
        found = _definitions(tree, text)
    except _Unsure:
        return None
    add_dependencies(found, tree, text, {entry["attr"] for entry in found})
    try:
        stored: list[dict[str, Any]] = json.loads(json.dumps(found))  # as the parse cache gives them back
    except (TypeError, ValueError):
        return None
    return stored


def _definitions(tree: ast.Module, text: str) -> list[dict[str, Any]]:
    bound: dict[str, str] = {}  # top-level name -> what binds it ("module:x", "pyflow.model", "def", "const")
    postponed = False
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for i, stmt in enumerate(tree.body):
        if i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # the docstring
        if isinstance(stmt, ast.ImportFrom):
            if stmt.module == "__future__":
                postponed = postponed or any(a.name == "annotations" for a in stmt.names)
            for alias in stmt.names:
                if alias.name == "*":
                    raise _Unsure
                _bind(
                    bound, alias.asname or alias.name, f"{'.' * stmt.level}{stmt.module or ''}.{alias.name}"
                )
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname is None:  # `import a.b` binds `a`
                    root = alias.name.split(".")[0]
                    if bound.get(root) != root:
                        _bind(bound, root, root)
                else:
                    _bind(bound, alias.asname, alias.name)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            _bind(bound, stmt.name, "def")
            functions.append(stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and _is_constant(stmt):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    raise _Unsure
                _bind(bound, target.id, "const")
        else:
            raise _Unsure  # code that runs at import: it may make or change models
    lines = text.splitlines(keepends=True)
    found = []
    for fdef in functions:
        kind = _decorator_kind(fdef, bound)
        if kind is None or fdef.name.startswith("_"):
            continue
        found.append(_entry(fdef, kind, bound, postponed, lines))
    return found


def _bind(bound: dict[str, str], name: str, what: str) -> None:
    if name in bound:
        raise _Unsure  # bound twice: which one the module ends with takes running it
    bound[name] = what


def _is_constant(stmt: ast.Assign | ast.AnnAssign) -> bool:
    if stmt.value is None:
        return True  # `x: int`: binds nothing
    try:
        ast.literal_eval(stmt.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _decorator_kind(fdef: ast.FunctionDef | ast.AsyncFunctionDef, bound: dict[str, str]) -> str | None:
    """``model``/``snapshot`` for a pyflow-decorated function, None for an undecorated one."""
    if not fdef.decorator_list:
        return None
    if len(fdef.decorator_list) > 1:
        raise _Unsure  # another decorator may wrap, rename or re-register the function
    deco = fdef.decorator_list[0]
    target = deco.func if isinstance(deco, ast.Call) else deco
    if isinstance(target, ast.Name) and bound.get(target.id) in ("pyflow.model", "pyflow.snapshot"):
        return _KINDS[bound[target.id].split(".")[1]]
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and bound.get(target.value.id) == "pyflow"
        and target.attr in _KINDS
    ):
        return _KINDS[target.attr]
    raise _Unsure


def _entry(
    fdef: ast.FunctionDef | ast.AsyncFunctionDef,
    kind: str,
    bound: dict[str, str],
    postponed: bool,
    lines: list[str],
) -> dict[str, Any]:
    args = fdef.args
    if args.vararg or args.kwarg:
        raise _Unsure
    deco = fdef.decorator_list[0]
    config: dict[str, Any] = {}
    if isinstance(deco, ast.Call):
        if deco.args:
            raise _Unsure  # `@model(f)`: not the decorator's form
        for kw in deco.keywords:
            if kw.arg is None:
                raise _Unsure  # `**config`
            try:
                config[kw.arg] = ast.literal_eval(kw.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise _Unsure from None
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    first = min(d.lineno for d in fdef.decorator_list)
    return {
        "attr": fdef.name,
        "name": fdef.name,
        "params": [a.arg for a in params],
        "config": config,
        "line": fdef.lineno,
        "doc": ast.get_docstring(fdef, clean=True),
        "returns_dataframe": _returns_dataframe(fdef.returns, bound, postponed),
        "param_lines": {a.arg: a.lineno for a in params},
        "kind": kind,
        "source": "".join(inspect.getblock(lines[first - 1 :])),
    }


def _returns_dataframe(returns: ast.expr | None, bound: dict[str, str], postponed: bool) -> bool:
    """What ``@model`` records from the return annotation (see ``pyflow.core.spec``)."""
    if returns is None:
        return False
    text = ast.unparse(returns)
    if postponed:  # the annotation is this text: the decorator reads it as it is
        return any(h in f".{text}" or h in text for h in DATAFRAME_HINTS)
    if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
        return any(h in f".{returns.value}" or h in returns.value for h in DATAFRAME_HINTS)
    root = text.split(".")[0]
    if text in _TABLE and bound.get(root) == _ROOTS[root]:
        return False
    if text in _FRAMES and bound.get(root) == _ROOTS[root]:
        return True
    raise _Unsure  # an evaluated annotation the text alone does not name for certain
