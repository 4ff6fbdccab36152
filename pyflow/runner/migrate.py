"""``pyflow migrate``: write the ``pyflow.yml`` of a dbt project from its ``dbt_project.yml``.

Owns turning the dbt project file, as pyflow reads it (keys pyflow does not use dropped,
``+`` config keys normalised, ``env_var()`` in the rendered keys resolved as when the project
loads), into the native project file with the same meaning, and refusing when there is no dbt
project or a ``pyflow.yml`` exists already. The dbt file stays: dbt keeps reading it, pyflow
reads ``pyflow.yml`` first.
"""

from __future__ import annotations

from pathlib import Path

from pyflow.config.dbtproject import DBT_PROJECT_FILE, load_dbt_project, unused_keys
from pyflow.config.project import PROJECT_FILE
from pyflow.errors import ProjectError

HEADER = (
    f"# Written by `pyflow migrate` from {DBT_PROJECT_FILE}, which stays for dbt; pyflow reads this\n"
    f"# file first. Keys pyflow does not use were left out (see `pyflow debug`).\n"
)


NOT_IN_PYFLOW_YML = ("dispatch",)
"""dbt_project.yml keys pyflow acts on that pyflow.yml cannot hold yet: a project setting one stays on dbt_project.yml."""


def write_project_file(project_dir: Path) -> tuple[Path, list[str]]:
    """Write ``pyflow.yml`` for the dbt project in ``project_dir``.

    Returns its path and the dbt keys left out (pyflow does not act on them).

    Raises:
        ProjectError: ``cannot-migrate`` when the folder has no ``dbt_project.yml``, already
            has a ``pyflow.yml``, or sets a key pyflow.yml cannot hold (``dispatch:``); the dbt
            project's own errors when it does not load.

    """
    import yaml

    root = Path(project_dir)
    target = root / PROJECT_FILE
    if target.exists():
        raise ProjectError(
            f"{PROJECT_FILE} exists already: the project is migrated",
            path=str(target),
            hint=f"delete {PROJECT_FILE} to write it again from {DBT_PROJECT_FILE}",
            code="cannot-migrate",
        )
    if not (root / DBT_PROJECT_FILE).is_file():
        raise ProjectError(
            f"no {DBT_PROJECT_FILE} in {root}: there is no dbt project to migrate",
            path=str(root / DBT_PROJECT_FILE),
            hint="pass --project-dir with the folder of a dbt project",
            code="cannot-migrate",
        )
    cfg, doc = load_dbt_project(root)
    kept = [k for k in NOT_IN_PYFLOW_YML if isinstance(doc.data, dict) and k in doc.data]
    if kept:
        raise ProjectError(
            f"{DBT_PROJECT_FILE} sets {', '.join(kept)}:, which pyflow acts on but pyflow.yml cannot "
            "hold yet: a pyflow.yml would change how the project builds",
            path=doc.display,
            line=doc.line_of((kept[0],)),
            hint=f"keep the project on {DBT_PROJECT_FILE} (pyflow reads it as it is), or remove "
            f"{kept[0]}: if the project does not need it",
            code="cannot-migrate",
        )
    data = cfg.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"name": cfg.name, **{k: v for k, v in data.items() if k != "name"}}
    target.write_text(HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target, unused_keys(doc)
