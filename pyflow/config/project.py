"""pyflow.yml: the project file (dbt_project.yml's keys users know)."""

from __future__ import annotations

import os
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
    errors: list[ProjectError] = list(_outside_paths(project_dir, cfg, doc))
    _check_tree(cfg.models, doc, ("models",), ModelConfig, errors)
    _check_tree(cfg.seeds, doc, ("seeds",), SeedConfig, errors)
    _check_tree(cfg.snapshots, doc, ("snapshots",), SnapshotConfig, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return cfg, doc


SOURCE_PATH_KEYS = ("model-paths", "seed-paths", "snapshot-paths", "macro-paths", "test-paths")
"""pyflow.yml keys naming folders of project sources: they must lie inside the project."""


def source_folders(cfg: ProjectConfig) -> list[tuple[str, int, str]]:
    """``(key, index, folder)`` of every source folder pyflow.yml names."""
    values = (cfg.model_paths, cfg.seed_paths, cfg.snapshot_paths, cfg.macro_paths, cfg.test_paths)
    return [
        (key, i, f)
        for key, folders in zip(SOURCE_PATH_KEYS, values, strict=True)
        for i, f in enumerate(folders)
    ]


def _inside(root: Path, folder: str) -> bool:
    """True when ``folder`` (relative to ``root``) is ``root`` or below it, as written and resolved."""
    base = Path(os.path.abspath(root))
    written = Path(os.path.normpath(base / folder))
    resolved = (base / folder).resolve()
    real = base.resolve()
    return (written == base or base in written.parents) and (resolved == real or real in resolved.parents)


def _outside_paths(root: Path, cfg: ProjectConfig, doc: YamlDoc) -> list[ProjectError]:
    return [
        ProjectError(
            f"{key} names '{folder}', which is outside the project folder",
            path=doc.display,
            line=doc.line_of((key, i)),
            hint=f"list folders inside the project under {key} (e.g. '{key.removesuffix('-paths')}s'); "
            "to share files between projects, copy them in or use a symbolic link inside the project",
            code="path-outside-project",
        )
        for key, i, folder in source_folders(cfg)
        if not _inside(root, folder)
    ]


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
        if not _inside(root, name) or path == real:
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
