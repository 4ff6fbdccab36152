"""Reading ``--state DIR``: the ``manifest.json`` of an earlier run, for ``state:`` and ``--defer``.

Owns finding and parsing the file into a :class:`~pyflow.core.state.State` and the errors
when it is missing or unreadable. Comparing nodes is :mod:`pyflow.core.state`'s; resolving
inputs to the state's relations is :mod:`pyflow.runner.defer`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyflow.core.state import State, StateNode, configured_relation, source_relation
from pyflow.errors import ProjectError
from pyflow.relation import Relation

MANIFEST = "manifest.json"
RUN_RESULTS = "run_results.json"


def _state_error(message: str, path: Path, hint: str, code: str) -> ProjectError:
    return ProjectError(message, path=str(path), hint=hint, code=code)


def read_state(folder: Path) -> State:
    """The earlier manifest in ``folder`` (``--state``).

    Raises:
        ProjectError: ``state-not-found`` when the folder or its manifest.json is missing,
            ``state-invalid`` when the file is not a pyflow/dbt manifest.

    """
    keep = "keep the target/ folder of the run to compare with (e.g. production's) and pass it as --state"
    if not folder.is_dir():
        raise _state_error(f"--state {folder} is not a folder", folder, keep, code="state-not-found")
    path = folder / MANIFEST
    if not path.is_file():
        raise _state_error(
            f"--state {folder} holds no {MANIFEST}",
            path,
            f"{keep}; `pyflow compile` or `pyflow build` writes target/{MANIFEST}",
            code="state-not-found",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _state_error(
            f"cannot read {MANIFEST} of --state: {exc}",
            path,
            f"write it again with `pyflow compile` (or `pyflow build`) on the state's target; {keep}",
            code="state-invalid",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise _state_error(
            f"{path} is not a manifest (no 'nodes' mapping)",
            path,
            f"point --state at a folder holding the {MANIFEST} that `pyflow build` writes",
            code="state-invalid",
        )
    nodes: dict[str, StateNode] = {}
    for section in ("nodes", "sources"):
        entries = data.get(section) or {}
        if isinstance(entries, Mapping):
            for uid, entry in entries.items():
                if isinstance(entry, Mapping):
                    nodes[str(uid)] = _state_node(entry)
    meta = data.get("metadata")
    target_name = meta.get("target_name") if isinstance(meta, Mapping) else None
    results = _results(folder / RUN_RESULTS)
    return State(path=str(path), nodes=nodes, target_name=target_name, results=results, macros=_macros(data))


def _macros(data: Mapping[str, Any]) -> dict[str, str] | None:
    """``macro_sql`` per macro unique id; None when the manifest stores no macro text."""
    entries = data.get("macros")
    if not isinstance(entries, Mapping):
        return None
    out: dict[str, str] = {}
    for key, entry in entries.items():
        if isinstance(entry, Mapping) and isinstance(entry.get("macro_sql"), str):
            out[str(entry.get("unique_id") or key)] = entry["macro_sql"]
    return out or None


def _results(path: Path) -> dict[str, str] | None:
    """Status per unique id of ``run_results.json``; None when there is none.

    Raises:
        ProjectError: ``state-invalid`` when the file cannot be read.

    """
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["results"]
        return {str(row["unique_id"]): str(row["status"]) for row in rows}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise _state_error(
            f"cannot read {RUN_RESULTS} of --state: {type(exc).__name__}: {exc}",
            path,
            f"keep the {RUN_RESULTS} that `pyflow build` wrote next to its manifest, or remove it",
            code="state-invalid",
        ) from None


def _state_node(entry: Mapping[str, Any]) -> StateNode:
    checksum = entry.get("checksum")
    config = entry.get("config")
    config = config if isinstance(config, Mapping) else None
    if entry.get("resource_type") == "source":
        rel_config = source_relation(entry.get("database"), entry.get("schema"), entry.get("identifier"))
    else:
        rel_config = configured_relation(config or {})
    relation = None
    if entry.get("relation_name") and entry.get("alias"):
        relation = Relation(entry.get("database"), entry.get("schema"), str(entry["alias"]))
    return StateNode(
        checksum=checksum.get("checksum") if isinstance(checksum, Mapping) else None,
        config=config,
        relation_config=rel_config,
        relation=relation,
        contract=contract if isinstance(contract := entry.get("contract"), Mapping) else None,
    )
