"""Artifacts under ``target/``: manifest.json, run_results.json, compiled/ and run/ SQL.

Shapes are documented in docs/artifacts.md and stable: add keys, never rename them. Secrets
never appear here: only the public part of the target is written, every secret value is
masked (:mod:`pyflow.secret`), and ``--vars`` with secret-looking names are stored redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflow.core.macrodeps import macro_uid
from pyflow.core.node import ModelNode, Node, SeedNode, SnapshotNode, SourceNode, TestNode
from pyflow.core.project import Project
from pyflow.core.state import node_config, node_contract
from pyflow.errors import DiskFullError, is_disk_full
from pyflow.jsonfile import write_json, write_text
from pyflow.relation import Relation
from pyflow.runner import dbtshape
from pyflow.runner.events import NodeResult
from pyflow.secret import redact_keys, scrub

if TYPE_CHECKING:
    from pyflow.runner.session import Options

SCHEMA_VERSION = 1


def _version() -> str:
    from pyflow.version import __version__

    return __version__


def write_text_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` (secrets masked) unless the file already holds it; True when written."""
    text = scrub(text)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    with reporting_full_disk(path):
        write_text(path, text)
    return True


@contextmanager
def reporting_full_disk(path: Path) -> Iterator[None]:
    """Turn ENOSPC while writing ``path`` into a ``disk-full`` error naming it.

    Writes are atomic, so no partial file is left behind.
    """
    try:
        yield
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(
            f"no space left on device while writing {path}",
            hint=f"free space on the disk holding {path.parent} (or set target-path in pyflow.yml "
            "to a folder on a disk with room), then run again",
            code="disk-full",
        ) from exc


def discard_run_results(path: Path) -> bool:
    """Remove the ``run_results.json`` of an earlier run; True when there was one.

    Done when this run's cannot be written, so that the old one is never taken for this run's.
    """
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def sql_path(project: Project, node: Node) -> str:
    """``<project>/<folder>/<name>.sql``: where a node's compiled and run SQL are written."""
    folder = Path(node.path).parent.as_posix()
    return f"{project.name}/{folder}/{node.name}.sql"


def metadata(project: Project, invocation_id: str, target: Mapping[str, Any]) -> dict[str, Any]:
    """The ``metadata`` block shared by every artifact."""
    return {
        "schema_version": SCHEMA_VERSION,
        "pyflow_version": _version(),
        "generated_at": datetime.now(UTC).isoformat(),
        "invocation_id": invocation_id,
        "project_name": project.name,
        "adapter_type": target.get("type"),
        "target_name": target.get("name"),
    }


