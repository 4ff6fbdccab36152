"""Loading data tests: declarations from YAML and decorators, singular SQL and Python tests.

A mixin of the project loader (:mod:`pyflow.config.loader`): it records every test declaration
while files are read, then builds the test nodes once all models and custom generic tests are
known.
"""

from __future__ import annotations

import abc
import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pyflow.config import customtest
from pyflow.config.configjinja import ConfigRenderer, tree_value_line
from pyflow.config.files import name_too_long, relpath, sha
from pyflow.config.packages import Package
from pyflow.config.project import tree_layers
from pyflow.config.properties import PropertiesFile, UnitTestProps
from pyflow.config.pydeps import module_imports
from pyflow.config.unitspec import make_unit_test
from pyflow.config.yamlfile import YamlDoc, read_text
from pyflow.core.datatest import BUILTIN_TESTS, Target, make_test
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import DependencyRef, Node, TestNode
from pyflow.core.nodeconfig import ProjectConfig, TestConfig, config_keys, merge_layers
from pyflow.core.spec import TargetInfo, module_tree
from pyflow.errors import GraphError, ProjectError, PyflowError

log = logging.getLogger(__name__)


class TestLoading(abc.ABC):
    """The test-loading part of the project loader (state and hooks it shares with it)."""

    __test__ = False  # not a pytest class

    root: Path
    config: ProjectConfig
    errors: list[PyflowError]
    disabled: dict[str, Node]
    module_prefix: str
    tests: dict[str, TestNode]
    doc: Callable[[str], str] | None
    test_decls: list[tuple[Target, str | None, Any, str, int]]
    unit_decls: list[tuple[UnitTestProps, YamlDoc, tuple[str | int, ...]]]
    python_tests: customtest.PythonTests
    vars: dict[str, Any]
    target: TargetInfo
    config_doc: YamlDoc
    packages: list[Package]

    @abc.abstractmethod
    def fail(self, err: PyflowError) -> None:
        """Record a definition error (all are reported together)."""

    @abc.abstractmethod
    def _import(self, path: Path, display: str, mod_name: str, imports: Sequence[Sequence[str | int]]) -> Any:
        """Import a project module (``imports``: its import statements), recording failures as errors."""

    @abc.abstractmethod
    def _module_context(self, path: Path, text: str, module: Any, mod_name: str) -> str:
        """What a module's decorated functions depend on besides their own source."""

    @abc.abstractmethod
    def _parse_sql(
        self, display: str, text: str, name: str, jinja: JinjaProject, block: str | None = None
    ) -> dict[str, Any] | None:
        """Find a SQL file's ref/source/config calls."""

    def _collect_tests(self, props: PropertiesFile, doc: YamlDoc) -> None:
        """Record every test declared in a properties file (built once all nodes are known)."""
        for group in ("models", "seeds", "snapshots"):
            for i, entry_props in enumerate(getattr(props, group)):
                target = Target("ref", entry_props.name)
                self._declare(target, None, entry_props, doc, (group, i))
                for j, col in enumerate(entry_props.columns):
                    self._declare(target, col.name, col, doc, (group, i, "columns", j))
        for i, src in enumerate(props.sources):
            for j, tbl in enumerate(src.tables):
                target = Target("source", src.name, tbl.name)
                loc = ("sources", i, "tables", j)
                self._declare(target, None, tbl, doc, loc)
                for k, col in enumerate(tbl.columns):
                    self._declare(target, col.name, col, doc, (*loc, "columns", k))

    def _declare(
        self, target: Target, column: str | None, holder: Any, doc: YamlDoc, loc: tuple[str | int, ...]
    ) -> None:
        """Record ``holder.tests`` and ``holder.data_tests``, each with its own line."""
        for key in ("tests", "data_tests"):
            for n, entry in enumerate(getattr(holder, key)):
                self.test_decls.append((target, column, entry, doc.display, doc.line_of((*loc, key, n)) or 1))

    def build_tests(self, jinja: JinjaProject) -> None:
        """Turn the collected declarations into test nodes (custom generic tests known now)."""
        jinja_defs, errors = customtest.jinja_definitions(jinja)
        python = self.python_tests
        self.errors.extend([*errors, *python.errors, *customtest.clashes(python.definitions, jinja_defs)])
        for singular in python.nodes:
            self._register_test(singular)
        custom = {**jinja_defs, **python.definitions}

        def known(name: str) -> bool:
            return name in BUILTIN_TESTS or jinja.test_macro(name) is not None or name in custom

        def parse_ref(text: str) -> DependencyRef | None:
            try:
                found = jinja.static_refs("<test argument>", "{{ " + text + " }}")
            except Exception:
                return None
            if found.refs:
                return DependencyRef(found.refs[0][0], 1, "ref")
            if found.sources:
                s, t, _ = found.sources[0]
                return DependencyRef(s, 1, "source", t)
            return None

        for target, column, entry, path, line in self.test_decls:
            if target.kind == "ref" and target.name in self.disabled:
                continue
            try:
                node = make_test(
                    entry,
                    target,
                    column,
                    package=next(
                        (p.name for p in self.packages if path.startswith(p.display + "/")), self.config.name
                    ),
                    path=path,
                    line=line,
                    known=known,
                    parse_ref=parse_ref,
                    definitions=custom,
                    defaults=self._test_tree_config(path, target.name),
                )
            except PyflowError as exc:  # a declaration, or the Jinja of the tree's config
                self.fail(exc)
                continue
            self._register_test(node)
        for unit, doc, loc in self.unit_decls:
            if unit.model not in self.disabled:
                try:
                    self._register_test(make_unit_test(unit, doc, loc, self.config.name))
                except ProjectError as exc:
                    self.fail(exc)

    def _test_tree_config(self, path: str, node: str) -> dict[str, Any]:
        """The ``tests:``/``data_tests:`` tree config of a generic test of ``node`` declared in ``path``.

        The tree is walked down the folders of the declaring file (below its model, seed or
        snapshot path), as dbt does for the tests a properties file declares.
        """
        parts = Path(path).parent.parts
        for folder in (*self.config.model_paths, *self.config.seed_paths, *self.config.snapshot_paths):
            base = Path(folder).parts
            if parts[: len(base)] == base:
                parts = parts[len(base) :]
                break
        renderer = ConfigRenderer(self.vars, self.target, self.doc)
        where = self.config_doc.display
        doc = self.config_doc
        layers = [
            renderer.layer(
                layer,
                model=node,
                resource="test",
                path=where,
                line=doc.line_of((key,)),
                locate=functools.partial(tree_value_line, doc, key),
            )
            for key, tree in (("tests", self.config.tests), ("data_tests", self.config.data_tests))
            for layer in tree_layers(tree, self.config.name, tuple(parts))
        ]
        return merge_layers(layers)

    def _register_test(self, node: TestNode) -> None:
        too_long = name_too_long(node.name, "test", node.path, node.line)
        if too_long is not None:
            self.fail(too_long)
        if not node.config.enabled:
            return
        if node.name in self.tests:
            other = self.tests[node.name]
            self.fail(
                GraphError(
                    f"two tests are named '{node.name}': {other.path}:{other.line} and {node.path}:{node.line}",
                    model=node.name,
                    resource="test",
                    path=node.path,
                    line=node.line,
                    hint="give one of them a distinct `name:`",
                    code="duplicate-name",
                )
            )
            return
        self.tests[node.name] = node

    def load_python_tests(self, path: Path) -> None:
        """``@generic_test``/``@data_test`` functions of a file under test or macro paths.

        Files that use neither decorator (pytest modules, helpers) are not imported.
        """
        display = relpath(self.root, path)
        try:
            text = read_text(path, display)
        except ProjectError as exc:
            self.fail(exc)
            return
        if customtest.uses_test_decorator(text):
            parts = path.relative_to(self.root).with_suffix("").parts
            mod_name = ".".join([self.module_prefix, *(p.replace("-", "_") for p in parts)])
            module = self._import(path, display, mod_name, module_imports(module_tree(str(path), text)))
            if module is not None:
                context = self._module_context(path, text, module, mod_name)
                self.python_tests.add_module(module, mod_name, display, context)

    def load_singular_test(self, path: Path, jinja: JinjaProject, package: str | None = None) -> None:
        """A ``tests/*.sql`` file (of the root project or ``package``): a query returning the rows that fail."""
        display = relpath(self.root, path)
        package = package or self.config.name
        try:
            text = read_text(path, display)
        except ProjectError as exc:
            self.fail(exc)
            return
        jinja.add_template(display, text, package=None if package == self.config.name else package)
        parsed = self._parse_sql(display, text, path.stem, jinja)
        if parsed is None:
            return
        try:
            cfg = TestConfig.model_validate(
                merge_layers(
                    [
                        *tree_layers(self.config.tests, package, (path.stem,)),
                        *tree_layers(self.config.data_tests, package, (path.stem,)),
                        parsed["config"],
                    ]
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            self.fail(
                ProjectError(
                    f"invalid test config: {first['msg']}",
                    model=path.stem,
                    resource="test",
                    path=display,
                    line=1,
                    hint="valid test config keys: " + ", ".join(config_keys(TestConfig)),
                    code="invalid-test",
                )
            )
            return
        refs = tuple(
            DependencyRef(r["name"], r["line"], r["kind"], r.get("source_table")) for r in parsed["refs"]
        )
        self._register_test(
            TestNode(
                name=path.stem,
                package=package,
                path=display,
                line=1,
                config=cfg,
                refs=refs,
                test_name=path.stem,
                kind="singular",
                language="sql",
                raw_code=text,
                checksum=sha(text),
            )
        )
