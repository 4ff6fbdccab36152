"""Load a project from disk into nodes and a graph, reporting every definition error at once.

``load_project`` reads pyflow.yml, YAML properties, macros, Python modules (``@model``
functions), SQL models and seeds, merges config layers, and resolves the DAG. It never talks to
a database: SQL models are rendered with recording ``ref``/``source``/``config``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyflow.config.dispatchconfig import dispatch_orders, docs_files
from pyflow.config.files import one_listing
from pyflow.config.files import project_files as _files
from pyflow.config.files import relpath as _rel
from pyflow.config.files import sha as _sha
from pyflow.config.loadstate import PARSE_FORMAT
from pyflow.config.loadstate import version as _version
from pyflow.config.packageloader import PackageLoading
from pyflow.config.parsecache import MacroNamesInCache
from pyflow.config.partial import Request, plan
from pyflow.config.propertyloader import PropertyLoading
from pyflow.config.pythonloader import PythonLoading
from pyflow.config.sqlloader import SqlLoading
from pyflow.config.testloader import TestLoading
from pyflow.config.yamlfile import read_text
from pyflow.config.yamlsnapshot import YamlSnapshotLoading
from pyflow.core.graph import build_graph
from pyflow.core.jinja import JinjaProject
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError, ErrorGroup, PyflowError

DEFAULT_TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database=None)


class _Loader(PackageLoading, PropertyLoading, PythonLoading, SqlLoading, YamlSnapshotLoading, TestLoading):
    """One load of a project: every file kind's loader over one shared state."""

    # ---- macros --------------------------------------------------------------------------
    def load_macros(self) -> tuple[JinjaProject, str]:
        generic = tuple(f"{t}/generic" for t in self.config.test_paths)
        files = {
            _rel(self.root, p): read_text(p, _rel(self.root, p))
            for p in _files(self.root, (*self.config.macro_paths, *generic), (".sql",))
        }
        files.update(docs_files(self.root, (*self.config.model_paths, *self.config.macro_paths)))
        jinja = JinjaProject(files, MacroNamesInCache(self.parse_cache))
        for package, package_files in self.load_packages().items():
            jinja.add_package(package, package_files)
            files.update(package_files)
        jinja.project_name = self.config.name
        self.doc = jinja.doc_text
        jinja.search_orders, dispatch_errors = dispatch_orders(self.config_doc)
        self.errors.extend([*jinja.errors, *dispatch_errors])
        digest = _sha("\n".join(f"{k}\0{v}" for k, v in sorted(files.items())))
        return jinja, digest


def vars_target(target: TargetInfo) -> list[str | int | None]:
    """The parts of the target a parse-time render can see."""
    return target.key()


def load_project(
    project_dir: str | Path,
    *,
    vars: Mapping[str, Any] | None = None,
    target: TargetInfo | None = None,
    needs: Request | None = None,
) -> Project:
    """Load and validate a project; raise one error, or an :class:`ErrorGroup` of all.

    With ``needs``, only the files that selection needs are loaded when the definition index
    can tell which (:mod:`pyflow.config.partial`); otherwise, the whole project.
    """
    collecting = gc.isenabled()
    gc.disable()  # a load allocates many objects and frees few: cycle collection passes are waste
    try:
        with one_listing():
            return _load(Path(project_dir).resolve(), vars, target, needs)
    finally:
        if collecting:
            gc.enable()


def _load(
    root: Path, vars: Mapping[str, Any] | None, target: TargetInfo | None, needs: Request | None
) -> Project:
    loader = _Loader(root, vars or {}, target or DEFAULT_TARGET)
    cfg = loader.config
    jinja, macro_digest = loader.load_macros()
    loader.sql_env = _sha(
        json.dumps(
            [_version(), PARSE_FORMAT, macro_digest, loader.vars, vars_target(loader.target)],
            sort_keys=True,
            default=str,
        )
    )
    loader.load_properties()
    part = plan(loader, jinja, needs)
    loader.static_python = part is not None and needs is not None and not needs.imports

    def wanted(folders: tuple[str, ...], suffix: str) -> list[Path]:
        if part is None:
            return _files(root, folders, (suffix,))
        return part.files_under(root, folders, suffix)

    for path in wanted(cfg.model_paths, ".py"):
        loader.load_python(path)
    for path in wanted(cfg.model_paths, ".sql"):
        loader.load_sql(path, jinja)
    for path in wanted(cfg.snapshot_paths, ".py"):
        loader.load_python(path)
    for path in wanted(cfg.snapshot_paths, ".sql"):
        loader.load_sql(path, jinja, snapshots=True)
    loader.load_yaml_snapshots(jinja)
    for path in _files(root, cfg.seed_paths, (".csv",)):
        loader.load_seed(path)
    for package in loader.packages:
        for path in _files(package.root, package.model_paths, (".py",)):
            loader.load_python(path, package)
        for path in _files(package.root, package.model_paths, (".sql",)):
            loader.load_sql(path, jinja, package=package)
        for path in _files(package.root, package.snapshot_paths, (".sql",)):
            loader.load_sql(path, jinja, snapshots=True, package=package)
        for path in _files(package.root, package.seed_paths, (".csv",)):
            loader.load_seed(path, package)
        for path in _files(package.root, package.test_paths, (".sql",)):
            if "generic" not in path.relative_to(package.root).parts[1:-1]:
                loader.load_singular_test(path, jinja, package.name)
    for path in wanted(cfg.test_paths, ".sql"):
        if "generic" not in path.relative_to(root).parts[1:-1]:
            loader.load_singular_test(path, jinja)
    for path in _files(root, tuple(dict.fromkeys((*cfg.test_paths, *cfg.macro_paths))), (".py",)):
        loader.load_python_tests(path)
    loader.build_tests(jinja)
    if part is not None:
        if not part.verified(loader):  # the index was wrong or a file has an error: load all
            return _load(root, vars, target, None)
    else:
        loader.check_unused_props()
    graph, graph_errors = build_graph(
        {**loader.models, **loader.snapshots},
        loader.seeds,
        loader.sources,
        loader.disabled,
        loader.tests,
        failed={*loader.failed_names, *(e.model for e in loader.errors if e.model)},  # reported once
    )
    if part is not None and graph_errors:
        return _load(root, vars, target, None)
    loader.errors.extend(graph_errors)
    if not loader.errors:
        loader.parse_cache.save(complete=part is None)
    if loader.errors:
        errors = _dedupe(loader.errors)
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return Project(
        root=root,
        config=cfg,
        vars=loader.vars,
        models=loader.models,
        seeds=loader.seeds,
        snapshots=loader.snapshots,
        tests=loader.tests,
        sources=loader.sources,
        functions=loader.functions,
        jinja=jinja,
        graph=graph,
        macro_checksum=macro_digest,
        disabled=loader.disabled,
        warnings=loader.warnings,
        generic_tests=loader.python_tests.generic,
        test_functions=loader.python_tests.singular,
        resources=loader.resources,
        partial=part is not None,
    )


def _dedupe(errors: list[PyflowError]) -> list[PyflowError]:
    seen: set[str] = set()
    out = []
    for e in errors:
        # a model using a macro of a file that does not parse repeats that file's syntax error
        key = f"{e.code}:{e.path}:{e.line}" if e.code == "jinja-syntax" else str(e)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


__all__ = ["CompileError", "Project", "load_project"]