def _columns(cols: Mapping[str, Any], inferred: Sequence[tuple[str, str]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # data_type: the engine type declared by the user; inferred_type: the Ibis type pyflow
    # worked out when compiling (never mixed in one field)
    for name, dtype in inferred or ():
        out[name] = {"name": name, "data_type": None, "inferred_type": dtype, "description": ""}
    for name, info in cols.items():
        entry = out.setdefault(
            name, {"name": name, "data_type": None, "inferred_type": None, "description": ""}
        )
        entry["description"] = info.description
        if info.data_type:
            entry["data_type"] = info.data_type
        if info.meta:
            entry["meta"] = info.meta
    return out


def _version_value(version: str | None) -> int | float | str | None:
    """A model version as dbt writes it: a number when it reads as one."""
    if version is None:
        return None
    for kind in (int, float):
        try:
            return kind(version)
        except ValueError:
            pass
    return version


def node_entry(
    project: Project,
    node: Node,
    relation: str | None,
    compiled_sql: str | None,
    columns: Sequence[tuple[str, str]] | None,
    parts: Relation | None = None,
) -> dict[str, Any]:
    """One entry of ``manifest.json``'s ``nodes`` or ``sources``.

    ``parts`` is the node's relation (``database``, ``schema``, ``alias``: where ``--defer``
    finds it later); sources keep their declared ``database``/``schema`` instead.
    ``depends_on.macros`` lists the macros the node calls directly (dbt's).
    """
    base: dict[str, Any] = {
        "unique_id": node.unique_id,
        "name": node.name,
        "resource_type": node.resource_type,
        "package_name": node.package,
        "original_file_path": node.path,
        "line": node.line,
        "relation_name": relation,
        "depends_on": {
            "macros": list(project.macro_index.node_macros.get(node.unique_id, ())),
            "nodes": list(project.graph.parents.get(node.unique_id, [])),
        },
        "path": dbtshape.node_path(node, project.name),
    }
    if parts is not None and not isinstance(node, SourceNode):
        base.update(database=parts.database, schema=parts.schema, alias=parts.identifier)
    if isinstance(node, ModelNode) and not isinstance(node, SnapshotNode):  # dbt's snapshots have neither
        base.update(contract=node_contract(node), constraints=list(node.constraints))
    if isinstance(node, ModelNode):
        base.update(
            language=node.language,
            fqn=list(node.fqn),
            config=node_config(node),
            tags=list(node.config.tags),
            description=node.description,
            columns=_columns(node.columns, columns),
            checksum={"name": "sha256", "checksum": node.checksum},
            raw_code=node.raw_code,
            compiled_code=compiled_sql,
            compiled_path=f"target/compiled/{sql_path(project, node)}",
        )
        base["refs"], base["sources"] = dbtshape.dbt_refs(
            [
                {"name": r.name, "kind": r.kind, "source_table": r.source_table, "line": r.line}
                for r in node.refs
            ]
        )
        if node.version is not None:  # dbt names a version by its model, with version fields
            base.update(
                name=node.versioned_name,
                version=_version_value(node.version),
                latest_version=_version_value(node.latest_version),
            )
    elif isinstance(node, SeedNode):
        base.update(
            fqn=list(node.fqn),
            config=node.config.model_dump(mode="json", by_alias=True),
            tags=list(node.config.tags),
            description=node.description,
            columns=_columns(node.columns, columns),
            checksum={"name": "sha256", "checksum": node.checksum},
        )
    elif isinstance(node, TestNode):
        base.update(
            fqn=dbtshape.test_fqn(node, project.name),
            config=node.config.model_dump(mode="json", by_alias=True),
            tags=list(node.config.tags),
            checksum={"name": "sha256", "checksum": node.checksum},
        )
    elif isinstance(node, SourceNode):
        base.update(
            source_name=node.source_name,
            identifier=node.identifier,
            schema=node.schema,
            database=node.database,
            external_location=node.external_location,
            description=node.description,
            columns=_columns(node.columns, columns),
            tags=list(node.tags),
            meta=node.meta,
            loaded_at_field=node.loaded_at_field,
            fqn=list(node.fqn),
            path=node.path,
            source_description="",
            loader="",
        )
    return base


def write_manifest(
    project: Project,
    path: Path,
    meta: dict[str, Any],
    entries: Mapping[str, dict[str, Any]],
) -> None:
    """Write ``manifest.json``."""
    graph = project.graph
    nodes = {u: e for u, e in entries.items() if not u.startswith("source.")}
    sources = {u: e for u, e in entries.items() if u.startswith("source.")}
    data = {
        "metadata": dbtshape.metadata(meta, dbtshape.MANIFEST_SCHEMA, _version()),
        "nodes": nodes,
        "sources": sources,
        "macros": _macro_entries(project),
        "parent_map": {u: list(graph.parents.get(u, [])) for u in graph.nodes},
        "child_map": {u: list(graph.children.get(u, [])) for u in graph.nodes},
        "disabled": {n.unique_id: {"name": n.name, "path": n.path} for n in project.disabled.values()},
        **resource_entries(project),
        **{section: {} for section in dbtshape.MANIFEST_SECTIONS},
    }
    with reporting_full_disk(path):
        write_json(path, data)


def _macro_entries(project: Project) -> dict[str, dict[str, Any]]:
    """The ``macros`` section: by name (``package.name`` for packages' macros).

    Each has dbt's ``unique_id``, ``package_name``, ``macro_sql`` and ``depends_on.macros``
    where its file parses.
    """
    index = project.macro_index.macros
    owners: list[tuple[str | None, str, Mapping[str, str]]] = [
        (None, project.name, project.jinja.macro_paths)
    ]
    owners += [(pkg, pkg, table) for pkg, table in project.jinja.package_macros.items()]
    out: dict[str, dict[str, Any]] = {}
    sources = project.jinja.sources
    for prefix, package, table in owners:
        for name, path in table.items():
            text = dbtshape.macro_sql(sources.get(path, ""), name)
            entry: dict[str, Any] = dbtshape.macro_entry(package, name, path, text)
            info = index.get(macro_uid(package, name))
            if info is not None:
                entry.update(
                    unique_id=info.unique_id,
                    macro_sql=info.macro_sql,
                    depends_on={"macros": list(info.calls)},
                )
            out[f"{prefix}.{name}" if prefix else name] = entry
    return out


_RESOURCE_TYPES = {
    "exposures": "exposure",
    "metrics": "metric",
    "semantic_models": "semantic_model",
    "saved_queries": "saved_query",
    "groups": "group",
}
_REF = re.compile(r"""^\s*(ref|source)\(\s*(['"])([^'"]+)\2\s*(?:,\s*(['"])([^'"]+)\4\s*)?\)\s*$""")


def resource_entries(project: Project) -> dict[str, dict[str, Any]]:
    """The manifest sections (dbt's) of YAML resources pyflow keeps without building (exposures ...).

    An exposure's ``depends_on`` (``ref('x')``, ``source('s', 't')``) becomes the unique ids
    of those nodes, as in dbt's manifest; a name pyflow does not know is kept as written.
    """
    out: dict[str, dict[str, Any]] = {key: {} for key in _RESOURCE_TYPES}
    for key, kind in _RESOURCE_TYPES.items():
        for entry, path, line in project.resources.get(key, []):
            name = str(entry.get("name", ""))
            uid = f"{kind}.{project.name}.{name}"
            item = {
                **entry,
                "unique_id": uid,
                "resource_type": kind,
                "package_name": project.name,
                "original_file_path": path,
                "line": line,
                "fqn": [project.name, name],
            }
            if key == "exposures":
                item["depends_on"] = {
                    "nodes": [_dependency(project, d) for d in entry.get("depends_on") or []]
                }
            out[key][uid] = item
    return out


def _dependency(project: Project, written: Any) -> Any:
    match = _REF.match(str(written))
    if match is None:
        return written
    if match.group(1) == "ref" and match.group(5) is None:
        name = match.group(3)
        for table in (project.models, project.seeds, project.snapshots):
            if name in table:
                return table[name].unique_id
    if match.group(1) == "source" and match.group(5) is not None:
        found = project.sources.get((match.group(3), match.group(5)))
        if found is not None:
            return found.unique_id
    return written


def invocation_args(command: str, options: Options, target_name: str, threads: int) -> dict[str, Any]:
    """The ``args`` block of ``run_results.json``: the command and every flag a retry replays.

    Keys follow dbt's (``which``, ``select``, ``full_refresh`` ...); ``command`` is kept for
    readers of earlier pyflow versions; ``retry_of`` is the invocation a retry reran, else None.
    ``state`` and ``defer_state`` are absolute folders (None when not given).
    When a var holds a value JSON has no type for (a date YAML read), ``vars_yaml`` keeps the
    vars as YAML too, so that a retry gets the same types back.
    """
    args = {
        "command": command,
        "which": command,
        "select": list(options.select),
        "exclude": list(options.exclude),
        "selector": options.selector,
        "indirect_selection": options.indirect_selection,
        "target": target_name,
        "threads": threads,
        "full_refresh": options.full_refresh,
        "fail_fast": options.fail_fast,
        "vars": dict(options.vars),
        "retry_of": options.retry_of,
        "state": _folder(options.state),
        "defer": options.defer,
        "defer_state": _folder(options.defer_state),
        "favor_state": options.favor_state,
        # microbatch windows, replayed by retry
        "event_time_start": _iso_or_none(options.event_time_window[0]),
        "event_time_end": _iso_or_none(options.event_time_window[1]),
    }
    if not _is_json(dict(options.vars)):
        import yaml

        args["vars_yaml"] = yaml.safe_dump(redact_keys(dict(options.vars)), sort_keys=False)
    return args


def _folder(path: Path | None) -> str | None:
    """A ``--state``-like folder as an absolute path, so a retry finds it from anywhere."""
    return None if path is None else Path(path).resolve().as_posix()


def _iso_or_none(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def _is_json(value: Any) -> bool:
    """True when ``value`` is made of JSON's types only (so it reads back as written)."""
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def write_run_results(
    path: Path,
    meta: dict[str, Any],
    results: Sequence[NodeResult],
    elapsed: float,
    args: Mapping[str, Any],
) -> None:
    """Write ``run_results.json`` (``--vars`` with secret-looking names are stored redacted).

    On a full disk the file of an earlier run is removed and a ``disk-full`` error raised:
    ``run_results.json`` describes the latest run or does not exist.
    """
    rows = []
    for r in results:
        row = asdict(r)
        row.pop("statements")
        row.pop("traceback")
        row.pop("bytes_scanned")  # in adapter_response, with the engine's other figures
        cost = row.pop("query_stats")
        row["timing"] = (
            [{"name": "execute", "started_at": _iso(r.started_at), "completed_at": _iso(r.completed_at)}]
            if r.started_at
            else []
        )
        row["adapter_response"] = (
            {"rows_affected": r.rows_affected, "code": r.response} if r.rows_affected is not None else {}
        ) | cost
        row.update(relation_name=r.relation, compiled=None, compiled_code=None)  # dbt's keys
        rows.append(row)
    try:
        with reporting_full_disk(path):
            write_json(
                path,
                {
                    "metadata": dbtshape.metadata(meta, dbtshape.RUN_RESULTS_SCHEMA, _version()),
                    "results": rows,
                    "elapsed_time": elapsed,
                    "args": redact_keys(dict(args)),
                },
                indent=2,
            )
    except DiskFullError as exc:
        if discard_run_results(path):
            exc.detail = (
                f"the {path.name} of an earlier run was removed, so that it is not taken for this run's"
            )
        raise


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()
