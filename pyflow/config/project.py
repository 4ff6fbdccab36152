"""The project file: ``pyflow.yml`` (native), or a dbt project's ``dbt_project.yml``.

Precedence: when a folder holds ``pyflow.yml`` it is the project file and ``dbt_project.yml``
beside it is not read (dbt keeps reading it; see docs/coming-from-dbt.md). A folder with only
``dbt_project.yml`` is read as a dbt project (:mod:`pyflow.config.dbtproject`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pyflow.config.dbtproject import DBT_PROJECT_FILE, load_dbt_project, unused_keys
from pyflow.config.projectcheck import check_tree, inside, outside_paths, source_folders
from pyflow.config.unused import node_notes
from pyflow.config.yamlfile import Loc, YamlDoc, load_yaml, validation_errors
from pyflow.core.nodeconfig import ModelConfig, ProjectConfig, SeedConfig, SnapshotConfig
from pyflow.core.project import Project
from pyflow.errors import ErrorGroup, ProjectError

PROJECT_FILE = "pyflow.yml"


def project_file(project_dir: Path) -> Path | None:
    """The project file of ``project_dir`` by precedence (pyflow.yml, then dbt_project.yml), or None."""
    for name in (PROJECT_FILE, DBT_PROJECT_FILE):
        if (project_dir / name).is_file():
            return project_dir / name
    return None


def project_notes(project_dir: Path, project: Project | None = None) -> list[str]:
    """What ``pyflow debug`` says about the project file beyond its name (one line each).

    With the loaded ``project``, also the configs and YAML resources it keeps without applying.
    """
    path = project_file(project_dir)
    notes = []
    if path is not None and path.name == PROJECT_FILE and (project_dir / DBT_PROJECT_FILE).is_file():
        notes.append(f"{DBT_PROJECT_FILE} beside it is not read: {PROJECT_FILE} takes precedence")
    unused = unused_keys(load_project_config(project_dir)[1])
    if unused:
        notes.append(f"accepted, not used by pyflow: {', '.join(unused)}")
    return notes + (node_notes(project) if project is not None else [])


def load_project_config(project_dir: Path) -> tuple[ProjectConfig, YamlDoc]:
    """Read and validate the project file (see the precedence above); all mistakes are reported together."""
    path = project_file(project_dir)
    if path is None:
        raise ProjectError(
            f"no {PROJECT_FILE} found in {project_dir} (nor a dbt project's {DBT_PROJECT_FILE})",
            path=str(project_dir / PROJECT_FILE),
            hint="run pyflow from a project folder, pass --project-dir, or create one with "
            "`pyflow init NAME`",
            code="no-project",
        )
    if path.name == DBT_PROJECT_FILE:
        return load_dbt_project(project_dir)
    doc = load_yaml(path, display=PROJECT_FILE)
    if not isinstance(doc.data, dict):
        raise ProjectError(
            "pyflow.yml must be a mapping of keys", path=doc.display, line=1, code="invalid-config"
        )
    allowed: dict[Loc, list[str]] = {(): [f.alias or n for n, f in ProjectConfig.model_fields.items()]}
    try:
        cfg = ProjectConfig.model_validate(doc.data)
    except ValidationError as exc:
        errs = validation_errors(exc, doc, allowed=allowed, what="pyflow.yml")
        raise (errs[0] if len(errs) == 1 else ErrorGroup(errs)) from None
    errors: list[ProjectError] = list(outside_paths(project_dir, cfg, doc))
    check_tree(cfg.models, doc, ("models",), ModelConfig, errors)
    check_tree(cfg.seeds, doc, ("seeds",), SeedConfig, errors)
    check_tree(cfg.snapshots, doc, ("snapshots",), SnapshotConfig, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return cfg, doc


def clean_folders(root: Path, cfg: ProjectConfig, doc: YamlDoc) -> list[tuple[str, Path]]:
    """The ``clean-targets`` folders ``pyflow clean`` may delete: ``(as written, resolved path)``.

    Each must lie inside the project (not be the project itself) and hold no sources: it may
    not be, contain, or lie inside a source folder (a source folder that is the whole project
    aside). Any other entry is an error and nothing is deleted.
    """
    real = root.resolve()
    sources = {(root / f).resolve() for _, _, f in source_folders(cfg)} - {real}
    out: list[tuple[str, Path]] = []
    errors: list[ProjectError] = []
    for i, name in enumerate(cfg.clean_targets):
        path = (root / name).resolve()
        line = doc.line_of(("clean-targets", i))
        if not inside(root, name) or path == real:
            problem = "is the project folder itself" if path == real else "is outside the project folder"
        else:
            holds = sorted(
                str(s.relative_to(real))
                for s in sources
                if s == path or path in s.parents or s in path.parents
            )
            problem = f"holds project sources ({', '.join(holds)})" if holds else ""
        if problem:
            errors.append(
                ProjectError(
                    f"clean-targets names '{name}', which {problem}; nothing was deleted",
                    path=doc.display,
                    line=line,
                    hint="list only folders pyflow writes (target, logs) under clean-targets",
                    code="unsafe-clean-target",
                )
            )
        else:
            out.append((name, path))
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return out


def tree_layers(tree: dict[str, Any], project: str, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    """Config layers that apply to a node at folder ``parts`` (ending in the node name).

    The tree may be rooted at the project name (dbt style) or directly at the folders. In the
    dbt style, ``+keys`` at the very top apply to every package and come first; other
    top-level names are other packages' trees and do not apply to this project's nodes.
    """
    layers: list[dict[str, Any]] = []
    if isinstance(tree.get(project), dict):
        top = _plus_keys(tree)
        if top:
            layers.append(top)
        node: Any = tree[project]
    else:
        node = tree
    layers.append(_plus_keys(node))
    for part in parts:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            break
        node = node[part]
        layers.append(_plus_keys(node))
    return layers


def package_layers(
    tree: dict[str, Any], package: str, parts: tuple[str, ...], root: str
) -> list[dict[str, Any]]:
    """:func:`tree_layers` for a node of ``package``: of a package's nodes only its own tree applies.

    A package's node (``package`` is not the ``root`` project) takes the top-level ``+keys`` and
    the ``<package>:`` subtree of the root project's tree, as in dbt; for the root project's own
    nodes this is :func:`tree_layers`.
    """
    if package == root or isinstance(tree.get(package), dict):
        return tree_layers(tree, package, parts)
    return [_plus_keys(tree)]


def _plus_keys(node: dict[str, Any]) -> dict[str, Any]:
    return {k[1:]: v for k, v in node.items() if isinstance(k, str) and k.startswith("+")}
