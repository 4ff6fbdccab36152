"""Tests for pyflow.core.spec: the @model decorator and the run context."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from pyflow import Context, TargetInfo, model
from pyflow.core.spec import SPEC_ATTR, ModelSpec, defaulted_params
from pyflow.errors import CompileError

if TYPE_CHECKING:
    import pandas as pd


@model
def plain(orders: Any, customers: Any) -> Any:
    """Join orders to customers."""
    return orders


@model(materialized="table", tags=["daily"])
def configured(
    orders: Any,
    ctx: Context,
) -> Any:
    return orders


def _frame() -> pd.DataFrame:
    raise NotImplementedError


def _spec(fn: object) -> ModelSpec:
    spec = getattr(fn, SPEC_ATTR)
    assert isinstance(spec, ModelSpec)
    return spec


def test_spec_model_returns_the_function_unchanged_with_a_frozen_spec() -> None:
    assert plain("o", "c") == "o"
    spec = _spec(plain)
    assert spec.name == "plain"
    assert spec.params == ("orders", "customers")
    assert spec.config == {}
    assert spec.doc == "Join orders to customers."
    with pytest.raises(AttributeError):
        spec.name = "x"  # type: ignore[misc]


def test_spec_model_line_is_the_def_line_after_decorators() -> None:
    _, start = inspect.getsourcelines(configured)

    spec = _spec(configured)

    assert spec.line == start + 1
    assert spec.config == {"materialized": "table", "tags": ["daily"]}


def test_spec_param_lines_point_at_each_parameter() -> None:
    spec = _spec(configured)

    assert spec.param_lines["orders"] == spec.line + 1
    assert spec.param_lines["ctx"] == spec.line + 2


def test_spec_returns_dataframe_from_the_annotation() -> None:
    assert _spec(model(_frame)).returns_dataframe is True
    assert _spec(plain).returns_dataframe is False


def _ctx(**vars: object) -> Context:
    return Context(
        model_name="m",
        vars=vars,
        target=TargetInfo(name="dev", type="duckdb", schema="main", database=None),
        run_started_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def test_spec_context_var_returns_values_and_defaults() -> None:
    ctx = _ctx(start="2024-01-01")

    assert ctx.var("start") == "2024-01-01"
    assert ctx.var("end", None) is None
    assert ctx.target.schema == "main"
    assert ctx.is_incremental is False


def test_spec_context_undefined_var_suggests_and_explains() -> None:
    with pytest.raises(CompileError) as info:
        _ctx(start_date="2024-01-01").var("start_dat")

    err = info.value
    assert err.code == "undefined-var"
    assert err.model == "m"
    assert err.suggestions == ["start_date"]
    assert "--vars" in (err.hint or "")


def _decorator(fn: Any) -> Any:
    return fn


@_decorator
@model(
    materialized="table",
)
async def _async_two_decorators(
    a: Any,
    /,
    b: Any,
    *,
    c: Any,
) -> Any:
    return a


def test_spec_def_lines_from_the_file_tree_equal_getsourcelines(tmp_path: Any) -> None:
    """The fast path (one parse of the whole file) gives what ``getsourcelines`` gave."""
    from pyflow.core.spec import _def_lines, _slow_def_lines

    def nested(
        x: Any,
        y: Any,
    ) -> Any:
        return x

    source = "import pyflow\n\n\n@pyflow.model\ndef m(\n    a,\n    b,\n):\n    return a\n"
    path = tmp_path / "mod.py"
    path.write_text(source)
    namespace: dict[str, Any] = {}
    exec(compile(source, str(path), "exec"), namespace)
    functions = [plain, configured, _async_two_decorators, nested, namespace["m"]]
    for fn in functions:
        assert _def_lines(fn) is not None, fn
        assert _def_lines(fn) == _slow_def_lines(fn), fn
    assert _def_lines(namespace["m"]) == (5, {"a": 6, "b": 7})
    # one file defining many functions, one name twice: each is found by its own first line
    many = "".join(f"def f{i}(a{i}):\n    return a{i}\n\n\n" for i in range(50))
    many += "first_f0 = f0\n\n\ndef f0(\n    z,\n):\n    return z\n"
    (tmp_path / "many.py").write_text(many)
    scope: dict[str, Any] = {}
    exec(compile(many, str(tmp_path / "many.py"), "exec"), scope)
    for fn in [scope["first_f0"], *(scope[f"f{i}"] for i in range(50))]:
        assert _def_lines(fn) is not None and _def_lines(fn) == _slow_def_lines(fn), fn
    assert _def_lines(scope["f0"]) == (204, {"z": 205})
    assert _def_lines(scope["first_f0"]) == (1, {"a0": 1})
    # no file to read: the fast path declines, the spec still gets the code's first line
    generated: dict[str, Any] = {}
    exec("def g(a):\n    return a\n", generated)
    assert _def_lines(generated["g"]) is None
    assert _spec(model(generated["g"])).line == 1


TRICKY = '''
def deco(f):
    return f


@deco
def trailing_comment(a):
    return a
    # indented: inspect keeps it

# at column 0, after a blank line: it does not


@deco
def comment_at_col0_then_indented(a):
    x = (1 +
         2)
    return a  # c
# column 0
    # indented again


def one_line(a): return a


class K:
    @deco
    def method(self):
        return 1

        # blank, then a comment
    z = 1

    def last_method(self):
        return 2


def blank_lines_after(a):
    """doc"""
    if a:
        return 1
    return 2



def continued(a):
    return a \\
        + 1


@deco
@deco
def at_the_end(a):
    return a
'''


CORPUS = (
    "pyflow.config.loader",
    "pyflow.runner.session",
    "pyflow.cli.main",
    "pyflow.adapters.base",
    "pyflow.adapters.duckdb",
    "json.decoder",
    "argparse",
    "inspect",
    "ast",
)


NESTED_DEFS = """
import contextlib


