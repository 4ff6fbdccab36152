"""``@model`` (and ``@snapshot``, ``@generic_test``, ``@data_test``): attach a spec to a function.

The decorator does no work beyond reading the signature: it attaches a frozen
:class:`ModelSpec` to the function (``fn.__pyflow_model__``) and returns the function unchanged,
so a model stays a plain, directly callable Python function.
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, Unpack, overload

from pyflow.core.configtypes import DataTestConfigDict, ModelConfigDict, SnapshotConfigDict

CTX_PARAM = "ctx"
SPEC_ATTR = "__pyflow_model__"
TEST_ATTR = "__pyflow_test__"
"""Where ``@generic_test`` and ``@data_test`` attach their spec (never read as a model)."""
DATAFRAME_HINTS = ("DataFrame", "pyarrow.Table", "pa.Table", "pyarrow.lib.Table")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ModelSpec:
    """What ``@model`` records about a function: its name, parameters and config."""

    name: str
    params: tuple[str, ...]
    config: Mapping[str, Any]
    line: int
    doc: str | None = None
    returns_dataframe: bool = False
    param_lines: Mapping[str, int] = field(default_factory=dict)
    kind: str = "model"
    """``model``, ``snapshot``, ``generic_test`` or ``data_test``."""


def _returns_dataframe(fn: Callable[..., Any]) -> bool:
    ann = fn.__annotations__.get("return")
    text = ann if isinstance(ann, str) else getattr(ann, "__qualname__", "") or repr(ann)
    module = "" if isinstance(ann, str) else getattr(ann, "__module__", "")
    full = f"{module}.{text}"
    return any(h in full or h in text for h in DATAFRAME_HINTS)


@functools.lru_cache(maxsize=8)
def module_tree(filename: str, text: str) -> ast.Module | None:
    """The syntax tree of a model file, or None when it does not parse.

    Parsed once for the decorator (def lines, sources) and the loader (what else the models
    depend on).
    """
    try:
        return ast.parse(text, filename)
    except (SyntaxError, ValueError):
        return None


@functools.lru_cache(maxsize=8)
def _module_defs(
    filename: str, text: str
) -> dict[tuple[str, int], list[ast.FunctionDef | ast.AsyncFunctionDef]]:
    """A source file's function definitions by name and first line, from one parse and one walk.

    Built once for all the functions a file defines (walking the file again for each of them
    made loading a file of a thousand models take half a minute).
    """
    tree = module_tree(filename, text)
    if tree is None:
        return {}
    defs: dict[tuple[str, int], list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for node in _function_defs(tree):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        defs.setdefault((node.name, first), []).append(node)
    return defs


def _function_defs(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function definition of a module, at any depth: what ``ast.walk`` finds, faster.

    A ``def`` is a statement, so only statement lists are entered (bodies, ``else``/``finally``
    blocks, ``except`` handlers, ``match`` cases), never expressions: most of a module's nodes.
    """
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node)
        for name in STATEMENT_LISTS:
            todo.extend(getattr(node, name, ()))
    return found


STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")
"""The fields of a statement (or ``except`` handler, or ``match`` case) that hold statements."""


def _file_lines(filename: str) -> list[str]:
    """The file's lines as they are now (``linecache`` may hold them as an earlier import saw them)."""
    linecache.checkcache(filename)
    return linecache.getlines(filename)


