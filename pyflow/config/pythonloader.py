"""Loading Python model files: importing modules (or reading the parse cache) to find ``@model`` functions."""

from __future__ import annotations

import inspect
import re
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyflow.config import customtest
from pyflow.config.files import relpath as _rel
from pyflow.config.files import sha as _sha
from pyflow.config.loadstate import LoadState
from pyflow.config.packages import Package
from pyflow.config.parsecache import import_module
from pyflow.config.pydeps import ProjectImports, add_dependencies, module_context, module_imports
from pyflow.config.pystatic import static_definitions
from pyflow.config.sqlloader import folder_of
from pyflow.config.yamlfile import read_text
from pyflow.core.datatest import Target
from pyflow.core.node import (
    DependencyRef,
    ModelNode,
    SnapshotNode,
)
from pyflow.core.nodeconfig import (
    ModelConfig,
    SnapshotConfig,
)
from pyflow.core.spec import CTX_PARAM, SPEC_ATTR, TEST_ATTR, ModelSpec, def_source, module_tree
from pyflow.errors import ProjectError, PyflowError


class PythonLoading(LoadState):
    """The Python-model part of the project loader."""

    project_imports: ProjectImports | None = None
    """The project files model modules import (created at the first Python model)."""
    _helper_digests: dict[Path, str]
    """Per model file of this load: the hash of the project files it imports."""

    # ---- Python models -------------------------------------------------------------------
    def load_python(self, path: Path, package: Package | None = None) -> None:
        """Find the ``@model`` functions of one Python file (of the root project or ``package``).

        Read from the parse cache when the file is unchanged.
        """
        display = _rel(self.root, path)
        base = (
            self._model_root(path) if package is None else folder_of(path, package.root, package.model_paths)
        )
        rel_parts = path.relative_to(base).with_suffix("").parts
        prefix = [self.module_prefix] if package is None else [self.module_prefix, "packages", package.name]
        mod_name = ".".join([*prefix, *(p.replace("-", "_") for p in rel_parts)])
        owner = package.name if package is not None else None
        try:
            text = read_text(path, display)
        except ProjectError as exc:
            self.fail(exc)
            return
        sha = _sha(text)
        has_tests = customtest.uses_test_decorator(text)  # imported every time: tests are not cached
        cached = None if has_tests else self.parse_cache.get(display, sha, self.python_env)
        if cached is not None and any(item.get("helpers") != self._helpers_of(path, item) for item in cached):
            cached = None  # a project module it imports changed: what the import records may too
        if cached is None and self.static_python and not has_tests:
            cached = static_definitions(text)  # None unless the tree tells what an import would find
        if cached is not None:
            for item in cached:
                spec = ModelSpec(
                    name=item["name"],
                    params=tuple(item["params"]),
                    config=item["config"],
                    line=item["line"],
                    doc=item["doc"],
                    returns_dataframe=item["returns_dataframe"],
                    param_lines=item["param_lines"],
                    kind=item["kind"],
                )
                context = self._context(path, item)
                if self.add_python_model(spec, display, rel_parts[:-1], item["source"], owner, context):
                    self.functions.defer(spec.name, path, mod_name, item["attr"])
            return
        imports = module_imports(module_tree(str(path), text))
        module = self._import(path, display, mod_name, imports)
        if module is None:  # its models are unknown: what names them is not reported again
            self.failed_names.update(decorated_functions(text))
            return
        if has_tests:
            self.python_tests.add_module(
                module, mod_name, display, self._module_context(path, text, module, mod_name)
            )
        found = module_entries(module, mod_name, text, imports)
        for item in found:
            item["helpers"] = self._helpers_of(path, item)
            fn = getattr(module, item["attr"])
            spec_obj = getattr(fn, SPEC_ATTR)
            context = self._context(path, item)
            if self.add_python_model(spec_obj, display, rel_parts[:-1], item["source"], owner, context):
                self.functions.add(spec_obj.name, fn)
        self.parse_cache.put(display, sha, self.python_env, found)

    def _context(self, path: Path, item: Mapping[str, Any]) -> str:
        """What a model's checksum covers besides its function (:mod:`pyflow.config.pydeps`).

        Its module's other code and the project files the module imports, read now.
        """
        return f"{item['context']}:{self._helpers_of(path, item)}"

    def _helpers_of(self, path: Path, item: Mapping[str, Any]) -> str:
        """The hash of the project files the module of a parse-cache entry imports, as they are now.

        The entries of one file share their imports: computed once per file and load.
        """
        helpers = self._helpers()
        known = self._helper_digests.get(path)
        if known is None:
            known = self._helper_digests[path] = helpers.digest(path, item.get("imports") or [])
        return known

    def _module_context(self, path: Path, text: str, module: Any, mod_name: str) -> str:
        """What a module's ``@model``/``@data_test`` ... functions depend on besides their source.

        The module without those functions, and the project files it imports (read now).
        """
        tree = module_tree(str(path), text)
        decorated = {
            getattr(fn, "__name__", attr)
            for attr, fn in vars(module).items()
            if getattr(fn, "__module__", None) == mod_name
            and (hasattr(fn, SPEC_ATTR) or hasattr(fn, TEST_ATTR))
        }
        return f"{module_context(tree, text, decorated)}:{self._helpers().digest(path, module_imports(tree))}"

    def _helpers(self) -> ProjectImports:
        if self.project_imports is None:
            self.project_imports = ProjectImports(self.root)
            self._helper_digests = {}
        return self.project_imports

    def _import(self, path: Path, display: str, mod_name: str, imports: Sequence[Sequence[str | int]]) -> Any:
        """Import a project module (``imports``: its import statements), recording failures as errors.

        The project's helper modules it reaches are imported again if one changed since it was
        imported in this process, or is another project's (:meth:`ProjectImports.before_import`).
        """
        helpers = self._helpers()
        reached = helpers.before_import(path, imports)
        try:
            return self._import_module(path, display, mod_name)
        finally:
            helpers.after_import(reached)

    def _import_module(self, path: Path, display: str, mod_name: str) -> Any:
        try:
            return import_module(path, mod_name, self.root)
        except SyntaxError as exc:
            self.fail(
                ProjectError(
                    f"Python syntax error: {exc.msg}",
                    path=display,
                    line=exc.lineno,
                    hint="fix the syntax at that line",
                    code="python-syntax",
                )
            )
        except PyflowError as exc:
            exc.path = exc.path or display
            self.fail(exc)
        except Exception as exc:
            line = None
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename == str(path):
                    line = frame.lineno
            self.fail(
                ProjectError(
                    f"importing the module failed: {type(exc).__name__}: {exc}",
                    path=display,
                    line=line,
                    hint="fix the error at that line (model modules are imported to find "
                    "their @model functions)",
                    code="python-import",
                )
            )
        return None

    def add_python_model(
        self,
        spec: ModelSpec,
        display: str,
        folders: tuple[str, ...],
        source: str,
        package: str | None = None,
        context: str = "",
    ) -> bool:
        """Register a ``@model`` function's node (of ``package``, else the root project); True when enabled and unique.

        ``context``: what its output depends on besides ``source`` (see :meth:`_context`), in its checksum.
        """
        package = package or self.config.name
        in_file = dict(spec.config)
        raw_columns = in_file.pop("columns", None) or {}
        for entry in in_file.pop("tests", None) or []:
            self.test_decls.append((Target("ref", spec.name), None, entry, display, spec.line))
        if isinstance(raw_columns, Mapping):
            for col, col_spec in raw_columns.items():
                if isinstance(col_spec, Mapping):
                    for entry in [*col_spec.get("tests", []), *col_spec.get("data_tests", [])]:
                        self.test_decls.append(
                            (Target("ref", spec.name), str(col), entry, display, spec.line)
                        )
        parts = (*folders, spec.name)
        is_snapshot = spec.kind == "snapshot"
        cfg = self.node_config(
            SnapshotConfig if is_snapshot else ModelConfig,
            self.config.snapshots if is_snapshot else self.config.models,
            parts,
            self.model_props.get(spec.name),
            in_file,
            spec.name,
            display,
            spec.line,
            package,
        )
        if cfg is None:
            return False
        refs = tuple(
            DependencyRef(p, spec.param_lines.get(p, spec.line), "param")
            for p in spec.params
            if p != CTX_PARAM
        )
        columns = self._columns(spec.name, raw_columns, display, spec.line)
        node = (SnapshotNode if is_snapshot else ModelNode)(
            name=spec.name,
            package=package,
            path=display,
            line=spec.line,
            language="python",
            config=cfg,  # type: ignore[arg-type]
            refs=refs,
            checksum=_sha(f"{source}\0{context}" if context else source),
            description=cfg.description or spec.doc or "",
            columns=columns,
            constraints=self._constraints(spec.name),
            **(self.model_versions.get(spec.name, {}) if not is_snapshot else {}),
            raw_code=source,
            fqn=(package, *parts),
            returns_dataframe=spec.returns_dataframe,
            params=spec.params,
        )
        return self._register(node)