def top(a):
    def inner(b):
        async def deepest(c):
            return c
        return lambda d: d
    return inner


class K:
    def method(self):
        class L:
            def deeper(self):
                return 1
        return L

    async def amethod(self):
        return 2


if True:
    def in_if():
        pass
elif False:
    def in_elif():
        pass
else:
    def in_else():
        pass

for i in range(1):
    def in_for():
        pass
else:
    def in_for_else():
        pass

while False:
    def in_while():
        pass
else:
    def in_while_else():
        pass

try:
    def in_try():
        pass
except ValueError:
    def in_except():
        pass
else:
    def in_try_else():
        pass
finally:
    def in_finally():
        pass

try:
    pass
except* TypeError:
    def in_except_star():
        pass

with contextlib.nullcontext():
    def in_with():
        pass

match 1:
    case 1:
        def in_case():
            pass
    case _:
        def in_default_case():
            pass

value = [lambda: 1 for _ in range(1)]
"""


def test_spec_function_defs_finds_what_ast_walk_finds() -> None:
    """Walking statement lists only finds every ``def`` a full ``ast.walk`` finds, at any depth."""
    import ast
    import importlib

    from pyflow.core.spec import _function_defs

    sources = [NESTED_DEFS, TRICKY]
    sources += [inspect.getsource(importlib.import_module(name)) for name in CORPUS]
    for source in sources:
        tree = ast.parse(source)
        expected = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        found = _function_defs(tree)
        assert sorted(map(id, found)) == sorted(map(id, expected))
    names = {f.name for f in _function_defs(ast.parse(NESTED_DEFS))}
    assert len(names) == 21 and {"deepest", "deeper", "in_except_star", "in_default_case"} <= names


def test_spec_def_source_equals_inspect_getsource(tmp_path: Any) -> None:
    """The loader's source of a model (its checksum) read from the syntax tree is getsource's."""
    import importlib
    import importlib.util
    import inspect
    import types

    from pyflow.core import spec as spec_module
    from pyflow.core.spec import def_source

    path = tmp_path / "tricky_module.py"
    path.write_text(TRICKY)
    loaded = importlib.util.spec_from_file_location("tricky_module", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    tricky = vars(module)
    functions = [v for v in tricky.values() if isinstance(v, types.FunctionType)]
    functions += [tricky["K"].method, tricky["K"].last_method]
    # and every function and method of some real modules
    for name in CORPUS:
        module = importlib.import_module(name)
        for value in vars(module).values():
            members = vars(value).values() if isinstance(value, type) else [value]
            functions += [f for f in members if isinstance(f, types.FunctionType) and f.__module__ == name]
    fast = 0
    for fn in functions:
        found = def_source(fn)
        try:
            expected = inspect.getsource(fn)
        except OSError:  # generated code (a dataclass's methods): the fast path declines too
            assert found is None, fn
            continue
        if found is not None:
            assert found == expected, fn
            fast += 1
    assert fast > 0.8 * len(functions) > 200
    assert def_source(tricky["trailing_comment"]) is None  # a comment follows: inspect decides
    assert def_source(tricky["at_the_end"]) == "@deco\n@deco\ndef at_the_end(a):\n    return a\n"
    assert spec_module.def_source(tricky["one_line"]) == "def one_line(a): return a\n"


def test_spec_def_source_reads_a_file_edited_since_it_was_first_read(tmp_path: Any) -> None:
    # a long-lived process (the in-process CLI, a notebook) imports a model file, the file is
    # edited, it is imported again: the source (the model's checksum, state:modified) is the new one
    import importlib.util

    from pyflow.core.spec import def_source

    path = tmp_path / "edited_model.py"

    def load(text: str) -> Any:
        path.write_text(text)
        loaded = importlib.util.spec_from_file_location("edited_model", path)
        assert loaded is not None and loaded.loader is not None
        module = importlib.util.module_from_spec(loaded)
        loaded.loader.exec_module(module)
        return module.m

    assert def_source(load("def m(a):\n    return a * 2\n")) == "def m(a):\n    return a * 2\n"
    assert def_source(load("def m(a):\n    return a * 30\n")) == "def m(a):\n    return a * 30\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("@model\ndef m(a, b=1, *, c, d=2):\n    return a\n", {"b", "d"}),
        ("@model\ndef m(a, /, b=1):\n    return a\n", {"b"}),
        ("@model\ndef m(a=0, /, b=1):\n    return a\n", {"a", "b"}),
        ("    @model\n    def m(a, ctx=None):\n        return a\n", {"ctx"}),
        ("@model\ndef m(a, b):\n    return a\n", set()),
        ("def m(:\n", set()),
    ],
    ids=[
        "positional-and-keyword",
        "positional-only",
        "positional-only-default",
        "indented",
        "none",
        "broken",
    ],
)
def test_defaulted_params_reads_the_parameters_given_a_default(source, expected):
    assert defaulted_params(source) == expected
