"""Custom generic tests and singular Python tests: finding them and reading their signatures.

* Jinja generic tests are ``{% test name(model, ...) %}`` blocks (macros ``test_<name>``); their
  parameters say which arguments a declaration must give.
* ``@generic_test`` functions (``(model, column_name, **kwargs)`` returning failing rows) and
  ``@data_test`` functions (parameters naming models and sources, like ``@model``) live in
  ``.py`` files under test, macro or model paths. Test paths also hold pytest modules, which
  pyflow must not import: a file is imported only when its syntax tree shows one of the two
  decorators on a function (:func:`uses_test_decorator`).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2
import jinja2.nodes as jn
from pydantic import ValidationError

from pyflow.config.project import tree_layers
from pyflow.core.datatest import BUILTIN_TESTS, TestDefinition, config_hint
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import DependencyRef, TestNode
from pyflow.core.nodeconfig import ProjectConfig, TestConfig, config_keys, merge_layers
from pyflow.core.spec import CTX_PARAM, TEST_ATTR, ModelSpec
from pyflow.errors import GraphError, ProjectError, PyflowError, closest

DECORATORS = ("generic_test", "data_test")


def uses_test_decorator(text: str) -> bool:
    """True when a module decorates a function with ``@generic_test`` or ``@data_test``.

    Decided from the source text alone (nothing is imported). A file that does not parse but
    names a decorator counts, so that importing it reports the syntax error.
    """
    if not any(name in text for name in DECORATORS):
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            if name in DECORATORS:
                return True
    return False


def decorated_tests(module: Any, module_name: str) -> Iterator[tuple[Callable[..., Any], ModelSpec]]:
    """The ``@generic_test`` / ``@data_test`` functions defined in ``module`` (not imported ones)."""
    for attr, fn in vars(module).items():
        spec = getattr(fn, TEST_ATTR, None)
        if (
            isinstance(spec, ModelSpec)
            and getattr(fn, "__module__", None) == module_name
            and not attr.startswith("_")
        ):
            yield fn, spec


def _config(spec: ModelSpec, layers: list[dict[str, Any]], path: str) -> TestConfig:
    try:
        return TestConfig.model_validate(merge_layers([*layers, dict(spec.config)]))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ProjectError(
            f"invalid test config '{key}': {str(first['msg']).removeprefix('Value error, ')}"
            if key
            else f"invalid test config: {first['msg']}",
            model=spec.name,
            resource="test",
            path=path,
            line=spec.line,
            suggestions=closest(key, config_keys(TestConfig)) if first["type"] == "extra_forbidden" else (),
            hint=config_hint(key),
            code="invalid-test",
        ) from None


def generic_definition(fn: Callable[..., Any], spec: ModelSpec, path: str) -> TestDefinition:
    """The definition of a ``@generic_test`` function; ProjectError when its signature is wrong."""
    params = list(inspect.signature(fn).parameters.values())
    if not params or params[0].name != "model":
        raise ProjectError(
            f"generic test '{spec.name}' must take the tested table as its first parameter, `model`",
            model=spec.name,
            resource="test",
            path=path,
            line=spec.line,
            hint=f"write `def {spec.name}(model: ibis.Table, column_name: str, **kwargs) -> ibis.Table`",
            code="invalid-test",
        )
    if spec.name in BUILTIN_TESTS:
        raise ProjectError(
            f"generic test '{spec.name}' has the name of a built-in test",
            model=spec.name,
            resource="test",
            path=path,
            line=spec.line,
            hint="rename the function (built-in tests: " + ", ".join(BUILTIN_TESTS) + ")",
            code="duplicate-name",
        )
    _config(spec, [], path)  # report a bad default config where it is written
    named = [p for p in params[1:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return TestDefinition(
        name=spec.name,
        language="python",
        path=path,
        line=spec.line,
        required=tuple(p.name for p in named if p.default is p.empty),
        optional=tuple(p.name for p in named if p.default is not p.empty),
        any_argument=any(p.kind == p.VAR_KEYWORD for p in params),
        config=dict(spec.config),
    )


def singular_test(
    spec: ModelSpec, path: str, package: str, layers: list[dict[str, Any]], source: str, context: str = ""
) -> TestNode:
    """The test node of a ``@data_test`` function: its parameters are its dependencies.

    ``context``: what else it depends on (its module's other code, the project modules it
    imports; :mod:`pyflow.config.pydeps`), in its checksum as in a Python model's.
    """
    cfg = _config(spec, layers, path)
    refs = tuple(
        DependencyRef(p, spec.param_lines.get(p, spec.line), "param") for p in spec.params if p != CTX_PARAM
    )
    return TestNode(
        name=spec.name,
        package=package,
        path=path,
        line=spec.line,
        config=cfg,
        refs=refs,
        test_name=spec.name,
        kind="singular",
        language="python",
        raw_code=source,
        description=cfg.description or spec.doc or "",
        checksum=hashlib.sha256((f"{source}\0{context}" if context else source).encode()).hexdigest(),
    )


def jinja_definitions(jinja: JinjaProject) -> tuple[dict[str, TestDefinition], list[ProjectError]]:
    """Definitions of the ``{% test %}`` blocks (and ``test_*`` macros) of the project."""
    out: dict[str, TestDefinition] = {}
    errors: list[ProjectError] = []
    scopes = [("", jinja.macro_paths), *((f"{p}.", m) for p, m in jinja.package_macros.items())]
    for prefix, macro_paths in scopes:
        _scope_definitions(jinja, prefix, macro_paths, out, errors)
    return out, errors


def _scope_definitions(
    jinja: JinjaProject,
    prefix: str,
    macro_paths: Mapping[str, str],
    out: dict[str, TestDefinition],
    errors: list[ProjectError],
) -> None:
    """The ``{% test %}`` blocks of the root project (``prefix`` '') or of a package (``'pkg.'``)."""
    files = {path for name, path in macro_paths.items() if name.startswith("test_")}
    for path in sorted(files):
        try:
            tree = jinja.env.parse(jinja.sources[path], filename=path)
        except jinja2.TemplateSyntaxError:
            continue  # reported when the macros were loaded
        for macro in tree.find_all(jn.Macro):
            if not macro.name.startswith("test_") or macro_paths.get(macro.name) != path:
                continue
            name = prefix + macro.name.removeprefix("test_")
            args = [a.name for a in macro.args]
            if "model" not in args:
                errors.append(
                    ProjectError(
                        f"generic test '{name}' takes no `model` parameter",
                        model=name,
                        resource="test",
                        path=path,
                        line=macro.lineno,
                        hint=f"write {{% test {name}(model, column_name) %}}: `model` is the tested relation",
                        code="invalid-test",
                    )
                )
                continue
            n_required = len(args) - len(macro.defaults)
            out[name] = TestDefinition(
                name=name,
                language="sql",
                path=path,
                line=macro.lineno,
                required=tuple(a for a in args[:n_required] if a != "model"),
                optional=tuple(a for a in args[n_required:] if a != "model"),
                any_argument=any(n.name == "kwargs" for n in macro.find_all(jn.Name)),
            )


def clashes(python: Mapping[str, TestDefinition], jinja: Mapping[str, TestDefinition]) -> list[ProjectError]:
    """A generic test defined both in Python and in Jinja."""
    return [
        ProjectError(
            f"generic test '{name}' is defined twice: {jinja[name].path}:{jinja[name].line} and "
            f"{d.path}:{d.line}",
            model=name,
            resource="test",
            path=d.path,
            line=d.line,
            hint="rename or delete one of the two",
            code="duplicate-name",
        )
        for name, d in python.items()
        if name in jinja
    ]


class PythonTests:
    """The ``@generic_test`` and ``@data_test`` functions found while loading one project."""

    def __init__(self, config: ProjectConfig) -> None:
        self.config = config
        self.definitions: dict[str, TestDefinition] = {}
        self.generic: dict[str, Callable[..., Any]] = {}
        """``@generic_test`` functions by test name."""
        self.singular: dict[str, Callable[..., Any]] = {}
        """``@data_test`` functions by test node name."""
        self.nodes: list[TestNode] = []
        """The singular tests' nodes."""
        self.errors: list[PyflowError] = []

    def add_module(self, module: Any, module_name: str, path: str, context: str = "") -> None:
        """Record the test functions an imported module defines; keep errors for the report.

        ``context``: what the module's functions depend on besides their own source.
        """
        for fn, spec in decorated_tests(module, module_name):
            try:
                if spec.kind == "generic_test":
                    self._add_generic(fn, spec, path)
                else:
                    self._add_singular(fn, spec, path, context)
            except PyflowError as exc:
                self.errors.append(exc)

    def _add_generic(self, fn: Callable[..., Any], spec: ModelSpec, path: str) -> None:
        definition = generic_definition(fn, spec, path)
        other = self.definitions.get(spec.name)
        if other is not None:
            raise GraphError(
                f"generic test '{spec.name}' is defined twice: {other.path}:{other.line} and {path}:{spec.line}",
                model=spec.name,
                resource="test",
                path=path,
                line=spec.line,
                hint="rename or delete one of the two functions",
                code="duplicate-name",
            )
        self.definitions[spec.name] = definition
        self.generic[spec.name] = fn

    def _add_singular(self, fn: Callable[..., Any], spec: ModelSpec, path: str, context: str) -> None:
        cfg, name = self.config, spec.name
        layers = [*tree_layers(cfg.tests, cfg.name, (name,)), *tree_layers(cfg.data_tests, cfg.name, (name,))]
        try:
            source = inspect.getsource(fn)
        except (OSError, TypeError):
            source = fn.__qualname__
        self.nodes.append(singular_test(spec, path, cfg.name, layers, source, context))
        self.singular.setdefault(name, fn)  # a second one of this name is reported as a duplicate
