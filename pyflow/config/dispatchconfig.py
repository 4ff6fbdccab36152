"""The macro settings of a project file: dbt's ``dispatch:`` search orders and docs-block files.

``dispatch: [{macro_namespace: dbt_utils, search_order: [my_project, dbt_utils]}]`` in
dbt_project.yml tells ``adapter.dispatch(name, 'dbt_utils')`` which packages to search, in
order (:mod:`pyflow.core.dispatch`). Docs blocks (``{% docs name %}``) live in ``.md`` files
under the model and macro folders, as in dbt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyflow.config.files import project_files, relpath
from pyflow.config.yamlfile import YamlDoc, read_text
from pyflow.errors import ProjectError


def dispatch_orders(doc: YamlDoc) -> tuple[dict[str, list[str]], list[ProjectError]]:
    """Macro namespace -> search order, from the file's ``dispatch:`` list; and its mistakes."""
    raw = doc.data.get("dispatch") if isinstance(doc.data, dict) else None
    if raw is None:
        return {}, []
    orders: dict[str, list[str]] = {}
    errors: list[ProjectError] = []
    entries = raw if isinstance(raw, list) else [raw]
    for i, entry in enumerate(entries):
        namespace = entry.get("macro_namespace") if isinstance(entry, dict) else None
        order = entry.get("search_order") if isinstance(entry, dict) else None
        if (
            not isinstance(raw, list)
            or not isinstance(namespace, str)
            or not isinstance(order, list)
            or not order
            or not all(isinstance(p, str) for p in order)
        ):
            errors.append(
                ProjectError(
                    "each dispatch: entry needs macro_namespace (a package name) and search_order "
                    "(a non-empty list of package names)",
                    path=doc.display,
                    line=doc.line_of(("dispatch", i)) or doc.line_of(("dispatch",)),
                    hint="write dispatch: [{macro_namespace: dbt_utils, search_order: "
                    "[my_project, dbt_utils]}]",
                    code="invalid-config",
                )
            )
            continue
        orders[namespace] = list(order)
    return orders, errors


def docs_files(root: Path, folders: Sequence[str]) -> dict[str, str]:
    """Display path -> text of the ``.md`` files under ``folders`` that hold a docs block."""
    out: dict[str, str] = {}
    for path in project_files(root, tuple(dict.fromkeys(folders)), (".md",)):
        display = relpath(root, path)
        text = read_text(path, display)
        if "{% docs" in text or "{%- docs" in text:
            out[display] = text
    return out
