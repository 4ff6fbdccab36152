"""Loading YAML properties files: sources, and the docs, columns, config and tests of nodes."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from pyflow.config.docblocks import read_doc_blocks, render_descriptions
from pyflow.config.files import project_files as _files
from pyflow.config.files import relpath as _rel
from pyflow.config.loadstate import LoadState
from pyflow.config.properties import (
    RESOURCE_LISTS,
    NodeProps,
    PropertiesFile,
    SourceProps,
    allowed_keys,
    table_freshness,
    version_fields,
    versioned,
)
from pyflow.config.yamlfile import YamlDoc, load_yaml, validation_errors
from pyflow.core.node import (
    ColumnInfo,
    SourceNode,
)
from pyflow.errors import GraphError, ProjectError, closest


class PropertyLoading(LoadState):
    """The YAML-properties part of the project loader."""

    _collect_tests: Callable[[PropertiesFile, YamlDoc], None]
    """Provided by :class:`pyflow.config.testloader.TestLoading` in the composed loader."""

    # ---- YAML properties -----------------------------------------------------------------
    def load_properties(self) -> None:
        """Read every YAML properties file under the model, seed and snapshot paths (and packages')."""
        folders = tuple(
            dict.fromkeys(self.config.model_paths + self.config.seed_paths + self.config.snapshot_paths)
        )
        blocks: dict[str, str] | None = None
        files = _files(self.root, folders, (".yml", ".yaml"))
        for package in self.packages:  # a package's models and seeds have their properties too
            package_folders = tuple(
                dict.fromkeys(package.model_paths + package.seed_paths + package.snapshot_paths)
            )
            files += _files(package.root, package_folders, (".yml", ".yaml"))
        for path in files:
            display = _rel(self.root, path)
            try:
                doc = load_yaml(path, display=display)
            except ProjectError as exc:
                self.fail(exc)
                continue
            if not isinstance(doc.data, dict):
                continue
            try:
                if blocks is None:
                    blocks = read_doc_blocks(self.root, (*folders, *self.config.macro_paths))
                data = render_descriptions(doc.data, blocks, doc)  # {{ doc('x') }}
            except ProjectError as exc:
                self.fail(exc)
                continue
            try:
                props = PropertiesFile.model_validate(data)
            except ValidationError as exc:
                self.errors.extend(validation_errors(exc, doc, allowed=allowed_keys(), what="property"))
                continue
            self._collect_tests(props, doc)
            self.unit_decls += [(u, doc, ("unit_tests", i)) for i, u in enumerate(props.unit_tests)]
            for i, src in enumerate(props.sources):
                self.add_source(src, doc, ("sources", i))
            for kind in RESOURCE_LISTS:
                for i, entry in enumerate(getattr(props, kind)):
                    self.resources.setdefault(kind, []).append((entry, doc.display, doc.line_of((kind, i))))
            for i, m in enumerate(props.models):
                self.model_versions.update(version_fields(m))
                for version in versioned(m):
                    self._add_props(self.model_props, version, doc, ("models", i), "model")
            for i, s in enumerate(props.seeds):
                self._add_props(self.seed_props, s, doc, ("seeds", i), "seed")
            for i, s in enumerate(props.snapshots):
                self._add_props(self.model_props, s, doc, ("snapshots", i), "snapshot")
                if "relation" in s.model_fields_set:  # dbt 1.9+: the snapshot is defined here
                    self.yaml_snapshots.append((s, doc, ("snapshots", i)))

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
        """Register the tables of one ``sources:`` entry."""
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
                event_time=tbl.config.event_time or src.config.event_time,
            )

    def check_unused_props(self) -> None:
        """Report properties that describe a model or snapshot no file defines."""
        failed = {e.model for e in self.errors}  # found, but rejected with an error already
        failed |= self.failed_names  # defined by a module that failed to import (reported)
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
