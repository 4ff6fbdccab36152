"""dbt_project.yml read as the project file of a folder that has no pyflow.yml.

Every key dbt 1.11 documents for dbt_project.yml is accepted. The keys pyflow acts on are
pyflow.yml's (:class:`~pyflow.core.nodeconfig.ProjectConfig`); the others (:data:`UNUSED_KEYS`)
are accepted, left out of the config, and listed by ``pyflow debug``. Differences from
pyflow.yml, all of them dbt's behaviour:

- config keys in the ``models:``/``seeds:``/``snapshots:``/``data_tests:`` trees may be written
  without ``+`` when their value is not a mapping (a mapping is a folder, as in dbt);
- ``vars:`` may scope variables to a package (``vars: {my_project: {x: 1}}``): this project's
  scope is merged over the global variables, other packages' scopes are dropped;
- top-level string values (``profile``, the ``*-paths``) may use ``{{ env_var('X') }}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pyflow.config.projectcheck import check_tree, outside_paths
from pyflow.config.yamlfile import Loc, YamlDoc, load_yaml, validation_errors
from pyflow.core.nodeconfig import (
    META_COLUMNS,
    ModelConfig,
    ProjectConfig,
    SeedConfig,
    SnapshotConfig,
)
from pyflow.errors import ErrorGroup, ProjectError, PyflowError

DBT_PROJECT_FILE = "dbt_project.yml"

UNUSED_KEYS: tuple[str, ...] = (
    "analysis-paths",
    "asset-paths",
    "docs-paths",
    "function-paths",
    "query-comment",
    "require-dbt-version",
    "quoting",
    "dispatch",
    "restrict-access",
    "flags",
    "dbt-cloud",
    "sources",
    "unit_tests",
    "metrics",
    "semantic-models",
    "saved-queries",
    "exposures",
    "functions",
)
"""dbt_project.yml keys dbt documents that pyflow accepts but does not act on (yet)."""

TREES = ("models", "seeds", "snapshots", "tests", "data_tests")
"""The config trees in which config keys may be written without ``+``."""

_RENDERED_KEYS = (
    "name",
    "profile",
    "model-paths",
    "seed-paths",
    "snapshot-paths",
    "macro-paths",
    "test-paths",
    "target-path",
    "log-path",
    "clean-targets",
    "packages-install-path",
)


def unused_keys(doc: YamlDoc) -> list[str]:
    """The keys of a dbt_project.yml that pyflow accepts without acting on them, in file order."""
    if doc.display != DBT_PROJECT_FILE or not isinstance(doc.data, dict):
        return []
    return [k for k in doc.data if k in UNUSED_KEYS]


def load_dbt_project(project_dir: Path) -> tuple[ProjectConfig, YamlDoc]:
    """Read and validate ``<project_dir>/dbt_project.yml``; all mistakes are reported together."""
    doc = load_yaml(project_dir / DBT_PROJECT_FILE, display=DBT_PROJECT_FILE)
    if not isinstance(doc.data, dict):
        raise ProjectError(
            f"{DBT_PROJECT_FILE} must be a mapping of keys",
            path=doc.display,
            line=1,
            hint="start it with `name: my_project`",
            code="invalid-config",
        )
    data: dict[str, Any] = {k: v for k, v in doc.data.items() if k not in UNUSED_KEYS}
    for key in _RENDERED_KEYS:
        if key in data:
            data[key] = _render_env(data[key], doc, (key,))
    if isinstance(data.get("name"), str) and isinstance(data.get("vars"), dict):
        data["vars"] = scoped_vars(data["vars"], data["name"])
    for key in TREES:
        if isinstance(data.get(key), dict):
            data[key] = plus_config_keys(data[key], doc, (key,))
    data["snapshots"] = dbt_meta_columns(data.get("snapshots"))
    known = [f.alias or n for n, f in ProjectConfig.model_fields.items()]
    allowed: dict[Loc, list[str]] = {(): sorted([*known, *UNUSED_KEYS])}
    try:
        cfg = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        errs = validation_errors(exc, doc, allowed=allowed, what=DBT_PROJECT_FILE)
        raise (errs[0] if len(errs) == 1 else ErrorGroup(errs)) from None
    errors: list[ProjectError] = list(outside_paths(project_dir, cfg, doc))
    check_tree(cfg.models, doc, ("models",), ModelConfig, errors)
    check_tree(cfg.seeds, doc, ("seeds",), SeedConfig, errors)
    check_tree(cfg.snapshots, doc, ("snapshots",), SnapshotConfig, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return cfg, doc


def dbt_meta_columns(tree: Any) -> Any:
    """The ``snapshots:`` tree with dbt's meta column names (``dbt_scd_id`` ...) as the default.

    A dbt project's snapshots keep dbt's column names, so that its tables, and the queries
    reading them, stay as they were; renames in ``snapshot_meta_column_names`` still apply.
    """
    if tree is not None and not isinstance(tree, dict):
        return tree  # not a mapping: validation reports it
    tree = dict(tree or {})
    own = tree.get("+snapshot_meta_column_names")
    tree["+snapshot_meta_column_names"] = {
        **{name: name for name in META_COLUMNS},
        **(own if isinstance(own, dict) else {}),
    }
    return tree


def scoped_vars(raw: dict[str, Any], project: str) -> dict[str, Any]:
    """Package-scoped ``vars:`` as dbt reads them: the global ones, then this project's scope over them.

    A mapping under a key equal to the project name is that project's scope. Other mappings
    stay as they are: they may be another package's scope or a variable whose value is a mapping.
    """
    scope = raw.get(project)
    if not isinstance(scope, dict):
        return raw
    return {**{k: v for k, v in raw.items() if k != project}, **scope}


def plus_config_keys(tree: dict[Any, Any], doc: YamlDoc, loc: Loc) -> dict[Any, Any]:
    """``tree`` with config keys written without ``+`` renamed to ``+key`` (at every level).

    dbt's rule (``_project_configs`` in dbt-core): a key without ``+`` whose value is not a
    mapping is a config; one whose value is a mapping is a folder (or a package, or a node
    name), so a mapping-valued config (``+docs``, ``+meta``, ``+column_types``) needs its
    ``+``. The renamed keys keep their line numbers in ``doc`` for error messages.
    """
    out: dict[Any, Any] = {}
    for key, value in tree.items():
        if isinstance(key, str) and not key.startswith("+") and not isinstance(value, dict):
            new = "+" + key
            _copy_lines(doc, (*loc, key), (*loc, new))
            out[new] = value
        elif isinstance(key, str) and not key.startswith("+") and isinstance(value, dict):
            out[key] = plus_config_keys(value, doc, (*loc, key))
        else:
            out[key] = value
    return out


def _copy_lines(doc: YamlDoc, old: Loc, new: Loc) -> None:
    for loc, line in list(doc.lines.items()):
        if loc[: len(old)] == old:
            doc.lines[(*new, *loc[len(old) :])] = line


def _render_env(value: Any, doc: YamlDoc, loc: Loc) -> Any:
    """Render ``{{ env_var('X') }}`` / ``{{ env_var('X', 'default') }}`` in a top-level value."""
    if isinstance(value, list):
        return [_render_env(v, doc, (*loc, i)) for i, v in enumerate(value)]
    if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
        return value
    import jinja2
    import jinja2.sandbox

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ProjectError(
            f"environment variable '{name}' is not set",
            path=doc.display,
            line=doc.line_of(loc),
            hint=f"export {name}=... or give a default: env_var('{name}', 'value')",
            code="missing-env-var",
        )

    env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    try:
        return env.from_string(value).render(env_var=env_var)
    except PyflowError:
        raise
    except Exception as exc:
        raise ProjectError(
            f"cannot render the Jinja in '{'.'.join(map(str, loc))}': {type(exc).__name__}: {exc}",
            path=doc.display,
            line=doc.line_of(loc),
            hint="top-level values of dbt_project.yml may use {{ env_var('NAME') }} only; "
            "quote the value if the braces are literal",
            code="config-jinja",
        ) from None
