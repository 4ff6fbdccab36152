"""Loading SQL model and snapshot files (a recording render finds ref/source/config) and CSV seeds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pyflow.config.files import relpath as _rel
from pyflow.config.files import sha as _sha
from pyflow.config.loadstate import LoadState
from pyflow.config.packages import Package
from pyflow.config.recorder import ParseRecorder
from pyflow.config.yamlfile import read_text
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import (
    ColumnInfo,
    DependencyRef,
    ModelNode,
    SeedNode,
    SnapshotNode,
)
from pyflow.core.nodeconfig import (
    ModelConfig,
    SeedConfig,
    SnapshotConfig,
)
from pyflow.errors import ProjectError, PyflowError


class SqlLoading(LoadState):
    """The SQL-model and seed part of the project loader."""

    # ---- SQL models ----------------------------------------------------------------------
    def load_sql(
        self, path: Path, jinja: JinjaProject, *, snapshots: bool = False, package: Package | None = None
    ) -> None:
        """Register the model (or the snapshot blocks) of one SQL file (of the root project or ``package``)."""
        display = _rel(self.root, path)
        try:
            text = read_text(path, display)
        except ProjectError as exc:
            self.fail(exc)
            return
        base = (
            self._model_root(path)
            if package is None
            else folder_of(path, package.root, package.snapshot_paths if snapshots else package.model_paths)
        )
        folders = path.relative_to(base).parent.parts
        jinja.add_template(display, text, package=package.name if package else None)
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
            self._add_sql_node(
                item, display, folders, text, sha, package.name if package else self.config.name
            )

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
        self, item: dict[str, Any], display: str, folders: tuple[str, ...], text: str, sha: str, package: str
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
            package,
        )
        if cfg is None:
            return
        common: dict[str, Any] = {
            "name": name,
            "package": package,
            "path": display,
            "line": line,
            "language": "sql",
            "config": cfg,
            "refs": refs,
            "checksum": sha if block is None else _sha(f"{sha}:{block}"),
            "description": cfg.description or "",
            "columns": self._columns(name, raw_columns, display, line),
            "constraints": self._constraints(name),
            **(self.model_versions.get(name, {}) if not is_snapshot else {}),
            "raw_code": text,
            "fqn": (package, *folders, name),
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
    def load_seed(self, path: Path, package: Package | None = None) -> None:
        """Register one CSV seed (of the root project or ``package``)."""
        display = _rel(self.root, path)
        if package is None:
            base = folder_of(path, self.root, self.config.seed_paths)
        else:
            base = folder_of(path, package.root, package.seed_paths)
        owner = package.name if package else self.config.name
        folders = path.relative_to(base).parent.parts
        name = path.stem
        props = self.seed_props.get(name)
        cfg = self.node_config(
            SeedConfig, self.config.seeds, (*folders, name), props, {}, name, display, 1, owner
        )
        if cfg is None:
            return
        columns: dict[str, ColumnInfo] = {}
        if props is not None:
            columns = {
                c.name: ColumnInfo(c.name, c.description, c.data_type, dict(c.meta)) for c in props[0].columns
            }
        node = SeedNode(
            name=name,
            package=owner,
            path=display,
            line=1,
            config=cfg,  # type: ignore[arg-type]
            checksum=_sha(path.read_bytes()),
            description=cfg.description or (props[0].description if props else ""),
            columns=columns,
            fqn=(owner, *folders, name),
        )
        self._register(node)


def folder_of(path: Path, root: Path, folders: tuple[str, ...]) -> Path:
    """The folder of ``folders`` (under ``root``) holding ``path``; ``root`` when none does."""
    return next((root / f for f in folders if (root / f) in path.parents), root)
