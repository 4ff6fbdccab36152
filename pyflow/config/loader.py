"""Load a project from disk into nodes and a graph, reporting every definition error at once.

``load_project`` reads pyflow.yml, YAML properties, macros, Python modules (``@model``
functions), SQL models and seeds, merges config layers, and resolves the DAG. It never talks to
a database: SQL models are rendered with recording ``ref``/``source``/``config``.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pyflow.config import customtest
from pyflow.config.files import name_too_long
from pyflow.config.files import project_files as _files
from pyflow.config.files import relpath as _rel
from pyflow.config.files import sha as _sha
from pyflow.config.parsecache import LazyFunctions, ParseCache, import_module
from pyflow.config.project import load_project_config, tree_layers
from pyflow.config.properties import (
    NodeProps,
    PropertiesFile,
    SourceProps,
    UnitTestProps,
    allowed_keys,
    table_freshness,
)
from pyflow.config.recorder import ParseRecorder
from pyflow.config.testloader import TestLoading
from pyflow.config.yamlfile import YamlDoc, load_yaml, read_text, validation_errors
from pyflow.core.datatest import Target
from pyflow.core.graph import build_graph
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import (
    ColumnInfo,
    DependencyRef,
    ModelNode,
    Node,
    SeedNode,
    SnapshotNode,
    SourceNode,
    TestNode,
)
from pyflow.core.nodeconfig import (
    ModelConfig,
    ProjectConfig,
    SeedConfig,
    SnapshotConfig,
    config_keys,
    literal_choices,
    merge_layers,
)
from pyflow.core.project import Project
from pyflow.core.spec import CTX_PARAM, SPEC_ATTR, ModelSpec, TargetInfo
from pyflow.errors import CompileError, ErrorGroup, GraphError, ProjectError, PyflowError, closest

log = logging.getLogger(__name__)

DEFAULT_TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database=None)


class _Loader(TestLoading):
    """One load of a project; collects errors instead of stopping at the first."""

    def __init__(self, root: Path, vars_override: Mapping[str, Any], target: TargetInfo) -> None:
        self.root = root
        self.errors: list[PyflowError] = []
        self.config, self.config_doc = load_project_config(root)
        self.vars = {**self.config.vars, **vars_override}
        self.target = target
        self.models: dict[str, ModelNode] = {}
        self.seeds: dict[str, SeedNode] = {}
        self.snapshots: dict[str, SnapshotNode] = {}
        self.sources: dict[tuple[str, str], SourceNode] = {}
        self.functions = LazyFunctions(root)
        self.parse_cache = ParseCache(root / self.config.target_path / PARSE_CACHE)
        self.python_env = _sha(f"{_version()}\0{PARSE_FORMAT}\0{_helpers_digest(root, self.config)}")
        self.sql_env = ""
        self.model_props: dict[str, tuple[NodeProps, YamlDoc, tuple[str | int, ...]]] = {}
        self.seed_props: dict[str, tuple[NodeProps, YamlDoc, tuple[str | int, ...]]] = {}
        self.disabled: dict[str, Node] = {}
        self.warnings: list[str] = []
        self.tests: dict[str, TestNode] = {}
        self.test_decls: list[tuple[Target, str | None, Any, str, int]] = []
        """(tested node, column, declaration, file, line) collected while loading."""
        self.unit_decls: list[tuple[UnitTestProps, YamlDoc, tuple[str | int, ...]]] = []
        self.python_tests = customtest.PythonTests(self.config)
        self.module_prefix = "pyflow_project_" + _sha(str(root.resolve()))[:10]

    # ---- errors --------------------------------------------------------------------------
    def fail(self, err: PyflowError) -> None:
        self.errors.append(err)

    # ---- macros --------------------------------------------------------------------------
    def load_macros(self) -> tuple[JinjaProject, str]:
        generic = tuple(f"{t}/generic" for t in self.config.test_paths)
        files = {
            _rel(self.root, p): read_text(p, _rel(self.root, p))
            for p in _files(self.root, (*self.config.macro_paths, *generic), (".sql",))
        }
        jinja = JinjaProject(files)
        self.errors.extend(jinja.errors)
        digest = _sha("\n".join(f"{k}\0{v}" for k, v in sorted(files.items())))
        return jinja, digest

    # ---- YAML properties -----------------------------------------------------------------
    def load_properties(self) -> None:
        folders = tuple(
            dict.fromkeys(self.config.model_paths + self.config.seed_paths + self.config.snapshot_paths)
        )
        for path in _files(self.root, folders, (".yml", ".yaml")):
            display = _rel(self.root, path)
            try:
                doc = load_yaml(path, display=display)
            except ProjectError as exc:
                self.fail(exc)
                continue
            if not isinstance(doc.data, dict):
                continue
            try:
                props = PropertiesFile.model_validate(doc.data)
            except ValidationError as exc:
                self.errors.extend(validation_errors(exc, doc, allowed=allowed_keys(), what="property"))
                continue
            self._collect_tests(props, doc)
            self.unit_decls += [(u, doc, ("unit_tests", i)) for i, u in enumerate(props.unit_tests)]
            for i, src in enumerate(props.sources):
                self.add_source(src, doc, ("sources", i))
            for i, m in enumerate(props.models):
                self._add_props(self.model_props, m, doc, ("models", i), "model")
            for i, s in enumerate(props.seeds):
                self._add_props(self.seed_props, s, doc, ("seeds", i), "seed")
            for i, s in enumerate(props.snapshots):
                self._add_props(self.model_props, s, doc, ("snapshots", i), "snapshot")

    def _add_props(
        self,
        table: dict[str, tuple[NodeProps, YamlDoc, tuple[str | int, ...]]],
        props: NodeProps,
        doc: YamlDoc,
        loc: tuple[str | int, ...],
        kind: str,
    ) -> None:
        if props.name in table:
            other = table[props.name][1]
            self.fail(
                ProjectError(
                    f"{kind} '{props.name}' is described twice (also in {other.display})",
                    path=doc.display,
                    line=doc.line_of(loc),
                    model=props.name,
                    hint="keep one YAML entry per node",
                    code="duplicate-properties",
                )
            )
            return
        table[props.name] = (props, doc, loc)

    def add_source(self, src: SourceProps, doc: YamlDoc, loc: tuple[str | int, ...]) -> None:
        for j, tbl in enumerate(src.tables):
            key = (src.name, tbl.name)
            line = doc.line_of((*loc, "tables", j)) or 1
            if key in self.sources:
                self.fail(
                    GraphError(
                        f"source table '{src.name}.{tbl.name}' is declared twice "
                        f"(also in {self.sources[key].path}:{self.sources[key].line})",
                        path=doc.display,
                        line=line,
                        hint="remove one of the declarations",
                        code="duplicate-source",
                    )
                )
                continue
            location = tbl.external_location or src.external_location
            if location:
                location = location.replace("{name}", tbl.identifier or tbl.name).replace(
                    "{identifier}", tbl.identifier or tbl.name
                )
            self.sources[key] = SourceNode(
                name=f"{src.name}.{tbl.name}",
                package=self.config.name,
                path=doc.display,
                line=line,
                source_name=src.name,
                table_name=tbl.name,
                identifier=tbl.identifier or tbl.name,
                schema=src.schema_ or src.name,
                database=src.database,
                description=tbl.description or src.description,
                columns={
                    c.name: ColumnInfo(c.name, c.description, c.data_type, dict(c.meta)) for c in tbl.columns
                },
                external_location=location,
                file_format=tbl.format or src.format,
                has_table=src.schema_ is not None or src.database is not None,
                tags=tuple(dict.fromkeys([*src.tags, *tbl.tags])),
                meta={**src.meta, **tbl.meta},
                loaded_at_field=tbl.loaded_at_field or src.loaded_at_field,
                freshness=table_freshness(src, tbl),
            )

    # ---- config --------------------------------------------------------------------------
    def node_config(
        self,
        cls: type[ModelConfig] | type[SeedConfig] | type[SnapshotConfig],
        tree: dict[str, Any],
        parts: tuple[str, ...],
        props: tuple[NodeProps, YamlDoc, tuple[str | int, ...]] | None,
        in_file: Mapping[str, Any],
        name: str,
        path: str,
        line: int,
    ) -> ModelConfig | SeedConfig | SnapshotConfig | None:
        layers = tree_layers(tree, self.config.name, parts)
        if props is not None:
            if props[0].meta:  # node-level meta: merged into config meta, as dbt does
                layers.append({"meta": dict(props[0].meta)})
            layers.append(dict(props[0].config))
            if props[0].description and "description" not in in_file:
                layers.append({"description": props[0].description})
        layers.append(dict(in_file))
        merged = merge_layers(layers)
        resource = {SeedConfig: "seed", SnapshotConfig: "snapshot"}.get(cls, "model")
        unknown = [k for k in merged if k not in config_keys(cls)]
        for key in unknown:
            where_doc = props[1] if props is not None and key in props[0].config else None
            self.fail(
                ProjectError(
                    f"unknown config key '{key}'",
                    model=name,
                    resource=resource,
                    path=where_doc.display if where_doc else path,
                    line=where_doc.line_of((*props[2], "config", key)) if where_doc and props else line,
                    suggestions=closest(key, config_keys(cls)),
                    hint="valid keys: " + ", ".join(config_keys(cls)),
                    code="unknown-config-key",
                )
            )
        if unknown:
            return None
        try:
            return cls.model_validate(merged)
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                value = merged.get(str(err["loc"][0])) if err["loc"] else None
                allowed = ""
                if key == "materialized":
                    allowed = f"; choose one of: {', '.join(_materializations())}"
                    self.fail(
                        ProjectError(
                            f"unknown materialization '{value}'",
                            model=name,
                            resource=resource,
                            path=path,
                            line=line,
                            suggestions=closest(str(value), _materializations()),
                            hint="set materialized to one of: " + ", ".join(_materializations()),
                            code="unknown-materialization",
                        )
                    )
                    continue
                message = (
                    f"invalid config '{key}' = {value!r}: {err['msg']}{allowed}"
                    if key
                    else f"invalid config: {str(err['msg']).removeprefix('Value error, ')}"
                )
                choices = literal_choices(cls, key) if err["type"] == "literal_error" else ()
                self.fail(
                    ProjectError(
                        message,
                        model=name,
                        resource=resource,
                        path=path,
                        line=line,
                        suggestions=closest(str(value), choices),
                        hint=f"set {key} to one of: {', '.join(choices)}"
                        if choices
                        else "see docs/configuration.md for the accepted values",
                        code="invalid-config",
                    )
                )
            return None

    # ---- Python models -------------------------------------------------------------------
    def load_python(self, path: Path) -> None:
        display = _rel(self.root, path)
        rel_parts = path.relative_to(self._model_root(path)).with_suffix("").parts
        mod_name = ".".join([self.module_prefix, *(p.replace("-", "_") for p in rel_parts)])
        try:
            text = read_text(path, display)
        except ProjectError as exc:
            self.fail(exc)
            return
        sha = _sha(text)
        has_tests = customtest.uses_test_decorator(text)  # imported every time: tests are not cached
        cached = None if has_tests else self.parse_cache.get(display, sha, self.python_env)
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
                if self.add_python_model(spec, display, rel_parts[:-1], item["source"]):
                    self.functions.defer(spec.name, path, mod_name, item["attr"])
            return
        module = self._import(path, display, mod_name)
        if module is None:
            return
        if has_tests:
            self.python_tests.add_module(module, mod_name, display)
        found = []
        for attr, fn in vars(module).items():
            spec_obj: ModelSpec | None = getattr(fn, SPEC_ATTR, None)
            if spec_obj is None or getattr(fn, "__module__", None) != mod_name:
                continue
            if attr.startswith("_"):
                continue
            try:
                source = inspect.getsource(fn)
            except (OSError, TypeError):
                source = text
            if self.add_python_model(spec_obj, display, rel_parts[:-1], source):
                self.functions.add(spec_obj.name, fn)
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
        self.parse_cache.put(display, sha, self.python_env, found)

    def _import(self, path: Path, display: str, mod_name: str) -> Any:
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

    def _model_root(self, path: Path) -> Path:
        for folder in (*self.config.model_paths, *self.config.snapshot_paths):
            base = self.root / folder
            if base in path.parents:
                return base
        return self.root

    def add_python_model(
        self,
        spec: ModelSpec,
        display: str,
        folders: tuple[str, ...],
        source: str,
    ) -> bool:
        """Register a ``@model`` function's node; True when it is enabled and unique."""
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
            package=self.config.name,
            path=display,
            line=spec.line,
            language="python",
            config=cfg,  # type: ignore[arg-type]
            refs=refs,
            checksum=_sha(source),
            description=cfg.description or spec.doc or "",
            columns=columns,
            raw_code=source,
            fqn=(self.config.name, *parts),
            returns_dataframe=spec.returns_dataframe,
            params=spec.params,
        )
        return self._register(node)

    def _columns(self, name: str, raw: Any, path: str, line: int) -> dict[str, ColumnInfo]:
        out: dict[str, ColumnInfo] = {}
        props = self.model_props.get(name)
        if props is not None:
            for c in props[0].columns:
                out[c.name] = ColumnInfo(c.name, c.description, c.data_type, dict(c.meta))
        items = raw.items() if isinstance(raw, Mapping) else ((c, {}) for c in raw)
        for col, spec in items:
            if isinstance(spec, str):
                spec = {"description": spec}
            if not isinstance(spec, Mapping):
                self.fail(
                    ProjectError(
                        f"columns['{col}'] must be a description string or a mapping",
                        model=name,
                        path=path,
                        line=line,
                        hint='write columns={"col": {"description": "...", "data_type": "..."}}',
                        code="invalid-config",
                    )
                )
                continue
            prev = out.get(col)
            out[col] = ColumnInfo(
                col,
                spec.get("description", prev.description if prev else ""),
                spec.get("data_type", prev.data_type if prev else None),
                dict(spec.get("meta", {})),
            )
        return out

    def _register(self, node: ModelNode | SeedNode) -> bool:
        too_long = name_too_long(node.name, node.resource_type, node.path, node.line)
        if too_long is not None:
            self.fail(too_long)  # still registered: what refers to it resolves, no follow-up errors
        if not node.config.enabled:
            self.disabled[node.name] = node
            return False
        other: Node | None = (
            self.models.get(node.name) or self.seeds.get(node.name) or self.snapshots.get(node.name)
        )
        if other is not None:
            self.fail(
                GraphError(
                    f"two nodes are named '{node.name}': {other.path}:{other.line} and "
                    f"{node.path}:{node.line}",
                    model=node.name,
                    path=node.path,
                    line=node.line,
                    detail="A name is also a table name and a dependency name, so it must "
                    "be unique across models, seeds and snapshots.",
                    hint="rename one of them (the function name or the file stem)",
                    code="duplicate-name",
                )
            )
            return False
        if isinstance(node, SnapshotNode):
            self.snapshots[node.name] = node
        elif isinstance(node, ModelNode):
            self.models[node.name] = node
        else:
            self.seeds[node.name] = node
        return True

    # ---- SQL models ----------------------------------------------------------------------
    def load_sql(self, path: Path, jinja: JinjaProject, *, snapshots: bool = False) -> None:
        display = _rel(self.root, path)
        try:
            text = read_text(path, display)
        except ProjectError as exc:
            self.fail(exc)
            return
        folders = path.relative_to(self._model_root(path)).parent.parts
        jinja.add_template(display, text)
        sha = _sha(text)
        cached = self.parse_cache.get(display, sha, self.sql_env)
        if cached is not None and any(
            os.environ.get(k) != v for item in cached for k, v in item.get("env", {}).items()
        ):
            cached = None  # the file read an environment variable that changed since
        if cached is None:
            cached = self._parse_sql_file(display, text, path.stem, jinja, snapshots)
            if cached is None:
                return
            self.parse_cache.put(display, sha, self.sql_env, cached)
        for item in cached:
            self._add_sql_node(item, display, folders, text, sha)

    def _parse_sql_file(
        self, display: str, text: str, stem: str, jinja: JinjaProject, snapshots: bool
    ) -> list[dict[str, Any]] | None:
        import jinja2

        if not snapshots:
            one = self._parse_sql(display, text, stem, jinja)
            return None if one is None else [{**one, "name": stem, "line": 1, "block": None}]
        try:
            blocks = jinja.snapshot_blocks(display, text)
        except jinja2.TemplateSyntaxError as exc:
            self.fail(jinja.syntax_error(exc, display, text, stem))
            return None
        if not blocks:
            self.fail(
                ProjectError(
                    "a SQL file under snapshot-paths holds no {% snapshot %} block",
                    path=display,
                    line=1,
                    hint="wrap the query in {% snapshot name %} ... {% endsnapshot %}",
                    code="no-snapshot-block",
                )
            )
            return None
        out = []
        for name, line in blocks:
            one = self._parse_sql(display, text, name, jinja, block=name)
            if one is not None:
                out.append({**one, "name": name, "line": line, "block": name})
        return out

    def _add_sql_node(
        self, item: dict[str, Any], display: str, folders: tuple[str, ...], text: str, sha: str
    ) -> None:
        name, line, block = item["name"], item["line"], item["block"]
        refs = tuple(
            DependencyRef(r["name"], r["line"], r["kind"], r.get("source_table")) for r in item["refs"]
        )
        in_file = dict(item["config"])
        raw_columns = in_file.pop("columns", None) or {}
        is_snapshot = block is not None
        cfg = self.node_config(
            SnapshotConfig if is_snapshot else ModelConfig,
            self.config.snapshots if is_snapshot else self.config.models,
            (*folders, name),
            self.model_props.get(name),
            in_file,
            name,
            display,
            line,
        )
        if cfg is None:
            return
        common: dict[str, Any] = {
            "name": name,
            "package": self.config.name,
            "path": display,
            "line": line,
            "language": "sql",
            "config": cfg,
            "refs": refs,
            "checksum": sha if block is None else _sha(f"{sha}:{block}"),
            "description": cfg.description or "",
            "columns": self._columns(name, raw_columns, display, line),
            "raw_code": text,
            "fqn": (self.config.name, *folders, name),
        }
        node = SnapshotNode(**common, block=block) if is_snapshot else ModelNode(**common)
        self._register(node)

    def _parse_sql(
        self, display: str, text: str, name: str, jinja: JinjaProject, block: str | None = None
    ) -> dict[str, Any] | None:
        """Find a SQL model's ref/source/config calls: statically, then by a recording render."""
        import jinja2

        try:
            static = jinja.static_refs(display, text, block)
        except jinja2.TemplateSyntaxError as exc:
            self.fail(jinja.syntax_error(exc, display, text, name))
            return None
        recorder = ParseRecorder(name, self.vars, self.target)
        try:
            jinja.render(display, recorder.context(), model=name, block=block)
        except PyflowError as exc:
            self.fail(exc)
            return None
        refs: dict[tuple[str, str | None], DependencyRef] = {}
        for ref_name, line in static.refs:
            refs.setdefault((ref_name, None), DependencyRef(ref_name, line, "ref"))
        for src, tbl, line in static.sources:
            refs.setdefault((src, tbl), DependencyRef(src, line, "source", tbl))
        for ref_name in recorder.refs:
            refs.setdefault((ref_name, None), DependencyRef(ref_name, 1, "ref"))
        for src, tbl in recorder.sources:
            refs.setdefault((src, tbl), DependencyRef(src, 1, "source", tbl))
        return {
            "refs": [
                {"name": r.name, "line": r.line, "kind": r.kind, "source_table": r.source_table}
                for r in refs.values()
            ],
            "config": recorder.config,
            "env": recorder.env_reads,
        }

    # ---- seeds ---------------------------------------------------------------------------
    def load_seed(self, path: Path) -> None:
        display = _rel(self.root, path)
        base = next(
            (self.root / f for f in self.config.seed_paths if (self.root / f) in path.parents),
            self.root,
        )
        folders = path.relative_to(base).parent.parts
        name = path.stem
        props = self.seed_props.get(name)
        cfg = self.node_config(SeedConfig, self.config.seeds, (*folders, name), props, {}, name, display, 1)
        if cfg is None:
            return
        columns: dict[str, ColumnInfo] = {}
        if props is not None:
            columns = {
                c.name: ColumnInfo(c.name, c.description, c.data_type, dict(c.meta)) for c in props[0].columns
            }
        node = SeedNode(
            name=name,
            package=self.config.name,
            path=display,
            line=1,
            config=cfg,  # type: ignore[arg-type]
            checksum=_sha(path.read_bytes()),
            description=cfg.description or (props[0].description if props else ""),
            columns=columns,
            fqn=(self.config.name, *folders, name),
        )
        self._register(node)

    def check_unused_props(self) -> None:
        failed = {e.model for e in self.errors}  # found, but rejected with an error already
        for name, (_, doc, loc) in self.model_props.items():
            known = name in self.models or name in self.snapshots or name in self.disabled
            if not known and name not in failed:
                self.fail(
                    ProjectError(
                        f"properties describe model or snapshot '{name}', which does not exist",
                        path=doc.display,
                        line=doc.line_of(loc),
                        suggestions=closest(name, [*self.models, *self.snapshots]),
                        hint="correct the name or delete the entry",
                        code="unknown-model-properties",
                    )
                )


