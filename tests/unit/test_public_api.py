"""The public surface: a sorted, complete, documented ``pyflow.__all__``, and a cheap ``import pyflow``."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyflow

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("ibis", "pandas", "duckdb")


def _public_names_defined_in_init() -> set[str]:
    tree = ast.parse((REPO / "pyflow" / "__init__.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return {n for n in names if not n.startswith("_") or n == "__version__"} - {"__all__"}


def test_public_api_all_is_sorted() -> None:
    assert list(pyflow.__all__) == sorted(pyflow.__all__)


def test_public_api_all_is_complete_and_every_name_exists() -> None:
    assert set(pyflow.__all__) == _public_names_defined_in_init()
    for name in pyflow.__all__:
        assert hasattr(pyflow, name), name


def test_public_api_every_name_imports_from_pyflow(tmp_path: Path) -> None:
    code = "from pyflow import " + ", ".join(pyflow.__all__) + "\nprint('ok')\n"

    result = _run(code, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_public_api_every_name_has_a_docstring() -> None:
    undocumented = [
        name
        for name in pyflow.__all__
        if name != "__version__" and not (getattr(pyflow, name).__doc__ or "").strip()
    ]
    assert undocumented == []


def test_public_api_reference_page_lists_exactly_all() -> None:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")

    documented = re.findall(r"^\|\s*`([\w]+)`\s*\|", text, flags=re.M)

    assert sorted(documented) == sorted(pyflow.__all__)


def test_public_api_names_are_defined_in_the_modules_they_come_from() -> None:
    for name in pyflow.__all__:
        obj = getattr(pyflow, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            module = importlib.import_module(obj.__module__)
            assert getattr(module, name) is obj, name


def test_public_api_version_matches_the_package_metadata() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyflow.__version__ == project["version"]


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_public_api_import_pyflow_loads_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "import pyflow\n"
        "from pyflow import model\n"
        "@model\n"
        "def m(orders):\n"
        "    return orders\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )

    result = _run(code, tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_public_api_cli_help_loads_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import atexit, json, sys\n"
        "sys.argv = ['pyflow', '--help']\n"
        "atexit.register(lambda: print('LOADED=' + json.dumps("
        f"sorted(m for m in {HEAVY!r} if m in sys.modules))))\n"
        "from pyflow.cli.main import app\n"
        "app()\n"
    )

    result = _run(code, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    loaded = [line for line in result.stdout.splitlines() if line.startswith("LOADED=")]
    assert loaded == ["LOADED=[]"]
