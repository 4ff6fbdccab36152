"""``pyflow deps``: install the packages of packages.yml / dependencies.yml into the install path.

``local:`` packages are linked (copied where links are not possible) into
``<install path>/<name>``; ``git:`` packages are cloned with the ``git`` command, ``package:``
(dbt hub) and ``tarball:`` packages are downloaded. When the network (or git) refuses, the
package is reported as not installed with the way out: vendor its folder into the install path,
which is all a build needs (:mod:`pyflow.config.packageloader` never touches the network).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pyflow.config.packages import PackageSpec, local_name, read_specs
from pyflow.config.project import load_project_config
from pyflow.config.yamlfile import load_yaml
from pyflow.errors import ErrorGroup, ProjectError

log = logging.getLogger(__name__)

HUB_URL = "https://hub.getdbt.com/api/v1"
TIMEOUT = 30.0
"""Seconds for one download or clone to answer."""


@dataclass(frozen=True)
class Installed:
    """One package ``pyflow deps`` installed."""

    name: str
    source: str
    folder: str


def install(project_dir: Path) -> tuple[list[Installed], list[ProjectError]]:
    """Install every declared package and theirs; what was installed and one error per package that was not."""
    root = project_dir.resolve()
    cfg, _ = load_project_config(root)
    specs, errors = read_specs(root)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(list(errors))
    base = root / cfg.packages_install_path
    done: list[Installed] = []
    failed: list[ProjectError] = []
    queue: list[tuple[PackageSpec, Path]] = [(spec, root) for spec in specs]
    while queue:
        spec, declared_in = queue.pop(0)
        if any(item.source == f"{spec.kind}: {spec.location}" for item in done):
            continue
        try:
            name = _install_one(spec, declared_in, base, cfg.packages_install_path)
        except ProjectError as exc:
            failed.append(exc)
            continue
        done.append(Installed(name, f"{spec.kind}: {spec.location}", f"{cfg.packages_install_path}/{name}"))
        # a package's own packages.yml: its dependencies are installed next to it, as dbt does
        installed = (base / name).resolve()
        more, more_errors = read_specs(installed)
        failed.extend(more_errors)
        queue += [(m, installed) for m in more if not any(d.name == local_name(m, installed) for d in done)]
    return done, failed


def _install_one(spec: PackageSpec, root: Path, base: Path, install_path: str) -> str:
    if spec.kind == "local":
        return _install_local(spec, root, base)
    with tempfile.TemporaryDirectory(prefix="pyflow-deps-") as tmp:
        work = Path(tmp) / "pkg"
        try:
            if spec.kind == "git" or spec.kind == "private":
                _clone(spec, work)
            elif spec.kind == "package":
                _download(_hub_tarball(spec), work)
            else:
                _download(spec.location, work)
        except (OSError, subprocess.SubprocessError, ValueError, tarfile.TarError) as exc:
            raise _cannot_fetch(spec, exc, install_path) from None
        folder = work / spec.subdirectory if spec.subdirectory else work
        return _place(spec, folder, base, copy=True)


def _install_local(spec: PackageSpec, root: Path, base: Path) -> str:
    source = (root / spec.location).resolve()
    if not (source / "dbt_project.yml").is_file():
        raise ProjectError(
            f"local package '{spec.location}' is not a dbt project: {source}/dbt_project.yml does not exist",
            path=spec.path,
            line=spec.line,
            hint="point `local:` at a folder holding a dbt_project.yml (a path relative to the project)",
            code="package-install-failed",
        )
    return _place(spec, source, base, copy=False)


def _place(spec: PackageSpec, folder: Path, base: Path, *, copy: bool) -> str:
    """Put ``folder`` at ``<base>/<its project name>``; the name."""
    project = folder / "dbt_project.yml"
    data = load_yaml(project, display=str(project)).data if project.is_file() else None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str):
        raise ProjectError(
            f"package '{spec.location}' has no dbt_project.yml with a `name:`",
            path=spec.path,
            line=spec.line,
            hint="a package is a dbt project; check `subdirectory:` or the package's location",
            code="package-install-failed",
        )
    base.mkdir(parents=True, exist_ok=True)
    dest = base / name
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.is_dir():
        shutil.rmtree(dest)
    if copy:
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".git"))
    else:
        try:
            os.symlink(folder, dest, target_is_directory=True)
        except OSError:
            shutil.copytree(folder, dest)
    return name


def _clone(spec: PackageSpec, work: Path) -> None:
    if shutil.which("git") is None:
        raise OSError("the git command is not installed")
    cmd = ["git", "clone", "--quiet", "--depth", "1"]
    if spec.revision:
        cmd += ["--branch", spec.revision]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    result = subprocess.run(
        [*cmd, spec.location, str(work)], capture_output=True, text=True, timeout=TIMEOUT * 4, env=env
    )
    if result.returncode != 0:
        raise OSError(
            (result.stderr or result.stdout).strip().splitlines()[-1] if result.stderr else "git failed"
        )


def _fetch(url: str) -> bytes:
    if not url.startswith("https://"):
        raise ValueError(f"only https:// downloads are supported, not {url!r}")
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        data: bytes = response.read()
    return data


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def _hub_tarball(spec: PackageSpec) -> str:
    """The tarball URL of the hub package's requested version (exact, or the newest matching a range)."""
    index = json.loads(_fetch(f"{HUB_URL}/{spec.location}.json"))
    versions: dict[str, str] = {
        v: info["downloads"]["tarball"]
        for v, info in index.get("versions", {}).items()
        if "downloads" in info
    }
    wanted = spec.revision
    if wanted in versions:
        return versions[wanted]
    ranges = re.findall(r"(>=|<=|>|<|==)?\s*(\d+(?:\.\d+)*)", wanted or "")
    ops = {
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        "==": lambda a, b: a == b,
        "": lambda a, b: a == b,
    }
    fits = [
        v
        for v in versions
        if not re.search(r"[a-z]", v) and all(ops[op](_version_key(v), _version_key(n)) for op, n in ranges)
    ]
    if not fits:
        raise ValueError(f"no version of {spec.location} matches {wanted!r}")
    return versions[max(fits, key=_version_key)]


def _download(url: str, work: Path) -> None:
    data = _fetch(url)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(work, filter="data")
    entries = list(work.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not (work / "dbt_project.yml").exists():
        inner = entries[0]
        for child in inner.iterdir():
            child.rename(work / child.name)
        inner.rmdir()


def _cannot_fetch(spec: PackageSpec, exc: BaseException, install_path: str) -> ProjectError:
    name = local_name(spec, Path("."))
    return ProjectError(
        f"cannot install package '{spec.location}' ({spec.kind}): {type(exc).__name__}: {exc}",
        path=spec.path,
        line=spec.line,
        hint=f"check the network and the package's location; without network access, vendor it: "
        f"copy the package's folder (a dbt project) to {install_path}/{name}/, which is all a build needs",
        code="package-install-failed",
    )
