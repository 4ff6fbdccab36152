"""The pytest plugin (entry point ``pytest11: pyflow``): YAML unit tests and a project fixture.

* Every YAML file under a project's model (or seed, snapshot) paths that declares ``unit_tests:`` is collected; each
  unit test is one pytest item named after it, run by :func:`pyflow.testing.unit.run_unit_test`
  (the code ``pyflow test`` runs). Other YAML files cost one read and a substring check.
* ``pyflow_project``: a :class:`~pyflow.testing.model.ProjectHarness` for the project holding
  the test file (searched upwards for ``pyflow.yml``), or ``--pyflow-project-dir`` /
  the ``pyflow_project_dir`` ini option.

Importing this module imports nothing heavy: the harness loads when a test needs it.
Disable the plugin with ``-p no:pyflow``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyflow.core.node import TestNode
    from pyflow.testing.model import ProjectHarness

PROJECT_FILE = "pyflow.yml"
_MARKER = b"unit_tests:"
_ROOTS = pytest.StashKey[dict[Path, Path | None]]()
_MODEL_PATHS = pytest.StashKey[dict[Path, tuple[Path, ...]]]()
_HARNESSES = pytest.StashKey[dict[Path, "ProjectHarness"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--pyflow-project-dir`` and the ``pyflow_project_dir`` ini option."""
    group = parser.getgroup("pyflow")
    group.addoption(
        "--pyflow-project-dir",
        dest="pyflow_project_dir",
        default=None,
        help="pyflow project folder for the pyflow_project fixture (default: found from each test file upwards)",
    )
    parser.addini("pyflow_project_dir", "pyflow project folder for the pyflow_project fixture", default="")


def pytest_configure(config: pytest.Config) -> None:
    """Per-session caches of project roots and model paths (no process-wide state)."""
    config.stash[_ROOTS] = {}
    config.stash[_MODEL_PATHS] = {}
    config.stash[_HARNESSES] = {}


def _project_root(config: pytest.Config, folder: Path) -> Path | None:
    """The nearest folder at or above ``folder`` holding pyflow.yml (cached per folder)."""
    cache = config.stash[_ROOTS]
    seen: list[Path] = []
    found: Path | None = None
    for candidate in (folder, *folder.parents):
        if candidate in cache:
            found = cache[candidate]
            break
        seen.append(candidate)
        if (candidate / PROJECT_FILE).is_file():
            found = candidate
            break
    for s in seen:
        cache[s] = found
    return found


def _model_paths(config: pytest.Config, root: Path) -> tuple[Path, ...]:
    cache = config.stash[_MODEL_PATHS]
    if root not in cache:
        from pyflow.config.project import load_project_config
        from pyflow.errors import PyflowError

        try:
            cfg, _ = load_project_config(root)  # YAML properties are read from all three
            cache[root] = tuple(root / p for p in (*cfg.model_paths, *cfg.seed_paths, *cfg.snapshot_paths))
        except PyflowError:
            cache[root] = (root / "models",)  # the project error surfaces when it loads
    return cache[root]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A :class:`UnitTestFile` for a YAML file under model paths that declares ``unit_tests:``."""
    if file_path.suffix not in (".yml", ".yaml") or file_path.name == PROJECT_FILE:
        return None
    try:
        if _MARKER not in file_path.read_bytes():
            return None
    except OSError:
        return None
    root = _project_root(parent.config, file_path.parent)
    if root is None:
        return None
    if not any(base in file_path.parents for base in _model_paths(parent.config, root)):
        return None
    collector: UnitTestFile = UnitTestFile.from_parent(parent, path=file_path)
    collector.project_root = root
    return collector


def _harness(config: pytest.Config, root: Path) -> ProjectHarness:
    """The harness of the project at ``root``, SQL dialect from its default target (per session)."""
    cache = config.stash[_HARNESSES]
    if root not in cache:
        from pyflow.testing.model import ProjectHarness
        from pyflow.testing.unit import target_dialect

        cache[root] = ProjectHarness(root, dialect=target_dialect(root))
    return cache[root]


class PyflowFailure(Exception):
    """A unit test did not return the expected rows, or could not run (message ready to show)."""


class UnitTestFile(pytest.File):
    """A YAML properties file; one item per unit test it declares."""

    project_root: Path

    def collect(self) -> Iterator[pytest.Item]:
        """Load the project (cached) and yield this file's unit tests."""
        from pyflow.errors import PyflowError
        from pyflow.testing.unit import unit_tests_of

        try:
            harness = _harness(self.config, self.project_root)
        except PyflowError as exc:
            raise self.CollectError(f"pyflow cannot load the project {self.project_root}:\n{exc}") from None
        rel = self.path.relative_to(self.project_root).as_posix()
        for node in unit_tests_of(harness, rel):
            item: UnitTestItem = UnitTestItem.from_parent(self, name=node.name)
            item.harness = harness
            item.unit = node
            yield item


class UnitTestItem(pytest.Item):
    """One YAML unit test."""

    harness: ProjectHarness
    unit: TestNode

    def runtest(self) -> None:
        """Run the unit test; a difference or an error fails the item with pyflow's message."""
        from pyflow.errors import PyflowError
        from pyflow.testing.unit import run_unit_test

        try:
            outcome = run_unit_test(self.harness, self.unit)
        except PyflowError as exc:
            raise PyflowFailure(f"pyflow: {exc}") from None
        if not outcome.ok:
            raise PyflowFailure(outcome.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """Pyflow's message without a Python traceback for test failures."""
        if isinstance(excinfo.value, PyflowFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the unit test is declared."""
        return (
            self.path,
            self.unit.line - 1,
            f"unit test {self.unit.name} (model {self.unit.kwargs.get('model')})",
        )


def _fixture_root(request: pytest.FixtureRequest) -> Path:
    config = request.config
    option, ini = config.getoption("pyflow_project_dir"), config.getini("pyflow_project_dir")
    if option:
        return (Path.cwd() / str(option)).resolve()
    if ini:
        return ((config.inipath.parent if config.inipath else config.rootpath) / str(ini)).resolve()
    root = _project_root(config, Path(request.path).parent)
    if root is None:
        pytest.fail(
            f"pyflow_project: no {PROJECT_FILE} in {Path(request.path).parent} or above; "
            "pass --pyflow-project-dir or set pyflow_project_dir in the pytest ini file",
            pytrace=False,
        )
    return root


@pytest.fixture
def pyflow_project(request: pytest.FixtureRequest) -> ProjectHarness:
    """A ProjectHarness for the pyflow project of the test (loaded once per folder and vars)."""
    return _harness(request.config, _fixture_root(request))