PARSE_CACHE = ".pyflow/parse-cache.json"
PARSE_FORMAT = "2"  # bump when what the parse cache stores changes


def vars_target(target: TargetInfo) -> list[str | None]:
    """The parts of the target a parse-time render can see."""
    return [target.name, target.type, target.schema, target.database]


def _version() -> str:
    from pyflow.version import __version__

    return __version__


def _helpers_digest(root: Path, config: ProjectConfig) -> str:
    """Hash of the project's Python files outside model paths (helpers models may import)."""
    skip = {*(root / p for p in config.model_paths), root / config.target_path, root / config.log_path}
    parts = []
    for path in sorted(root.rglob("*.py")):
        if any(s == path or s in path.parents for s in skip):
            continue
        rel = path.relative_to(root).parts
        if any(p.startswith(".") or p in ("__pycache__", "venv", "node_modules") for p in rel):
            continue
        try:
            parts.append(f"{path}\0{path.stat().st_mtime_ns}\0{path.stat().st_size}")
        except OSError:
            continue
    return _sha("\n".join(parts))


def _materializations() -> list[str]:
    from pyflow.core.nodeconfig import MATERIALIZATIONS

    return list(MATERIALIZATIONS)


def load_project(
    project_dir: str | Path,
    *,
    vars: Mapping[str, Any] | None = None,
    target: TargetInfo | None = None,
) -> Project:
    """Load and validate a project; raise one error, or an :class:`ErrorGroup` of all."""
    root = Path(project_dir).resolve()
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
    for path in _files(root, cfg.model_paths, (".py",)):
        loader.load_python(path)
    for path in _files(root, cfg.model_paths, (".sql",)):
        loader.load_sql(path, jinja)
    for path in _files(root, cfg.snapshot_paths, (".py",)):
        loader.load_python(path)
    for path in _files(root, cfg.snapshot_paths, (".sql",)):
        loader.load_sql(path, jinja, snapshots=True)
    for path in _files(root, cfg.seed_paths, (".csv",)):
        loader.load_seed(path)
    for path in _files(root, cfg.test_paths, (".sql",)):
        if "generic" not in path.relative_to(root).parts[1:-1]:
            loader.load_singular_test(path, jinja)
    for path in _files(root, tuple(dict.fromkeys((*cfg.test_paths, *cfg.macro_paths))), (".py",)):
        loader.load_python_tests(path)
    loader.build_tests(jinja)
    loader.check_unused_props()
    graph, graph_errors = build_graph(
        {**loader.models, **loader.snapshots}, loader.seeds, loader.sources, loader.disabled, loader.tests
    )
    loader.errors.extend(graph_errors)
    if not loader.errors:
        loader.parse_cache.save()
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
