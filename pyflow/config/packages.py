"""dbt packages: ``packages.yml`` / ``dependencies.yml`` and the packages installed under ``dbt_packages/``.

A package is a dbt project in a subfolder of the install path (``packages-install-path``,
``dbt_packages`` by default), as ``dbt deps`` (or ``pyflow deps``) leaves it: its
``dbt_project.yml`` gives its name, its ``macro-paths``, ``model-paths``, ``seed-paths``,
``snapshot-paths``, ``test-paths`` and its
``vars:``. This module reads the declarations and the installed packages; it installs nothing
(:mod:`pyflow.config.deps` does) and never touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflow.config.dbtproject import plus_config_keys
from pyflow.config.yamlfile import YamlDoc, load_yaml
from pyflow.errors import ProjectError

PACKAGE_FILES = ("packages.yml", "dependencies.yml")
"""Where packages are declared, in dbt's order (``dependencies.yml`` also holds ``projects:``)."""

_KINDS = ("local", "git", "package", "tarball", "private")


@dataclass(frozen=True)
class PackageSpec:
    """One entry of ``packages:``: where the package comes from and the folder name it installs as."""

    kind: str
    """``local``, ``git``, ``package`` (dbt hub), ``tarball`` or ``private``."""
    location: str
    """The path, URL or hub name."""
    revision: str | None
    subdirectory: str | None
    path: str
    """The file declaring it."""
    line: int | None

    @property
    def expected_name(self) -> str:
        """The package (and folder) name this entry is expected to install as.

        A hub name's last part (``dbt-labs/dbt_utils`` -> ``dbt_utils``); for a git URL or a
        folder, its last path part with ``-`` read as ``_`` (``dbt-utils.git`` -> ``dbt_utils``).
        """
        text = self.subdirectory or self.location
        last = re.split(r"[/\\:]", text.rstrip("/\\"))[-1]
        last = last.removesuffix(".git").removesuffix(".tar.gz").removesuffix(".tgz")
        return last.replace("-", "_").lower()

    @property
    def candidate_names(self) -> tuple[str, ...]:
        """Names it may install as: :attr:`expected_name`, and that without ``dbt_`` for git and tarballs.

        ``dbt-audit-helper.git`` installs as ``audit_helper``.
        """
        name = self.expected_name
        if self.kind in ("git", "private", "tarball") and name.startswith("dbt_"):
            return (name, name.removeprefix("dbt_"))
        return (name,)


@dataclass(frozen=True)
class Package:
    """A package installed under the install path."""

    name: str
    """Its ``dbt_project.yml`` ``name``: its macro namespace."""
    root: Path
    display: str
    """Its folder relative to the project root (``dbt_packages/dbt_utils``)."""
    macro_paths: tuple[str, ...] = ("macros",)
    model_paths: tuple[str, ...] = ("models",)
    seed_paths: tuple[str, ...] = ("seeds",)
    test_paths: tuple[str, ...] = ("tests",)
    vars: dict[str, Any] = field(default_factory=dict)
    trees: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Its own ``models:`` / ``seeds:`` / ``snapshots:`` config trees (keys with ``+``), below the root project's."""
    snapshot_paths: tuple[str, ...] = ("snapshots",)
    doc: YamlDoc | None = field(default=None, compare=False, repr=False)
    """Its dbt_project.yml as read: the lines of its config trees, for messages."""

    @property
    def project_file(self) -> str:
        """Its dbt_project.yml, as shown in messages."""
        return f"{self.display}/dbt_project.yml"


def declaration_doc(root: Path) -> YamlDoc | None:
    """The first of packages.yml / dependencies.yml that exists, read; None when neither does."""
    for name in PACKAGE_FILES:
        if (root / name).is_file():
            return load_yaml(root / name, display=name)
    return None


def read_specs(root: Path) -> tuple[list[PackageSpec], list[ProjectError]]:
    """The entries of ``packages:`` in packages.yml (or dependencies.yml), and its mistakes."""
    doc = declaration_doc(root)
    if doc is None:
        return [], []
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        return [], [_spec_error(doc, (), "must be a mapping with a `packages:` list")]
    raw = data.get("packages") or []
    if not isinstance(raw, list):
        return [], [_spec_error(doc, ("packages",), "`packages:` must be a list")]
    specs: list[PackageSpec] = []
    errors: list[ProjectError] = []
    for i, entry in enumerate(raw):
        kinds = [k for k in _KINDS if isinstance(entry, dict) and k in entry]
        if len(kinds) != 1 or not isinstance(entry[kinds[0]], str):
            errors.append(
                _spec_error(doc, ("packages", i), f"entry {i + 1} needs exactly one of {', '.join(_KINDS)}")
            )
            continue
        revision = entry.get("revision", entry.get("version"))
        subdir = entry.get("subdirectory")
        specs.append(
            PackageSpec(
                kind=kinds[0],
                location=entry[kinds[0]],
                revision=None if revision is None else str(revision),
                subdirectory=subdir if isinstance(subdir, str) else None,
                path=doc.display,
                line=doc.line_of(("packages", i)),
            )
        )
    return specs, errors


