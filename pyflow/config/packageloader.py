"""The package part of the project loader: installed packages' macro files and vars.

Reads packages.yml / dependencies.yml and the packages under the install path
(:mod:`pyflow.config.packages`); a declared package that is not installed is an error whose fix
is ``pyflow deps``. A package's ``vars:`` are defaults the root project's vars override.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyflow.config.files import project_files, relpath
from pyflow.config.packages import Package, installed_packages, missing_packages, read_specs
from pyflow.config.yamlfile import read_text
from pyflow.core.nodeconfig import ProjectConfig
from pyflow.errors import PyflowError


class PackageLoading:
    """Loads the installed packages of one project (state shared with the other loaders)."""

    root: Path
    config: ProjectConfig
    errors: list[PyflowError]
    vars: dict[str, Any]
    packages: list[Package]

    def load_packages(self) -> dict[str, dict[str, str]]:
        """Package name -> its macro files (display path -> text); records errors and package vars."""
        install_path = self.config.packages_install_path
        specs, errors = read_specs(self.root)
        installed, install_errors = installed_packages(self.root, install_path)
        self.errors.extend(
            [*errors, *install_errors, *missing_packages(self.root, specs, installed, install_path)]
        )
        self.packages = [p for p in installed if p.name != self.config.name]
        out: dict[str, dict[str, str]] = {}
        package_vars: dict[str, Any] = {}
        for package in self.packages:
            folders = (*package.macro_paths, *(f"{t}/generic" for t in package.test_paths))
            out[package.name] = {
                relpath(self.root, p): read_text(p, relpath(self.root, p))
                for p in project_files(package.root, tuple(dict.fromkeys(folders)), (".sql",))
            }
            package_vars.update(package.vars)
        self.vars = {**package_vars, **self.vars}
        return out
