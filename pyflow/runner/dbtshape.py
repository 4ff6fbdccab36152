"""The keys dbt's artifact schemas require, added to pyflow's ``manifest.json`` and ``run_results.json``.

dbt-core 1.11 reads a manifest in its v12 schema and run results in their v6 schema; tools
built on dbt's artifacts read them the same way. pyflow's entries keep their own keys (the
ones documented in docs/artifacts.md) and gain the ones dbt requires: its schema version, a
node's ``path`` and ``fqn``, a macro's ``unique_id`` and ``macro_sql``, the manifest sections
pyflow has nothing for (``docs``, ``selectors`` ...), and a result's ``relation_name`` and
``compiled_code``. The keys pyflow adds beyond dbt's are listed in docs/coming-from-dbt.md.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from pyflow.core.node import Node, TestNode

MANIFEST_SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"
RUN_RESULTS_SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"
MANIFEST_SECTIONS = ("docs", "selectors", "group_map", "unit_tests")
"""Sections of dbt's manifest pyflow writes empty (unit tests are in ``nodes``)."""


def metadata(meta: dict[str, Any], schema: str, version: str) -> dict[str, Any]:
    """``meta`` with dbt's ``dbt_schema_version``, ``dbt_version`` (pyflow's) and ``env``."""
    return {**meta, "dbt_schema_version": schema, "dbt_version": version, "env": {}}


def _below_resource_folder(node: Node, project: str) -> tuple[str, ...]:
    parts = PurePosixPath(node.path).parts
    if node.package != project:
        parts = parts[2:]  # a package's file: <install path>/<package folder>/<resource folder>/...
    return parts[1:]


def node_path(node: Node, project: str) -> str:
    """The ``path`` dbt writes: the file below its resource folder (a generic test's: ``<name>.sql``)."""
    if isinstance(node, TestNode) and node.kind == "generic":
        return f"{node.name}.sql"
    return "/".join(_below_resource_folder(node, project)) or node.path


def test_fqn(node: TestNode, project: str) -> list[str]:
    """The ``fqn`` dbt gives a test: its package, the folders of its file below the resource folder, its name."""
    return [node.package, *_below_resource_folder(node, project)[:-1], node.name]


def dbt_refs(refs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """Turn pyflow's refs into dbt's ``refs`` (name, package, version) and ``sources`` ([source, table])."""
    out: list[dict[str, Any]] = []
    sources: list[list[str]] = []
    for ref in refs:
        if ref.get("kind") == "source" and ref.get("source_table"):
            sources.append([str(ref["name"]), str(ref["source_table"])])
        else:
            out.append({**ref, "package": None, "version": None})
    return out, sources


def macro_sql(text: str, name: str) -> str:
    """The ``{% macro name(...) %} ... {% endmacro %}`` block of ``text`` (a ``{% test %}`` block for ``test_<name>``)."""
    import re

    for kind, macro in (("macro", name), ("test", name.removeprefix("test_"))):
        found = re.search(
            rf"{{%-?\s*{kind}\s+{re.escape(macro)}\s*\(.*?{{%-?\s*end{kind}\s*-?%}}", text, re.DOTALL
        )
        if found:
            return found.group(0)
    return ""


def macro_entry(package: str, name: str, path: str, sql: str) -> dict[str, Any]:
    """A macro in dbt's shape (with pyflow's ``path`` from the project folder kept as it was)."""
    return {
        "name": name,
        "path": path,
        "unique_id": f"macro.{package}.{name}",
        "resource_type": "macro",
        "package_name": package,
        "original_file_path": path,
        "macro_sql": sql,
    }
