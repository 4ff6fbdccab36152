"""Checks shared by both project files (pyflow.yml, dbt_project.yml): config-tree keys and source folders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pyflow.config.yamlfile import Loc, YamlDoc
from pyflow.core.hook import hook_key
from pyflow.core.nodeconfig import ProjectConfig, config_keys
from pyflow.errors import ProjectError, closest


def check_tree(
    tree: dict[str, Any], doc: YamlDoc, loc: Loc, cls: type[BaseModel], errors: list[ProjectError]
) -> None:
    """Check ``+key`` names in a models:/seeds: tree against ``cls``'s fields."""
    keys = config_keys(cls)
    for key, value in tree.items():
        if not isinstance(key, str):
            continue
        if key.startswith("+"):
            name = hook_key(key[1:])
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
            check_tree(value, doc, (*loc, key), cls, errors)
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


def inside(root: Path, folder: str) -> bool:
    """True when ``folder`` (relative to ``root``) is ``root`` or below it, as written and resolved."""
    base = Path(os.path.abspath(root))
    written = Path(os.path.normpath(base / folder))
    resolved = (base / folder).resolve()
    real = base.resolve()
    return (written == base or base in written.parents) and (resolved == real or real in resolved.parents)


def outside_paths(root: Path, cfg: ProjectConfig, doc: YamlDoc) -> list[ProjectError]:
    """One error per source folder the project file names outside the project."""
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
        if not inside(root, folder)
    ]
