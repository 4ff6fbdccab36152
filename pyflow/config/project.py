"""pyflow.yml: the project file (dbt_project.yml's keys users know)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pyflow.config.yamlfile import Loc, YamlDoc, load_yaml, validation_errors
from pyflow.core.nodeconfig import ModelConfig, ProjectConfig, SeedConfig, SnapshotConfig, config_keys
from pyflow.errors import ErrorGroup, ProjectError, closest

PROJECT_FILE = "pyflow.yml"


def _check_tree(
    tree: dict[str, Any], doc: YamlDoc, loc: Loc, cls: type[BaseModel], errors: list[ProjectError]
) -> None:
    """Check ``+key`` names in a models:/seeds: tree against ``cls``'s fields."""
    keys = config_keys(cls)
    for key, value in tree.items():
        if not isinstance(key, str):
            continue
        if key.startswith("+"):
            name = key[1:]
            if name not in keys:
                errors.append(
                    ProjectError(
                        f"unknown config key '{key}' under {'.'.join(map(str, loc))}",
                        path=doc.display,
                        line=doc.line_of((*loc, key)),
                        suggestions=["+" + s for s in closest(name, keys)],
                        hint="use one of: " + ", ".join("+" + k for k in keys),
                        code="unknown-config-key",
                    )
                )
        elif isinstance(value, dict):
            _check_tree(value, doc, (*loc, key), cls, errors)
        else:
            errors.append(
                ProjectError(
                    f"'{key}' under {'.'.join(map(str, loc))} is not a folder and has no '+'",
                    path=doc.display,
                    line=doc.line_of((*loc, key)),
                    suggestions=["+" + s for s in closest(key, keys)],
                    hint=f"write config keys with a leading '+' (e.g. '+{key}: ...'), "
                    "or nest folder names as mappings",
                    code="unknown-config-key",
                )
            )


def load_project_config(project_dir: Path) -> tuple[ProjectConfig, YamlDoc]:
    """Read and validate ``<project_dir>/pyflow.yml``; all mistakes are reported together."""
    path = project_dir / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(
            f"no {PROJECT_FILE} found in {project_dir}",
            path=str(path),
            hint="run pyflow from a project folder, pass --project-dir, or create one with "
            "`pyflow init NAME`",
            code="no-project",
        )
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
    errors: list[ProjectError] = []
    _check_tree(cfg.models, doc, ("models",), ModelConfig, errors)
    _check_tree(cfg.seeds, doc, ("seeds",), SeedConfig, errors)
    _check_tree(cfg.snapshots, doc, ("snapshots",), SnapshotConfig, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return cfg, doc


def tree_layers(tree: dict[str, Any], project: str, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    """Config layers that apply to a node at folder ``parts`` (ending in the node name).

    The tree may be rooted at the project name (dbt style) or directly at the folders.
    """
    root = tree.get(project, tree) if isinstance(tree.get(project), dict) else tree
    layers: list[dict[str, Any]] = []
    node: Any = root
    layers.append({k[1:]: v for k, v in node.items() if isinstance(k, str) and k.startswith("+")})
    for part in parts:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            break
        node = node[part]
        layers.append({k[1:]: v for k, v in node.items() if isinstance(k, str) and k.startswith("+")})
    return layers