def _spec_error(doc: YamlDoc, loc: tuple[str | int, ...], what: str) -> ProjectError:
    return ProjectError(
        f"{doc.display}: {what}",
        path=doc.display,
        line=doc.line_of(loc),
        hint="write `packages: [{local: ../my_package}, {package: dbt-labs/dbt_utils, version: 1.3.0}, "
        "{git: 'https://github.com/org/repo.git', revision: v1.0}]`",
        code="invalid-packages",
    )


def _str_list(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return default


def installed_packages(root: Path, install_path: str) -> tuple[list[Package], list[ProjectError]]:
    """The packages under ``<root>/<install_path>`` (sorted by folder); folders without a project file are skipped."""
    base = root / install_path
    packages: list[Package] = []
    errors: list[ProjectError] = []
    if not base.is_dir():
        return packages, errors
    seen: dict[str, str] = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        project = folder / "dbt_project.yml"
        display = f"{install_path.rstrip('/')}/{folder.name}"
        if not project.is_file():
            continue
        doc = load_yaml(project, display=f"{display}/dbt_project.yml")
        data = doc.data if isinstance(doc.data, dict) else {}
        name = data.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            errors.append(
                ProjectError(
                    f"the package in {display} has no valid `name:` in its dbt_project.yml",
                    path=doc.display,
                    line=doc.line_of(("name",)),
                    hint="a package is a dbt project: its dbt_project.yml starts with `name: package_name` "
                    "(letters, digits and _); reinstall it with `pyflow deps`",
                    code="invalid-package",
                )
            )
            continue
        if name in seen:
            errors.append(
                ProjectError(
                    f"package '{name}' is installed twice: in {seen[name]} and {display}",
                    path=doc.display,
                    line=doc.line_of(("name",)),
                    hint="delete one of the two folders",
                    code="invalid-package",
                )
            )
            continue
        seen[name] = display
        raw_vars = data.get("vars")
        pkg_vars: dict[str, Any] = {}
        if isinstance(raw_vars, dict):
            scope = raw_vars.get(name)
            pkg_vars = {k: v for k, v in raw_vars.items() if k != name or not isinstance(scope, dict)}
            if isinstance(scope, dict):
                pkg_vars.update(scope)
        packages.append(
            Package(
                name=name,
                root=folder,
                display=display,
                macro_paths=_str_list(data.get("macro-paths"), ("macros",)),
                model_paths=_str_list(data.get("model-paths"), ("models",)),
                seed_paths=_str_list(data.get("seed-paths"), ("seeds",)),
                test_paths=_str_list(data.get("test-paths"), ("tests",)),
                vars=pkg_vars,
                trees={
                    key: plus_config_keys(data[key], doc, (key,))
                    for key in ("models", "seeds", "snapshots")
                    if isinstance(data.get(key), dict)
                },
                snapshot_paths=_str_list(data.get("snapshot-paths"), ("snapshots",)),
                doc=doc,
            )
        )
    return packages, errors


def missing_packages(
    root: Path, specs: list[PackageSpec], installed: list[Package], install_path: str
) -> list[ProjectError]:
    """An error for each declared package that is not installed under the install path."""
    names = {p.name for p in installed}
    folders = {p.root.name.replace("-", "_").lower() for p in installed}
    return [
        ProjectError(
            f"package '{s.location}' is declared in {s.path} but not installed in {install_path}/",
            path=s.path,
            line=s.line,
            hint=f"run `pyflow deps` to install it, or (offline) copy the package's folder to "
            f"{install_path}/{local_name(s, root)}/",
            code="package-not-installed",
        )
        for s in specs
        if not {local_name(s, root), *s.candidate_names} & (names | folders)
    ]


def local_name(spec: PackageSpec, root: Path) -> str:
    """The name a ``local:`` package declares in its dbt_project.yml, else :attr:`PackageSpec.expected_name`."""
    if spec.kind == "local":
        project = (root / spec.location / "dbt_project.yml").resolve()
        if project.is_file():
            data = load_yaml(project, display=str(project)).data
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                return str(data["name"])
    return spec.expected_name
