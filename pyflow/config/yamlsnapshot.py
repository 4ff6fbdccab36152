"""Snapshots defined in YAML (dbt 1.9+): a ``snapshots:`` entry with a ``relation``.

``relation: ref('x')`` (or ``source('s', 't')``) makes the entry a snapshot node equal to a
``{% snapshot name %} select * from {{ relation }} {% endsnapshot %}`` block: the YAML file is
registered as a template holding one such block per entry, each on the line of its
``relation:``, so rendering, config merging (the ``snapshots:`` trees of ``dbt_project.yml``,
dbt's meta column names in dbt projects), tests and the graph are the block path's.
"""

from __future__ import annotations

import re
from typing import Any

from pyflow.config.files import sha as _sha
from pyflow.config.loadstate import LoadState
from pyflow.config.sqlloader import folder_of
from pyflow.config.yamlfile import YamlDoc
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import DependencyRef, SnapshotNode
from pyflow.core.nodeconfig import SnapshotConfig
from pyflow.errors import ProjectError

_STR = r"""\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*"""
_REF = re.compile(rf"^\s*ref\({_STR}(?:,{_STR})?\)\s*$")
_SOURCE = re.compile(rf"^\s*source\({_STR},{_STR}\)\s*$")


def parse_relation(text: Any) -> DependencyRef | None:
    """The dependency ``relation`` names (line 1), or None when it is no ``ref``/``source`` call."""
    if not isinstance(text, str):
        return None
    ref = _REF.match(text)
    if ref is not None:
        groups = [g for g in ref.groups() if g is not None]
        return DependencyRef(groups[-1], 1, "ref")
    src = _SOURCE.match(text)
    if src is not None:
        source_name, table = (g for g in src.groups() if g is not None)
        return DependencyRef(source_name, 1, "source", table)
    return None


class YamlSnapshotLoading(LoadState):
    """The YAML-snapshot part of the project loader."""

    def load_yaml_snapshots(self, jinja: JinjaProject) -> None:
        """Register a snapshot node for each ``snapshots:`` entry with a ``relation``."""
        templates: dict[str, list[str]] = {}
        for props, doc, loc in self.yaml_snapshots:
            line = doc.line_of((*loc, "relation")) or doc.line_of(loc) or 1
            dep = parse_relation(props.relation)
            if dep is None:
                self.fail(
                    ProjectError(
                        f"relation {props.relation!r} is not a ref() or source() call",
                        path=doc.display,
                        line=line,
                        model=props.name,
                        resource="snapshot",
                        hint="write relation: ref('model_name') or relation: source('source_name', 'table_name')",
                        code="invalid-snapshot-relation",
                    )
                )
                continue
            lines = templates.setdefault(doc.display, [])
            lines += [""] * (line - len(lines))
            body = f"select * from {{{{ {props.relation.strip()} }}}}"
            lines[line - 1] = f"{{% snapshot {props.name} %}}{body}{{% endsnapshot %}}"
            self._add_yaml_snapshot(
                props, doc, loc, line, DependencyRef(dep.name, line, dep.kind, dep.source_table), body
            )
        for display, lines in templates.items():
            path = self.root / display
            own = next((p.name for p in self.packages if p.root in path.parents), None)
            jinja.add_template(display, "\n".join(lines), package=own)

    def _add_yaml_snapshot(
        self, props: Any, doc: YamlDoc, loc: tuple[str | int, ...], line: int, dep: DependencyRef, body: str
    ) -> None:
        name = props.name
        path = self.root / doc.display
        own = next((p for p in self.packages if p.root in path.parents), None)
        base = (
            folder_of(path, own.root, own.model_paths + own.snapshot_paths) if own else self._model_root(path)
        )
        folders = path.relative_to(base).parent.parts
        package = own.name if own else self.config.name
        cfg = self.node_config(
            SnapshotConfig,
            self.config.snapshots,
            (*folders, name),
            self.model_props.get(name),
            {},
            name,
            doc.display,
            doc.line_of(loc) or line,
            package,
        )
        if cfg is None:
            return
        node = SnapshotNode(
            name=name,
            package=package,
            path=doc.display,
            line=doc.line_of(loc) or line,
            language="sql",
            config=cfg,  # type: ignore[arg-type]
            refs=(dep,),
            checksum=_sha(f"{doc.display}:{name}:{body}"),
            description=cfg.description or "",
            columns=self._columns(name, {}, doc.display, line),
            constraints=self._constraints(name),
            raw_code=body,
            fqn=(package, *folders, name),
            block=name,
        )
        self._register(node)