def _def_lines(fn: Callable[..., Any]) -> tuple[int, dict[str, int]] | None:
    """The ``def`` line and each parameter's line, from the syntax tree of the whole file.

    The fast path of :func:`_slow_def_lines` (no tokenizing of the function's block): the file is
    parsed once and the function found by name and first line (its first decorator's, as
    ``co_firstlineno`` counts it). None when not exactly one definition matches.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    lines = _file_lines(code.co_filename)
    found = (
        _module_defs(code.co_filename, "".join(lines)).get((code.co_name, code.co_firstlineno), [])
        if lines
        else []
    )
    if len(found) != 1:
        return None
    fdef = found[0]
    args = [*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs]
    return fdef.lineno, {a.arg: a.lineno for a in args}


def def_source(fn: Callable[..., Any]) -> str | None:
    """``inspect.getsource(fn)`` read from the file's syntax tree, without tokenizing the block.

    Decorators through the last line of the body. None (ask ``inspect``) unless the next
    non-blank line is code indented no deeper than the ``def``, or the end of the file: a
    comment there may belong to the block as ``inspect`` reads it.
    """
    code = getattr(fn, "__code__", None)
    if code is None or hasattr(fn, "__wrapped__"):  # inspect reads the wrapped function's
        return None
    lines = _file_lines(code.co_filename)
    if not lines:
        return None
    found = _module_defs(code.co_filename, "".join(lines)).get((code.co_name, code.co_firstlineno), [])
    if len(found) != 1 or found[0].end_lineno is None:
        return None
    fdef, end = found[0], found[0].end_lineno
    indent = len(lines[fdef.lineno - 1]) - len(lines[fdef.lineno - 1].lstrip())
    after = next((line for line in lines[end:] if line.strip()), None)
    if after is not None and (after.lstrip().startswith("#") or len(after) - len(after.lstrip()) > indent):
        return None
    return "".join(lines[code.co_firstlineno - 1 : end])


def _slow_def_lines(fn: Callable[..., Any]) -> tuple[int, dict[str, int]] | None:
    """The ``def`` line and parameter lines from ``inspect.getsourcelines`` (the reference)."""
    try:
        lines, start = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    fdef = tree.body[0]
    args = [*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs]
    return start + fdef.lineno - 1, {a.arg: start + a.lineno - 1 for a in args}


def _spec_for(fn: Callable[..., Any], config: Mapping[str, object], kind: str = "model") -> ModelSpec:
    sig = inspect.signature(fn)
    line = fn.__code__.co_firstlineno
    param_lines = {p: line for p in sig.parameters}
    found = _def_lines(fn) or _slow_def_lines(fn)
    if found is not None:
        line = found[0]
        param_lines.update(found[1])
    return ModelSpec(
        name=fn.__name__,
        params=tuple(sig.parameters),
        config=dict(config),
        line=line,
        doc=inspect.getdoc(fn),
        returns_dataframe=_returns_dataframe(fn),
        param_lines=param_lines,
        kind=kind,
    )


@overload
def model(fn: F, /) -> F: ...
@overload
def model(fn: None = None, /, **config: Unpack[ModelConfigDict]) -> Callable[[F], F]: ...
def model(fn: F | None = None, /, **config: Unpack[ModelConfigDict]) -> F | Callable[[F], F]:
    """Declare a model: a function whose parameters name its inputs.

    Use bare (``@model``) or with config (``@model(materialized="table", tags=["daily"])``).
    Each parameter is an upstream model, seed or source (``<source>__<table>``); a parameter
    named ``ctx`` receives the :class:`Context`. The function returns an Ibis table expression,
    or, as an escape hatch, a pandas/pyarrow DataFrame (annotate ``-> pd.DataFrame``).

    Args:
        fn: the function, when used without parentheses.
        **config: model config, typed by :class:`~pyflow.ModelConfigDict` so editors complete
            the keys and mypy checks the values: ``materialized``, ``schema``, ``tags``,
            ``unique_key``, ``incremental_strategy``, ``on_schema_change``, ``partitioned_by``,
            ``columns`` ... (docs/configuration.md lists them all).

    Returns:
        The function itself, with its spec attached.

    """

    def wrap(f: F) -> F:
        setattr(f, SPEC_ATTR, _spec_for(f, config))
        return f

    return wrap(fn) if fn is not None else wrap


@overload
def snapshot(fn: F, /) -> F: ...
@overload
def snapshot(fn: None = None, /, **config: Unpack[SnapshotConfigDict]) -> Callable[[F], F]: ...
def snapshot(fn: F | None = None, /, **config: Unpack[SnapshotConfigDict]) -> F | Callable[[F], F]:
    """Declare an SCD type 2 snapshot: a function returning the source's current state.

    Put it in a file under ``snapshots/``. Each run compares the returned rows with the
    snapshot table and records changes as new versions with validity windows.

    Args:
        fn: the function, when used without parentheses (config then comes from YAML).
        **config: typed by :class:`~pyflow.SnapshotConfigDict`: ``unique_key``, ``strategy``
            (``timestamp`` with ``updated_at``, or ``check`` with ``check_cols``),
            ``hard_deletes``, ``target_schema``, ``snapshot_meta_column_names``,
            ``dbt_valid_to_current`` ...

    Returns:
        The function itself, with its spec attached.

    """

    def wrap(f: F) -> F:
        setattr(f, SPEC_ATTR, _spec_for(f, config, "snapshot"))
        return f

    return wrap(fn) if fn is not None else wrap


@overload
def generic_test(fn: F, /) -> F: ...
@overload
def generic_test(fn: None = None, /, **config: Unpack[DataTestConfigDict]) -> Callable[[F], F]: ...
def generic_test(fn: F | None = None, /, **config: Unpack[DataTestConfigDict]) -> F | Callable[[F], F]:
    """Declare a custom generic test, usable by name in YAML ``data_tests:`` like ``unique``.

    The function receives the tested model, seed or source as an Ibis table (``model``), the
    tested column (``column_name``, for column tests) and the test's arguments as keyword
    arguments; it returns the failing rows as an Ibis table. Put it in a ``.py`` file under
    ``tests/generic/`` (or any test, macro or model path).

    Args:
        fn: the function, when used without parentheses.
        **config: default test config (``severity``, ``warn_if``, ``error_if``, ``tags`` ...)
            that each declaration may override.

    Returns:
        The function itself, with its spec attached.

    """

    def wrap(f: F) -> F:
        setattr(f, TEST_ATTR, _spec_for(f, config, "generic_test"))
        return f

    return wrap(fn) if fn is not None else wrap


@overload
def data_test(fn: F, /) -> F: ...
@overload
def data_test(fn: None = None, /, **config: Unpack[DataTestConfigDict]) -> Callable[[F], F]: ...
def data_test(fn: F | None = None, /, **config: Unpack[DataTestConfigDict]) -> F | Callable[[F], F]:
    """Declare a singular data test: a function returning the rows that break a rule.

    Its parameters name models, seeds and sources, as a ``@model``'s do; it returns an Ibis
    table of failing rows, and passes when that table is empty. Put it in a ``.py`` file under
    ``tests/``.

    Args:
        fn: the function, when used without parentheses.
        **config: test config (``severity``, ``warn_if``, ``error_if``, ``store_failures``,
            ``tags`` ...).

    Returns:
        The function itself, with its spec attached.

    """

    def wrap(f: F) -> F:
        setattr(f, TEST_ATTR, _spec_for(f, config, "data_test"))
        return f

    return wrap(fn) if fn is not None else wrap


class TargetInfo:
    """The target a model is compiled for: ``name``, ``type`` (engine), ``schema``, ``database``.

    Also dbt's ``profile_name`` and ``threads``, and ``dbname`` (dbt-postgres' name of the
    database), as templates read them from ``target``.
    """

    __slots__ = ("database", "name", "profile_name", "schema", "threads", "type")

    def __init__(
        self,
        name: str,
        type: str,
        schema: str,
        database: str | None,
        profile_name: str | None = None,
        threads: int = 4,
    ) -> None:
        self.name = name
        self.type = type
        self.schema = schema
        self.database = database
        self.profile_name = profile_name
        self.threads = threads

    @property
    def dbname(self) -> str | None:
        """The ``database``, under dbt-postgres' name for it."""
        return self.database

    def key(self) -> list[str | int | None]:
        """Everything a template can read of the target (for the parse and compile caches)."""
        return [self.name, self.type, self.schema, self.database, self.profile_name, self.threads]

    def __repr__(self) -> str:
        return f"TargetInfo(name={self.name!r}, type={self.type!r}, schema={self.schema!r})"