_DECORATORS = frozenset({"model", "snapshot"})


def module_entries(
    module: Any, mod_name: str, text: str, imports: list[list[str | int]] | None = None
) -> list[dict[str, Any]]:
    """The ``@model``/``@snapshot`` functions an imported module defines, as the parse cache keeps them.

    In the module's order; imported functions (of another module) and ``_private`` names are not
    the module's models. :func:`pyflow.config.pystatic.static_definitions` reads the same from
    the syntax tree, without importing.
    """
    found: list[dict[str, Any]] = []
    functions: set[str] = set()
    for attr, fn in vars(module).items():
        spec_obj: ModelSpec | None = getattr(fn, SPEC_ATTR, None)
        if spec_obj is None or getattr(fn, "__module__", None) != mod_name or attr.startswith("_"):
            continue
        try:
            source = def_source(fn) or inspect.getsource(fn)
        except (OSError, TypeError):
            source = text
        found.append(
            {
                "attr": attr,
                "name": spec_obj.name,
                "params": list(spec_obj.params),
                "config": dict(spec_obj.config),
                "line": spec_obj.line,
                "doc": spec_obj.doc,
                "returns_dataframe": spec_obj.returns_dataframe,
                "param_lines": dict(spec_obj.param_lines),
                "kind": spec_obj.kind,
                "source": source,
            }
        )
        functions.add(getattr(fn, "__name__", attr))
    tree = module_tree(getattr(module, "__file__", None) or "", text)
    add_dependencies(found, tree, text, functions, imports)
    return found


_DECORATED = re.compile(
    r"^@(?:[A-Za-z_]\w*\.)*(?:model|snapshot)\b.*\n"  # the decorator, at column 0
    r"(?:[ \t)@#].*\n|[ \t]*\n)*"  # its other lines, other decorators, comments, blank lines
    r"(?:async[ \t]+)?def[ \t]+([A-Za-z]\w*)",
    re.MULTILINE,
)


def decorated_functions(text: str) -> list[str]:
    """Names of the top-level functions ``text`` decorates with ``@model`` or ``@snapshot``.

    Read without importing (for a module whose import failed). When it does not parse, they are
    read from the text: a decorator line at column 0 and the ``def`` after it. The names only
    keep the failed module's properties, tests and children from adding errors of their own.
    """
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return _DECORATED.findall(text)
    names = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
            continue
        for deco in node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            if name in _DECORATORS:
                names.append(node.name)
                break
    return names
