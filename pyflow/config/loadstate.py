"""The state one project load shares across file kinds, and the config layering of nodes.

:class:`LoadState` holds what has been found so far (models, seeds, snapshots, sources, errors)
and the steps every kind of node file goes through: merging its config layers
(:meth:`LoadState.node_config`), its column docs, and registering it under a unique name. The
loaders of each file kind (:mod:`pyflow.config.propertyloader`, :mod:`pyflow.config.pythonloader`,
:mod:`pyflow.config.sqlloader`, :mod:`pyflow.config.testloader`) build on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pyflow.config import customtest
from pyflow.config.configjinja import ConfigRenderer, tree_value_line
from pyflow.config.files import name_too_long
from pyflow.config.files import sha as _sha
from pyflow.config.packages import Package
from pyflow.config.parsecache import LazyFunctions, ParseCache
from pyflow.config.project import load_project_config, package_layers, tree_layers
from pyflow.config.properties import (
    NodeProps,
    UnitTestProps,
)
from pyflow.config.yamlfile import YamlDoc
from pyflow.core.datatest import Target
from pyflow.core.node import (
    ColumnInfo,
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
from pyflow.core.spec import TargetInfo
from pyflow.errors import GraphError, ProjectError, PyflowError, closest

PARSE_CACHE = ".pyflow/parse"
PARSE_FORMAT = "3"  # bump when what the parse cache stores changes (3: Python modules' context, imports)


def version() -> str:
    """The installed pyflow version (a parse-cache key)."""
    from pyflow.version import __version__

    return __version__


_NOT_HELPERS = ("__pycache__", "venv", "node_modules")


def helpers_digest(root: Path, config: ProjectConfig) -> str:
    """Hash of the project's Python files outside model paths (helpers models may import).

    The model, target and log folders are never entered (a large project has thousands of
    model files there), nor hidden folders, ``__pycache__``, ``venv`` or ``node_modules``.
    """
    skip = {os.path.normpath(root / p) for p in (*config.model_paths, config.target_path, config.log_path)}
    found: list[tuple[tuple[str, ...], str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in _NOT_HELPERS
            and os.path.normpath(os.path.join(dirpath, d)) not in skip
        ]
        parts = Path(dirpath).relative_to(root).parts
        found.extend(
            ((*parts, f), os.path.join(dirpath, f))
            for f in filenames
            if f.endswith(".py") and not f.startswith(".")
        )
    lines = []
    for _, path in sorted(found):
        try:
            st = os.stat(path)
        except OSError:
            continue
        lines.append(f"{path}\0{st.st_mtime_ns}\0{st.st_size}")
    return _sha("\n".join(lines))


def _materializations() -> list[str]:
    from pyflow.core.nodeconfig import MATERIALIZATIONS

    return list(MATERIALIZATIONS)


class LoadState:
    """One load of a project; collects errors instead of stopping at the first."""

    def __init__(self, root: Path, vars_override: Mapping[str, Any], target: TargetInfo) -> None:
        self.root = root
        self.errors: list[PyflowError] = []
        self.config, self.config_doc = load_project_config(root)
        self.vars = {**self.config.vars, **vars_override}
        self.target = target
        self.doc: Callable[[str], str] | None = None
        """``doc('name')`` in descriptions, once the macros (and docs blocks) are read."""
        self.models: dict[str, ModelNode] = {}
        self.seeds: dict[str, SeedNode] = {}
        self.snapshots: dict[str, SnapshotNode] = {}
        self.sources: dict[tuple[str, str], SourceNode] = {}
        self.functions = LazyFunctions(root)
        self.parse_cache = ParseCache(root / self.config.target_path / PARSE_CACHE)
        self.python_env = _sha(f"{version()}\0{PARSE_FORMAT}\0{helpers_digest(root, self.config)}")
        self.sql_env = ""
        self.static_python = False
        """Read Python model files' definitions from their syntax tree when it is sure (no import)."""
        self.model_props: dict[str, tuple[NodeProps, YamlDoc, tuple[str | int, ...]]] = {}
        self.model_versions: dict[str, dict[str, str]] = {}
        """Per node name of a model version: its ``version``, ``latest_version``, ``versioned_name``."""
        self.seed_props: dict[str, tuple[NodeProps, YamlDoc, tuple[str | int, ...]]] = {}
        self.yaml_snapshots: list[tuple[Any, YamlDoc, tuple[str | int, ...]]] = []  # see yamlsnapshot
        self.disabled: dict[str, Node] = {}
        self.warnings: list[str] = []
        self.failed_names: set[str] = set()
        """Nodes whose file failed before their name was known to the error (a failed import)."""
        self.tests: dict[str, TestNode] = {}
        self.packages: list[Package] = []
        """The installed packages (read with the macros, before anything else)."""
        self.test_decls: list[tuple[Target, str | None, Any, str, int]] = []
        """(tested node, column, declaration, file, line) collected while loading."""
        self.unit_decls: list[tuple[UnitTestProps, YamlDoc, tuple[str | int, ...]]] = []
        self.resources: dict[str, list[tuple[dict[str, Any], str, int | None]]] = {}
        """Exposures, metrics, semantic models ... by properties key: (entry, file, line)."""
        self.python_tests = customtest.PythonTests(self.config)
        self.module_prefix = "pyflow_project_" + _sha(str(root.resolve()))[:10]

    # ---- errors --------------------------------------------------------------------------
    def fail(self, err: PyflowError) -> None:
        """Record a definition error (all are reported together)."""
        self.errors.append(err)

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
        package: str | None = None,
    ) -> ModelConfig | SeedConfig | SnapshotConfig | None:
        """Merge a node's config layers (tree, YAML properties, its file) and validate them; None on errors."""
        resource = {SeedConfig: "seed", SnapshotConfig: "snapshot"}.get(cls, "model")
        renderer = ConfigRenderer(self.vars, self.target, self.doc)
        tree_key = resource + "s"
        own = next((p for p in self.packages if p.name == package and package != self.config.name), None)
        own_layers = tree_layers(own.trees.get(tree_key, {}), own.name, parts) if own else []
        own_file, own_doc = (own.project_file, own.doc) if own else ("", None)
        try:
            layers = [  # a package's own dbt_project.yml tree first, the root project's over it
                renderer.layer(
                    layer,
                    model=name,
                    resource=resource,
                    path=own_file,
                    line=own_doc.line_of((tree_key,)) if own_doc else 1,
                    locate=(lambda key, value: tree_value_line(own_doc, tree_key, key, value))
                    if own_doc
                    else None,
                )
                for layer in own_layers
            ]
            layers += [
                renderer.layer(
                    layer,
                    model=name,
                    resource=resource,
                    path=self.config_doc.display,
                    line=self.config_doc.line_of((tree_key,)),
                    locate=lambda key, value: tree_value_line(self.config_doc, tree_key, key, value),
                )
                for layer in package_layers(tree, package or self.config.name, parts, self.config.name)
            ]
            if props is not None:
                if props[0].meta:  # node-level meta: merged into config meta, as dbt does
                    layers.append({"meta": dict(props[0].meta)})
                node_keys = {k: getattr(props[0], k) for k in ("access", "group") if getattr(props[0], k)}
                if node_keys:  # dbt's node-level access and group are config
                    layers.append(node_keys)
                where = props[1].line_of((*props[2], "config"))
                layers.append(
                    renderer.layer(
                        props[0].config, model=name, resource=resource, path=props[1].display, line=where
                    )
                )
                if props[0].description and "description" not in in_file:  # may hold {{ doc('x') }}
                    described = {"description": props[0].description}
                    at = props[1].line_of((*props[2], "description"))
                    layers.append(
                        renderer.layer(
                            described, model=name, resource=resource, path=props[1].display, line=at
                        )
                    )
        except PyflowError as exc:
            self.fail(exc)
            return None
        layers.append(dict(in_file))
        merged = merge_layers(layers)
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

    def _model_root(self, path: Path) -> Path:
        for folder in (*self.config.model_paths, *self.config.snapshot_paths):
            base = self.root / folder
            if path != base and path.is_relative_to(base):
                return base
        return self.root

    def _columns(self, name: str, raw: Any, path: str, line: int) -> dict[str, ColumnInfo]:
        out: dict[str, ColumnInfo] = {}
        props = self.model_props.get(name)
        if props is not None:
            for c in props[0].columns:
                out[c.name] = ColumnInfo(
                    c.name, c.description, c.data_type, dict(c.meta), tuple(dict(k) for k in c.constraints)
                )
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
                prev.constraints if prev else (),
            )
        return out

    def _constraints(self, name: str) -> tuple[dict[str, Any], ...]:
        """The model-level ``constraints:`` of ``name``'s YAML properties."""
        props = self.model_props.get(name)
        return tuple(dict(k) for k in props[0].constraints) if props is not None else ()

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