class Context:
    """The run context a model receives through a parameter named ``ctx``.

    Attributes:
        is_incremental: True when the model is incremental and its table already exists.
        this: the model's existing relation as an Ibis table (None on a first build).
        target: the :class:`TargetInfo` being built.
        run_started_at: when the invocation started (UTC).
        model_name: the model being compiled.

    """

    def __init__(
        self,
        *,
        model_name: str,
        vars: Mapping[str, Any],
        target: TargetInfo,
        run_started_at: datetime,
        is_incremental: bool = False,
        this: Any = None,
        used_vars: set[str] | None = None,
    ) -> None:
        self.model_name = model_name
        self._vars = vars
        self.target = target
        self._run_started_at = run_started_at
        self._read_run_started_at = False
        self.is_incremental = is_incremental
        self.this = this
        self._used = used_vars if used_vars is not None else set()

    _MISSING: Any = object()

    @property
    def run_started_at(self) -> datetime:
        """When the invocation started (UTC). A model reading it is recompiled every run."""
        self._read_run_started_at = True
        return self._run_started_at

    def var(self, name: str, default: Any = _MISSING) -> Any:
        """Value of a project variable (``vars:`` in pyflow.yml, overridden by ``--vars``)."""
        self._used.add(name)
        if name in self._vars:
            return self._vars[name]
        if default is not Context._MISSING:
            return default
        from pyflow.errors import CompileError, closest

        raise CompileError(
            f"variable '{name}' is not defined",
            model=self.model_name,
            suggestions=closest(name, self._vars),
            hint=f"add '{name}' under vars: in pyflow.yml, pass --vars '{{{name}: ...}}', "
            f"or give a default: ctx.var('{name}', default)",
            code="undefined-var",
        )


def defaulted_params(source: str) -> frozenset[str]:
    """The parameters given a default value in ``source``, a function's code (decorators too).

    For error messages: a model's parameters are all inputs, so a default is never used.
    """
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError):
        return frozenset()
    fdef = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    if fdef is None:
        return frozenset()
    args = fdef.args
    positional = [*args.posonlyargs, *args.args]
    with_default = positional[len(positional) - len(args.defaults) :]
    keyword = [a for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True) if default is not None]
    return frozenset(a.arg for a in [*with_default, *keyword])
